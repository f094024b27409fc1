#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/guest/lab-guests.sh: the guest suite as a tests/lab/lab.sh script: runs run.sh, prints LAB-RESULT lines.
#
# usage: sh lab-guests.sh DIR
#   DIR/ember          the ember to test
#   DIR/guest/run.sh   tests/guest/run.sh
#   DIR/guest/*.elf    the built guests (tests/guest/build/*.elf)
#
# e.g.  mkdir -p D/guest && cp ember D/ && cp tests/guest/run.sh tests/guest/build/*.elf D/guest/
#       tests/lab/lab.sh run --files D --script tests/guest/lab-guests.sh

DIR=${1:?usage: sh lab-guests.sh DIR}
if [ ! -x "$DIR/ember" ] || [ ! -f "$DIR/guest/run.sh" ]; then
	echo "LAB-RESULT guest FAIL $DIR lacks ember or guest/run.sh"
	exit 1
fi

OUT=$(mktemp "${TMPDIR:-/tmp}/lab-guests.XXXXXX") || exit 1
# Streamed, not collected: the lab's watchdog ends a lab whose console stays
# silent for minutes, and the whole suite takes longer than that in the lab.
{ sh "$DIR/guest/run.sh" "$DIR/ember" "$DIR/guest" 2>&1; echo "$?" >"$OUT.rc"; } | tee "$OUT"
rc=$(cat "$OUT.rc")
rm -f "$OUT.rc"
# Then the verdicts (failures above carry ember's stderr and stdout).
sed -n -e 's/^PASS: \([^ ]*\)$/LAB-RESULT guest\/\1 PASS/p' \
	-e 's/^FAIL: \([^:]*\): \(.*\)$/LAB-RESULT guest\/\1 FAIL \2/p' \
	-e 's/^SKIP: \([^:]*\): \(.*\)$/LAB-RESULT guest\/\1 SKIP \2/p' "$OUT"
grep -q '^guest: [0-9]* passed, [0-9]* failed' "$OUT" ||
	echo "LAB-RESULT guest FAIL run.sh ended without its count line (status $rc)"
rm -f "$OUT"
exit "$rc"
