#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/api/run.sh: drives a real `ember --api-sock` process with curl and a raw socket client; prints PASS/FAIL/SKIP lines and a count.
#
#   sh tests/api/run.sh            uses ./ember (run `make` first)
#   EMBER=path/to/ember sh tests/api/run.sh
#
# The boot tests need /dev/kvm; they use a 60-byte PVH guest (guest.S) that
# greets on COM1, does port I/O in a loop and resets when it sees a key from
# the i8042 (which is how SendCtrlAltDel reaches it).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EMBER=${EMBER:-$ROOT/ember}
W=$(mktemp -d "${TMPDIR:-/tmp}/ember-api.XXXXXX")
SOCK=$W/api.sock
PID=
passed=0 failed=0 skipped=0

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1${2:+ -- $2}"; failed=$((failed + 1)); }
skip() { echo "SKIP: $1${2:+ -- $2}"; skipped=$((skipped + 1)); }
finish() {
	stop_ember
	echo "api: $passed passed, $failed failed, $skipped skipped"
	rm -rf "$W"
	[ "$failed" -eq 0 ]
	exit $?
}

if ! command -v curl >/dev/null 2>&1; then
	skip "api tests" "curl is not installed (apt-get install curl)"
	finish
fi
if [ ! -x "$EMBER" ]; then
	fail "ember binary" "$EMBER not found; run make"
	finish
fi
# A private copy: a rebuild of the tree during the run must not pull the
# binary from under the tests.
cp "$EMBER" "$W/ember" && EMBER=$W/ember
CC=${CC:-cc}
if ! $CC -O2 -o "$W/rawclient" "$HERE/rawclient.c" 2>"$W/cc.err"; then
	fail "build rawclient.c" "$(cat "$W/cc.err")"
	finish
fi
GUEST=
if $CC -c -o "$W/guest.o" "$HERE/guest.S" 2>"$W/cc.err" &&
   ld -nostdlib -static --build-id=none -z noexecstack -Ttext=0x200000 -e pvh_start \
      -o "$W/guest.elf" "$W/guest.o" 2>>"$W/cc.err"; then
	GUEST=$W/guest.elf
else
	fail "build guest.S" "$(cat "$W/cc.err")"
fi

# ---- helpers ---------------------------------------------------------------

start_ember() {
	rm -f "$SOCK"
	"$EMBER" --api-sock "$SOCK" "$@" </dev/null >"$W/serial.out" 2>"$W/ember.err" &
	PID=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 200 ]; do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.01
		i=$((i + 1))
	done
	[ -S "$SOCK" ]
}

stop_ember() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	PID=
}

# req METHOD PATH [BODY]: sets CODE and writes the body to $W/body.
req() {
	if [ $# -ge 3 ]; then
		CODE=$(curl -s -o "$W/body" -w '%{http_code}' --unix-socket "$SOCK" -X "$1" \
			-H 'Content-Type: application/json' --data-binary "$3" "http://localhost$2")
	else
		CODE=$(curl -s -o "$W/body" -w '%{http_code}' --unix-socket "$SOCK" -X "$1" \
			"http://localhost$2")
	fi
}

body() { cat "$W/body"; }

# expect NAME CODE METHOD PATH [BODY]: one PASS/FAIL.  A 400 must carry a
# fault_message.
expect() {
	name=$1 want=$2
	shift 2
	req "$@"
	if [ "$CODE" != "$want" ]; then
		fail "$name" "got $CODE, want $want: $(body)"
	elif [ "$want" = 400 ] && ! grep -q '"fault_message":"..*"' "$W/body"; then
		fail "$name" "400 without a fault_message: $(body)"
	else
		pass "$name"
	fi
}

# expect_bad NAME METHOD PATH [BODY]: 400 with a fault message, and
# GET /vm/config unchanged.
expect_bad() {
	name=$1
	shift
	req GET /vm/config
	cp "$W/body" "$W/before"
	expect "$name" 400 "$@"
	req GET /vm/config
	if ! cmp -s "$W/body" "$W/before"; then
		fail "$name: state unchanged" "$(diff "$W/before" "$W/body")"
	fi
}

# raw NAME EXPECTED-SUBSTRING MODE: send stdin raw; the reply must contain it.
raw() {
	"$W/rawclient" "$SOCK" "$3" >"$W/raw.out" 2>&1
	if grep -q "$2" "$W/raw.out"; then
		pass "$1"
	else
		fail "$1" "reply: $(head -c 300 "$W/raw.out")"
	fi
}

alive() {
	req GET /
	if [ "$CODE" = 200 ]; then pass "$1"; else fail "$1" "GET / answered $CODE"; fi
}

metrics_field() {	# metrics_field GROUP NAME: value in the last metrics line
	tail -n 1 "$W/metrics.json" | sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9]*\).*/\1/p"
}

# ---- pre-boot: every endpoint's happy path ----------------------------------

if ! start_ember --id api-test-1; then
	fail "ember starts and creates the socket" "$(cat "$W/ember.err")"
	finish
fi
pass "ember starts and creates the socket"

expect "GET /" 200 GET /
grep -q '"state":"Not started"' "$W/body" && grep -q '"id":"api-test-1"' "$W/body" &&
	grep -q '"app_name":"ember"' "$W/body" && pass "GET / shape" || fail "GET / shape" "$(body)"
expect "GET /version" 200 GET /version
expect "GET /machine-config" 200 GET /machine-config
grep -q '"vcpu_count":1' "$W/body" && grep -q '"mem_size_mib":128' "$W/body" &&
	pass "machine-config defaults" || fail "machine-config defaults" "$(body)"
expect "PUT /machine-config" 204 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":256,"smt":false,"track_dirty_pages":true,"huge_pages":"None"}'
expect "PATCH /machine-config" 204 PATCH /machine-config '{"vcpu_count":1}'
req GET /machine-config
grep -q '"vcpu_count":1,"mem_size_mib":256' "$W/body" && grep -q '"track_dirty_pages":true' "$W/body" &&
	pass "PATCH keeps the other fields" || fail "PATCH keeps the other fields" "$(body)"
expect "PUT /boot-source" 204 PUT /boot-source "{\"kernel_image_path\":\"${GUEST:-/nonexistent}\",\"boot_args\":\"console=ttyS0\",\"initrd_path\":null}"
expect "PUT /drives/rootfs" 204 PUT /drives/rootfs '{"drive_id":"rootfs","path_on_host":"/tmp/nonexistent.ext4","is_root_device":true,"is_read_only":true,"cache_type":"Unsafe","io_engine":"Sync","rate_limiter":{"bandwidth":{"size":1000,"refill_time":100},"ops":null}}'
expect "PUT /drives/scratch" 204 PUT /drives/scratch '{"drive_id":"scratch","path_on_host":"/tmp/s.img","is_root_device":false}'
expect "PUT /network-interfaces/eth0" 204 PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:ac:10:00:02","rx_rate_limiter":null}'
expect "PUT /vsock" 204 PUT /vsock '{"guest_cid":3,"uds_path":"/tmp/v.sock"}'
expect "PUT /entropy" 204 PUT /entropy '{"rate_limiter":{"bandwidth":{"size":1000,"one_time_burst":0,"refill_time":100}}}'
expect "PUT /balloon" 204 PUT /balloon '{"amount_mib":16,"deflate_on_oom":true,"stats_polling_interval_s":1}'
expect "GET /balloon" 200 GET /balloon
expect "PATCH /balloon before boot" 204 PATCH /balloon '{"amount_mib":32}'
expect "PATCH /balloon/statistics before boot" 204 PATCH /balloon/statistics '{"stats_polling_interval_s":5}'
expect "PUT /logger" 204 PUT /logger "{\"log_path\":\"$W/ember.log\",\"level\":\"Info\",\"show_level\":true,\"show_log_origin\":true}"
expect "PUT /metrics" 204 PUT /metrics "{\"metrics_path\":\"$W/metrics.json\"}"
expect "PUT /serial" 204 PUT /serial "{\"serial_out_path\":\"$W/serial.log\"}"
expect "PUT /cpu-config" 204 PUT /cpu-config '{"kvm_capabilities":["!56"],"cpuid_modifiers":[{"leaf":"0x1","subleaf":"0x0","flags":0,"modifiers":[{"register":"ecx","bitmap":"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]}],"msr_modifiers":[{"addr":"0x10a","bitmap":"0b0000000000000000000000000000000000000000000000000000000000000000"}]}'
expect "FlushMetrics before boot" 204 PUT /actions '{"action_type":"FlushMetrics"}'
[ -s "$W/metrics.json" ] && grep -q '"process_startup_time_us"' "$W/metrics.json" &&
	pass "metrics file written" || fail "metrics file written"
[ -s "$W/ember.log" ] && grep -q '\[api-test-1:INFO:' "$W/ember.log" &&
	pass "log file has id and level" || fail "log file has id and level" "$(head -3 "$W/ember.log" 2>/dev/null)"
expect "GET /vm/config" 200 GET /vm/config
cp "$W/body" "$W/vmconfig.json"
for k in '"boot-source":{' '"drives":\[{"drive_id":"rootfs"' '"machine-config":{' '"network-interfaces":\[{' \
	 '"vsock":{' '"entropy":{' '"balloon":{"amount_mib":32' '"logger":{' '"metrics":{' '"cpu-config":{'; do
	grep -q "$k" "$W/vmconfig.json" || fail "GET /vm/config has $k" "$(body)"
done
pass "GET /vm/config reflects every section"

# ---- malformed requests: 400 with a fault message, state unchanged ----------

expect_bad "invalid JSON" PUT /machine-config '{"vcpu_count":2,'
expect_bad "body is not an object" PUT /machine-config '[1,2]'
expect_bad "duplicate key" PUT /machine-config '{"vcpu_count":2,"vcpu_count":3,"mem_size_mib":128}'
expect_bad "wrong type (string for int)" PUT /machine-config '{"vcpu_count":"2","mem_size_mib":128}'
expect_bad "wrong type (float)" PUT /machine-config '{"vcpu_count":2.5,"mem_size_mib":128}'
expect_bad "wrong type (bool)" PUT /drives/rootfs '{"drive_id":"rootfs","path_on_host":"/x","is_root_device":"yes"}'
expect_bad "unknown field" PUT /machine-config '{"vcpu_count":2,"mem_size_mib":128,"foo":1}'
expect_bad "unknown nested field" PUT /entropy '{"rate_limiter":{"bandwidth":{"size":1,"refill_time":1,"x":0}}}'
expect_bad "missing required field" PUT /machine-config '{"vcpu_count":2}'
expect_bad "missing kernel_image_path" PUT /boot-source '{"boot_args":"x"}'
expect_bad "vcpu_count 0" PUT /machine-config '{"vcpu_count":0,"mem_size_mib":128}'
expect_bad "vcpu_count 33" PUT /machine-config '{"vcpu_count":33,"mem_size_mib":128}'
expect_bad "negative mem_size_mib" PUT /machine-config '{"vcpu_count":1,"mem_size_mib":-1}'
expect_bad "mem_size_mib 0" PUT /machine-config '{"vcpu_count":1,"mem_size_mib":0}'
expect_bad "smt true" PUT /machine-config '{"vcpu_count":2,"mem_size_mib":128,"smt":true}'
expect_bad "huge_pages 2M" PATCH /machine-config '{"huge_pages":"2M"}'
expect_bad "empty PATCH" PATCH /machine-config '{}'
expect_bad "drive id mismatch" PUT /drives/a '{"drive_id":"b","path_on_host":"/x","is_root_device":false}'
expect_bad "bad drive id" PUT /drives/a-b '{"drive_id":"a-b","path_on_host":"/x","is_root_device":false}'
expect_bad "second root device" PUT /drives/other '{"drive_id":"other","path_on_host":"/x","is_root_device":true}'
expect_bad "vhost-user socket" PUT /drives/v '{"drive_id":"v","socket":"/s","is_root_device":false}'
expect_bad "bad MAC" PUT /network-interfaces/eth1 '{"iface_id":"eth1","host_dev_name":"tap1","guest_mac":"zz:00:00:00:00:00"}'
expect_bad "tap used twice" PUT /network-interfaces/eth1 '{"iface_id":"eth1","host_dev_name":"tap0"}'
expect_bad "vsock cid 2" PUT /vsock '{"guest_cid":2,"uds_path":"/tmp/v.sock"}'
expect_bad "balloon above memory" PUT /balloon '{"amount_mib":100000,"deflate_on_oom":false}'
expect_bad "bad log level" PUT /logger '{"level":"Loud"}'
expect_bad "cpuid bitmap over 32 bits" PUT /cpu-config '{"cpuid_modifiers":[{"leaf":"0x1","subleaf":"0x0","flags":0,"modifiers":[{"register":"eax","bitmap":"0b100000000000000000000000000000000"}]}]}'
expect_bad "cpuid register name" PUT /cpu-config '{"cpuid_modifiers":[{"leaf":"0x1","subleaf":"0x0","flags":0,"modifiers":[{"register":"ekx","bitmap":"0b1"}]}]}'
expect_bad "cpuid modifier without subleaf" PUT /cpu-config '{"cpuid_modifiers":[{"leaf":"0x1","flags":0,"modifiers":[]}]}'
expect_bad "msr bitmap not a string" PUT /cpu-config '{"msr_modifiers":[{"addr":"0x10a","bitmap":5}]}'
expect_bad "msr addr not a number" PUT /cpu-config '{"msr_modifiers":[{"addr":"0jj0","bitmap":"0b1"}]}'
expect_bad "aarch64 reg_modifiers" PUT /cpu-config '{"reg_modifiers":[{"addr":"0x1","bitmap":"0b1"}]}'
expect_bad "PATCH /balloon/statistics wrong type before boot" PATCH /balloon/statistics '{"stats_polling_interval_s":true}'
expect_bad "bad cpuid bitmap" PUT /cpu-config '{"cpuid_modifiers":[{"leaf":1,"subleaf":0,"flags":0,"modifiers":[{"register":"eax","bitmap":"0b2"}]}]}'
expect_bad "unknown action" PUT /actions '{"action_type":"Explode"}'
expect_bad "wrong method" DELETE /machine-config
expect_bad "POST is not a method here" POST /actions '{"action_type":"FlushMetrics"}'
expect_bad "unknown path" GET /nope
expect_bad "GET with a body" GET /machine-config '{"a":1}'
expect_bad "PUT without a body" PUT /machine-config
expect_bad "snapshot create" PUT /snapshot/create '{"snapshot_type":"Full","snapshot_path":"/s","mem_file_path":"/m"}'
expect_bad "snapshot load" PUT /snapshot/load '{"snapshot_path":"/s"}'
expect_bad "MMDS" PUT /mmds '{"latest":{}}'
expect_bad "MMDS config" PUT /mmds/config '{"network_interfaces":["eth0"]}'
expect_bad "post-boot PATCH /drives before boot" PATCH /drives/rootfs '{"drive_id":"rootfs","path_on_host":"/y"}'
expect_bad "PATCH /vm before boot" PATCH /vm '{"state":"Paused"}'
expect_bad "SendCtrlAltDel before boot" PUT /actions '{"action_type":"SendCtrlAltDel"}'
expect_bad "balloon statistics before boot" GET /balloon/statistics
big=$(head -c 60000 /dev/zero | tr '\0' 'a')
expect_bad "body over the limit" PUT /boot-source "{\"kernel_image_path\":\"$big\"}"

printf 'PUT /machine-config HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}\r\n0\r\n\r\n' |
	raw "chunked encoding refused" '400 Bad Request' ""
printf 'PUT /machine-config HTTP/1.1\r\nContent-Length: 40\r\n\r\n{"vcpu_count":1' |
	raw "truncated request (half-close)" 'truncated request' half
printf 'GET / HTTP/1.1\nHost: x\n\n' | raw "bare LF refused" 'CRLF' ""
printf 'GET / HTTP/2.0\r\n\r\n' | raw "HTTP/2 refused" 'only HTTP/1.0 and HTTP/1.1' ""
printf 'GET / HTTP/1.1\r\nX: %s\r\n\r\n' "$(head -c 5000 /dev/zero | tr '\0' 'x')" |
	raw "header line too long" 'header line too long' ""
printf 'PUT /machine-config HTTP/1.1\r\nContent-Length: 999999\r\n\r\n' | raw "Content-Length over the limit" 'payload limit' ""
printf 'GET / HTTP/1.1\r\n\r\nGET /version HTTP/1.1\r\nConnection: close\r\n\r\n' |
	raw "keep-alive: two pipelined requests" 'firecracker_version' ""
printf 'GET / HTTP/1.1\r\nContent-Le' | "$W/rawclient" "$SOCK" drop
alive "still serving after a dropped client"

# Several clients at once, each with a series of requests.
i=0
while [ $i -lt 8 ]; do
	(
		n=0 ok=0
		while [ $n -lt 20 ]; do
			c=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/machine-config)
			[ "$c" = 200 ] && ok=$((ok + 1))
			n=$((n + 1))
		done
		echo "$ok" >"$W/conc.$i"
	) &
	i=$((i + 1))
done
wait_ok=1
# wait for the eight subshells (not ember)
for j in 0 1 2 3 4 5 6 7; do
	t=0
	while [ ! -s "$W/conc.$j" ] && [ $t -lt 500 ]; do sleep 0.02; t=$((t + 1)); done
	[ "$(cat "$W/conc.$j" 2>/dev/null)" = 20 ] || wait_ok=0
done
[ $wait_ok = 1 ] && pass "8 concurrent clients x 20 requests" || fail "8 concurrent clients x 20 requests"

# ---- boot -----------------------------------------------------------------

# config_has TEXT: GET /vm/config contains TEXT
config_has() {
	req GET /vm/config
	grep -q -F -- "$1" "$W/body"
}

# Post-boot updates on the devices configured for the boot tests: a drive
# (data: a.img, then b.img), a read-only drive, a balloon with statistics
# and, when a TAP can be made, a network interface.  Every refusal must leave
# GET /vm/config as it was (expect_bad).
post_boot_updates() {
	expect "PATCH /drives path_on_host after boot" 204 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/b.img\"}"
	config_has "$W/b.img" && pass "GET /vm/config shows the new path_on_host" ||
		fail "GET /vm/config shows the new path_on_host" "$(body)"
	expect "PATCH /drives rate_limiter after boot" 204 PATCH /drives/data '{"drive_id":"data","rate_limiter":{"bandwidth":{"size":4096,"one_time_burst":100,"refill_time":10},"ops":{"size":7,"refill_time":1000}}}'
	config_has '"size":4096,"one_time_burst":100,"refill_time":10' && pass "GET /vm/config shows the new rate limiter" ||
		fail "GET /vm/config shows the new rate limiter" "$(body)"
	expect "PATCH /drives path and rate_limiter together" 204 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/a.img\",\"rate_limiter\":null}"
	config_has "$W/a.img" && pass "path and limiter changed together" || fail "path and limiter changed together" "$(body)"
	expect "PATCH /drives read-only drive to another image" 204 PATCH /drives/ro "{\"drive_id\":\"ro\",\"path_on_host\":\"$W/b.img\"}"
	expect "PATCH /drives with only drive_id (no change)" 204 PATCH /drives/data '{"drive_id":"data"}'
	expect_bad "PATCH /drives: unknown drive" PATCH /drives/nope '{"drive_id":"nope","path_on_host":"/x"}'
	expect_bad "PATCH /drives: missing file" PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/missing.img\"}"
	expect_bad "PATCH /drives: a directory" PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W\"}"
	expect_bad "PATCH /drives: a FIFO" PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/fifo\"}"
	expect_bad "PATCH /drives: a FIFO on the read-only drive (must not block)" PATCH /drives/ro "{\"drive_id\":\"ro\",\"path_on_host\":\"$W/fifo\"}"
	expect_bad "PATCH /drives: empty path" PATCH /drives/data '{"drive_id":"data","path_on_host":""}'
	expect_bad "PATCH /drives: id mismatch" PATCH /drives/data '{"drive_id":"ro","path_on_host":"/x"}'
	expect_bad "PATCH /drives: path_on_host not a string" PATCH /drives/data '{"drive_id":"data","path_on_host":5}'
	expect_bad "PATCH /drives: bad rate limiter (refill_time 0)" PATCH /drives/data '{"drive_id":"data","rate_limiter":{"bandwidth":{"size":10,"refill_time":0}}}'
	expect_bad "PATCH /drives: rate limiter wrong type" PATCH /drives/data '{"drive_id":"data","rate_limiter":{"ops":{"size":"10","refill_time":1}}}'
	expect_bad "PATCH /drives: unknown field" PATCH /drives/data '{"drive_id":"data","is_read_only":true}'
	expect_bad "PATCH /drives: missing file with a rate limiter changes neither" PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/missing.img\",\"rate_limiter\":{\"ops\":{\"size\":1,\"refill_time\":1}}}"
	expect_bad "PUT /drives after boot (pre-boot only)" PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/a.img\",\"is_root_device\":false}"

	if [ -n "$TAP" ]; then
		expect "PATCH /network-interfaces rx/tx rate limiters" 204 PATCH /network-interfaces/net0 '{"iface_id":"net0","rx_rate_limiter":{"bandwidth":{"size":100000,"refill_time":100}},"tx_rate_limiter":{"ops":{"size":50,"refill_time":1000}}}'
		config_has '"rx_rate_limiter":{"bandwidth":{"size":100000' && pass "GET /vm/config shows the new net limiters" ||
			fail "GET /vm/config shows the new net limiters" "$(body)"
		expect "PATCH /network-interfaces tx only" 204 PATCH /network-interfaces/net0 '{"iface_id":"net0","tx_rate_limiter":null}'
		expect_bad "PATCH /network-interfaces: unknown id" PATCH /network-interfaces/eth9 '{"iface_id":"eth9","rx_rate_limiter":null}'
		expect_bad "PATCH /network-interfaces: wrong type" PATCH /network-interfaces/net0 '{"iface_id":"net0","rx_rate_limiter":{"bandwidth":{"size":-1,"refill_time":1}}}'
		expect_bad "PATCH /network-interfaces: host_dev_name is pre-boot" PATCH /network-interfaces/net0 '{"iface_id":"net0","host_dev_name":"tap9"}'
	else
		skip "PATCH /network-interfaces after boot" "no TAP device (needs root and /dev/net/tun)"
	fi

	expect "GET /balloon after boot" 200 GET /balloon
	expect "PATCH /balloon amount_mib after boot" 204 PATCH /balloon '{"amount_mib":16}'
	req GET /balloon
	grep -q '"amount_mib":16' "$W/body" && pass "GET /balloon shows the new target" || fail "GET /balloon shows the new target" "$(body)"
	expect "GET /balloon/statistics" 200 GET /balloon/statistics
	grep -q '"target_pages":4096,"actual_pages":0,"target_mib":16,"actual_mib":0' "$W/body" &&
		pass "balloon statistics: target and actual" || fail "balloon statistics: target and actual" "$(body)"
	expect "PATCH /balloon/statistics interval after boot" 204 PATCH /balloon/statistics '{"stats_polling_interval_s":3}'
	config_has '"stats_polling_interval_s":3' && pass "GET /vm/config shows the new polling interval" ||
		fail "GET /vm/config shows the new polling interval" "$(body)"
	expect_bad "PATCH /balloon/statistics: disabling after boot" PATCH /balloon/statistics '{"stats_polling_interval_s":0}'
	expect_bad "PATCH /balloon/statistics: wrong type" PATCH /balloon/statistics '{"stats_polling_interval_s":"1"}'
	expect_bad "PATCH /balloon: above guest memory" PATCH /balloon '{"amount_mib":100000}'
	expect_bad "PATCH /balloon: negative" PATCH /balloon '{"amount_mib":-1}'
	expect_bad "PATCH /balloon: deflate_on_oom is pre-boot" PATCH /balloon '{"amount_mib":1,"deflate_on_oom":false}'
	expect_bad "PUT /balloon after boot (pre-boot only)" PUT /balloon '{"amount_mib":1,"deflate_on_oom":false}'
	expect_bad "PUT /cpu-config after boot (pre-boot only)" PUT /cpu-config '{"cpuid_modifiers":[]}'
}

boot_tests() {
	expect "InstanceStart" 204 PUT /actions '{"action_type":"InstanceStart"}'
	req GET /
	grep -q '"state":"Running"' "$W/body" && pass "state Running after InstanceStart" ||
		fail "state Running after InstanceStart" "$(body)"
	t=0
	while ! grep -q 'ember-api-guest: running' "$W/serial.log" 2>/dev/null && [ $t -lt 300 ]; do
		sleep 0.01; t=$((t + 1))
	done
	grep -q 'ember-api-guest: running' "$W/serial.log" && pass "guest output in serial_out_path" ||
		fail "guest output in serial_out_path"
	expect_bad "InstanceStart twice" PUT /actions '{"action_type":"InstanceStart"}'
	expect_bad "pre-boot-only PUT after boot" PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128}'
	expect_bad "PUT /drives after boot" PUT /drives/x '{"drive_id":"x","path_on_host":"/x","is_root_device":false}'
	post_boot_updates
	sleep 0.3
	expect "FlushMetrics" 204 PUT /actions '{"action_type":"FlushMetrics"}'
	running=$(metrics_field vcpu exit_io_out)
	[ "${running:-0}" -gt 0 ] && pass "vcpu.exit_io_out grows while running ($running)" ||
		fail "vcpu.exit_io_out grows while running" "$(tail -n 1 "$W/metrics.json")"
	expect "PATCH /vm Paused" 204 PATCH /vm '{"state":"Paused"}'
	req GET /
	grep -q '"state":"Paused"' "$W/body" && pass "state Paused" || fail "state Paused" "$(body)"
	expect "FlushMetrics (paused)" 204 PUT /actions '{"action_type":"FlushMetrics"}'
	sleep 0.3
	expect "FlushMetrics (paused, later)" 204 PUT /actions '{"action_type":"FlushMetrics"}'
	paused=$(metrics_field vcpu exit_io_out)
	[ "${paused:-1}" -eq 0 ] && pass "no vCPU exits while paused" ||
		fail "no vCPU exits while paused" "$(tail -n 1 "$W/metrics.json")"
	expect "PATCH /vm Resumed" 204 PATCH /vm '{"state":"Resumed"}'
	sleep 0.3
	expect "FlushMetrics (resumed)" 204 PUT /actions '{"action_type":"FlushMetrics"}'
	resumed=$(metrics_field vcpu exit_io_out)
	[ "${resumed:-0}" -gt 0 ] && pass "vCPUs run again after Resumed ($resumed exits)" ||
		fail "vCPUs run again after Resumed" "$(tail -n 1 "$W/metrics.json")"
	expect "SendCtrlAltDel" 204 PUT /actions '{"action_type":"SendCtrlAltDel"}'
	t=0
	while kill -0 "$PID" 2>/dev/null && [ $t -lt 500 ]; do sleep 0.01; t=$((t + 1)); done
	if kill -0 "$PID" 2>/dev/null; then
		fail "guest resets on Ctrl-Alt-Del and ember exits"
	else
		wait "$PID"
		st=$?
		PID=
		[ $st = 0 ] && grep -q 'key seen, resetting' "$W/serial.log" &&
			pass "guest resets on Ctrl-Alt-Del and ember exits 0" ||
			fail "guest resets on Ctrl-Alt-Del and ember exits 0" "status $st"
	fi
}

if [ ! -c /dev/kvm ] || [ -z "$GUEST" ]; then
	skip "boot tests" "no /dev/kvm or no test guest"
else
	# The drives, nets and vsock above need devices this host may not give
	# (TAP, files); boot a second instance with just the guest.
	stop_ember
	if start_ember --id api-test-2; then
		expect "boot-source for the boot tests" 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST\"}"
		expect "metrics for the boot tests" 204 PUT /metrics "{\"metrics_path\":\"$W/metrics.json\"}"
		expect "serial for the boot tests" 204 PUT /serial "{\"serial_out_path\":\"$W/serial.log\"}"
		truncate -s 1M "$W/a.img"
		truncate -s 2M "$W/b.img"
		mkfifo "$W/fifo"
		expect "drive for the boot tests" 204 PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/a.img\",\"is_root_device\":false,\"rate_limiter\":{\"bandwidth\":{\"size\":1000000,\"refill_time\":1000}}}"
		expect "read-only drive for the boot tests" 204 PUT /drives/ro "{\"drive_id\":\"ro\",\"path_on_host\":\"$W/a.img\",\"is_root_device\":false,\"is_read_only\":true,\"io_engine\":\"Async\"}"
		expect "balloon for the boot tests" 204 PUT /balloon '{"amount_mib":0,"deflate_on_oom":false,"stats_polling_interval_s":1}'
		# A CPU template the guest's CPU has: applied to the vCPU at InstanceStart.
		expect "cpu-config for the boot tests" 204 PUT /cpu-config '{"cpuid_modifiers":[{"leaf":"0x40000010","subleaf":"0x0","flags":0,"modifiers":[{"register":"edx","bitmap":"0b1_0101"}]}],"msr_modifiers":[{"addr":"0x174","bitmap":"0bxxxx1000"}]}'
		TAP=
		if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then
			TAP=emapi$$
			TAP=$(printf '%.15s' "$TAP")
			expect "network interface for the boot tests" 204 PUT /network-interfaces/net0 "{\"iface_id\":\"net0\",\"host_dev_name\":\"$TAP\"}"
		fi
		: >"$W/serial.log"
		boot_tests
	else
		fail "second ember starts" "$(cat "$W/ember.err")"
	fi
fi
stop_ember

# ---- InstanceStart without a boot source; a VM that cannot be built --------

if start_ember; then
	expect_bad "InstanceStart without a boot source" PUT /actions '{"action_type":"InstanceStart"}'
	expect "boot-source with a missing kernel" 204 PUT /boot-source '{"kernel_image_path":"/nonexistent/vmlinux"}'
	expect_bad "InstanceStart with a missing kernel" PUT /actions '{"action_type":"InstanceStart"}'
	if [ -n "$GUEST" ] && [ -c /dev/kvm ]; then
		expect "boot-source for the template test" 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST\"}"
		expect "a template naming a CPUID leaf KVM lacks" 204 PUT /cpu-config '{"cpuid_modifiers":[{"leaf":"0x4fffff00","subleaf":"0x0","flags":0,"modifiers":[{"register":"eax","bitmap":"0b1"}]}]}'
		req PUT /actions '{"action_type":"InstanceStart"}'
		[ "$CODE" = 400 ] && grep -q 'CPU template' "$W/body" && pass "InstanceStart refuses a template KVM cannot apply" ||
			fail "InstanceStart refuses a template KVM cannot apply" "$CODE $(body)"
	fi
	req GET /
	grep -q '"state":"Not started"' "$W/body" && pass "still Not started after a failed start" ||
		fail "still Not started after a failed start" "$(body)"
fi
stop_ember

# ---- --config-file with Firecracker's example, unchanged ---------------------

mkdir -p "$W/fc"
if [ -n "$GUEST" ] && [ -c /dev/kvm ]; then
	cp "$GUEST" "$W/fc/vmlinux.bin"
	truncate -s 1M "$W/fc/bionic.rootfs.ext4"
	(cd "$W/fc" && timeout 3 "$EMBER" --no-api --config-file "$HERE/firecracker-example.json" \
		--level Info </dev/null >"$W/fc/out" 2>"$W/fc/err")
	st=$?
	if [ $st = 124 ] && grep -q 'ember-api-guest: running' "$W/fc/out"; then
		pass "--no-api --config-file firecracker-example.json boots"
	else
		fail "--no-api --config-file firecracker-example.json boots" "status $st: $(tail -n 2 "$W/fc/err")"
	fi
else
	skip "--config-file boot" "no /dev/kvm or no test guest"
fi
# Refusals: unknown key, mmds-config, missing boot-source, --no-api alone.
printf '{"boot-source":{"kernel_image_path":"k"},"extra":1}' >"$W/bad1.json"
"$EMBER" --no-api --config-file "$W/bad1.json" </dev/null >/dev/null 2>"$W/err1"
[ $? = 2 ] && grep -q 'unknown field `extra`' "$W/err1" && pass "config file: unknown key refused" ||
	fail "config file: unknown key refused" "$(cat "$W/err1")"
printf '{"boot-source":{"kernel_image_path":"k"},"mmds-config":{"network_interfaces":["eth0"]}}' >"$W/bad2.json"
"$EMBER" --no-api --config-file "$W/bad2.json" </dev/null >/dev/null 2>"$W/err2"
[ $? = 2 ] && grep -q 'MMDS is not supported' "$W/err2" && pass "config file: mmds-config refused" ||
	fail "config file: mmds-config refused" "$(cat "$W/err2")"
"$EMBER" --no-api </dev/null >/dev/null 2>"$W/err3"
[ $? = 2 ] && grep -q 'needs --config-file' "$W/err3" && pass "--no-api needs --config-file" ||
	fail "--no-api needs --config-file" "$(cat "$W/err3")"
# GET /vm/config from the first instance is itself a valid config file.
sed "s#\"kernel_image_path\":\"[^\"]*\"#\"kernel_image_path\":\"/nonexistent\"#" "$W/vmconfig.json" >"$W/round.json"
"$EMBER" --no-api --config-file "$W/round.json" </dev/null >/dev/null 2>"$W/err4"
grep -q "config file" "$W/err4" && fail "GET /vm/config output is a valid config file" "$(cat "$W/err4")" ||
	pass "GET /vm/config output is a valid config file"

finish
