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

# A guest that writes COM1 blindly and then halts for good with interrupts
# off: every byte must reach stdout while the VM still runs (a guard against
# ever again holding THR writes back until a later exit: docs/performance.md);
# ember is stopped by the test.
t_serial_idle() {
	_elf=$GDIR/serial_idle.elf
	[ -f "$_elf" ] || { missing="$_elf is missing (make -C tests/guest)"; return; }
	"$EMBER" run --kernel "$_elf" --ucall --mem 64 </dev/null >"$TMP/out" 2>"$TMP/err" &
	_pid=$!
	_i=0
	while [ $_i -lt 50 ] && ! grep -q "written blindly, now halting" "$TMP/out"; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_want="ember-serial-idle"
	_j=0
	while [ $_j -lt 24 ]; do _want="$_want abcdefghijklmnopqrstuvwxy"; _j=$((_j + 1)); done
	_want="$_want written blindly, now halting"
	tr -d '\r' <"$TMP/out" | grep -qxF -e "$_want" ||
		fail_because "the $(printf %s "$_want" | wc -c)-byte line written before the halt did not reach stdout whole and in order within 5 s"
	kill -0 "$_pid" 2>/dev/null || fail_because "ember ended; the guest should still be halted"
	kill "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	rc=0
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
	expect_err_line "guest: irq: COM1 THR-empty interrupt at once after each of 42 writes"
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
	expect_err_has "vcpu0: triple fault"
	expect_no_done
	expect_err_lacks "guest: abort"
}
t_triple_fault_ud2()	{ triple_fault_run ud2; }
t_triple_fault_int3() {
	skip_on_pvm "int3 in long mode is an emulation failure (KVM internal error)" && return
	triple_fault_run int3
}

# ---- virtio: a hostile driver against docs/error-policy.md ----

# g_virtio_hostile attacks a writable disk (id hostile0), a read-only disk
# and an rng one policy class per run (attack=NAME) and checks the outcome
# from inside; then a valid request must work on every device.  Here:
# exit 0 and DONE, the guest's "ok", NEEDS_RESET classes logged as such,
# a bounded stderr, and both images unchanged except the one sector
# (HOSTILE_W) the guest writes on purpose.
HOSTILE_SECTORS=2048
HOSTILE_W=8
seq 1 300000 | head -c $((HOSTILE_SECTORS * 512)) >"$TMP/hostile.img"

# except_w IMAGE: the image without sector HOSTILE_W
except_w() {
	dd if="$1" bs=512 count=$HOSTILE_W 2>/dev/null
	dd if="$1" bs=512 skip=$((HOSTILE_W + 1)) 2>/dev/null
}

# hostile ATTACK OUTCOME [MEM [DISK_OPTIONS]]: OUTCOME is needs_reset (the
# device must log that it stopped) or other (it must not)
hostile() {
	_a=$1
	_mem=${3:-64}
	cp "$TMP/hostile.img" "$TMP/hd.img"
	cp "$TMP/hostile.img" "$TMP/hro.img"
	vm g_virtio_hostile --mem "$_mem" --rng \
		--disk "$TMP/hd.img,id=hostile0${4:+,$4}" --disk "$TMP/hro.img,ro,id=hostile1" \
		--cmdline "attack=$_a mem=$_mem sectors=$HOSTILE_SECTORS${4:+ $4}"
	expect_rc 0
	expect_done
	expect_err_line "guest: virtio_hostile: $_a: ok"
	if [ "$2" = needs_reset ]; then
		expect_err_has "device stopped until the driver resets it"
	else
		expect_err_lacks "device stopped until the driver resets it"
	fi
	expect_err_lacks "ember: error"
	_lines=$(wc -l <"$TMP/err" | tr -d ' ')
	[ "$_lines" -lt 40 ] || fail_because "stderr has $_lines lines (a log flood)"
	cmp -s "$TMP/hro.img" "$TMP/hostile.img" || fail_because "the read-only image changed"
	except_w "$TMP/hd.img" >"$TMP/hd.rest"
	except_w "$TMP/hostile.img" >"$TMP/hostile.rest"
	cmp -s "$TMP/hd.rest" "$TMP/hostile.rest" ||
		fail_because "the disk image changed outside sector $HOSTILE_W"
	_w=$(dd if="$TMP/hd.img" bs=512 skip=$HOSTILE_W count=1 2>/dev/null | head -c 16)
	[ "$_w" = EMBER-HOSTILE-OK ] || fail_because "sector $HOSTILE_W lacks the guest's write"
}

t_vh_head_oob()			{ hostile head-oob needs_reset; }
t_vh_next_oob()			{ hostile next-oob needs_reset; }
t_vh_loop()			{ hostile loop needs_reset; }
t_vh_loop_uring()		{ hostile loop needs_reset 64 io=uring; }
t_vh_chain_longer()		{ hostile chain-longer-than-queue needs_reset; }
t_vh_chain_too_long()		{ hostile chain-too-long needs_reset; }
t_vh_indirect_nested()		{ hostile indirect-nested needs_reset; }
t_vh_indirect_len()		{ hostile indirect-len needs_reset; }
t_vh_indirect_outside()		{ hostile indirect-outside-ram needs_reset; }
t_vh_indirect_not_neg()		{ hostile indirect-not-negotiated needs_reset; }
t_vh_addr_beyond_ram()		{ hostile addr-beyond-ram needs_reset; }
t_vh_addr_mmio_hole()		{ hostile addr-mmio-hole needs_reset; }
t_vh_addr_wrap()		{ hostile addr-wrap needs_reset; }
t_vh_addr_straddle()		{ hostile addr-straddle needs_reset 3073; }
t_vh_len_overflow()		{ hostile len-overflow needs_reset; }
t_vh_zero_length()		{ hostile zero-length other; }
t_vh_order()			{ hostile writable-before-readable needs_reset; }
t_vh_avail_idx()		{ hostile avail-idx-jump needs_reset; }
t_vh_bad_queue()		{ hostile bad-queue needs_reset; }
t_vh_reconfig()			{ hostile reconfig-after-driver-ok other; }
t_vh_before_features_ok()	{ hostile config-before-features-ok needs_reset; }
t_vh_notify_unready()		{ hostile notify-unready other; }
t_vh_notify_nonexistent()	{ hostile notify-nonexistent other; }
t_vh_notify_early()		{ hostile notify-before-driver-ok other; }
t_vh_queue_sel()		{ hostile queue-sel-oob other; }
t_vh_config_oob()		{ hostile config-oob other; }
t_vh_access_width()		{ hostile access-width other; }
t_vh_status_clear()		{ hostile status-clear other; }
t_vh_features()			{ hostile features other; }
t_vh_head_reuse()		{ hostile head-reuse other; }
t_vh_head_reuse_uring()		{ hostile head-reuse needs_reset 64 io=uring; }
t_vh_blk_past_end()		{ hostile blk-past-end other; }
t_vh_blk_past_end_uring()	{ hostile blk-past-end other 64 io=uring; }
t_vh_blk_misaligned()		{ hostile blk-misaligned other; }
t_vh_blk_read_only()		{ hostile blk-read-only other; }
t_vh_blk_get_id()		{ hostile blk-get-id-huge other; }
t_vh_blk_no_status()		{ hostile blk-no-status other; }
t_vh_blk_short_header()		{ hostile blk-short-header other; }
t_vh_blk_unknown_type()		{ hostile blk-unknown-type other; }
t_vh_blk_segments()		{ hostile blk-too-many-segments other; }
t_vh_rng_huge()			{ hostile rng-huge other; }
t_vh_rng_loop()			{ hostile rng-loop needs_reset; }

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
case_ serial-idle		t_serial_idle
case_ rtc			t_rtc
case_ irq			t_irq
case_ irq-no-pit		t_irq_no_pit
case_ i8042_reset		t_i8042_reset
case_ port_probe		t_port_probe
case_ assert_fails		t_assert_fails
case_ ucall_abuse		t_ucall_abuse
case_ triple_fault-ud2		t_triple_fault_ud2
case_ triple_fault-int3		t_triple_fault_int3
case_ virtio_hostile-head-oob	t_vh_head_oob
case_ virtio_hostile-next-oob	t_vh_next_oob
case_ virtio_hostile-loop	t_vh_loop
case_ virtio_hostile-loop-uring	t_vh_loop_uring
case_ virtio_hostile-chain-longer-than-queue t_vh_chain_longer
case_ virtio_hostile-chain-too-long t_vh_chain_too_long
case_ virtio_hostile-indirect-nested t_vh_indirect_nested
case_ virtio_hostile-indirect-len t_vh_indirect_len
case_ virtio_hostile-indirect-outside-ram t_vh_indirect_outside
case_ virtio_hostile-indirect-not-negotiated t_vh_indirect_not_neg
case_ virtio_hostile-addr-beyond-ram t_vh_addr_beyond_ram
case_ virtio_hostile-addr-mmio-hole t_vh_addr_mmio_hole
case_ virtio_hostile-addr-wrap	t_vh_addr_wrap
case_ virtio_hostile-addr-straddle t_vh_addr_straddle
case_ virtio_hostile-len-overflow t_vh_len_overflow
case_ virtio_hostile-zero-length t_vh_zero_length
case_ virtio_hostile-writable-before-readable t_vh_order
case_ virtio_hostile-avail-idx-jump t_vh_avail_idx
case_ virtio_hostile-bad-queue	t_vh_bad_queue
case_ virtio_hostile-reconfig-after-driver-ok t_vh_reconfig
case_ virtio_hostile-config-before-features-ok t_vh_before_features_ok
case_ virtio_hostile-notify-unready t_vh_notify_unready
case_ virtio_hostile-notify-nonexistent t_vh_notify_nonexistent
case_ virtio_hostile-notify-before-driver-ok t_vh_notify_early
case_ virtio_hostile-queue-sel-oob t_vh_queue_sel
case_ virtio_hostile-config-oob	t_vh_config_oob
case_ virtio_hostile-access-width t_vh_access_width
case_ virtio_hostile-status-clear t_vh_status_clear
case_ virtio_hostile-features	t_vh_features
case_ virtio_hostile-head-reuse	t_vh_head_reuse
case_ virtio_hostile-head-reuse-uring t_vh_head_reuse_uring
case_ virtio_hostile-blk-past-end t_vh_blk_past_end
case_ virtio_hostile-blk-past-end-uring t_vh_blk_past_end_uring
case_ virtio_hostile-blk-misaligned t_vh_blk_misaligned
case_ virtio_hostile-blk-read-only t_vh_blk_read_only
case_ virtio_hostile-blk-get-id-huge t_vh_blk_get_id
case_ virtio_hostile-blk-no-status t_vh_blk_no_status
case_ virtio_hostile-blk-short-header t_vh_blk_short_header
case_ virtio_hostile-blk-unknown-type t_vh_blk_unknown_type
case_ virtio_hostile-blk-too-many-segments t_vh_blk_segments
case_ virtio_hostile-rng-huge	t_vh_rng_huge
case_ virtio_hostile-rng-loop	t_vh_rng_loop

echo "guest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
