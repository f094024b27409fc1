#!/bin/sh
# tests/devices/run-lab.sh: gather the device tests' inputs (helpers, data disk, tun.ko) and run them in one lab boot.
# SPDX-License-Identifier: MIT
# usage: sh tests/devices/run-lab.sh [EMBER] [lab.sh options...]   (prints the LAB-RESULT lines)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/guest/lib.sh"
ember=${1:-$repo/ember}
[ $# -gt 0 ] && shift

need_pkgs gcc libc6-dev e2fsprogs cpio gzip
files=$(mktemp -d -t ember-dev-files.XXXXXX)
trap 'rm -rf "$files"' EXIT
"$repo/tests/lab/prepare.sh" "$files" > /dev/null
ln -sfn "$(cd "$(dirname "$ember")" && pwd)/$(basename "$ember")" "$files/ember"
# guest helper appended to the initramfs as a second cpio archive (the kernel unpacks both)
t=$(mktemp -d -t ember-dev-tree.XXXXXX)
mkdir -p "$t/sbin"
gcc -static -Os -s -Wall -Werror -o "$t/sbin/ember-vsock" "$repo/guest/initramfs/ember-vsock.c"
(cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 -n) > "$t/extra.cpio.gz"
cat "$files/initramfs.cpio.gz" "$t/extra.cpio.gz" > "$files/initramfs-devices.cpio.gz"
rm -rf "$t"
# host helper, data disk, and the lab kernel's TUN module
gcc -static -O2 -Wall -Werror -o "$files/vsock-host" "$here/vsock-host.c"
cp "$here/common.sh" "$files/common.sh"
mkfs.ext4 -q -F -L ember-data "$files/data.ext4" 16M
tun=$(find "$EMBER_CACHE/cloud-kernel" -name tun.ko 2> /dev/null | head -n 1)
[ -n "$tun" ] && cp "$tun" "$files/tun.ko"
"$repo/tests/lab/lab.sh" run --files "$files" --timeout "${LAB_TIMEOUT:-900}" \
	${DEV_SCRIPTS:---script "$here/lab-disk.sh" --script "$here/lab-net.sh" --script "$here/lab-vsock.sh"} "$@"
