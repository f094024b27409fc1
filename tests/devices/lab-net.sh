#!/bin/sh
# tests/devices/lab-net.sh: virtio-net in a real guest: eth0 over a TAP, ping both ways, TCP throughput guest to host and host to guest.
# SPDX-License-Identifier: MIT
# usage: sh lab-net.sh DIR   (DIR: ember, vmlinux, the initramfs, net-peer, optionally tun.ko; needs /dev/kvm and root)
# NET_TPUT_MB / NET_RX_MB: MiB sent each way (default 8; 0 skips that direction).
. "$(dirname "$0")/common.sh"
dev_need_ember net-ping net-tput net-rx net-ping-restored net-tput-restored net-rx-restored
TAP=emtap0
HOST_IP=169.254.100.1
GUEST_IP=169.254.100.2
TX_MB=${NET_TPUT_MB:-8}
RX_MB=${NET_RX_MB:-8}
PEER=$dir/net-peer

skip_all() { for t in net-ping net-tput net-rx net-ping-restored net-tput-restored net-rx-restored; do lt_skip "$t" "$1"; done; lt_finish; }
[ -x "$PEER" ] || skip_all "no net-peer helper in $dir"
# The lab's kernel has TUN as a module: load it from DIR when /dev/net/tun is missing.
if [ ! -c /dev/net/tun ] && [ -f "$dir/tun.ko" ]; then
	insmod "$dir/tun.ko" 2> /dev/null
	i=0; while [ ! -c /dev/net/tun ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
fi
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
ip link del "$TAP" 2> /dev/null
# busybox ip has no tuntap: tunctl
{ ip tuntap add dev "$TAP" mode tap 2> /dev/null || tunctl -t "$TAP" > /dev/null 2>&1; } ||
	skip_all "cannot create TAP $TAP"
ip addr add "$HOST_IP/24" dev "$TAP"
ip link set "$TAP" up
# net_judge NAME MIB GUEST-MARKER PEER-OUTPUT DIRECTION
net_judge() {
	_g=$(logline "$3")
	_h=$(grep -F 'NET-PEER' "$4" 2> /dev/null | head -n 1)
	_want=$(($2 * 1048576))
	if [ "$2" -le 0 ]; then
		lt_skip "$1" "0 MiB asked"
	elif [ -z "$_g" ]; then
		lt_fail "$1" "no $3 line from the guest; host: ${_h:-nothing}"
	elif [ "$(echo "$_h" | cut -d' ' -f3)" != "$_want" ]; then
		lt_fail "$1" "$5: the host counted $(echo "$_h" | cut -d' ' -f3) of $_want bytes"
	elif [ "$(echo "$_g" | grep -o 'crc32 [0-9a-f]*')" != "$(echo "$_h" | grep -o 'crc32 [0-9a-f]*')" ]; then
		lt_fail "$1" "$5: the data differ: guest $(echo "$_g" | grep -o 'crc32 [0-9a-f]*'), host $(echo "$_h" | grep -o 'crc32 [0-9a-f]*')"
	else
		lt_pass "$1" "${_g#*"$3" } (host: ${_h#NET-PEER * * bytes in })"
	fi
}
# run_net SUFFIX: ping both ways and the two transfers, judged as net-ping/tput/rx SUFFIX
run_net() {
	# The host pings the guest while it boots; the guest pings the host in its check.
	rm -f /tmp/net-hostping
	( i=0; while [ $i -lt 90 ]; do ping -c 1 -W 1 "$GUEST_IP" > /dev/null 2>&1 && { echo ok > /tmp/net-hostping; break; }; i=$((i + 1)); done ) &
	pinger=$!
	# The host ends of the TCP transfers (net-peer, not a listening nc: see the check).
	[ "$TX_MB" -gt 0 ] && { "$PEER" sink 5001 "$TO" > /tmp/net-sink.out 2>&1 & sink=$!; }
	[ "$RX_MB" -gt 0 ] && { "$PEER" source 5002 "$RX_MB" "$TO" > /tmp/net-source.out 2>&1 & source=$!; }
	dev_vm "net-ping$1" net "$NET_CMDLINE" \
		--net "tap=$TAP,mtu=1500"
	kill "$pinger" ${sink:-} ${source:-} 2> /dev/null
	wait 2> /dev/null
	hostping=no
	[ -f /tmp/net-hostping ] && hostping=yes
	if lt_has "EMBER-CHECK net PASS" && [ "$hostping" = yes ]; then
		dev_judge "net-ping$1" "guest->host and host->guest ping"
	elif lt_has "EMBER-CHECK net PASS"; then
		lt_fail "net-ping$1" "the guest reached the host, the host never reached the guest"; lt_dump 60
	else
		dev_judge "net-ping$1"
	fi
	net_judge "net-tput$1" "$TX_MB" EMBER-NET-TPUT /tmp/net-sink.out "guest to host"
	net_judge "net-rx$1" "$RX_MB" EMBER-NET-RX /tmp/net-source.out "host to guest"
}

NET_CMDLINE="ember.ip=$GUEST_IP/24 ember.peer=$HOST_IP ember.tput_mb=$TX_MB ember.rx_mb=$RX_MB"
run_net ""
# The same in a VM restored from a snapshot taken at its /init: the TAP is reopened by
# the restoring ember, the guest's driver state and rings come from the snapshot.
if dev_snapshot net-ping-restored net "$NET_CMDLINE" --net "tap=$TAP,mtu=1500"; then
	run_net -restored
else
	lt_skip net-tput-restored "no snapshot"; lt_skip net-rx-restored "no snapshot"
fi
ip link del "$TAP" 2> /dev/null
lt_finish
