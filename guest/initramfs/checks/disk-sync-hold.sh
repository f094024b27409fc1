# guest/initramfs/checks/disk-sync-hold.sh: Check: write ember.token= at MiB ember.sync_mib= (default 16) of ember.disk= (default /dev/vda), sync, print EMBER-SYNCED, then hold so the host can kill the VMM.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
dev=$(ember_param disk) || dev=/dev/vda
token=$(ember_param token) || fail "no ember.token="
off=$(ember_param sync_mib) || off=16
[ -b "$dev" ] || fail "no block device $dev"
printf '%s\n' "$token" | dd of="$dev" bs=512 seek=$((off * 2048)) conv=notrunc 2> /dev/null ||
	fail "cannot write the token to $dev"
sync
echo "EMBER-SYNCED $token"
# The host kills the VMM now; nothing after this is needed.
sleep 3600
