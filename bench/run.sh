#!/bin/sh
# bench/run.sh: `make bench`: host start-up figures, then the lab figures (reference Linux), in one report.
# SPDX-License-Identifier: MIT
set -e
cd "$(dirname "$0")/.."
mkdir -p bench/results
stamp=$(date +%Y%m%d-%H%M%S)
raw=bench/results/lab-$stamp.txt
if [ "${BENCH_LAB:-1}" = 1 ]; then
	files=$(mktemp -d)
	trap 'rm -rf "$files"' EXIT
	tests/lab/prepare.sh "$files" > /dev/null
	# The lab is another machine: settings travel as files in its inputs.
	echo "${BENCH_RUNS:-5}" > "$files/bench-runs"
	echo "bench: lab run (${BENCH_RUNS:-5} rounds; several minutes under emulation)"
	bash tests/lab/lab.sh run --files "$files" --script bench/lab-bench.sh \
		--timeout 3000 --verbose 2>&1 | sed -e "s|${EMBER_CACHE:-$HOME/.cache/ember}|~/.cache/ember|g" \
		-e 's|serial log: /[^ ]*|serial log: (a temporary file)|' > "$raw" || true
	grep -c LAB-BENCH "$raw" >/dev/null || { echo "bench: lab run produced no results:"; tail -n 30 "$raw"; }
	set -- --lab-raw "$raw"
fi
exec /usr/bin/python3 bench/bench.py --runs "${BENCH_HOST_RUNS:-30}" "$@"
