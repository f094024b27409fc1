#!/bin/sh
# tests/fuzz/run.sh: runs libFuzzer targets for `make fuzz` (long) and `make fuzz-ci` (regressions + short run).
#
#   run.sh probe BUILD CC                 exit 0 if CC can link -fsanitize=fuzzer, else print SKIP
#   run.sh ci    BUILD SECONDS RUNS NAME...
#   run.sh long  BUILD SECONDS 0    NAME...
#
# Inputs: tests/fuzz/corpus/<name>/ (seeds, read only), tests/fuzz/regressions/<name>/
# (inputs that once crashed; replayed first), tests/fuzz/<name>.dict (optional).
# Writes: BUILD/corpus/<name>/ (new inputs), BUILD/artifacts/<name>/ (crashes),
# BUILD/logs/<name>.log.  Prints PASS/FAIL per target and "fuzz: N passed, N failed".
mode=$1; build=$2
cd "$(dirname "$0")/../.." || exit 1

if [ "$mode" = probe ]; then
	cc=$3
	mkdir -p "$build"
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
		'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$build/probe.c"
	if $cc -fsanitize=fuzzer,address,undefined -o "$build/probe" "$build/probe.c" \
		>"$build/probe.log" 2>&1; then
		exit 0
	fi
	echo "SKIP: fuzz: '$cc' cannot build libFuzzer targets (install clang and libclang-rt-14-dev: make deps)"
	echo "fuzz: 0 passed, 0 failed, 1 skipped"
	exit 1
fi

seconds=$3; runs=$4; shift 4
passed=0; failed=0
mkdir -p "$build/logs"
for name in "$@"; do
	bin=$build/$name
	seeds=tests/fuzz/corpus/$name
	regs=tests/fuzz/regressions/$name
	art=$build/artifacts/$name/
	log=$build/logs/$name.log
	mkdir -p "$art" "$seeds"
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	ok=1
	: >"$log"

	# 1. Every saved crash must stay fixed.
	regfiles=$(find "$regs" -type f 2>/dev/null | sort)
	nreg=0
	if [ -n "$regfiles" ]; then
		nreg=$(printf '%s\n' "$regfiles" | wc -l)
		# shellcheck disable=SC2086
		"$bin" -artifact_prefix="$art" $regfiles >>"$log" 2>&1 || ok=0
	fi

	# 2. Fuzz: a fresh scratch corpus in CI, an accumulating one for long runs.
	if [ "$ok" = 1 ]; then
		if [ "$mode" = ci ]; then
			work=$build/ci-corpus/$name
			rm -rf "$work"
			limits="-max_total_time=$seconds -runs=$runs -seed=1"
		else
			work=$build/corpus/$name
			limits="-max_total_time=$seconds"
		fi
		mkdir -p "$work"
		extra=""
		[ -d "$regs" ] && extra=$regs
		# shellcheck disable=SC2086
		"$bin" $limits $dict -artifact_prefix="$art" -print_final_stats=1 \
			-timeout=10 -rss_limit_mb=2048 "$work" "$seeds" $extra >>"$log" 2>&1 || ok=0
	fi

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
	cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	what="$nreg regressions, ${execs:-0} execs, cov ${cov:-?}, ft ${ft:-?}"
	if [ "$ok" = 1 ]; then
		echo "PASS: $name ($what)"
		passed=$((passed + 1))
	else
		echo "FAIL: $name ($what); log $log"
		grep -E 'ERROR: |SUMMARY: |invariant failed|Test unit written|runtime error' "$log" | head -n 8
		echo "  reproduce: $bin <input>; keep it: copy the input into $regs/"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
