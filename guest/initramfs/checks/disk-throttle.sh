# guest/initramfs/checks/disk-throttle.sh: Check: time O_DIRECT writes on the disks whose serial (drive id) is in ember.throttle_ids= (default base,lim): ember.bw_mb= MiB in 1 MiB blocks, then ember.iops_n= 4 KiB writes, on each.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
ids=$(ember_param throttle_ids) || ids=base,lim
mb=$(ember_param bw_mb) || mb=4
n=$(ember_param iops_n) || n=80

# dev_by_id ID: the /dev/vdX whose virtio-blk serial (GET_ID) is ID
dev_by_id() {
	for b in /sys/block/vd*; do
		[ "$(cat "$b/serial" 2> /dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return 0; }
	done
	return 1
}

# timed ID KIND BS COUNT: one dd of COUNT blocks of BS bytes; prints EMBER-THROTTLE ID KIND SECONDS
timed() {
	dev=$(dev_by_id "$1") || fail "no disk with serial '$1'"
	read -r t0 _ < /proc/uptime
	dd if=/dev/zero of="$dev" bs="$3" count="$4" oflag=direct 2> /dev/null || fail "dd to $dev ($1) failed"
	read -r t1 _ < /proc/uptime
	awk -v i="$1" -v k="$2" -v d="$dev" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "EMBER-THROTTLE %s %s %.2f (%s)\n", i, k, b - a, d }'
}

for id in $(echo "$ids" | tr ',' ' '); do
	timed "$id" bytes 1048576 "$mb"
	timed "$id" ops 4096 "$n"
done
