#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/guest/run.sh: runs every test guest under ember; prints PASS/FAIL/SKIP per test and a count line.
#
# usage: run.sh EMBER_BINARY [GUEST_DIR]
#
#   EMBER_BINARY  the ember to test
#   GUEST_DIR     the built guests (*.elf); default: build/ beside this
#                 script, which is first brought up to date with make when
#                 make and gcc are there
#
# Environment: GUEST_TESTS="name ..." runs only those tests (names as
# printed); GUEST_TIMEOUT (default 60) is each run's limit in seconds.
#
# POSIX sh and busybox tools only: the lab runs it unchanged.  Exit status:
# 0 when nothing failed, 1 otherwise, 2 on bad usage.

set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 EMBER_BINARY [GUEST_DIR]" >&2
	exit 2
fi
EMBER=$1
HERE=$(dirname "$0")
GDIR=${2:-$HERE/build}
ONLY=${GUEST_TESTS:-}
VM_TZ=
LIMIT=${GUEST_TIMEOUT:-60}

if [ ! -x "$EMBER" ]; then
	echo "run.sh: $EMBER: not an executable" >&2
	exit 2
fi
if [ $# -eq 1 ] && [ -f "$HERE/Makefile" ] && command -v make >/dev/null 2>&1 &&
	command -v gcc >/dev/null 2>&1; then
	if ! make -s -C "$HERE" >"${TMPDIR:-/tmp}/ember-guest-build.log" 2>&1; then
		echo "FAIL: build: make -C $HERE failed"
		sed 's/^/  | /' "${TMPDIR:-/tmp}/ember-guest-build.log" | tail -n 40
		echo "guest: 0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	rm -f "${TMPDIR:-/tmp}/ember-guest-build.log"
fi
if [ ! -d "$GDIR" ]; then
	echo "run.sh: $GDIR: no such directory (build the guests: make -C tests/guest)" >&2
	exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-guest.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# Every run has a hard limit; an old busybox timeout may lack -k.
if timeout -k 5 5 true 2>/dev/null; then
	TIMEOUT="timeout -k 5 $LIMIT"
else
	TIMEOUT="timeout $LIMIT"
fi

PVM=
[ -d /sys/module/kvm_pvm ] && PVM=1
NOKVM=
[ -c /dev/kvm ] || NOKVM=1

passed=0
failed=0
skipped=0

# ---- running ember ----

# vm ELF [ember options...]: run one guest; sets $rc, fills $TMP/out and $TMP/err.
vm() {
	_elf=$GDIR/$1.elf
	shift
	if [ ! -f "$_elf" ]; then
		rc=
		missing="$_elf is missing (make -C tests/guest)"
		: >"$TMP/out"
		: >"$TMP/err"
		return
	fi
	env ${VM_TZ:+TZ="$VM_TZ"} $TIMEOUT "$EMBER" run --kernel "$_elf" --ucall "$@" \
		</dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# ---- checks: each adds to $why on failure ----

fail_because() {
	if [ -z "$why" ]; then
		why=$1
	else
		why="$why; $1"
	fi
}

# expect_rc N
expect_rc() {
	case $rc in
	124|137|143)
		fail_because "timed out after ${LIMIT}s (status $rc)"
		;;
	"$1")
		;;
	*)
		fail_because "exit status $rc, expected $1"
		;;
	esac
}

# expect_done: the guest got to GUEST_DONE (a crash also exits 0)
expect_done() {
	grep -qx 'guest: DONE' "$TMP/err" || fail_because "no 'guest: DONE' on stderr"
}

expect_no_done() {
	grep -qx 'guest: DONE' "$TMP/err" && fail_because "the guest reported DONE"
}

# expect_err_line TEXT: a line of stderr is exactly TEXT
expect_err_line() {
	grep -qxF -e "$1" "$TMP/err" || fail_because "stderr lacks the line: $1"
}

# expect_err_has TEXT: some line of stderr contains TEXT
expect_err_has() {
	grep -qF -e "$1" "$TMP/err" || fail_because "stderr lacks: $1"
}

expect_err_lacks() {
	grep -qF -e "$1" "$TMP/err" && fail_because "stderr has: $1"
}

# ---- reporting ----

show() {
	echo "  --- ember stderr ($2) ---"
	tail -n 40 "$TMP/err" | sed 's/^/  | /'
	echo "  --- ember stdout ---"
	tr -d '\r' <"$TMP/out" | tail -n 40 | sed 's/^/  | /'
}

# case NAME FUNCTION: run a test unless GUEST_TESTS leaves it out
case_() {
	name=$1
	if [ -n "$ONLY" ]; then
		case " $ONLY " in
		*" $name "*) ;;
		*) return ;;
		esac
	fi
	why=
	skip=
	rc=
	missing=
	if [ -n "$NOKVM" ]; then
		skip="no /dev/kvm"
	else
		"$2"
	fi
	[ -n "$missing" ] && why=$missing
	if [ -n "$skip" ]; then
		echo "SKIP: $name: $skip"
		skipped=$((skipped + 1))
	elif [ -n "$missing" ]; then
		echo "FAIL: $name: $why"
		failed=$((failed + 1))
	elif [ -n "$why" ]; then
		echo "FAIL: $name: $why"
		show "$name" "exit status $rc"
		failed=$((failed + 1))
	else
		echo "PASS: $name"
		passed=$((passed + 1))
	fi
}

# skip_on_pvm REASON: the test cannot work on the PVM backend
skip_on_pvm() {
	[ -n "$PVM" ] && skip="PVM backend: $1"
	[ -n "$PVM" ]
}

# ---- command lines the boot tests check ----

# cmdline WORDS: WORDS plus len=NNNN, the length of the whole result
cmdline() {
	_base="$1 len="
	_len=$((${#_base} + 4))
	printf '%s%04d' "$_base" "$_len"
}

# A command line of about 1000 bytes (Linux allows 2048).
long_cmdline() {
	_pad=
	_i=0
	while [ $_i -lt 30 ]; do
		_pad="$_pad pad$_i=0123456789abcdefghijklmnop"
		_i=$((_i + 1))
	done
	cmdline "$1$_pad"
}

INITRD=$TMP/initrd
{
	echo "EMBER-INITRD-TEST"
	_i=0
	while [ $_i -lt 300 ]; do
		echo "initrd line $_i: 0123456789abcdefghijklmnopqrstuvwxyz"
		_i=$((_i + 1))
	done
} >"$INITRD"
INITRD_SIZE=$(wc -c <"$INITRD" | tr -d ' ')

# boot ELF MEM [extra words]: a boot test at --mem MEM; checks the echo
boot() {
	_cl=$(cmdline "mem=$2 cpus=1 ember.test=$1 chars=a.b-c_d/e:f,g+h@i%j")
	vm "$1" --mem "$2" --cmdline "$_cl"
	expect_rc 0
	expect_done
	expect_err_line "guest: cmdline=[$_cl]"
}

boot_long() {
	_cl=$(long_cmdline "mem=$2 cpus=1")
	vm "$1" --mem "$2" --cmdline "$_cl"
	expect_rc 0
	expect_done
	expect_err_line "guest: cmdline: ${#_cl} bytes"
}

boot_initrd() {
	_cl=$(cmdline "mem=$2 cpus=1 initrd_size=$INITRD_SIZE")
	vm "$1" --mem "$2" --cmdline "$_cl" --initrd "$INITRD"
	expect_rc 0
	expect_done
	expect_err_has ", $INITRD_SIZE bytes"
}

# ---- the tests ----

t_boot_pvh_64()		{ boot boot_pvh 64; }
t_boot_pvh_5000()	{ boot boot_pvh 5000; }
t_boot_pvh_8()		{ boot boot_pvh 8; }
t_boot_pvh_3072()	{ boot boot_pvh 3072; }
t_boot_pvh_3073()	{ boot boot_pvh 3073; }
t_boot_pvh_long()	{ boot_long boot_pvh 256; }
t_boot_pvh_initrd()	{ boot_initrd boot_pvh 128; }
t_boot_linux64_64()	{ boot boot_linux64 64; }
t_boot_linux64_5000()	{ boot boot_linux64 5000; }
t_boot_linux64_3073()	{ boot boot_linux64 3073; }
t_boot_linux64_long()	{ boot_long boot_linux64 256; }
t_boot_linux64_initrd()	{ boot_initrd boot_linux64 128; }

t_boot_mark() {
	vm boot_mark --mem 64 --boot-time
	expect_rc 0
	expect_done
	grep '/init' "$TMP/err" | grep -q '[0-9]' || fail_because "--boot-time shows no /init time"
	grep '/init' "$TMP/err" | grep -q 'n/a' && fail_because "--boot-time saw no marker"
}

cpuid_run() {
	vm "$1" --cpus "$2" --mem 64 --cmdline "cpus=$2"
	expect_rc 0
	expect_done
}
t_cpuid_1()		{ cpuid_run cpuid 1; }
t_cpuid_2()		{ cpuid_run cpuid 2; }
t_cpuid_linux64()	{ cpuid_run cpuid_linux64 1; }

# A custom CPU template (Firecracker's format) applied to every vCPU; the
# guest checks what each modifier should have done.
t_cpu_template() {
	cat >"$TMP/template.json" <<'JSON'
{
  "cpuid_modifiers": [
    { "leaf": "0x40000010", "subleaf": "0x0", "flags": 0, "modifiers": [
      { "register": "ecx", "bitmap": "0b00010010001101000101011001111000" },
      { "register": "edx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxx1010" } ] },
    { "leaf": "0x1", "subleaf": "0x0", "flags": 0, "modifiers": [
      { "register": "ecx", "bitmap": "0b0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" } ] }
  ],
  "msr_modifiers": [ { "addr": "0x174", "bitmap": "0b1010_0000" } ]
}
JSON
	vm cpu_template --cpus 2 --mem 64 --cpu-config "$TMP/template.json"
	expect_rc 0
	expect_done
	expect_err_has "cpu_template: 0x40000010 eax"
}

mptable_run() {
	vm mptable --cpus "$1" --mem 64 --cmdline "cpus=$1"
	expect_rc 0
	expect_done
	expect_err_has "mptable: $1 CPUs"
}
t_mptable_1()		{ mptable_run 1; }
t_mptable_4()		{ mptable_run 4; }
t_mptable_32()		{ mptable_run 32; }

smp_run() {
	vm "$1" --cpus "$2" --mem 64 --cmdline "cpus=$2"
	expect_rc 0
	expect_done
	expect_err_line "guest: smp: $(($2 - 1)) of $(($2 - 1)) APs checked in"
}
t_smp_1()		{ smp_run smp 1; }
t_smp_2()		{ smp_run smp 2; }
t_smp_4()		{ smp_run smp 4; }
t_smp_32()		{ smp_run smp 32; }
t_smp_linux64_2()	{ smp_run smp_linux64 2; }

t_serial() {
	vm serial --mem 64
	expect_rc 0
	expect_done
	tr -d '\r' <"$TMP/out" >"$TMP/out.lf"
	cat >"$TMP/want" <<'EOF'
ember-serial-test: hello from COM1
ember-serial-test: The quick brown fox jumps over the lazy dog 0123456789
ember-serial-test: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ end
EOF
	while IFS= read -r _line; do
		_n=$(grep -cxF -e "$_line" "$TMP/out.lf")
		[ "$_n" = 1 ] || fail_because "stdout has '$_line' $_n times, expected once"
	done <"$TMP/want"
	expect_err_lacks "ember-serial-test"
	grep -q "loopback" "$TMP/out.lf" && fail_because "bytes sent in loopback mode reached stdout"
}

# The RTC is UTC even when ember runs in another time zone (a POSIX TZ
# string, so no tzdata is needed): UTC+5:30.
t_rtc() {
	VM_TZ=IST-5:30
	vm rtc --mem 64 --cmdline "year=$(date -u +%Y) now=$(date -u +%s)"
	VM_TZ=
	expect_rc 0
	expect_done
}

irq_run() {
	vm irq --mem 64 "$@"
	expect_rc 0
	expect_done
	expect_err_line "guest: irq: LAPIC timer interrupt delivered"
	expect_err_has "guest: irq: COM1 interrupt delivered on IOAPIC pin 4"
}
t_irq() {
	irq_run
	expect_err_line "guest: irq: PIT interrupts delivered on IOAPIC pin 0"
}
t_irq_no_pit() {
	irq_run --no-pit --cmdline no_pit
}

t_i8042_reset() {
	vm i8042_reset --mem 64
	expect_rc 0
	expect_err_has "guest: i8042_reset: status"
	expect_no_done
	expect_err_lacks "guest: abort"
}

t_port_probe() {
	vm port_probe --mem 64
	expect_rc 0
	expect_done
	expect_err_has "guest: port_probe:"
	_lines=$(wc -l <"$TMP/err" | tr -d ' ')
	[ "$_lines" -lt 20 ] || fail_because "stderr has $_lines lines (a log flood)"
}

t_assert_fails() {
	vm assert_fails --mem 64
	expect_rc 4
	expect_no_done
	_line=$(sed -n 's/^guest: assert_fails: expect a failure at line \([0-9]*\)$/\1/p' "$TMP/err")
	if [ -z "$_line" ]; then
		fail_because "the guest did not say where it would fail"
	else
		expect_err_has "assert_fails.c:$_line"
		expect_err_has "(0x3, 0x2)"
	fi
}

t_ucall_abuse() {
	vm ucall_abuse --mem 64 --cmdline mem=64
	expect_rc 0
	expect_done
	expect_err_has "guest: ucall_abuse: unterminated?[2J???? xxxxxxxx"
	grep -q "$(printf '\033')" "$TMP/err" && fail_because "a raw ESC from the guest reached stderr"
	_lines=$(wc -l <"$TMP/err" | tr -d ' ')
	[ "$_lines" -lt 120 ] || fail_because "stderr has $_lines lines (a log flood)"
}

triple_fault_run() {
	vm triple_fault --mem 64 --cmdline "op=$1"
	expect_rc 0
	expect_err_has "guest: triple_fault: empty IDT, then $1"
	expect_no_done
	expect_err_lacks "guest: abort"
}
t_triple_fault_ud2()	{ triple_fault_run ud2; }
t_triple_fault_int3() {
	skip_on_pvm "int3 in long mode is an emulation failure (KVM internal error)" && return
	triple_fault_run int3
}

case_ boot_pvh-mem64		t_boot_pvh_64
case_ boot_pvh-mem5000		t_boot_pvh_5000
case_ boot_pvh-mem8		t_boot_pvh_8
case_ boot_pvh-mem3072		t_boot_pvh_3072
case_ boot_pvh-mem3073		t_boot_pvh_3073
case_ boot_pvh-long-cmdline	t_boot_pvh_long
case_ boot_pvh-initrd		t_boot_pvh_initrd
case_ boot_linux64-mem64	t_boot_linux64_64
case_ boot_linux64-mem5000	t_boot_linux64_5000
case_ boot_linux64-mem3073	t_boot_linux64_3073
case_ boot_linux64-long-cmdline	t_boot_linux64_long
case_ boot_linux64-initrd	t_boot_linux64_initrd
case_ boot_mark			t_boot_mark
case_ cpuid-cpus1		t_cpuid_1
case_ cpuid-cpus2		t_cpuid_2
case_ cpuid-linux64		t_cpuid_linux64
case_ cpu_template		t_cpu_template
case_ mptable-cpus1		t_mptable_1
case_ mptable-cpus4		t_mptable_4
case_ mptable-cpus32		t_mptable_32
case_ smp-cpus1			t_smp_1
case_ smp-cpus2			t_smp_2
case_ smp-cpus4			t_smp_4
case_ smp-cpus32		t_smp_32
case_ smp-linux64-cpus2		t_smp_linux64_2
case_ serial			t_serial
case_ rtc			t_rtc
case_ irq			t_irq
case_ irq-no-pit		t_irq_no_pit
case_ i8042_reset		t_i8042_reset
case_ port_probe		t_port_probe
case_ assert_fails		t_assert_fails
case_ ucall_abuse		t_ucall_abuse
case_ triple_fault-ud2		t_triple_fault_ud2
case_ triple_fault-int3		t_triple_fault_int3

echo "guest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
