#!/bin/sh
# guest/fetch-cloud-kernel.sh: Fetch (not install) Debian's newest linux-image-6.1.0-*-cloud-amd64 and unpack vmlinuz + modules into the cache.
# SPDX-License-Identifier: MIT
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

need_pkgs apt dpkg
newest() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' |
		awk '{print $1}' | sort -V | tail -1
}
pkg=${EMBER_CLOUD_PKG:-$(newest)}
if [ -z "$pkg" ]; then
	say "no linux-image-6.1.0-*-cloud-amd64 in apt-cache; running apt-get update"
	apt-get update >&2 || true
	pkg=$(newest)
fi
[ -n "$pkg" ] || die "no linux-image-6.1.0-*-cloud-amd64 package found"
ver=$(apt-cache show "$pkg" | awk '/^Version:/{print $2; exit}')
[ -n "$ver" ] || die "cannot find the version of $pkg"
out="$EMBER_CACHE/cloud-kernel/$pkg-$ver"

if [ -f "$out/vmlinuz" ] && [ -d "$out/kernel" ]; then
	say "cached: $out"
	echo "$out"
	exit 0
fi
with_lock "cloud-$pkg"

tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/deb"
say "downloading $pkg $ver"
(cd "$tmp/deb" && apt-get download "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
dpkg-deb -x "$tmp"/deb/*.deb "$tmp/root"
kver=${pkg#linux-image-}
[ -f "$tmp/root/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
mv "$tmp/root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
mv "$tmp/root/boot/config-$kver" "$tmp/config"
mv "$tmp/root/lib/modules/$kver/kernel" "$tmp/kernel"
for f in modules.order modules.builtin modules.dep; do
	[ -f "$tmp/root/lib/modules/$kver/$f" ] && mv "$tmp/root/lib/modules/$kver/$f" "$tmp/"
done
printf '%s\n' "$kver" > "$tmp/release"
printf '%s %s\n' "$pkg" "$ver" > "$tmp/SOURCE"
rm -rf "$tmp/deb" "$tmp/root"
rm -rf "$out"
mv "$tmp" "$out"
say "vmlinuz $(stat -c %s "$out/vmlinuz") bytes, release $kver"
echo "$out"
