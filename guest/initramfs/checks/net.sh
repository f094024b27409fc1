# Check: eth0 (virtio-net) up at ember.ip= (default 169.254.100.2/24), ping ember.peer= (default 169.254.100.1); with ember.tput_mb=N, send N MiB to the peer's TCP port 5001 and print the rate.
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
mb=$(ember_param tput_mb) || mb=0
if [ "$mb" -gt 0 ]; then
	read -r t0 _ < /proc/uptime
	dd if=/dev/zero bs=65536 count=$((mb * 16)) 2> /dev/null | nc -w 5 "$peer" 5001 ||
		fail "TCP transfer to $peer:5001 failed"
	read -r t1 _ < /proc/uptime
	# nc returns once the bytes are in the socket: give TCP time to deliver them
	sleep "$(ember_param tput_drain || echo 0)"
	awk -v a="$t0" -v b="$t1" -v m="$mb" 'BEGIN { d = b - a; if (d <= 0) d = 0.01;
		printf "EMBER-NET-TPUT %d MiB in %.2f s: %.1f MiB/s guest to host\n", m, d, m / d }'
fi
