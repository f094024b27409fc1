# Check: eth0 (virtio-net) up at ember.ip= (default 169.254.100.2/24), ping ember.peer= (default 169.254.100.1); ember.tput_mb=N sends N MiB to the peer's TCP port 5001, ember.rx_mb=N receives N MiB from its port 5002 (and prints their CRC-32), each with its rate.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
ip=$(ember_param ip) || ip=169.254.100.2/24
peer=$(ember_param peer) || peer=169.254.100.1
[ -e /sys/class/net/eth0 ] || fail "no eth0 (virtio-net not found)"
echo "eth0 mac $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
ip link set eth0 up || fail "cannot bring eth0 up"
ip addr add "$ip" dev eth0 || fail "cannot add $ip to eth0"
i=0
until [ "$(cat /sys/class/net/eth0/operstate)" = up ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "eth0 operstate $(cat /sys/class/net/eth0/operstate)"
ping -c 3 -W 3 "$peer" || fail "no ping reply from $peer"
# irqs: virtio interrupts so far, all CPUs (to show how many a transfer took)
irqs() { awk '/virtio/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
# rate LINE-TAG MIB T0 T1 DIRECTION IRQS
rate() {
	awk -v tag="$1" -v m="$2" -v a="$3" -v b="$4" -v dir="$5" -v n="$6" 'BEGIN { d = b - a; if (d <= 0) d = 0.01;
		printf "%s %d MiB in %.2f s: %.1f MiB/s %s, %d interrupts\n", tag, m, d, m / d, dir, n }'
}
# The peer must not half-close first: busybox nc exits when its socket reads EOF,
# leaving the rest of its input unsent (the host end is tests/devices/net-peer.c).
mb=$(ember_param tput_mb) || mb=0
if [ "$mb" -gt 0 ]; then
	i0=$(irqs)
	read -r t0 _ < /proc/uptime
	# nc half-closes at the end of its input and returns when the peer has read it all and closed
	dd if=/dev/zero bs=65536 count=$((mb * 16)) 2> /dev/null | nc "$peer" 5001 ||
		fail "TCP transfer to $peer:5001 failed"
	read -r t1 _ < /proc/uptime
	rate EMBER-NET-TPUT "$mb" "$t0" "$t1" "guest to host" $(($(irqs) - i0))
fi
rx=$(ember_param rx_mb) || rx=0
if [ "$rx" -gt 0 ]; then
	i0=$(irqs)
	read -r t0 _ < /proc/uptime
	nc "$peer" 5002 < /dev/null > /tmp/net-rx.bin
	read -r t1 _ < /proc/uptime
	n=$(($(irqs) - i0))
	got=$(wc -c < /tmp/net-rx.bin)
	[ "$got" = $((rx * 1048576)) ] || fail "received ${got:-0} of $((rx * 1048576)) bytes from $peer:5002"
	# the CRC of what arrived, for the host to compare with what it sent
	crc=$(crc32 /tmp/net-rx.bin 2> /dev/null | cut -d' ' -f1)
	rm -f /tmp/net-rx.bin
	rate EMBER-NET-RX "$rx" "$t0" "$t1" "host to guest" "$n" | sed "s/\$/${crc:+, crc32 $crc}/"
fi
