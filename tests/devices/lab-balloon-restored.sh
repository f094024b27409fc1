#!/bin/sh
# tests/devices/lab-balloon-restored.sh: the balloon in a VM restored from a snapshot over the API: inflating it still lowers ember's RSS, and the guest finishes.
# SPDX-License-Identifier: MIT
# usage: sh lab-balloon-restored.sh DIR   (DIR: ember, rawclient (static), vmlinux, the initramfs; needs /dev/kvm)
#
# 1. `ember run` boots the reference kernel with a balloon (0 MiB) and the
#    balloon-touch check, and writes a full snapshot at the guest's boot
#    marker (its /init, before the check runs), then stops.
# 2. A fresh `ember --api-sock` loads it (PUT /snapshot/load, resume_vm):
#    guest memory comes MAP_PRIVATE from the memory file.  The guest fills
#    and frees most of its memory and says how much; the host reads VmRSS,
#    PATCHes /balloon by that much, waits for the guest's MemTotal to drop
#    and reads VmRSS again: it must fall by at least half of the amount
#    (the balloon's madvise drops the private copies of those pages).
. "$(dirname "$0")/common.sh"
NAME=balloon-rss-restored
dev_need_ember $NAME
RAW=$dir/rawclient
[ -x "$RAW" ] || { lt_skip $NAME "no rawclient in $dir"; lt_finish; }

W=$(mktemp -d -t lab-balloon-snap.XXXXXX)
SOCK=$W/api.sock
PID=
fail() {
	lt_fail $NAME "$1"
	if [ -n "${2:-}" ]; then
		echo "---- console of $NAME ----"
		tr -d '\r' < "$LT_LOG" | grep -v '\] CPUID\[' | tail -n "$2"
		echo "---- end ----"
	fi
	[ -n "$PID" ] && kill -9 "$PID" 2> /dev/null
	rm -rf "$W"
	lt_finish
}

lt_vm $NAME-snapshot "$TO" "$EMBER" run --kernel "$KERNEL" --initrd "$INITRD" --cpus 1 --mem 256 \
	--balloon 0 --cmdline "$BASE ember.check=balloon-touch ember.balloon_hold=20" --snapshot-at-marker "$W/vm.snap,$W/vm.mem"
{ [ "$LT_RC" = 0 ] && [ -s "$W/vm.snap" ]; } || fail "no snapshot at the boot marker (ember status $LT_RC)" 40

LT_LOG=$W/console.log
"$EMBER" --api-sock "$SOCK" --id $NAME < /dev/null > "$LT_LOG" 2>&1 &
PID=$!
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || fail "ember did not create the API socket"
why=
put PUT /snapshot/load "{\"snapshot_path\":\"$W/vm.snap\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$W/vm.mem\"},\"resume_vm\":true}" ||
	fail "$why"
wait_console EMBER-BALLOON-TOUCHED "$TO" || fail "the restored guest did not get to the balloon check" 40
mb=$(grep -F EMBER-BALLOON-TOUCHED "$LT_LOG" | head -n 1 | sed 's/.*EMBER-BALLOON-TOUCHED \([0-9]*\) MiB.*/\1/')
case $mb in '' | *[!0-9]*) fail "no amount in: $(grep -F EMBER-BALLOON-TOUCHED "$LT_LOG")" 40 ;; esac
sleep 1
r0=$(rss_kb)
put PATCH /balloon "{\"amount_mib\":$mb}" || fail "$why"
if ! wait_console EMBER-BALLOON-INFLATED 100; then
	req GET /balloon
	fail "the guest's MemTotal did not drop by $mb MiB (GET /balloon: $BODY)" 40
fi
sleep 1
r1=$(rss_kb)
# the guest holds 20 s after inflating: no reading means ember is gone
case $r0$r1 in '' | *[!0-9]*) fail "could not read ember's VmRSS (before '$r0', after '$r1')" 40 ;; esac
[ -n "$r0" ] && [ -n "$r1" ] || fail "could not read ember's VmRSS (before '$r0', after '$r1')" 40
d=$(( (r0 - r1) / 1024 ))
[ "$d" -ge $((mb / 2)) ] ||
	fail "VmRSS $((r0 / 1024)) -> $((r1 / 1024)) MiB: less than half of the $mb MiB inflated" 40
# the guest finishes its checks and powers off: ember exits 0
i=0
while kill -0 "$PID" 2> /dev/null && [ $i -lt $((TO * 10)) ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$PID" 2> /dev/null; then
	fail "the restored guest did not finish after the balloon check" 40
fi
wait "$PID"
rc=$?
PID=
if [ "$rc" != 0 ] || ! grep -q -F EMBER-DONE "$LT_LOG" || grep -q -F 'EMBER-CHECK balloon-touch FAIL' "$LT_LOG"; then
	fail "ember exit status $rc after the balloon check" 40
fi
lt_pass $NAME "VmRSS $((r0 / 1024)) -> $((r1 / 1024)) MiB after inflating $mb MiB of touched memory in the restored VM"
rm -rf "$W"
lt_finish
