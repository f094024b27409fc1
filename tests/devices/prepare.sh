#!/bin/sh
# tests/devices/prepare.sh: add the device lab tests' inputs to a lab inputs dir: guest and host helpers, the data disk, tun.ko, the cloud kernel's virtio modules, common.sh.
# SPDX-License-Identifier: MIT
# usage: sh tests/devices/prepare.sh DIR   (DIR filled by tests/lab/prepare.sh; prints DIR)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/guest/lib.sh"
files=${1:?usage: prepare.sh DIR}

need_pkgs gcc libc6-dev e2fsprogs cpio gzip
# guest helper appended to the initramfs as a second cpio archive (the kernel unpacks both)
t=$(mktemp -d -t ember-dev-tree.XXXXXX)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/sbin"
gcc -static -Os -s -Wall -Werror -o "$t/sbin/ember-vsock" "$repo/guest/initramfs/ember-vsock.c"
(cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 -n) > "$t/extra.cpio.gz"
cat "$files/initramfs.cpio.gz" "$t/extra.cpio.gz" > "$files/initramfs-devices.cpio.gz"
# host helpers, data disk, and the lab kernel's TUN module
gcc -static -O2 -Wall -Werror -o "$files/vsock-host" "$here/vsock-host.c"
gcc -static -O2 -Wall -Werror -o "$files/net-peer" "$here/net-peer.c"
cp "$here/common.sh" "$files/common.sh"
mkfs.ext4 -q -F -L ember-data "$files/data.ext4" 16M
tun=$(find "$EMBER_CACHE/cloud-kernel" -name tun.ko 2> /dev/null | head -n 1)
[ -n "$tun" ] && cp "$tun" "$files/tun.ko"
# the cloud kernel's virtio modules (it has none built in) in /ko, appended to the initramfs
cloud=$(dirname "$(readlink -f "$files/cloud-vmlinuz" || true)")
if [ -d "$cloud/kernel/drivers/virtio" ]; then
	mkdir -p "$t/ko/ko"
	for m in virtio/virtio virtio/virtio_ring virtio/virtio_mmio block/virtio_blk char/hw_random/virtio-rng; do
		cp "$cloud/kernel/drivers/$m.ko" "$t/ko/ko/"
	done
	(cd "$t/ko" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 -n) > "$t/ko.cpio.gz"
	cat "$files/initramfs.cpio.gz" "$t/ko.cpio.gz" > "$files/initramfs-cloud-virtio.cpio.gz"
fi
# the API client of lab-disk-balloon.sh (static: the lab has no curl)
[ -x "$files/rawclient" ] || gcc -static -O2 -Wall -Werror -o "$files/rawclient" "$repo/tests/api/rawclient.c"
echo "$files"
