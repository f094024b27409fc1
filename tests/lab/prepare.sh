#!/bin/sh
# tests/lab/prepare.sh: Build or fetch (all cached) everything the lab tests need and gather it as symlinks in one inputs directory.
# SPDX-License-Identifier: MIT
# usage: tests/lab/prepare.sh [OUTDIR]   (default $EMBER_CACHE/lab/files); prints OUTDIR on its last line.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/guest/lib.sh"

kernel=$("$repo/guest/build-kernel.sh" | tail -n 1)
initramfs=$("$repo/guest/build-initramfs.sh" | tail -n 1)
rootfs=$("$repo/guest/build-rootfs.sh" | tail -n 1)
cloud=$("$repo/guest/fetch-cloud-kernel.sh" | tail -n 1)
# On a real-KVM host the lab VM is not needed.
[ "$("$here/lab.sh" mode)" = host ] || "$here/build-lab-initrd.sh" > /dev/null

out=${1:-$EMBER_CACHE/lab/files}
mkdir -p "$out"
ln -sfn "$kernel/vmlinux" "$out/vmlinux"
ln -sfn "$kernel/bzImage" "$out/bzImage"
ln -sfn "$initramfs/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
ln -sfn "$initramfs/initramfs.cpio" "$out/initramfs.cpio"
ln -sfn "$rootfs/rootfs.ext4" "$out/rootfs.ext4"
ln -sfn "$cloud/vmlinuz" "$out/cloud-vmlinuz"
if [ -x "$repo/ember" ]; then
	ln -sfn "$repo/ember" "$out/ember"
else
	rm -f "$out/ember"
	say "no ./ember binary yet (run make): ember tests will SKIP"
fi
echo "$out"
