#!/bin/sh
# tests/run-all.sh: the whole suite behind `make test`: runs each suite, sums their count lines.
#
# Each suite prints PASS:/FAIL:/SKIP: lines and ends with one line
# "<suite>: N passed, N failed[, N skipped]".  A suite that exits non-zero
# without reporting a failure counts as one failure.  Output of every suite
# is kept in build/test-logs/<suite>.log.
cd "$(dirname "$0")/.." || exit 1
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"
total_p=0; total_f=0; total_s=0
summary=""

run_suite() {	# name, timeout seconds, command...
	name=$1; limit=$2; shift 2
	log="$LOGDIR/$name.log"
	echo "=== $name: $*"
	start=$(date +%s)
	timeout -k 10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	grep -E '^(PASS|FAIL|SKIP|NOTE)' "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	s=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
	[ -z "$p" ] && p=0; [ -z "$f" ] && f=0; [ -z "$s" ] && s=0
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL: $name: timed out after ${limit}s"
		else
			echo "FAIL: $name: exited $rc without reporting a failure"
		fi
		echo "--- last lines of $log:"; tail -n 30 "$log"
		f=$((f + 1))
	elif [ "$f" -ne 0 ]; then
		echo "--- failures in $log (see the file for the guest serial logs):"
		grep -E -A40 '^FAIL' "$log" | head -n 120
	fi
	echo "=== $name: $p passed, $f failed, $s skipped ($((end - start)) s)"
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
	summary="$summary$name=$p/$f/$s "
}

have() { [ -e "$1" ]; }

run_suite build 600 make -j2 all
[ -x ./ember ] || { echo "ember did not build"; echo "0 passed, 1 failed"; exit 1; }
run_suite unit 300 make -s unit
grep -q '^asan-unit:' mk/*.mk 2>/dev/null && run_suite unit-asan 600 make -s asan-unit
grep -q '^fuzz-ci:' mk/*.mk 2>/dev/null && run_suite fuzz 900 make -s fuzz-ci
have tests/cli/bad-input.sh && run_suite cli 900 sh tests/cli/bad-input.sh ./ember
have tests/guest/run.sh && run_suite guest 900 sh tests/guest/run.sh ./ember
have tests/api/run.sh && run_suite api 600 sh tests/api/run.sh ./ember
have tests/seccomp/run.sh && run_suite seccomp 600 make -s seccomp-test
have tests/jailer/run.sh && run_suite jailer 600 make -s jailer-test
have tests/snapshot/run.sh && run_suite snapshot 900 sh tests/snapshot/run.sh ./ember
have tests/lab/suite.sh && run_suite lab 3600 sh tests/lab/suite.sh ./ember

echo "suites: $summary"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
