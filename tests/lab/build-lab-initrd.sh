#!/bin/sh
# tests/lab/build-lab-initrd.sh: Build (cached) the base lab initramfs: busybox, the cloud kernel's kvm modules, kvm-hold, QEMU with its libraries and firmware.
# SPDX-License-Identifier: MIT
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/guest/lib.sh"

need_pkgs busybox-static cpio qemu-system-x86 qemu-system-data
cloud=$("$repo/guest/fetch-cloud-kernel.sh" | tail -n 1)
qemu=/usr/bin/qemu-system-x86_64
key=$(hash_inputs "$0" "$here/lab-init" "$here/kvm-hold.c" "$repo/guest/lib.sh" -- \
	"cloud=$(cat "$cloud/SOURCE")" \
	"qemu=$(dpkg-query -W -f '${Version}' qemu-system-x86)" \
	"busybox=$(dpkg-query -W -f '${Version}' busybox-static)" \
	"libc=$(dpkg-query -W -f '${Version}' libc6)")
out="$EMBER_CACHE/lab/base-$key"
if [ -f "$out/lab.cpio" ]; then
	say "cached: $out"
	echo "$out"
	exit 0
fi
with_lock "lab-$key"

tmp="$out.tmp"
t="$tmp/root"
rm -rf "$tmp"
mkdir -p "$t/bin" "$t/sbin" "$t/usr/bin" "$t/usr/sbin" "$t/lib/modules/lab" "$t/lib64" \
	"$t/usr/share/qemu" "$t/dev" "$t/proc" "$t/sys" "$t/tmp" "$t/run" "$t/etc" "$t/lab" "$t/root"
cp /bin/busybox "$t/bin/busybox"
for a in $("$t/bin/busybox" --list-full); do
	[ -e "$t/$a" ] || ln -s /bin/busybox "$t/$a"
done
rm -f "$t/sbin/init"
install -m 0755 "$here/lab-init" "$t/init"
cc -static -O2 -Wall -Wextra -Werror -o "$t/bin/kvm-hold" "$here/kvm-hold.c" || die "cannot build kvm-hold"
echo "root:x:0:0:root:/root:/bin/sh" > "$t/etc/passwd"
echo "root:x:0:" > "$t/etc/group"

# kvm (and what it needs) from the cloud kernel, which is also the lab's kernel
for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko arch/x86/kvm/kvm-intel.ko; do
	cp "$cloud/kernel/$m" "$t/lib/modules/lab/"
done

# copy_elf FILE: FILE plus every shared library ldd resolves for it, at the same paths
copy_elf() {
	mkdir -p "$t$(dirname "$1")"
	cp -L "$1" "$t$1"
	ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | while read -r lib; do
		[ -e "$t$lib" ] && continue
		mkdir -p "$t$(dirname "$lib")"
		cp -L "$lib" "$t$lib"
	done
}
copy_elf "$qemu"
# firmware for -M microvm (qboot) and for -kernel loading (option ROMs)
for f in bios-microvm.bin qboot.rom pvh.bin linuxboot.bin linuxboot_dma.bin kvmvapic.bin bios-256k.bin; do
	[ -e "/usr/share/qemu/$f" ] && cp -L "/usr/share/qemu/$f" "$t/usr/share/qemu/$f"
done
# Debian builds accelerators as loadable modules; only KVM is used in the lab but keep TCG for fallbacks
mkdir -p "$t/usr/lib/x86_64-linux-gnu/qemu"
for f in accel-tcg-x86_64.so; do
	[ -e "/usr/lib/x86_64-linux-gnu/qemu/$f" ] && cp "/usr/lib/x86_64-linux-gnu/qemu/$f" "$t/usr/lib/x86_64-linux-gnu/qemu/"
done

find "$t" -exec touch -h -d @0 {} +
cpio_tree "$t" > "$tmp/lab.cpio"
cp "$cloud/vmlinuz" "$tmp/vmlinuz"
rm -rf "$t"
rm -rf "$out"
mv "$tmp" "$out"
say "lab.cpio $(stat -c %s "$out/lab.cpio") bytes (uncompressed)"
echo "$out"
