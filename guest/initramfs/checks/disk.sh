# guest/initramfs/checks/disk.sh: Check: mount the ext4 disk (ember.disk=, default /dev/vda) read-write, write ember.token= to /ember-token, sync, read back.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
dev=$(ember_param disk) || dev=/dev/vda
token=$(ember_param token) || token=ember-$(cat /proc/sys/kernel/random/uuid)
[ -b "$dev" ] || fail "no block device $dev"
root=$(awk -v d="$dev" '$1 == d && $2 == "/" { print $2 }' /proc/mounts)
if [ -n "$root" ]; then
	dir=/
	mount -o remount,rw / || fail "cannot remount $dev (root) read-write"
else
	dir=/mnt
	mount -t ext4 -o rw "$dev" /mnt || fail "cannot mount $dev as ext4"
fi
echo "$token" > "$dir/ember-token" || fail "cannot write $dir/ember-token"
sync
got=$(cat "$dir/ember-token")
echo "wrote token '$token' to $dev:/ember-token"
[ "$dir" = /mnt ] && { umount /mnt || fail "cannot unmount $dev"; }
[ "$got" = "$token" ] || fail "read back '$got', wrote '$token'"
echo "EMBER-TOKEN $token"
