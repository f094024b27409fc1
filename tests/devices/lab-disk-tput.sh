#!/bin/sh
# tests/devices/lab-disk-tput.sh: virtio-blk sequential throughput in a real guest (O_DIRECT dd, 1 MiB blocks) with the sync and io_uring engines, against dd on the same file on the host.
# SPDX-License-Identifier: MIT
# usage: sh lab-disk-tput.sh DIR   (DIR: ember, vmlinux, the initramfs; needs /dev/kvm)
# DISK_TPUT_MB: image size and bytes moved each way (default 32).
. "$(dirname "$0")/common.sh"
dev_need_ember disk-tput-sync disk-tput-uring
MB=${DISK_TPUT_MB:-32}
img=/tmp/ember-tput.img

# secs CMD...: wall seconds CMD takes (/proc/uptime, 10 ms)
secs() {
	read -r _a _ < /proc/uptime
	"$@" > /dev/null 2>&1
	read -r _b _ < /proc/uptime
	awk -v a="$_a" -v b="$_b" 'BEGIN { d = b - a; if (d <= 0) d = 0.01; printf "%.2f", d }'
}
mibs() { awk -v m="$MB" -v s="$1" 'BEGIN { printf "%.1f", m / s }'; }
# The host's own rate on the same file (the lab's /tmp is in RAM: page-cache
# speed), rewriting it as the guest does: allocating the pages costs more.
rm -f "$img"
dd if=/dev/zero of="$img" bs=1048576 count="$MB" 2> /dev/null
hw=$(mibs "$(secs dd if=/dev/zero of="$img" bs=1048576 count="$MB" conv=notrunc,fsync)")
hr=$(mibs "$(secs dd if="$img" of=/dev/null bs=1048576)")
echo "host: write $hw MiB/s, read $hr MiB/s ($MB MiB, dd bs=1M on $img)"
for io in sync uring; do
	dev_vm "disk-tput-$io" disk-tput "ember.disk_mb=$MB ember.disk_dev=/dev/vda" --disk "$img,io=$io"
	w=$(logline 'EMBER-DISK-TPUT write' | sed 's/.*: //; s/ MiB.s//')
	r=$(logline 'EMBER-DISK-TPUT read' | sed 's/.*: //; s/ MiB.s//')
	if [ -n "$w" ] && [ -n "$r" ]; then
		dev_judge "disk-tput-$io" "$(awk -v w="$w" -v r="$r" -v hw="$hw" -v hr="$hr" -v m="$MB" 'BEGIN {
			printf "%d MiB O_DIRECT: write %.1f MiB/s (%.0f%% of host %.1f), read %.1f MiB/s (%.0f%% of host %.1f)",
				m, w, 100 * w / hw, hw, r, 100 * r / hr, hr }')"
	else
		dev_judge "disk-tput-$io" "no EMBER-DISK-TPUT lines"
	fi
done
rm -f "$img"
lt_finish
