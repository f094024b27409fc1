#!/bin/sh
# tests/lab/qemu-microvm-smoke.sh: Lab proof with QEMU as the guest VMM: the reference kernel (PVH vmlinux and bzImage) boots to /init under -M microvm with KVM.
# SPDX-License-Identifier: MIT
# usage: sh qemu-microvm-smoke.sh DIR   (DIR holds vmlinux, bzImage, initramfs.cpio.gz, initramfs.cpio, rootfs.ext4)
dir=${1:?usage: qemu-microvm-smoke.sh DIR}
for h in "$(dirname "$0")/labtest.sh" "$(dirname "$0")/../lab/labtest.sh"; do
	[ -f "$h" ] && . "$h" && break
done
QEMU=${QEMU:-qemu-system-x86_64}
TO=${VM_TIMEOUT:-60}

# QEMU's microvm has no i8042, so these guests end with reboot=t (triple fault; -no-reboot makes QEMU exit).
# microvm without PIT/PIC (the guest has kvmclock and the MP table's IOAPIC), no option ROMs, legacy serial + RTC
qemu_vm() {
	_name=$1 _cpus=$2
	shift 2
	lt_vm "$_name" "$TO" "$QEMU" \
		-M "microvm,x-option-roms=off,${QM-pit=off,pic=off,}isa-serial=on,rtc=on,acpi=off" \
		-enable-kvm -cpu host -m 256 -smp "$_cpus" \
		-nodefaults -no-user-config -nographic -no-reboot -serial stdio "$@"
}

# boot NAME CPUS KERNEL INITRD APPEND [QEMU ARGS...]: one guest, judged by its markers
boot() {
	_n=$1 _c=$2 _k=$3 _i=$4 _a=$5
	shift 5
	if [ ! -f "$_k" ]; then lt_skip "$_n" "no $_k"; return; fi
	qemu_vm "$_n" "$_c" -kernel "$_k" ${_i:+-initrd "$_i"} -append "console=ttyS0 reboot=t panic=-1 $_a" "$@"
	_t=$(lt_time EMBER-INIT-OK)
	_bad=$(lt_checks_failed)
	if ! lt_has EMBER-INIT-OK; then
		bad "$_n" "no EMBER-INIT-OK (status $LT_RC)"
	elif [ -n "$_bad" ]; then
		bad "$_n" "check failed: $(echo "$_bad" | head -n 1)"
	elif ! lt_has EMBER-DONE; then
		bad "$_n" "no EMBER-DONE (status $LT_RC)"
	elif [ "$LT_RC" != 0 ]; then
		bad "$_n" "qemu exit status $LT_RC"
	else
		lt_pass "$_n" "init ${_t}s total $(awk -v a="$LT_T0" -v b="$LT_T1" 'BEGIN{printf "%.2f", b-a}')s uptime-at-init $(grep -F EMBER-UPTIME "$LT_LOG" | awk '{print $3}')s"
	fi
}

# bad NAME REASON: FAIL with the console, or with SOFT=1 (a known limitation) SKIP
bad() {
	if [ -n "${SOFT:-}" ]; then
		lt_skip "$1" "known limitation: $2"
	else
		lt_fail "$1" "$2"
		lt_dump
	fi
}

[ -c /dev/kvm ] || { lt_fail qemu-kvm "no /dev/kvm"; lt_finish; }
command -v "$QEMU" > /dev/null || { lt_fail qemu-kvm "no $QEMU"; lt_finish; }

# quiet boots: the time to /init as a boot-time reference
boot qemu-pvh-quiet 1 "$dir/vmlinux" "$dir/initramfs.cpio.gz" "quiet"
boot qemu-bzimage-quiet 1 "$dir/bzImage" "$dir/initramfs.cpio.gz" "quiet"
# verbose boots with checks, 2 vCPUs, and the uncompressed initramfs
boot qemu-pvh-smp2 2 "$dir/vmlinux" "$dir/initramfs.cpio.gz" "ember.check=cpus,uptime,rtc ember.cpus=2"
boot qemu-bzimage-smp2 2 "$dir/bzImage" "$dir/initramfs.cpio" "ember.check=cpus,uptime,rtc ember.cpus=2"

# virtio-mmio devices announced on the command line: rng and an ext4 data disk
if [ -f "$dir/rootfs.ext4" ]; then
	disk=$(mktemp -t smoke-disk.XXXXXX)
	cp "$dir/rootfs.ext4" "$disk"
	boot qemu-virtio-devices 1 "$dir/vmlinux" "$dir/initramfs.cpio.gz" "ember.check=rng,disk ember.token=smoke42" \
		-device virtio-rng-device -drive id=d0,file="$disk",format=raw,if=none -device virtio-blk-device,drive=d0
	# the ext4 root disk with /sbin/init
	cp "$dir/rootfs.ext4" "$disk"
	boot qemu-rootfs 1 "$dir/vmlinux" "" "root=/dev/vda rw ember.check=uptime" \
		-drive id=d0,file="$disk",format=raw,if=none -device virtio-blk-device,drive=d0
	rm -f "$disk"
else
	lt_skip qemu-virtio-devices "no rootfs.ext4"
fi

# Debian's stock cloud kernel (ACPI, no MP-table parser): what a VMM without ACPI tables can expect
if [ -f "$dir/cloud-vmlinuz" ]; then
	# no MP table parser: only the legacy PIC delivers its interrupts
	# Known: under QEMU's microvm with acpi=off it finds no APIC, falls back to the PIT on the PIC and
	# its clock never ticks after "Run /init" (ember boots it: tests/boot/linux-boot.sh). Informational.
	QM= SOFT=1 TO=20
	boot qemu-cloud-acpi-off 1 "$dir/cloud-vmlinuz" "$dir/initramfs.cpio.gz" "acpi=off ember.check=uptime,cpus ember.cpus=1"
	unset QM SOFT
	TO=${VM_TIMEOUT:-60}
	# with the machine's ACPI tables on, the MADT gives it both CPUs
	lt_vm qemu-cloud-acpi-on "$TO" "$QEMU" -M microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=on \
		-enable-kvm -cpu host -m 256 -smp 2 -nodefaults -no-user-config -nographic -no-reboot -serial stdio \
		-kernel "$dir/cloud-vmlinuz" -initrd "$dir/initramfs.cpio.gz" \
		-append "console=ttyS0 reboot=t panic=-1 ember.check=cpus ember.cpus=2"
	if lt_has "EMBER-CHECK cpus PASS" && lt_has EMBER-DONE; then
		lt_pass qemu-cloud-acpi-on "init $(lt_time EMBER-INIT-OK)s"
	else
		lt_fail qemu-cloud-acpi-on "status $LT_RC"; lt_dump
	fi
fi
lt_finish
