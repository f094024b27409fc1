#!/bin/sh
# tests/devices/lab-vsock.sh: virtio-vsock in a real guest: host->guest (CONNECT) and guest->host (UDS_PORT) echo, round-trip times.
# SPDX-License-Identifier: MIT
# usage: sh lab-vsock.sh DIR   (DIR: ember, vmlinux, initramfs-devices.cpio.gz with ember-vsock, vsock-host; needs /dev/kvm)
. "$(dirname "$0")/common.sh"
dev_need_ember vsock-echo vsock-echo-restored
HOST=$dir/vsock-host
[ -x "$HOST" ] || { lt_skip vsock-echo "no vsock-host helper in $dir"; lt_skip vsock-echo-restored "no vsock-host helper in $dir"; lt_finish; }
UDS=/tmp/ember-vsock.sock

# run_vsock NAME EMBER-ARGS...: one guest, the host echo server and the host CONNECT client
run_vsock() {
	_name=$1
	shift
	rm -f "$UDS" "${UDS}_5000"
	# guest -> host: ember connects to ${UDS}_5000, where this echoes
	"$HOST" echo "${UDS}_5000" > /tmp/vsock-echo.out 2>&1 &
	echo_pid=$!
	# host -> guest: CONNECT 1234 once the guest's server listens (retries on RST)
	timeout 110 "$HOST" connect "$UDS" 1234 20 > /tmp/vsock-connect.out 2>&1 &
	conn_pid=$!
	dev_vm "$_name" vsock "ember.vsock_port=1234 ember.vsock_host_port=5000" --vsock "3,$UDS" "$@"
	kill "$conn_pid" 2> /dev/null
	wait "$conn_pid"
	crc=$?
	kill "$echo_pid" 2> /dev/null
	cat /tmp/vsock-echo.out /tmp/vsock-connect.out
	g2h=$(logline EMBER-VSOCK-RTT)
	h2g=$(grep VSOCK-HOST-RTT /tmp/vsock-connect.out | head -n 1)
	if [ "$crc" != 0 ] && [ "$LT_RC" = 0 ]; then
		lt_fail "$_name" "host->guest CONNECT 1234 failed (status $crc)"; lt_dump 60
	else
		dev_judge "$_name" "guest->host: ${g2h#*EMBER-VSOCK-RTT }; host->guest: ${h2g#VSOCK-HOST-RTT }"
	fi
}

run_vsock vsock-echo
if [ "$LT_RC" = 159 ]; then
	# SIGSYS: the VMM thread's seccomp allow-list lacks the socket calls (docs/devices.md)
	# the kernel's audit line names the syscall (syscall=N, x86-64 numbers)
	lt_fail vsock-seccomp "ember killed by its seccomp filter (Bad system call): $(dmesg | grep -F 'type=1326' | grep -o 'syscall=[0-9]*' | tail -n 1)"
	run_vsock vsock-echo-no-seccomp --no-seccomp
fi
# The same in a VM restored from a snapshot taken at its /init (before the guest listens or
# connects): the restoring ember binds the socket again and the guest's driver, told by
# TRANSPORT_RESET that older streams are gone, serves and connects as in a booted VM.
rm -f "$UDS"
if dev_snapshot vsock-echo-restored vsock "ember.vsock_port=1234 ember.vsock_host_port=5000" --vsock "3,$UDS"; then
	run_vsock vsock-echo-restored
fi
rm -f "$UDS" "${UDS}_5000"
lt_finish
