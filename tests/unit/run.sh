#!/bin/sh
# tests/unit/run.sh: runs each unit-test binary given as an argument and sums their count lines.
passed=0; failed=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
	if [ -z "$p" ]; then
		echo "FAIL: $t crashed or printed no count (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { echo "FAIL: $t exited $rc"; failed=$((failed + 1)); }
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
