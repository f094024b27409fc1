#!/bin/sh
# tests/boot/linux-boot.sh: ember boots Linux: the reference kernel (PVH vmlinux, bzImage; 1 and 2 vCPUs), guest panic -> status 3, Debian's cloud kernel.
# SPDX-License-Identifier: MIT
# usage: sh linux-boot.sh DIR   (DIR holds ember, vmlinux, bzImage, initramfs.cpio.gz, cloud-vmlinuz, rootfs.ext4; needs /dev/kvm)
dir=${1:?usage: linux-boot.sh DIR}
for h in "$(dirname "$0")/labtest.sh" "$(dirname "$0")/../lab/labtest.sh"; do
	[ -f "$h" ] && . "$h" && break
done
EMBER=${EMBER:-$dir/ember}
TO=${VM_TIMEOUT:-60}
BASE="console=ttyS0 reboot=k"

if [ ! -x "$EMBER" ]; then
	for t in ember-pvh ember-bzimage ember-panic ember-cloud-kernel ember-virtio-devices ember-rootfs; do
		lt_skip "$t" "no ember binary in $dir"
	done
	lt_finish
fi
[ -c /dev/kvm ] || { lt_fail ember-kvm "no /dev/kvm"; lt_finish; }

# expect NAME WANT_STATUS: judge the last run; with status 0 the guest must have finished its checks
expect() {
	_n=$1 _want=$2
	_t=$(lt_time EMBER-INIT-OK)
	_bad=$(lt_checks_failed)
	if [ "$LT_RC" != "$_want" ]; then
		lt_fail "$_n" "ember exit status $LT_RC, expected $_want"; lt_dump
	elif [ "$_want" = 0 ] && ! lt_has EMBER-INIT-OK; then
		lt_fail "$_n" "no EMBER-INIT-OK"; lt_dump
	elif [ -n "$_bad" ]; then
		lt_fail "$_n" "check failed: $(echo "$_bad" | head -n 1)"; lt_dump
	elif [ "$_want" = 0 ] && ! lt_has EMBER-DONE; then
		lt_fail "$_n" "no EMBER-DONE"; lt_dump
	else
		lt_pass "$_n" "init ${_t}s status $LT_RC"
	fi
}

# quiet boots: time to /init, comparable with tests/lab/qemu-microvm-smoke.sh. Nothing typed:
# the reference kernel's built-in command line has "quiet", so no kernel banner on the console.
for kind in vmlinux bzImage; do
	name=ember-$( [ "$kind" = vmlinux ] && echo pvh || echo bzimage )-quiet
	lt_vm "$name" "$TO" "$EMBER" run --kernel "$dir/$kind" --initrd "$dir/initramfs.cpio.gz" \
		--cpus 1 --mem 256 --cmdline "$BASE panic=-1"
	if [ "$LT_RC" = 0 ] && lt_has "Linux version"; then
		lt_fail "$name" "the kernel banner is on the console: the built-in quiet is missing"; lt_dump
	else
		expect "$name" 0
	fi
done

for kind in vmlinux bzImage; do
	for cpus in 1 2; do
		name=ember-$( [ "$kind" = vmlinux ] && echo pvh || echo bzimage )-${cpus}cpu
		lt_vm "$name" "$TO" "$EMBER" run --kernel "$dir/$kind" --initrd "$dir/initramfs.cpio.gz" \
			--cpus "$cpus" --mem 256 \
			--cmdline "$BASE panic=-1 loglevel=7 ember.check=cpus,uptime ember.cpus=$cpus"
		if [ "$LT_RC" = 0 ] && ! lt_has "Linux version"; then
			lt_fail "$name" "no kernel banner: loglevel=7 did not override the built-in quiet"; lt_dump
		else
			expect "$name" 0
		fi
	done
done

# a guest panic (sysrq-c) ends ember with status 3
lt_vm ember-panic "$TO" "$EMBER" run --kernel "$dir/vmlinux" --initrd "$dir/initramfs.cpio.gz" \
	--cpus 1 --mem 256 --cmdline "$BASE panic=1 ember.check=panic"
if [ "$LT_RC" = 3 ] && lt_has EMBER-PANIC-NOW && lt_has "Kernel panic"; then
	lt_pass ember-panic "status 3"
else
	lt_fail ember-panic "ember exit status $LT_RC, expected 3 after the guest panicked"; lt_dump
fi

# Debian's stock cloud kernel: with ember's ACPI tables (the default) it finds both CPUs through the MADT;
# with --acpi off and acpi=off it has no MP-table parser (CONFIG_X86_MPPARSE is off), so one CPU on the PIC.
if [ -f "$dir/cloud-vmlinuz" ]; then
	lt_vm ember-cloud-kernel-acpi "$TO" "$EMBER" run --kernel "$dir/cloud-vmlinuz" --initrd "$dir/initramfs.cpio.gz" \
		--cpus 2 --mem 512 --cmdline "$BASE panic=-1 ember.check=cpus,uptime ember.cpus=2"
	expect ember-cloud-kernel-acpi 0
	lt_vm ember-cloud-kernel-noacpi "$TO" "$EMBER" run --kernel "$dir/cloud-vmlinuz" --initrd "$dir/initramfs.cpio.gz" \
		--acpi off --cpus 1 --mem 512 --cmdline "$BASE panic=-1 acpi=off ember.check=cpus,uptime ember.cpus=1"
	expect ember-cloud-kernel-noacpi 0
else
	lt_skip ember-cloud-kernel-acpi "no cloud-vmlinuz"
	lt_skip ember-cloud-kernel-noacpi "no cloud-vmlinuz"
fi

# virtio-mmio devices: entropy and an ext4 data disk that the guest writes a token to
if [ -f "$dir/rootfs.ext4" ]; then
	disk=$(mktemp -t linux-boot-disk.XXXXXX)
	cp "$dir/rootfs.ext4" "$disk"
	lt_vm ember-virtio-devices "$TO" "$EMBER" run --kernel "$dir/vmlinux" --initrd "$dir/initramfs.cpio.gz" \
		--cpus 1 --mem 256 --rng --disk "$disk" \
		--cmdline "$BASE panic=-1 ember.check=rng,disk ember.token=lb-$$"
	expect ember-virtio-devices 0
	# the ext4 root disk with the same /init at /sbin/init
	cp "$dir/rootfs.ext4" "$disk"
	lt_vm ember-rootfs "$TO" "$EMBER" run --kernel "$dir/vmlinux" --disk "$disk" \
		--cpus 1 --mem 256 --cmdline "$BASE panic=-1 root=/dev/vda rw ember.check=uptime"
	expect ember-rootfs 0
	rm -f "$disk"
else
	lt_skip ember-virtio-devices "no rootfs.ext4"
	lt_skip ember-rootfs "no rootfs.ext4"
fi
lt_finish
