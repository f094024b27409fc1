#!/bin/sh
# guest/build-initramfs.sh: Build the ember guest initramfs (busybox-static + /init protocol + checks) as cpio and cpio.gz, cached by input hash.
# SPDX-License-Identifier: MIT
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
EMBER_GUEST_DIR=$here

need_pkgs busybox-static gcc libc6-dev cpio gzip
# shellcheck disable=SC2046
key=$(hash_inputs "$0" $(guest_tree_inputs) -- \
	"busybox=$(dpkg-query -W -f '${Version}' busybox-static)" \
	"libc=$(dpkg-query -W -f '${Version}' libc6-dev)")
out="$EMBER_CACHE/initramfs/$key"
if [ -f "$out/initramfs.cpio.gz" ]; then
	say "cached: $out"
	echo "$out"
	exit 0
fi
with_lock "initramfs-$key"

tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
say "assembling guest tree"
make_guest_tree "$tmp/root"
cpio_tree "$tmp/root" > "$tmp/initramfs.cpio"
gzip -9 -n -c "$tmp/initramfs.cpio" > "$tmp/initramfs.cpio.gz"
rm -rf "$tmp/root"
rm -rf "$out"
mv "$tmp" "$out"
say "initramfs.cpio $(stat -c %s "$out/initramfs.cpio") bytes, .gz $(stat -c %s "$out/initramfs.cpio.gz") bytes"
echo "$out"
