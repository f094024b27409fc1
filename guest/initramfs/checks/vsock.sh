# Check: vsock both ways: echo server on ember.vsock_port= (default 1234) for the host, then 20 round trips to host port ember.vsock_host_port= (default 5000).
# SPDX-License-Identifier: MIT
. /lib/ember.sh
command -v ember-vsock > /dev/null || fail "no ember-vsock helper in this initramfs"
port=$(ember_param vsock_port) || port=1234
hport=$(ember_param vsock_host_port) || hport=5000
[ -e /dev/vsock ] || echo "note: no /dev/vsock node (the socket family is what counts)"
ember-vsock serve "$port" > /tmp/vsock-serve.out 2>&1 &
srv=$!
# guest -> host: ember connects to <uds>_<hport>, where the host echoes
ember-vsock ping 2 "$hport" 20 || fail "guest-initiated round trips to host port $hport failed"
# host -> guest: wait for the host's connection to be served and closed
i=0
while kill -0 "$srv" 2> /dev/null && [ $i -lt 400 ]; do sleep 0.1; i=$((i + 1)); done
cat /tmp/vsock-serve.out
kill -0 "$srv" 2> /dev/null && fail "host-initiated connection to port $port was not served within 40 s"
wait "$srv" || fail "echo server on port $port failed"
grep -q EMBER-VSOCK-SERVED /tmp/vsock-serve.out || fail "echo server on port $port served nothing"
