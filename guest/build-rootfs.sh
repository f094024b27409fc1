#!/bin/sh
# guest/build-rootfs.sh: Build the ember guest ext4 root disk (busybox + the same /init protocol at /sbin/init) with mkfs.ext4 -d, cached by input hash.
# SPDX-License-Identifier: MIT
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
EMBER_GUEST_DIR=$here

size_mib=${EMBER_ROOTFS_MIB:-32}
need_pkgs busybox-static gcc libc6-dev e2fsprogs
# shellcheck disable=SC2046
key=$(hash_inputs "$0" $(guest_tree_inputs) -- \
	"busybox=$(dpkg-query -W -f '${Version}' busybox-static)" \
	"libc=$(dpkg-query -W -f '${Version}' libc6-dev)" \
	"e2fsprogs=$(dpkg-query -W -f '${Version}' e2fsprogs)" "size=$size_mib")
out="$EMBER_CACHE/rootfs/$key"
if [ -f "$out/rootfs.ext4" ]; then
	say "cached: $out"
	echo "$out"
	exit 0
fi
with_lock "rootfs-$key"

tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
say "assembling guest tree"
make_guest_tree "$tmp/root"
mkdir -p "$tmp/root/dev"
# Fixed UUID, hash seed and time so the same inputs give the same image.
E2FSPROGS_FAKE_TIME=1704067200 mkfs.ext4 -q -F -L ember-root -d "$tmp/root" \
	-U 6d6b7e1a-0000-4000-8000-656d62657200 -E hash_seed=6d6b7e1a-0000-4000-8000-656d62657201,root_owner=0:0 \
	-O ^has_journal,^metadata_csum_seed \
	"$tmp/rootfs.ext4" "${size_mib}M" >&2 || die "mkfs.ext4 -d failed"
# mkfs.ext4 -d copies each file's ctime, which cannot be set on the source tree: pin it.
(cd "$tmp/root" && find . -mindepth 1) | sed 's|^\.||; s|.*|sif "&" ctime 20240101000000|' > "$tmp/pin"
echo 'sif / ctime 20240101000000' >> "$tmp/pin"
E2FSPROGS_FAKE_TIME=1704067200 debugfs -w -f "$tmp/pin" "$tmp/rootfs.ext4" > /dev/null 2>&1 || die "debugfs could not pin ctimes"
rm -rf "$tmp/root" "$tmp/pin"
rm -rf "$out"
mv "$tmp" "$out"
say "rootfs.ext4 ${size_mib} MiB"
echo "$out"
