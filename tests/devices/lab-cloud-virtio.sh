#!/bin/sh
# tests/devices/lab-cloud-virtio.sh: Debian's stock cloud kernel (virtio as modules, no virtio_mmio.device= support) finds ember's disk and rng through the ACPI DSDT (LNRO0005) and reads the disk.
# SPDX-License-Identifier: MIT
# usage: sh lab-cloud-virtio.sh DIR   (DIR: ember, cloud-vmlinuz, initramfs-cloud-virtio.cpio.gz from
#                                     tests/devices/prepare.sh; needs /dev/kvm)
. "$(dirname "$0")/common.sh"
dev_need_ember cloud-acpi-virtio
if [ ! -f "$dir/cloud-vmlinuz" ] || [ ! -f "$dir/initramfs-cloud-virtio.cpio.gz" ]; then
	lt_skip cloud-acpi-virtio "no cloud-vmlinuz or initramfs-cloud-virtio.cpio.gz in $dir"
	lt_finish
fi
img=/tmp/ember-cloud-virtio.img
tok=ember-acpi-$$-$(date +%s)
dd if=/dev/zero of="$img" bs=1048576 count=4 2> /dev/null
printf '%s' "$tok" | dd of="$img" conv=notrunc 2> /dev/null
# The initramfs's /ko holds virtio_ring, virtio, virtio_mmio, virtio_blk and
# virtio-rng from the same kernel; insmod passes no virtio_mmio.device=, and
# this kernel is built without it anyway: only ACPI can name the devices.
lt_vm cloud-acpi-virtio "$TO" "$EMBER" run --kernel "$dir/cloud-vmlinuz" \
	--initrd "$dir/initramfs-cloud-virtio.cpio.gz" --acpi on --cpus 1 --mem 512 \
	--disk "$img,ro" --rng --cmdline "$BASE ember.check=acpi-virtio ember.token=$tok"
dev_judge cloud-acpi-virtio "$(logline 'acpi-virtio: ACPI:' | sed 's/.*acpi-virtio: //');\
 $(logline EMBER-ACPI-DISK | sed 's/.*EMBER-ACPI-DISK //'); $(logline EMBER-ACPI-RNG | sed 's/.*EMBER-ACPI-RNG //')"
rm -f "$img"
lt_finish
