#!/bin/sh
# tests/devices/lab-net.sh: virtio-net in a real guest: eth0 over a TAP, ping both ways, guest-to-host TCP throughput.
# SPDX-License-Identifier: MIT
# usage: sh lab-net.sh DIR   (DIR: ember, vmlinux, the initramfs, optionally tun.ko; needs /dev/kvm and root)
. "$(dirname "$0")/common.sh"
dev_need_ember net-ping net-tput
TAP=emtap0
HOST_IP=169.254.100.1
GUEST_IP=169.254.100.2

# The lab's kernel has TUN as a module: load it from DIR when /dev/net/tun is missing.
if [ ! -c /dev/net/tun ] && [ -f "$dir/tun.ko" ]; then
	insmod "$dir/tun.ko" 2> /dev/null
	i=0; while [ ! -c /dev/net/tun ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
fi
if [ ! -c /dev/net/tun ]; then
	lt_skip net-ping "no /dev/net/tun"; lt_skip net-tput "no /dev/net/tun"; lt_finish
fi
ip link del "$TAP" 2> /dev/null
if ! { ip tuntap add dev "$TAP" mode tap 2> /dev/null || tunctl -t "$TAP" > /dev/null 2>&1; }; then
	lt_skip net-ping "cannot create TAP $TAP"; lt_skip net-tput "cannot create TAP $TAP"; lt_finish
fi
ip addr add "$HOST_IP/24" dev "$TAP"
ip link set "$TAP" up
# The host pings the guest while it boots; the guest pings the host in its check.
( i=0; while [ $i -lt 90 ]; do ping -c 1 -W 1 "$GUEST_IP" > /dev/null 2>&1 && { echo ok > /tmp/net-hostping; break; }; i=$((i + 1)); done ) &
pinger=$!
# Receiver of the throughput test (busybox nc).
rm -f /tmp/net-bytes
( nc -l -p 5001 2> /dev/null | wc -c > /tmp/net-bytes ) &
sink=$!
rm -f /tmp/net-hostping
dev_vm net-ping net "ember.ip=$GUEST_IP/24 ember.peer=$HOST_IP ember.tput_mb=${NET_TPUT_MB:-32} ember.tput_drain=${NET_TPUT_DRAIN:-10}" \
	--net "tap=$TAP,mtu=1500"
kill "$pinger" 2> /dev/null
i=0; while [ ! -s /tmp/net-bytes ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill "$sink" 2> /dev/null
bytes=$(cat /tmp/net-bytes 2> /dev/null)
tput=$(logline EMBER-NET-TPUT)
hostping=no
[ -f /tmp/net-hostping ] && hostping=yes
if lt_has "EMBER-CHECK net PASS" && [ "$hostping" = yes ]; then
	dev_judge net-ping "guest->host and host->guest ping"
elif lt_has "EMBER-CHECK net PASS"; then
	lt_fail net-ping "the guest reached the host, the host never reached the guest"; lt_dump 60
else
	dev_judge net-ping
fi
want=$(( ${NET_TPUT_MB:-32} * 1048576 ))
if [ -z "$tput" ]; then
	lt_fail net-tput "no throughput line"
elif [ "${bytes:-0}" != "$want" ]; then
	lt_fail net-tput "the host received ${bytes:-0} of $want bytes"
else
	lt_pass net-tput "${tput#*EMBER-NET-TPUT } (host received $bytes bytes)"
fi
ip link del "$TAP" 2> /dev/null
lt_finish
