#!/bin/sh
# tests/devices/lab-disk-balloon.sh: one API-driven boot of the reference kernel: rate-limited disks are throttled, inflating the balloon lowers ember's RSS, and a write synced before SIGKILL of ember is in the image.
# SPDX-License-Identifier: MIT
# usage: sh lab-disk-balloon.sh DIR   (DIR: ember, rawclient (static), vmlinux, the initramfs; needs /dev/kvm)
#
# The guest runs ember.check=disk-throttle,balloon-touch,disk-sync-hold:
#  1. O_DIRECT writes on two disks found by serial: "base" (no limit) and
#     "lim" (1 MiB/s and 20 requests/s); on "lim" 4 MiB in 1 MiB blocks and
#     then 80 writes of 4 KiB must each take at least the 3 s the buckets
#     allow (they start full: 1 s worth free).  Two disks, not three: the
#     balloon then sits in slot 2 (GSI 7) and shares no IRQ with the RTC.
#  2. it fills and frees most of its memory, says so; the host reads ember's
#     VmRSS, PATCHes /balloon by that much, waits for the guest to see its
#     MemTotal drop, and reads VmRSS again.
#  3. it writes a token to "base" at 16 MiB, syncs, says so and holds; the
#     host kills ember with SIGKILL at once and looks for the token.
. "$(dirname "$0")/common.sh"
NAMES="disk-throttle-bw disk-throttle-iops balloon-rss disk-sync-sigkill"
# shellcheck disable=SC2086
dev_need_ember $NAMES
RAW=$dir/rawclient
if [ ! -x "$RAW" ]; then
	for t in $NAMES; do lt_skip "$t" "no rawclient in $dir"; done
	lt_finish
fi
BW_MB=4
IOPS_N=80
BW=1048576	# bytes per second
IOPS=20

W=$(mktemp -d -t lab-dev-api.XXXXXX)
SOCK=$W/api.sock
LT_LOG=$W/console.log
PID=

dump() {
	echo "---- console of lab-disk-balloon ----"
	tr -d '\r' < "$LT_LOG" | grep -v '\] CPUID\[' | tail -n "${1:-80}"
	echo "---- end ----"
}


# secs_of ID KIND: the guest's time for that dd
secs_of() {
	grep -F "EMBER-THROTTLE $1 $2 " "$LT_LOG" | head -n 1 |
		sed 's/.*EMBER-THROTTLE [^ ]* [^ ]* \([0-9.]*\).*/\1/'
}

fail_all() {
	for t in $NAMES; do lt_fail "$t" "$1"; done
	dump
	[ -n "$PID" ] && kill -9 "$PID" 2> /dev/null
	rm -rf "$W"
	lt_finish
}

dd if=/dev/zero of="$W/base.img" bs=1048576 count=24 2> /dev/null
dd if=/dev/zero of="$W/lim.img" bs=1048576 count=8 2> /dev/null
tok=ember-sync-$$-$(date +%s)

"$EMBER" --api-sock "$SOCK" --id lab-disk-balloon < /dev/null > "$LT_LOG" 2>&1 &
PID=$!
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || fail_all "ember did not create the API socket"
args="$BASE ember.check=disk-throttle,balloon-touch,disk-sync-hold ember.token=$tok ember.bw_mb=$BW_MB ember.iops_n=$IOPS_N"
drive() { echo "{\"drive_id\":\"$1\",\"path_on_host\":\"$W/$1.img\",\"is_root_device\":false,\"cache_type\":\"Writeback\"$2}"; }
why=
put PUT /machine-config '{"vcpu_count":1,"mem_size_mib":256}' &&
	put PUT /boot-source "{\"kernel_image_path\":\"$KERNEL\",\"initrd_path\":\"$INITRD\",\"boot_args\":\"$args\"}" &&
	put PUT /drives/base "$(drive base)" &&
	put PUT /drives/lim "$(drive lim ",\"rate_limiter\":{\"bandwidth\":{\"size\":$BW,\"refill_time\":1000},\"ops\":{\"size\":$IOPS,\"refill_time\":1000}}")" &&
	put PUT /balloon '{"amount_mib":0,"deflate_on_oom":false}' &&
	put PUT /actions '{"action_type":"InstanceStart"}' || fail_all "configuration: $why"

# ---- 1. throttling (read from the console once the guest is past it) ----
wait_console EMBER-BALLOON-TOUCHED "$TO" || wait_console "EMBER-CHECK balloon-touch" 1 ||
	fail_all "the guest did not get to the balloon check"
# judge NAME KIND ID BUDGET: the limited disk took at least 90 % of BUDGET
# seconds, the unlimited one clearly less
judge() {
	_t=$(secs_of "$3" "$2")
	_b=$(secs_of base "$2")
	if [ -z "$_t" ] || [ -z "$_b" ]; then
		lt_fail "$1" "no EMBER-THROTTLE lines for $3 and base"; dump 40
	elif awk -v t="$_t" -v b="$_b" -v m="$4" 'BEGIN { exit !(t >= 0.9 * m && b < 0.8 * t) }'; then
		lt_pass "$1" "$5 in ${_t}s (at least ${4}s), unlimited ${_b}s"
	else
		lt_fail "$1" "$5 in ${_t}s (at least ${4}s expected), unlimited ${_b}s"; dump 40
	fi
}
judge disk-throttle-bw bytes lim "$(awk -v m="$BW_MB" -v r="$BW" 'BEGIN { print (m * 1048576 - r) / r }')" \
	"$BW_MB MiB at $BW B/s"
judge disk-throttle-iops ops lim "$(awk -v n="$IOPS_N" -v r="$IOPS" 'BEGIN { print (n - r) / r }')" \
	"$IOPS_N writes at $IOPS/s"

# ---- 2. balloon ----
mb=$(grep -F EMBER-BALLOON-TOUCHED "$LT_LOG" | head -n 1 | sed 's/.*EMBER-BALLOON-TOUCHED \([0-9]*\) MiB.*/\1/')
case $mb in
'' | *[!0-9]*)
	lt_fail balloon-rss "the guest could not fill its memory: $(grep -F 'EMBER-CHECK balloon-touch' "$LT_LOG")"
	;;
*)
	sleep 1
	r0=$(rss_kb)
	if ! put PATCH /balloon "{\"amount_mib\":$mb}"; then
		lt_fail balloon-rss "$why"
	elif ! wait_console EMBER-BALLOON-INFLATED 100; then
		req GET /balloon
		lt_fail balloon-rss "the guest's MemTotal did not drop by $mb MiB (GET /balloon: $BODY)"; dump 40
	else
		sleep 1
		r1=$(rss_kb)
		d=$(( (r0 - r1) / 1024 ))
		if [ "$d" -ge $((mb / 2)) ]; then
			lt_pass balloon-rss "VmRSS $((r0 / 1024)) -> $((r1 / 1024)) MiB after inflating $mb MiB of touched memory"
		else
			lt_fail balloon-rss "VmRSS $((r0 / 1024)) -> $((r1 / 1024)) MiB: less than half of the $mb MiB inflated"
		fi
	fi
	;;
esac

# ---- 3. SIGKILL right after the guest's sync ----
if wait_console "EMBER-SYNCED $tok" 60; then
	kill -9 "$PID"
	wait "$PID"
	rc=$?
	PID=
	got=$(dd if="$W/base.img" bs=1048576 skip=16 count=1 2> /dev/null | head -c ${#tok})
	if [ "$rc" != 137 ]; then
		lt_fail disk-sync-sigkill "ember exited $rc before the SIGKILL"; dump 40
	elif [ "$got" = "$tok" ]; then
		lt_pass disk-sync-sigkill "token at 16 MiB after SIGKILL"
	else
		lt_fail disk-sync-sigkill "after SIGKILL the image holds '$got' at 16 MiB, not '$tok'"; dump 40
	fi
else
	lt_fail disk-sync-sigkill "the guest did not report its synced write"; dump 40
	kill -9 "$PID" 2> /dev/null
	wait "$PID" 2> /dev/null
	PID=
fi
rm -rf "$W"
lt_finish
