#!/bin/sh
# tests/devices/lab-qemu-ref.sh: the device throughput checks under QEMU's microvm (virtio-blk and virtio-net over the same TAP), as a reference for ember's numbers.
# SPDX-License-Identifier: MIT
# usage: sh lab-qemu-ref.sh DIR   (DIR as for lab-net.sh; needs /dev/kvm, qemu-system-x86_64, root)
# Not in the suite: run it with DEV_SCRIPTS (docs/performance.md).  Sizes: DISK_TPUT_MB, NET_TPUT_MB, NET_RX_MB.
. "$(dirname "$0")/common.sh"
QEMU=${QEMU:-qemu-system-x86_64}
MB=${DISK_TPUT_MB:-32}
TX_MB=${NET_TPUT_MB:-8}
RX_MB=${NET_RX_MB:-8}
TAP=emtap1
img=/tmp/ember-qemu-tput.img
command -v "$QEMU" > /dev/null || { lt_skip qemu-ref "no $QEMU"; lt_finish; }

# qemu_vm NAME CHECKS "EXTRA CMDLINE" QEMU-ARGS...: the same kernel, initramfs and checks as dev_vm
qemu_vm() {
	_n=$1 _c=$2 _x=$3
	shift 3
	lt_vm "$_n" "$TO" "$QEMU" -M microvm,x-option-roms=off,pit=off,pic=off,isa-serial=on,rtc=on,acpi=off \
		-enable-kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 reboot=t panic=-1 ember.timeout=100 ember.check=$_c $_x" "$@"
}
rate() { logline "$1" | sed 's/.*: //'; }

dd if=/dev/zero of="$img" bs=1048576 count="$MB" 2> /dev/null
for aio in threads io_uring; do
	qemu_vm "qemu-disk-tput-$aio" disk-tput "ember.disk_mb=$MB ember.disk_dev=/dev/vda" \
		-drive "file=$img,format=raw,if=none,id=d0,cache=writeback,aio=$aio" \
		-device virtio-blk-device,drive=d0
	if lt_has "EMBER-CHECK disk-tput PASS"; then
		lt_pass "qemu-disk-tput-$aio" "$MB MiB O_DIRECT: write $(rate 'EMBER-DISK-TPUT write'), read $(rate 'EMBER-DISK-TPUT read')"
	else
		lt_skip "qemu-disk-tput-$aio" "QEMU run failed (status $LT_RC): $(lt_checks_failed | head -n 1)"
	fi
done
rm -f "$img"

if [ ! -c /dev/net/tun ] && [ -f "$dir/tun.ko" ]; then
	insmod "$dir/tun.ko" 2> /dev/null
	i=0; while [ ! -c /dev/net/tun ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
fi
ip link del "$TAP" 2> /dev/null
if [ -c /dev/net/tun ] && [ -x "$dir/net-peer" ] &&
   { ip tuntap add dev "$TAP" mode tap 2> /dev/null || tunctl -t "$TAP" > /dev/null 2>&1; }; then
	ip addr add 169.254.100.1/24 dev "$TAP"
	ip link set "$TAP" up
	# QEMU's default, then without mergeable rx buffers (ember offers none:
	# the guest then posts 64 KiB "big packet" buffers)
	for v in qemu-net: qemu-net-nomrg:,mrg_rxbuf=off; do
		name=${v%%:*}
		"$dir/net-peer" sink 5001 "$TO" > /tmp/qnet-sink.out 2>&1 &
		sink=$!
		"$dir/net-peer" source 5002 "$RX_MB" "$TO" > /tmp/qnet-source.out 2>&1 &
		source=$!
		qemu_vm "$name" net "ember.ip=169.254.100.2/24 ember.peer=169.254.100.1 ember.tput_mb=$TX_MB ember.rx_mb=$RX_MB" \
			-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" -device "virtio-net-device,netdev=n0${v#*:}"
		kill "$sink" "$source" 2> /dev/null
		wait 2> /dev/null
		if lt_has "EMBER-CHECK net PASS"; then
			lt_pass "$name" "guest->host $(rate EMBER-NET-TPUT) ($(cat /tmp/qnet-sink.out)); host->guest $(rate EMBER-NET-RX) ($(cat /tmp/qnet-source.out))"
		else
			lt_skip "$name" "QEMU run failed (status $LT_RC): $(lt_checks_failed | head -n 1)"
		fi
	done
	ip link del "$TAP" 2> /dev/null
else
	lt_skip qemu-net "no TUN, TAP or net-peer"
fi
lt_finish
