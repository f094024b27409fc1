#!/bin/sh
# tests/devices/lab-disk.sh: virtio-blk and virtio-rng in a real guest: token survives a reboot and is in the image, read-only disk, /dev/hwrng.
# SPDX-License-Identifier: MIT
# usage: sh lab-disk.sh DIR   (DIR: ember, vmlinux, the initramfs, data.ext4; needs /dev/kvm)
. "$(dirname "$0")/common.sh"
dev_need_ember disk-token disk-token-image disk-token-reboot disk-ro rng-hwrng
[ -f "$dir/data.ext4" ] || {
	for t in disk-token disk-token-image disk-token-reboot disk-ro; do lt_skip "$t" "no data.ext4 in $dir"; done
}
if [ -f "$dir/data.ext4" ]; then
	img=/tmp/ember-data.ext4
	cp "$dir/data.ext4" "$img"
	tok=ember-$$-$(date +%s)
	dev_vm disk-token disk "ember.token=$tok" --disk "$img"
	dev_judge disk-token "wrote $tok"
	# the guest synced and rebooted; the host finds the token in the image
	# (one "line" per run of token characters: grep on a raw image has no newlines)
	if tr -c 'a-z0-9-' '\n' < "$img" | grep -q -x -F "$tok"; then
		lt_pass disk-token-image "host read $tok from the image"
	else
		lt_fail disk-token-image "token $tok not in the image after the guest's sync"
	fi
	dev_vm disk-token-reboot disk-verify "ember.token=$tok" --disk "$img"
	dev_judge disk-token-reboot "read back after reboot"
	before=$(md5sum < "$img")
	dev_vm disk-ro disk-ro "" --disk "$img,ro"
	after=$(md5sum < "$img")
	if [ "$before" != "$after" ]; then
		lt_fail disk-ro "the image changed under a read-only disk"
	else
		dev_judge disk-ro "writes refused, image unchanged"
	fi
	rm -f "$img"
fi
dev_vm rng-hwrng rng "" --rng
dev_judge rng-hwrng "$(logline 'rng: read 64 bytes' | cut -c1-60)"
lt_finish
