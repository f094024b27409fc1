#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/seccomp/run.sh: per-thread seccomp filters: forbidden calls die by SIGSYS, guests still boot.
#
# usage: run.sh BUILD_DIR    (make seccomp-test builds everything first)
#
# Needs: ./ember, BUILD_DIR/tests/seccomp/{ember-selftest,seccomp-probe,
# tiny_guest.elf,tiny_guest_hang.elf}.  KVM tests skip without /dev/kvm.
# Prints PASS:/FAIL:/SKIP: lines and "seccomp: N passed, N failed, N skipped".

set -u
B=${1:-build}
EMBER=${EMBER:-./ember}
SELFTEST=$B/tests/seccomp/ember-selftest
PROBE=$B/tests/seccomp/seccomp-probe
GUEST=$B/tests/seccomp/tiny_guest.elf
HANG=$B/tests/seccomp/tiny_guest_hang.elf
pass=0 fail=0 skip=0

ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1${2:+: $2}"; fail=$((fail + 1)); }
sk() { echo "SKIP: $1: $2"; skip=$((skip + 1)); }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-seccomp.XXXXXX") || exit 2
BG=
cleanup() {
	[ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -c 0		# SIGSYS would dump core otherwise

# Exit status of a process killed by SIGSYS, as the shell reports it.
SYS_STATUS=159	# 128 + SIGSYS (31 on x86-64)

# --- 1. Filters on their own (no KVM): seccomp-probe CLASS CASE ---------
# allowed: exit 0 and "alive"; forbidden: killed by SIGSYS.
probe() {	# expect class case
	"$PROBE" "$2" "$3" >"$TMP/probe.out" 2>&1
	st=$?
	if [ "$1" = allow ]; then
		if [ $st -eq 0 ] && grep -q '^alive' "$TMP/probe.out"; then
			ok "filter-$2-allows-$3"
		else
			ko "filter-$2-allows-$3" "exit status $st: $(head -c 200 "$TMP/probe.out")"
		fi
	else
		if [ $st -eq "$SYS_STATUS" ]; then
			ok "filter-$2-kills-$3"
		else
			ko "filter-$2-kills-$3" "exit status $st, expected $SYS_STATUS (SIGSYS)"
		fi
	fi
}

if [ ! -x "$PROBE" ]; then
	ko probe-binary "$PROBE missing (make seccomp-test)"
else
	for c in vmm api vcpu; do
		for k in getpid mmap-rw kick-self; do probe allow $c $k; done
		for k in ioctl-create-vm mmap-exec mprotect-exec socket execve \
			 tgkill-sigusr1 thread madvise-free; do
			probe kill $c $k
		done
	done
	# open: only the VMM thread may, for snapshot files (docs/snapshots.md)
	probe allow vmm open
	probe kill api open
	probe kill vcpu open
	probe allow vcpu ioctl-kvm-run
	probe allow vcpu ioctl-irq-line
	probe allow vmm ioctl-irq-line
	probe kill vmm ioctl-kvm-run
	probe kill api ioctl-kvm-run
	probe kill api ioctl-irq-line
	probe allow api accept4
	probe allow vmm accept4	# virtio-vsock host clients
	probe kill vcpu accept4
fi

# --- 2. The release binary carries no test trigger ----------------------
if grep -q EMBER_SECCOMP_SELFTEST "$EMBER" 2>/dev/null; then
	ko release-has-no-selftest "$EMBER contains the selftest hook"
else
	ok release-has-no-selftest
fi

# --- 3. With KVM: real threads, real filters ---------------------------
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	for t in guest-boots-with-filters threads-are-filtered no-seccomp-warns \
		 selftest-vcpu selftest-vcpu-ioctl selftest-vmm selftest-vmm-ioctl \
		 release-ignores-selftest-env; do
		sk "$t" "no usable /dev/kvm"
	done
else
	run_guest() {	# ember kernel [args...] -> $st, $TMP/out, $TMP/err
		e=$1
		k=$2
		shift 2
		timeout -k 5 60 "$e" run --kernel "$k" --no-raw "$@" \
			</dev/null >"$TMP/out" 2>"$TMP/err"
		st=$?
	}

	run_guest "$EMBER" "$GUEST"
	if [ $st -eq 0 ] && grep -q 'ember-seccomp-guest: hello' "$TMP/out"; then
		ok guest-boots-with-filters
	else
		ko guest-boots-with-filters "exit status $st; $(tail -n 3 "$TMP/err")"
	fi

	# Every thread of a running ember has exactly one filter.
	"$EMBER" run --kernel "$HANG" --no-raw </dev/null >"$TMP/hang.out" 2>"$TMP/hang.err" &
	BG=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q hello "$TMP/hang.out"; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2
	bad=
	nthreads=0
	for s in /proc/$BG/task/*/status; do
		nthreads=$((nthreads + 1))
		mode=$(awk '/^Seccomp:/ {print $2}' "$s")
		nf=$(awk '/^Seccomp_filters:/ {print $2}' "$s")
		[ "$mode" = 2 ] && [ "$nf" = 1 ] || bad="$bad $s:mode=$mode,filters=$nf"
	done
	if [ -z "$bad" ] && [ $nthreads -ge 2 ]; then
		ok threads-are-filtered
	else
		ko threads-are-filtered "threads=$nthreads$bad"
	fi
	kill -TERM "$BG"
	wait "$BG"
	st=$?
	BG=
	if [ $st -eq 0 ]; then
		ok stop-by-signal-under-filters
	else
		ko stop-by-signal-under-filters "exit status $st after SIGTERM"
	fi

	run_guest "$EMBER" "$GUEST" --no-seccomp
	if [ $st -eq 0 ] && grep -q 'seccomp filters are DISABLED' "$TMP/err"; then
		ok no-seccomp-warns
	else
		ko no-seccomp-warns "exit status $st; no warning on stderr"
	fi

	# A forbidden call on each thread class, from the test-only build.
	for c in vcpu vcpu-ioctl vmm vmm-ioctl; do
		EMBER_SECCOMP_SELFTEST=$c run_guest "$SELFTEST" "$HANG"
		if [ $st -eq "$SYS_STATUS" ] && grep -q "ember-selftest: $c thread" "$TMP/err"; then
			ok "selftest-$c"
		else
			ko "selftest-$c" "exit status $st, expected $SYS_STATUS (SIGSYS); $(tail -n 2 "$TMP/err")"
		fi
	done
	EMBER_SECCOMP_SELFTEST=vcpu run_guest "$SELFTEST" "$GUEST" --no-seccomp
	if [ $st -eq 0 ]; then
		ok selftest-no-seccomp-survives
	else
		ko selftest-no-seccomp-survives "exit status $st"
	fi
	EMBER_SECCOMP_SELFTEST=vcpu run_guest "$EMBER" "$GUEST"
	if [ $st -eq 0 ]; then
		ok release-ignores-selftest-env
	else
		ko release-ignores-selftest-env "exit status $st"
	fi
	# The API thread: needs `ember --api-sock`.
	if "$EMBER" --help 2>&1 | grep -q -- '--api-sock'; then
		EMBER_SECCOMP_SELFTEST=api timeout -k 5 20 "$SELFTEST" --api-sock "$TMP/api.sock" \
			</dev/null >"$TMP/out" 2>"$TMP/err"
		st=$?
		if [ $st -eq "$SYS_STATUS" ]; then
			ok selftest-api
		else
			ko selftest-api "exit status $st, expected $SYS_STATUS (SIGSYS)"
		fi
	else
		sk selftest-api "this ember has no --api-sock yet"
	fi
fi

echo "seccomp: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
