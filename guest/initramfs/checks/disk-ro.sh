# Check: a read-only disk (ember.disk=, default /dev/vda) refuses writes: the kernel marks it read-only, raw writes and a read-write mount fail, a read-only mount works.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
dev=$(ember_param disk) || dev=/dev/vda
[ -b "$dev" ] || fail "no block device $dev"
ro=$(cat "/sys/block/${dev#/dev/}/ro")
echo "$dev: /sys/block/.../ro = $ro"
[ "$ro" = 1 ] || fail "$dev is not read-only in the guest"
if dd if=/dev/zero of="$dev" bs=512 count=1 conv=fsync 2> /dev/null; then
	fail "a raw write to $dev succeeded"
fi
if mount -t ext4 -o rw "$dev" /mnt 2> /dev/null && touch /mnt/ember-should-not-exist 2> /dev/null; then
	fail "wrote a file on read-only $dev"
fi
umount /mnt 2> /dev/null
mount -t ext4 -o ro "$dev" /mnt || fail "cannot mount $dev read-only"
ls /mnt
umount /mnt
echo "writes refused, read-only mount works"
