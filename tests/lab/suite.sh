#!/bin/sh
# tests/lab/suite.sh: The lab suite for tests/run-all.sh: one lab boot (or a real-KVM host) runs the QEMU smoke, the Linux boot tests, the guest suite, the API and the device tests.
# SPDX-License-Identifier: MIT
# usage: sh tests/lab/suite.sh [EMBER]   prints PASS:/FAIL:/SKIP: lines and "lab: N passed, N failed, N skipped"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ember=${1:-$repo/ember}

files=$(mktemp -d -t ember-lab-files.XXXXXX) || exit 1
log=$(mktemp -t ember-lab-log.XXXXXX) || exit 1
trap 'rm -rf "$files"' EXIT
"$here/prepare.sh" "$files" > /dev/null || { echo "FAIL: lab: tests/lab/prepare.sh failed"; echo "lab: 0 passed, 1 failed"; exit 1; }
set -- --script "$here/qemu-microvm-smoke.sh"
if [ -x "$ember" ]; then
	ln -sfn "$(cd "$(dirname "$ember")" && pwd)/$(basename "$ember")" "$files/ember"
	set -- "$@" --script "$repo/tests/boot/linux-boot.sh"
	# the freestanding guest suite, when its guests are built
	ls "$repo"/tests/guest/build/*.elf > /dev/null 2>&1 || make -s -C "$repo/tests/guest" > /dev/null 2>&1
	if ls "$repo"/tests/guest/build/*.elf > /dev/null 2>&1 && [ -f "$repo/tests/guest/lab-guests.sh" ]; then
		mkdir -p "$files/guest"
		cp "$repo/tests/guest/run.sh" "$repo"/tests/guest/build/*.elf "$files/guest/"
		set -- "$@" --script "$repo/tests/guest/lab-guests.sh"
	fi
	# the API driven with real Linux guests; its client is built static (no curl in the lab)
	if ${CC:-cc} -static -O2 -o "$files/rawclient" "$repo/tests/api/rawclient.c" 2> /dev/null; then
		set -- "$@" --script "$repo/tests/api/lab_api.sh"
	fi
	# snapshots of a Linux guest with a disk, entropy and a balloon (tests/snapshot/lab_linux.sh)
	set -- "$@" --script "$repo/tests/snapshot/lab_linux.sh"
	# the devices in real guests (disk, rng, net both ways, vsock both ways; rate limits,
	# balloon RSS, sync before SIGKILL; the cloud kernel's virtio modules through ACPI), seccomp on
	if sh "$repo/tests/devices/prepare.sh" "$files" > /dev/null 2>&1; then
		for s in lab-disk lab-disk-tput lab-net lab-vsock lab-disk-balloon lab-balloon-restored lab-cloud-virtio; do
			set -- "$@" --script "$repo/tests/devices/$s.sh"
		done
	else
		echo "SKIP: devices: tests/devices/prepare.sh failed"
	fi
fi
"$here/lab.sh" run --files "$files" "$@" --timeout "${LAB_TIMEOUT:-1200}" --log "$log" --verbose > "$log.out" 2>&1
rc=$?
echo "lab: serial log $log"
# LAB-RESULT NAME STATUS [REASON] -> the PASS:/FAIL:/SKIP: lines run-all.sh counts.
# After a lab restart (lab.sh) the interrupted script runs again: a test reported twice
# counts once, with its worse result (FAIL over PASS over SKIP), so a restart never hides
# a failure.
awk -v rc="$rc" '
	function rank(x) { return x == "FAIL" ? 3 : x == "PASS" ? 2 : 1 }
	/^LAB-RESULT / {
		name = $2; st = $3; why = ""
		if (st != "PASS" && st != "SKIP") st = "FAIL"
		for (i = 4; i <= NF; i++) why = why (i > 4 ? " " : "") $i
		if ((name in res) && rank(st) <= rank(res[name])) next
		res[name] = st
		if (st == "PASS") print "PASS: " name (why != "" ? " (" why ")" : "")
		else if (st == "SKIP") print "SKIP: " name ": " why
		else print "FAIL: " name ": " why
		next
	}
	/^---- console of/ { show = 1 }
	show || /^lab\.sh: / || /^  \| / { print }
	/^lab\.sh: NOTE: / { sub(/^lab\.sh: /, ""); print }
	/^lab\.sh: / || /^  \| / { tail = tail $0 "\n" }
	/^---- end ----/ { show = 0 }
	END {
		for (n in res) { if (res[n] == "PASS") p++; else if (res[n] == "SKIP") s++; else f++ }
		# the FAIL line first, then why: run-all.sh shows the lines after each FAIL
		if (rc != 0 && f == 0) { print "FAIL: lab: tests/lab/lab.sh exited " rc; printf "%s", tail; f++ }
		printf "lab: %d passed, %d failed, %d skipped\n", p, f, s
		exit (f > 0)
	}' "$log.out"
arc=$?
rm -f "$log.out"
[ "$rc" = 0 ] && [ "$arc" = 0 ]
