#!/bin/sh
# guest/build-kernel.sh: Build the ember reference microVM kernel (bzImage + PVH vmlinux) from Debian's linux-source-6.1, cached by input hash.
# SPDX-License-Identifier: MIT
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

fragment="$here/microvm-6.1.config"
need_pkgs linux-source-6.1 build-essential bc flex bison libelf-dev libssl-dev xz-utils lz4 binutils

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$(hash_inputs "$fragment" "$0" -- "linux-source-6.1=$srcver")
out="$EMBER_CACHE/kernels/$key"

if [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ] && [ -f "$out/config" ]; then
	say "cached: $out"
	echo "$out"
	exit 0
fi

# One object tree per source version, reused across config changes (make is
# incremental); the lock serialises builders sharing it.
with_lock "kernel-obj-$srcver"
if [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then echo "$out"; exit 0; fi

# 1. source tree, shared by all configs of one package version
src="$EMBER_CACHE/build/linux-source-$srcver"
if [ ! -f "$src/.ember-extracted" ]; then
	say "extracting /usr/src/linux-source-6.1.tar.xz -> $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.ember-extracted"
	mv "$src.tmp" "$src"
fi

# 2. configuration: tinyconfig + fragment + olddefconfig, out of tree
obj="$EMBER_CACHE/build/kernel-obj-$srcver"
mkdir -p "$obj"
# Fixed identity and timestamp so two builds of the same inputs give the same image.
export KBUILD_BUILD_USER=ember KBUILD_BUILD_HOST=ember KBUILD_BUILD_VERSION=1
export KBUILD_BUILD_TIMESTAMP="$(date -u -d @0 '+%a %b %e %T UTC %Y')"
mk() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }

say "configuring (tinyconfig + ${fragment##*/})"
mk tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >&2
mk olddefconfig >&2

# 3. every option of the fragment must have survived olddefconfig
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		opt=${line%%=*}
		if ! grep -qx -- "$line" "$obj/.config"; then
			say "config: wanted '$line', got '$(grep -E "^(# )?$opt[= ]" "$obj/.config" || echo unset)'"
			bad=1
		fi ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -q "^$opt=" "$obj/.config"; then
			say "config: wanted $opt unset, got '$(grep "^$opt=" "$obj/.config")'"
			bad=1
		fi ;;
	esac
done < "$fragment"
[ "$bad" = 0 ] || die "required kernel options did not survive olddefconfig (see above)"
say "config verified: all options of ${fragment##*/} present"

# 4. build
say "building bzImage vmlinux with -j$(nproc) (a few minutes)"
start=$(date +%s)
mk -j"$(nproc)" bzImage vmlinux >&2
say "build took $(( $(date +%s) - start )) s"

# 5. the PVH entry point: an ELF note of type 0x12 (XEN_ELFNOTE_PHYS32_ENTRY), owner "Xen"
readelf -n "$obj/vmlinux" | grep -A1 -i 'Xen' | grep -q -i '0x00000012\|0x12' ||
	die "vmlinux has no PVH ELF note (Xen, type 0x12)"
say "vmlinux has the PVH entry note"

mkdir -p "$out.tmp"
cp "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$out.tmp/"
cp "$obj/.config" "$out.tmp/config"
strip --strip-debug -o "$out.tmp/vmlinux" "$obj/vmlinux" 2>/dev/null || true
printf 'linux-source-6.1 %s\nfragment %s\n' "$srcver" "${fragment##*/}" > "$out.tmp/SOURCE"
rm -rf "$out"
mv "$out.tmp" "$out"
ls -l "$out" >&2
echo "$out"
