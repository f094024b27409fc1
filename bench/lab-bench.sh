#!/bin/sh
# bench/lab-bench.sh: lab script: reference Linux to /init under ember and QEMU microvm, interleaved; wall, guest uptime, VM exits.
# SPDX-License-Identifier: MIT
#
# usage (inside the lab or on a real-KVM host): sh lab-bench.sh DIR
#   DIR holds ember, vmlinux, initramfs.cpio.gz (and optionally bench-runs,
#   the number of rounds, since the lab gets no environment).  5 rounds
#   rounds of: ember, ember --no-pit, QEMU -M microvm (pit=off,pic=off), all
#   with the same kernel, initramfs, command line, 1 vCPU and 128 MiB.
# Prints one "LAB-BENCH <json>" line per run and a LAB-RESULT line.
# Wall time is from the VMM's exec to the guest's EMBER-INIT-OK line (the
# /init marker on the console), as seen by this script; the guest's own
# uptime at /init is printed by /init (EMBER-UPTIME).  VM exits are counted
# by the kvm:kvm_exit tracepoint's histogram, per exit reason, for the whole
# run (start, /init, reboot), when the kernel has hist triggers.
d=${1:?usage: lab-bench.sh DIR}
for h in "$(dirname "$0")/labtest.sh" "$(dirname "$0")/../tests/lab/labtest.sh"; do
	[ -f "$h" ] && . "$h" && break
done
RUNS=${BENCH_RUNS:-$(cat "$d/bench-runs" 2>/dev/null || echo 5)}
QEMU=${QEMU:-qemu-system-x86_64}
# reboot=t: QEMU microvm has no i8042, so a keyboard reset would spin on
# port 0x64 there; a triple fault ends both VMMs.
CL="console=ttyS0 reboot=t panic=-1 quiet i8042.noaux i8042.nomux i8042.dumbkbd"
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null
TRIG="$T/events/kvm/kvm_exit/trigger"
HIST="$T/events/kvm/kvm_exit/hist"
have_hist=0
if [ -w "$TRIG" ] && echo 'hist:keys=exit_reason:vals=hitcount' > "$TRIG" 2>/dev/null; then
	echo '!hist:keys=exit_reason:vals=hitcount' > "$TRIG"
	have_hist=1
	# Keep the tracepoint itself on for the whole bench (recording nothing:
	# a filter no exit matches), so that adding and removing each run's
	# histogram never flips its static key.  Flipping it patches kernel text
	# with cross-CPU IPIs, which under TCG wedged the lab (a soft lockup in
	# the script's write to the trigger file, the other CPU deaf to timers).
	echo 'exit_reason == 4294967295' > "$T/events/kvm/kvm_exit/filter" &&
		echo 1 > "$T/events/kvm/kvm_exit/enable" ||
		echo "lab-bench: cannot keep kvm_exit enabled; histograms toggle it per run"
fi

# exits_json: the histogram as {"reason": count, ...} and the total
exits_json() {
	[ "$have_hist" = 1 ] || { echo '"exits": null'; return; }
	awk '/^\{ exit_reason:/ {
		r = $0; sub(/.*exit_reason: */, "", r); sub(/ .*/, "", r)
		c = $0; sub(/.*hitcount: */, "", c); sub(/ .*/, "", c)
		s = s (n++ ? ", " : "") "\"" r "\": " c; t += c
	} END { printf "\"exits\": {%s}, \"exits_total\": %d", s, t }' "$HIST"
}

one() {	# name cmd...
	_n=$1
	shift
	[ "$have_hist" = 1 ] && echo 'hist:keys=exit_reason:vals=hitcount' > "$TRIG"
	lt_vm "$_n" 120 "$@"
	_ex=$(exits_json)
	[ "$have_hist" = 1 ] && echo '!hist:keys=exit_reason:vals=hitcount' > "$TRIG"
	_init=$(lt_time EMBER-INIT-OK)
	[ "$_init" = none ] && _init=null
	_up=$(grep -F EMBER-UPTIME "$LT_LOG" | head -n 1 | awk '{print $3}')
	_ok=false
	lt_has EMBER-INIT-OK && [ "$LT_RC" = 0 ] && _ok=true
	[ "$_ok" = true ] || { echo "bench run $_n failed (status $LT_RC)"; lt_dump 40; }
	echo "LAB-BENCH {\"vmm\": \"$_n\", \"ok\": $_ok, \"init_s\": $_init, \"uptime_s\": ${_up:-null}, $_ex}"
}

[ -c /dev/kvm ] || { lt_fail lab-bench "no /dev/kvm"; lt_finish; }
# One unrecorded boot of each first: the first nested guest of a fresh lab
# runs with ~20 000 extra interrupt exits (4.4 s instead of 1.5 s), which
# is the lab warming up, not the VMM that happens to go first.
lt_vm warmup-ember 120 "$d/ember" run --kernel "$d/vmlinux" --initrd "$d/initramfs.cpio.gz" \
	--cmdline "$CL" --no-raw --log-level error
lt_vm warmup-qemu 120 "$QEMU" -M microvm,x-option-roms=off,pit=off,pic=off,isa-serial=on,rtc=on,acpi=off \
	-enable-kvm -cpu host -m 128 -smp 1 -nodefaults -no-user-config -nographic \
	-no-reboot -serial stdio -kernel "$d/vmlinux" -initrd "$d/initramfs.cpio.gz" -append "$CL"
i=0
while [ "$i" -lt "$RUNS" ]; do
	one ember "$d/ember" run --kernel "$d/vmlinux" --initrd "$d/initramfs.cpio.gz" \
		--cmdline "$CL" --no-raw --log-level error
	one ember-nopit "$d/ember" run --kernel "$d/vmlinux" --initrd "$d/initramfs.cpio.gz" \
		--cmdline "$CL" --no-raw --log-level error --no-pit
	one qemu "$QEMU" -M microvm,x-option-roms=off,pit=off,pic=off,isa-serial=on,rtc=on,acpi=off \
		-enable-kvm -cpu host -m 128 -smp 1 -nodefaults -no-user-config -nographic \
		-no-reboot -serial stdio -kernel "$d/vmlinux" -initrd "$d/initramfs.cpio.gz" \
		-append "$CL"
	i=$((i + 1))
done
lt_pass lab-bench "$RUNS rounds"
lt_finish
