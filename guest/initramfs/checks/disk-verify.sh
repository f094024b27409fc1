# Check: the ext4 disk (ember.disk=, default /dev/vda) still holds ember.token= in /ember-token (written by the disk check before a reboot).
# SPDX-License-Identifier: MIT
. /lib/ember.sh
dev=$(ember_param disk) || dev=/dev/vda
token=$(ember_param token) || fail "ember.token= not on the command line"
mount -t ext4 -o ro "$dev" /mnt || fail "cannot mount $dev"
got=$(cat /mnt/ember-token 2> /dev/null)
umount /mnt
echo "read '$got' from $dev:/ember-token"
[ "$got" = "$token" ] || fail "expected '$token'"
