#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/snapshot/lab_linux.sh: snapshots of a real Linux guest with a disk, an entropy device and a balloon: booted vs restored checks, a diff over the API, ten clones.
#
# usage: sh lab_linux.sh DIR   (DIR holds ember, vmlinux, initramfs.cpio.gz, rootfs.ext4 and,
#                               for the diff test, rawclient built static; needs /dev/kvm)
#
# Run it in the lab (docs/lab.md): tests/lab/lab.sh run --files DIR --script
# tests/snapshot/lab_linux.sh --timeout 1800.  The guest's /init writes the
# boot marker first thing, so a snapshot taken there holds a kernel whose
# virtio drivers are up and whose checks (ember.check=disk,rng,uptime) have
# not run yet.  Disk paths in the snapshot are relative ("disk.img"): each
# restore runs in its own directory with its own copy of the image, as
# Firecracker's clones run in their own jails.  Results (LAB-RESULT lines):
#   snap-{booted,restored}-{disk,rng,clock}  the same checks in a booted VM and
#                                            in one restored in a fresh ember
#   snap-create, snap-restore-time, snap-smp-1g   times, 1 vCPU/256 MiB and 2 vCPU/1 GiB
#   snap-diff            restore, run the disk check, pause and write a diff
#                        over the API; the diff restores to that later state
#   snap-clones          ten clones of one snapshot at once (five in the TCG lab),
#                        each writing its own disk
dir=${1:?usage: lab_linux.sh DIR}
for h in "$(dirname "$0")/labtest.sh" "$(dirname "$0")/../lab/labtest.sh"; do
	[ -f "$h" ] && . "$h" && break
done
EMBER=${EMBER:-$dir/ember}
RAW=${RAWCLIENT:-$dir/rawclient}
TO=${VM_TIMEOUT:-240}
NAMES="snap-booted-disk snap-booted-rng snap-booted-clock snap-create snap-restored-disk
       snap-restored-rng snap-restored-clock snap-restore-time snap-diff snap-clones snap-smp-1g"
for f in "$EMBER" "$dir/vmlinux" "$dir/initramfs.cpio.gz" "$dir/rootfs.ext4"; do
	if [ ! -e "$f" ]; then
		for t in $NAMES; do lt_skip "$t" "no $(basename "$f") in $dir"; done
		lt_finish
	fi
done
[ -c /dev/kvm ] || { lt_fail snap-kvm "no /dev/kvm"; lt_finish; }

W=$(mktemp -d -t lab-snap.XXXXXX)
KERNEL=$dir/vmlinux INITRD=$dir/initramfs.cpio.gz
# ember.max_uptime: the guest clock continues from the snapshot, and the lab is slow
BASE="console=ttyS0 reboot=k panic=-1 ember.check=disk,rng,uptime ember.max_uptime=600"
DEVS="--disk disk.img --rng --balloon 16,deflate_on_oom,stats=1"

# fresh NAME: a directory with its own copy of the disk image
fresh() { mkdir -p "$W/$1" && cp "$dir/rootfs.ext4" "$W/$1/disk.img"; }
# check_result RESULT CHECK: judge one EMBER-CHECK line of the last VM
check_result() {
	_l=$(tr -d '\r' <"$LT_LOG" | grep -F "EMBER-CHECK $2 " | head -n 1 | cut -d' ' -f2-)
	case "$_l" in
	*"EMBER-CHECK $2 PASS"*) lt_pass "$1" "status $LT_RC" ;;
	"") lt_fail "$1" "no EMBER-CHECK $2 line (status $LT_RC)"; FAILED=1 ;;
	*) lt_fail "$1" "$(echo "$_l" | cut -d' ' -f3-)"; FAILED=1 ;;
	esac
}
# token_in IMAGE TOKEN: the guest's write reached the host file
# (one "line" per run of token characters: busybox grep on a raw image with
# no newlines does not find it)
token_in() { tr -c 'a-z0-9-' '\n' < "$1" | grep -q -x -F "$2"; }
ms_of() { tr -d '\r' <"$LT_LOG" | sed -n "s/.*$1 *\([0-9.][0-9.]*\).*/\1/p" | head -n 1; }

# --- booted ------------------------------------------------------------------------
fresh booted
cd "$W/booted" || exit 1
lt_vm snap-booted "$TO" "$EMBER" run --kernel "$KERNEL" --initrd "$INITRD" --mem 256 $DEVS \
	--cmdline "$BASE ember.token=booted-7e1"
FAILED=
check_result snap-booted-disk disk
token_in disk.img booted-7e1 || { lt_fail snap-booted-disk "token not in the host's image"; FAILED=1; }
check_result snap-booted-rng rng
check_result snap-booted-clock uptime
[ -n "$FAILED" ] && lt_dump

# --- snapshot at /init, restore in a fresh ember ------------------------------------
fresh snap
cd "$W/snap" || exit 1
lt_vm snap-create "$TO" "$EMBER" run --kernel "$KERNEL" --initrd "$INITRD" --mem 256 $DEVS \
	--cmdline "$BASE ember.token=restored-5c3" --snapshot-at-marker l.snap,l.mem
line=$(tr -d '\r' <"$LT_LOG" | grep -F 'ember: snapshot full' | sed 's/.*ember: //')
if [ "$LT_RC" = 0 ] && [ -s l.snap ]; then
	lt_pass snap-create "$line"
else
	lt_fail snap-create "status $LT_RC, no snapshot"; lt_dump
	lt_finish
fi

fresh r1
cd "$W/r1" || exit 1
lt_vm snap-restored "$TO" "$EMBER" run --restore ../snap/l.snap --mem-file ../snap/l.mem --resume \
	--boot-time
FAILED=
check_result snap-restored-disk disk
token_in disk.img restored-5c3 || { lt_fail snap-restored-disk "token not in the host's image"; FAILED=1; }
check_result snap-restored-rng rng
check_result snap-restored-clock uptime
[ -n "$FAILED" ] && lt_dump
fe=$(ms_of "first guest exit")
[ -n "$fe" ] && lt_pass snap-restore-time "1 vCPU/256 MiB: main() to the first guest exit ${fe} ms" ||
	lt_fail snap-restore-time "no boot-time line"

# --- diff over the API: restore with dirty tracking, pause after the disk check -----
if [ -x "$RAW" ]; then
	fresh d1
	cd "$W/d1" || exit 1
	cp ../snap/l.mem d.mem
	SOCK=$W/d1/api.sock
	req() {
		printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
			"$1" "$2" "${#3}" "$3" | "$RAW" "$SOCK" >"$W/reply" 2>&1
		CODE=$(head -n 1 "$W/reply" | cut -d' ' -f2)
	}
	LT_LOG=$W/d1/console.log
	"$EMBER" --api-sock "$SOCK" --no-seccomp </dev/null >"$LT_LOG" 2>&1 &
	PID=$!
	i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	req PUT /snapshot/load '{"snapshot_path":"../snap/l.snap","mem_backend":{"backend_type":"File","backend_path":"../snap/l.mem"},"track_dirty_pages":true,"resume_vm":true}'
	c1=$CODE
	i=0
	while ! grep -q -F 'EMBER-CHECK disk' "$LT_LOG" && [ $i -lt $((TO * 10)) ] && kill -0 $PID 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	req PATCH /vm '{"state":"Paused"}'; c2=$CODE
	req PUT /snapshot/create '{"snapshot_type":"Diff","snapshot_path":"d.snap","mem_file_path":"d.mem"}'; c3=$CODE
	kill $PID 2>/dev/null; wait $PID 2>/dev/null
	if [ "$c1$c2$c3" != 204204204 ] || ! grep -q -F 'EMBER-CHECK disk PASS' "$LT_LOG"; then
		lt_fail snap-diff "load $c1, pause $c2, diff $c3; $(tr -d '\r' <"$LT_LOG" | grep -F 'EMBER-CHECK disk' | head -n 1)"
		cat "$W/reply"; tr -d '\r' <"$LT_LOG" | tail -n 30
	else
		mkdir -p "$W/d2" && cp disk.img "$W/d2/disk.img"
		cd "$W/d2" || exit 1
		lt_vm snap-diff "$TO" "$EMBER" run --restore ../d1/d.snap --mem-file ../d1/d.mem --resume
		if [ "$LT_RC" = 0 ] && lt_has EMBER-DONE && ! lt_has EMBER-INIT-OK &&
			! lt_has 'EMBER-CHECK disk' && [ -z "$(lt_checks_failed)" ]; then
			lt_pass snap-diff "continues after the disk check: $(cut -d' ' -f2- "$LT_LOG" | grep -c 'EMBER-CHECK') check lines left, EMBER-DONE"
		else
			lt_fail snap-diff "status $LT_RC: the diff did not resume where it was taken"; lt_dump
		fi
	fi
else
	lt_skip snap-diff "no rawclient in $dir"
fi

# --- clones at once, each with its own disk ------------------------------------------
# Ten on a real-KVM host; five in the TCG lab, where a storm of nested VMs
# is what most often brings out TCG's nested-SVM faults (docs/lab.md).
N=10
[ -n "${EMBER_LAB_TCG:-}" ] && N=5
i=0
while [ $i -lt $N ]; do
	fresh "c$i"
	( cd "$W/c$i" && timeout -s KILL $((TO * 3)) "$EMBER" run --restore ../snap/l.snap \
		--mem-file ../snap/l.mem --resume </dev/null >console.log 2>&1; echo "$?" >rc ) &
	i=$((i + 1))
done
wait
good=0 i=0 why=
while [ $i -lt $N ]; do
	c=$W/c$i
	if [ "$(cat "$c/rc")" = 0 ] && grep -q 'EMBER-CHECK disk PASS' "$c/console.log" &&
		grep -q 'EMBER-CHECK rng PASS' "$c/console.log" && token_in "$c/disk.img" restored-5c3; then
		good=$((good + 1))
	else
		why="clone $i: status $(cat "$c/rc"), $(tr -d '\r' <"$c/console.log" | grep 'EMBER-CHECK' | grep -v PASS | head -n 1)"
		LT_LOG=$c/console.log
	fi
	i=$((i + 1))
done
clock=$(cat "$W"/c*/console.log | grep -c 'EMBER-CHECK uptime PASS')
if [ $good = $N ]; then
	lt_pass snap-clones "$N of $N wrote their own disk and read /dev/hwrng; clock check passed in $clock"
else
	lt_fail snap-clones "$good of $N; $why"
	tr -d '\r' <"$LT_LOG" | tail -n 40
fi

# --- 2 vCPUs, 1 GiB: create and restore times ----------------------------------------
fresh smp
cd "$W/smp" || exit 1
lt_vm snap-smp-boot "$TO" "$EMBER" run --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 --mem 1024 \
	$DEVS --cmdline "console=ttyS0 reboot=k panic=-1 ember.check=cpus,disk,rng ember.cpus=2" \
	--snapshot-at-marker s.snap,s.mem
created=$(tr -d '\r' <"$LT_LOG" | grep -F 'ember: snapshot full' | sed 's/.*ember: snapshot full: //')
fresh smp-r
cd "$W/smp-r" || exit 1
lt_vm snap-smp-restore "$TO" "$EMBER" run --restore ../smp/s.snap --mem-file ../smp/s.mem --resume --boot-time
fe=$(ms_of "first guest exit")
if [ "$LT_RC" = 0 ] && lt_has 'EMBER-CHECK cpus PASS' && lt_has 'EMBER-CHECK disk PASS' &&
	[ -z "$(lt_checks_failed)" ]; then
	lt_pass snap-smp-1g "2 vCPU/1 GiB: create ($created); restore to the first guest exit ${fe:-?} ms"
else
	lt_fail snap-smp-1g "status $LT_RC: $(lt_checks_failed | head -n 1)"; lt_dump
fi

cd / && rm -rf "$W"
lt_finish
