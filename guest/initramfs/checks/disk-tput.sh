# Check: sequential write then read throughput of the raw disk ember.disk_dev= (default /dev/vda), ember.disk_mb= MiB (default 64), O_DIRECT, 1 MiB blocks; its contents are overwritten.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
dev=$(ember_param disk_dev) || dev=/dev/vda
mb=$(ember_param disk_mb) || mb=64
[ -b "$dev" ] || fail "no block device $dev"
# rate OP T0 T1
rate() {
	awk -v op="$1" -v m="$mb" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 0.01;
		printf "EMBER-DISK-TPUT %s %d MiB in %.2f s: %.1f MiB/s\n", op, m, d, m / d }'
}
read -r t0 _ < /proc/uptime
dd if=/dev/zero of="$dev" bs=1048576 count="$mb" oflag=direct conv=fsync 2> /dev/null ||
	fail "write of $mb MiB to $dev failed"
read -r t1 _ < /proc/uptime
rate write "$t0" "$t1"
read -r t0 _ < /proc/uptime
out=$(dd if="$dev" of=/dev/null bs=1048576 count="$mb" iflag=direct 2>&1) ||
	fail "read of $mb MiB from $dev failed"
read -r t1 _ < /proc/uptime
echo "$out" | grep -q "^$mb+0 records in" || fail "short read from $dev: $out"
rate read "$t0" "$t1"
