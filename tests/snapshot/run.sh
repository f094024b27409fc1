#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/snapshot/run.sh: snapshot/restore tests with the counter guest: continuity, diff chain, SMP, clones, corrupt files, timings.
#
# usage: run.sh EMBER_BINARY [COUNTER_ELF]
#
# Needs /dev/kvm; prints PASS/FAIL/SKIP per test, the measured times and
# RSS, and a count line.  SNAP_RUNS (default 20) restores are timed per
# machine size; SNAP_NO_SECCOMP=1 adds --no-seccomp (for debugging; the VMM
# seccomp filter allows the snapshot syscalls, docs/snapshots.md).
# Exit status: 0 nothing failed, 1 a failure, 2 bad usage.

set -u
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 EMBER_BINARY [COUNTER_ELF]" >&2
	exit 2
fi
EMBER=$1
HERE=$(dirname "$0")
ELF=${2:-$HERE/build/counter.elf}
RUNS=${SNAP_RUNS:-20}
if [ $# -eq 1 ] && command -v make >/dev/null 2>&1; then
	make -s -C "$HERE" >/dev/null 2>&1 || { echo "FAIL: build: make -C $HERE"; exit 1; }
fi
[ -x "$EMBER" ] || { echo "run.sh: $EMBER: not an executable" >&2; exit 2; }
[ -f "$ELF" ] || { echo "run.sh: $ELF: no such guest" >&2; exit 2; }
if [ ! -c /dev/kvm ]; then
	echo "SKIP: snapshot: no /dev/kvm"
	echo "snapshot: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ember-snap.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
pass=0; fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; shift; for l in "$@"; do echo "  | $l"; done; fail=$((fail + 1)); }
X=${SNAP_NO_SECCOMP:+--no-seccomp}
RUN="timeout 60 $EMBER run --no-raw $X"

# Counts printed on COM1 ("count=N ap=M"), one per line.
counts() { sed -n 's/^count=\([0-9]*\) .*/\1/p' "$1" | tr -d '\r'; }
first_count() { counts "$1" | head -n 1; }
last_done() { sed -n 's/^done count=\([0-9]*\) .*/\1/p' "$1" | tr -d '\r' | tail -n 1; }
# "first guest exit" of --boot-time: ms since main().
first_exit_ms() { sed -n 's/^  first guest exit *\([0-9.]*\)$/\1/p' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "n/a"}'; }
minimum() { sort -n | head -n 1; }

# --- 1. boot, snapshot at the first marker (count 2000), stop ---------------
$RUN --kernel "$ELF" --ucall --track-dirty-pages --cmdline "print=500 mark=2000 end=6000" \
	--snapshot-at-marker "$T/a.snap,$T/a.mem" >"$T/boot.out" 2>"$T/boot.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$T/a.snap" ] && [ -f "$T/a.mem" ]; then
	ok "full snapshot at the boot marker ($(grep 'snapshot full' "$T/boot.err" | sed 's/^ember: //'))"
else
	ko "full snapshot at the boot marker (exit $rc)" "$(tail -n 3 "$T/boot.err")"
	echo "snapshot: $pass passed, $fail failed"; exit 1
fi
echo "  memory file: $(du -k "$T/a.mem" | cut -f1) KiB on disk for $(($(wc -c <"$T/a.mem") >> 20)) MiB of RAM"

# --- 2. restore: the count continues from 2000, not from 0 ------------------
$RUN --restore "$T/a.snap" --mem-file "$T/a.mem" --resume --boot-time >"$T/r1.out" 2>"$T/r1.err"
rc=$?
fc=$(first_count "$T/r1.out"); dn=$(last_done "$T/r1.out")
if [ $rc -eq 0 ] && [ "${fc:-0}" -eq 2500 ] && [ "${dn:-0}" -eq 6000 ]; then
	ok "restore continues the count (first print $fc, done at $dn)"
else
	ko "restore continues the count (exit $rc, first print ${fc:-none}, done ${dn:-none})" \
		"$(head -n 3 "$T/r1.out")" "$(tail -n 3 "$T/r1.err")"
fi

# --- 3. diff chain: restore a, diff at the next marker (4000) into a copy ----
cp "$T/a.mem" "$T/b.mem"
$RUN --restore "$T/a.snap" --mem-file "$T/a.mem" --resume --track-dirty-pages \
	--snapshot-at-marker "$T/b.snap,$T/b.mem,diff" >"$T/d.out" 2>"$T/d.err"
rc=$?
$RUN --restore "$T/b.snap" --mem-file "$T/b.mem" --resume >"$T/r2.out" 2>"$T/r2.err"
rc2=$?
fc=$(first_count "$T/r2.out"); dn=$(last_done "$T/r2.out")
if [ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ "${fc:-0}" -eq 4500 ] && [ "${dn:-0}" -eq 6000 ]; then
	ok "diff snapshot of a restored VM restores (first print $fc; $(grep 'snapshot diff' "$T/d.err" | sed 's/^ember: //'))"
else
	ko "diff snapshot of a restored VM (exits $rc/$rc2, first print ${fc:-none}, done ${dn:-none})" \
		"$(tail -n 2 "$T/d.err")" "$(tail -n 2 "$T/r2.err")"
fi
# A full snapshot of a restored VM (pages still in the source file are copied).
$RUN --restore "$T/a.snap" --mem-file "$T/a.mem" --resume \
	--snapshot-at-marker "$T/c.snap,$T/c.mem" >/dev/null 2>"$T/c.err"
$RUN --restore "$T/c.snap" --mem-file "$T/c.mem" --resume >"$T/r3.out" 2>&1
fc=$(first_count "$T/r3.out")
if [ "${fc:-0}" -eq 4500 ] && [ "$(last_done "$T/r3.out")" = 6000 ]; then
	ok "full snapshot of a restored VM restores (first print $fc)"
else
	ko "full snapshot of a restored VM (first print ${fc:-none})" "$(tail -n 2 "$T/c.err")"
fi

# --- 4. two vCPUs, 1 GiB: the AP's counter survives too ---------------------
$RUN --kernel "$ELF" --ucall --cpus 2 --mem 1024 --cmdline "cpus=2 print=500 mark=2000 end=4000" \
	--snapshot-at-marker "$T/s.snap,$T/s.mem" >"$T/sb.out" 2>"$T/sb.err"
ap_before=$(sed -n 's/^count=2000 ap=\([0-9]*\).*/\1/p' "$T/sb.out" | tr -d '\r')
$RUN --restore "$T/s.snap" --mem-file "$T/s.mem" --resume >"$T/sr.out" 2>"$T/sr.err"
rc=$?
ap_after=$(sed -n 's/^count=2500 ap=\([0-9]*\).*/\1/p' "$T/sr.out" | tr -d '\r')
if [ $rc -eq 0 ] && [ -n "$ap_before" ] && [ -n "$ap_after" ] && [ "$ap_after" -gt "$ap_before" ] &&
	[ "$(first_count "$T/sr.out")" = 2500 ]; then
	ok "2 vCPUs / 1 GiB: both counters continue (AP $ap_before -> $ap_after)"
else
	ko "2 vCPUs / 1 GiB (exit $rc, AP ${ap_before:-?} -> ${ap_after:-?})" \
		"$(tail -n 2 "$T/sb.err")" "$(tail -n 3 "$T/sr.err")"
fi

# --- 5. ten clones of one snapshot at once ----------------------------------
i=0
while [ $i -lt 10 ]; do
	$RUN --restore "$T/a.snap" --mem-file "$T/a.mem" --resume >"$T/clone$i.out" 2>&1 &
	i=$((i + 1))
done
wait
good=0; i=0
while [ $i -lt 10 ]; do
	[ "$(first_count "$T/clone$i.out")" = 2500 ] && [ "$(last_done "$T/clone$i.out")" = 6000 ] &&
		good=$((good + 1))
	i=$((i + 1))
done
[ $good -eq 10 ] && ok "ten clones of one snapshot at once" ||
	ko "ten clones: $good of 10 continued from 2000 to 6000" "$(tail -n 2 "$T/clone0.out")"

# --- 5b. virtio devices: a disk (io_uring), entropy and a balloon -----------
truncate -s 16M "$T/disk.img"
$RUN --kernel "$ELF" --ucall --track-dirty-pages --cmdline "print=500 mark=2000 end=6000" \
	--disk "$T/disk.img,io=uring" --rng --balloon 16,deflate_on_oom,stats=1 \
	--snapshot-at-marker "$T/v.snap,$T/v.mem" >"$T/vb.out" 2>"$T/vb.err"
rc=$?
cp "$T/v.mem" "$T/vd.mem"	# the diff goes on top of a copy of the base
$RUN --restore "$T/v.snap" --mem-file "$T/v.mem" --resume --track-dirty-pages \
	--snapshot-at-marker "$T/vd.snap,$T/vd.mem,diff" >"$T/vr.out" 2>"$T/vr.err"
rc2=$?
$RUN --restore "$T/vd.snap" --mem-file "$T/vd.mem" --resume >"$T/vd.out" 2>"$T/vd.err"
rc3=$?
fc=$(first_count "$T/vr.out"); fd=$(first_count "$T/vd.out")
if [ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] && [ "${fc:-0}" -eq 2500 ] &&
	[ "${fd:-0}" -eq 4500 ] && [ "$(last_done "$T/vd.out")" = 6000 ]; then
	ok "disk + rng + balloon: full snapshot, restore, diff of the restored VM, restore ($(grep 'snapshot diff' "$T/vr.err" | sed 's/^ember: //'))"
else
	ko "disk + rng + balloon (exits $rc/$rc2/$rc3, first prints ${fc:-none}/${fd:-none})" \
		"$(tail -n 2 "$T/vb.err")" "$(tail -n 2 "$T/vr.err")" "$(tail -n 2 "$T/vd.err")"
fi
# The devices come from the snapshot: a missing disk image is refused, as are CLI devices.
mv "$T/disk.img" "$T/disk.moved"
$RUN --restore "$T/v.snap" --mem-file "$T/v.mem" --resume >/dev/null 2>"$T/ref.err"
rc=$?
mv "$T/disk.moved" "$T/disk.img"
$RUN --restore "$T/v.snap" --mem-file "$T/v.mem" --resume --rng >/dev/null 2>"$T/ref2.err"
rc2=$?
if [ $rc -ne 0 ] && grep -q "disk.img" "$T/ref.err" && [ $rc2 -eq 2 ]; then
	ok "devices rebuilt from the snapshot: missing image refused ($(grep -v 'warn:' "$T/ref.err" | head -n 1))"
else
	ko "devices from the snapshot (exits $rc/$rc2)" "$(cat "$T/ref.err")" "$(cat "$T/ref2.err")"
fi

# --- 5c. the API: create on a paused VM, load in a fresh process ------------
if command -v curl >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
	cc -c -o "$T/g.o" "$HERE/../api/guest.S" 2>/dev/null &&
	ld -nostdlib -static -z noexecstack -Ttext=0x200000 -e pvh_start -o "$T/g.elf" "$T/g.o" 2>/dev/null; then
	C() {	# socket method path [body]: prints the status code
		curl -s --unix-socket "$1" -X "$2" ${4:+-d "$4"} -o "$T/api.body" -w '%{http_code}' \
			"http://localhost$3"
	}
	waitsock() { i=0; while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }
	$EMBER --api-sock "$T/a.sock" $X --level Info >"$T/a.out" 2>"$T/a.err" &
	p=$!; waitsock "$T/a.sock"
	codes="$(C "$T/a.sock" PUT /boot-source "{\"kernel_image_path\":\"$T/g.elf\"}")"
	codes="$codes $(C "$T/a.sock" PUT /drives/d0 "{\"drive_id\":\"d0\",\"path_on_host\":\"$T/disk.img\",\"is_root_device\":false,\"is_read_only\":false,\"io_engine\":\"Async\"}")"
	codes="$codes $(C "$T/a.sock" PUT /entropy '{}')"
	codes="$codes $(C "$T/a.sock" PUT /balloon '{"amount_mib":8,"deflate_on_oom":false}')"
	codes="$codes $(C "$T/a.sock" PUT /actions '{"action_type":"InstanceStart"}')"
	sleep 0.2
	codes="$codes $(C "$T/a.sock" PUT /snapshot/create "{\"snapshot_path\":\"$T/api.snap\",\"mem_file_path\":\"$T/api.mem\"}")"
	notpaused=$(cat "$T/api.body")
	codes="$codes $(C "$T/a.sock" PATCH /vm '{"state":"Paused"}')"
	t0=$(date +%s%N)
	codes="$codes $(C "$T/a.sock" PUT /snapshot/create "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"$T/api.snap\",\"mem_file_path\":\"$T/api.mem\"}")"
	t1=$(date +%s%N)
	kill $p; wait $p 2>/dev/null
	if [ "$codes" = "204 204 204 204 204 400 204 204" ] && echo "$notpaused" | grep -q "must be paused"; then
		ok "API: PUT /snapshot/create refused while running, done when paused ($(( (t1 - t0) / 1000 )) us round trip)"
	else
		ko "API: snapshot/create (codes $codes)" "$notpaused" "$(tail -n 3 "$T/a.err")"
	fi
	# A fresh process: bad files answer 400 and it still takes the good one.
	len=$(wc -c <"$T/api.snap")
	cp "$T/api.snap" "$T/api.bad"; printf 'X' | dd of="$T/api.bad" bs=1 seek=$((len / 2)) conv=notrunc 2>/dev/null
	head -c $((len / 3)) "$T/api.snap" >"$T/api.short"
	$EMBER --api-sock "$T/b.sock" $X --level Info >"$T/b.out" 2>"$T/b.err" &
	p=$!; waitsock "$T/b.sock"
	m="\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$T/api.mem\"}"
	bad="$(C "$T/b.sock" PUT /snapshot/load "{\"snapshot_path\":\"$T/api.bad\",$m}")"
	bad="$bad $(C "$T/b.sock" PUT /snapshot/load "{\"snapshot_path\":\"$T/api.short\",$m}")"
	bad="$bad $(C "$T/b.sock" PUT /snapshot/load "{\"snapshot_path\":\"$T/missing.snap\",$m}")"
	bad="$bad $(C "$T/b.sock" PUT /snapshot/load "{\"snapshot_path\":\"$T/api.snap\",\"mem_backend\":{\"backend_type\":\"Uffd\",\"backend_path\":\"x\"}}")"
	why=$(cat "$T/api.body")
	good="$(C "$T/b.sock" PUT /snapshot/load "{\"snapshot_path\":\"$T/api.snap\",$m,\"resume_vm\":true}")"
	state=$(curl -s --unix-socket "$T/b.sock" http://localhost/ | sed -n 's/.*"state":"\([A-Za-z ]*\)".*/\1/p')
	again="$(C "$T/b.sock" PUT /snapshot/load "{\"snapshot_path\":\"$T/api.snap\",$m}")"
	sleep 0.2
	C "$T/b.sock" PUT /actions '{"action_type":"SendCtrlAltDel"}' >/dev/null
	( sleep 20; kill $p 2>/dev/null ) &
	wait $p
	rc=$?
	if [ "$bad" = "400 400 400 400" ] && [ "$good" = 204 ] && [ "$state" = Running ] &&
		[ "$again" = 400 ] && [ $rc -eq 0 ] && grep -q "key seen" "$T/b.out"; then
		ok "API: PUT /snapshot/load: corrupt, truncated, missing, Uffd refused (400), then loaded and ran ($(grep -o 'LoadSnapshot: VM restored in [0-9.]* ms' "$T/b.err"))"
	else
		ko "API: snapshot/load (bad $bad, good $good, state $state, again $again, exit $rc)" \
			"$why" "$(tail -n 3 "$T/b.err")"
	fi
else
	echo "SKIP: API snapshot tests: no curl or no C compiler"
fi

# --- 6. refused files: exit status 2, one line, no crash --------------------
refuse() {	# name, state file
	$RUN --restore "$2" --mem-file "$T/a.mem" --resume >"$T/ref.out" 2>"$T/ref.err"
	rc=$?
	lines=$(wc -l <"$T/ref.err")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ]; then
		ok "refused: $1: $(cat "$T/ref.err")"
	else
		ko "refused: $1 (exit $rc, $lines lines on stderr)" "$(head -n 3 "$T/ref.err")"
	fi
}
len=$(wc -c <"$T/a.snap")
cp "$T/a.snap" "$T/bad"; printf 'X' | dd of="$T/bad" bs=1 seek=$((len / 2)) conv=notrunc 2>/dev/null
refuse "corrupted byte" "$T/bad"
head -c $((len / 2)) "$T/a.snap" >"$T/bad"; refuse "truncated to half" "$T/bad"
head -c 10 "$T/a.snap" >"$T/bad"; refuse "truncated to 10 bytes" "$T/bad"
cp "$T/a.snap" "$T/bad"; printf '\002' | dd of="$T/bad" bs=1 seek=8 conv=notrunc 2>/dev/null
refuse "wrong major version" "$T/bad"
cp "$T/a.snap" "$T/bad"; printf '\377' | dd of="$T/bad" bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
refuse "wrong CRC" "$T/bad"
printf 'not a snapshot at all, not at all.' >"$T/bad"; refuse "not a snapshot" "$T/bad"
refuse "missing file" "$T/nonexistent"
head -c 4096 "$T/a.mem" >"$T/short.mem"
$RUN --restore "$T/a.snap" --mem-file "$T/short.mem" --resume >/dev/null 2>"$T/ref.err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/ref.err")" -eq 1 ] && ok "refused: short memory file: $(cat "$T/ref.err")" ||
	ko "refused: short memory file (exit $rc)" "$(cat "$T/ref.err")"

# --- 7. restore latency: main() to the first KVM exit of the restored guest --
measure() {	# label, state, mem
	: >"$T/lat"
	i=0
	while [ $i -lt "$RUNS" ]; do
		$EMBER run --no-raw $X --restore "$2" --mem-file "$3" --resume --boot-time \
			>/dev/null 2>"$T/m.err"
		first_exit_ms "$T/m.err" >>"$T/lat"
		i=$((i + 1))
	done
	echo "  restore $1: first guest exit after main(): median $(median <"$T/lat") ms, min $(minimum <"$T/lat") ms ($RUNS runs)"
}
measure "1 vCPU / 128 MiB" "$T/a.snap" "$T/a.mem"
measure "2 vCPU / 1 GiB" "$T/s.snap" "$T/s.mem"
# Boot for comparison (same guest, from process start to its first exit).
: >"$T/lat"; i=0
while [ $i -lt 5 ]; do
	$RUN --kernel "$ELF" --ucall --cmdline "end=1" --boot-time >/dev/null 2>"$T/m.err"
	first_exit_ms "$T/m.err" >>"$T/lat"; i=$((i + 1))
done
echo "  boot 1 vCPU / 128 MiB: first guest exit after main(): median $(median <"$T/lat") ms (5 runs)"

# --- 8. RSS: a restored VM against a booted one, both counting --------------
rss_of() {	# command...: starts it, samples VmRSS after 1 s, kills it
	"$@" >/dev/null 2>&1 &
	p=$!
	sleep 1
	r=$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$p/status 2>/dev/null)
	kill $p 2>/dev/null; wait $p 2>/dev/null
	echo "${r:-?}"
}
rb=$(rss_of $EMBER run --no-raw $X --kernel "$ELF" --ucall --cmdline "end=0 print=100000 mark=0")
$EMBER run --no-raw $X --kernel "$ELF" --ucall --cmdline "end=0 print=100000 mark=2000" \
	--snapshot-at-marker "$T/n.snap,$T/n.mem" >/dev/null 2>&1
rr=$(rss_of $EMBER run --no-raw $X --restore "$T/n.snap" --mem-file "$T/n.mem" --resume)
echo "  RSS after 1 s of counting, 1 vCPU / 128 MiB: booted ${rb} KiB, restored ${rr} KiB"

echo "snapshot: $pass passed, $fail failed"
[ $fail -eq 0 ]
