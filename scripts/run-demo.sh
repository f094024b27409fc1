#!/bin/sh
# scripts/run-demo.sh: `make run`: build the reference guest (cached), boot it with ember, print the boot-time breakdown.
#
# On a host whose /dev/kvm can run Linux the guest boots right here.  On a
# host with a software KVM (PVM) or none, the same boot runs inside the lab
# (a QEMU-emulated machine with a real nested KVM) and this says so.
set -e
cd "$(dirname "$0")/.."
repo=$(pwd)

echo "run: building the reference guest kernel (cached after the first build)"
kdir=$(guest/build-kernel.sh | tail -n 1)
idir=$(guest/build-initramfs.sh | tail -n 1)
cmdline="console=ttyS0 reboot=k panic=1 ember.check=uptime"	# quiet: built into the reference kernel

mode=$(bash tests/lab/lab.sh mode 2>/dev/null || echo lab)
if [ "$mode" = host ]; then
	echo "run: booting $kdir/vmlinux (PVH) with ember"
	exec ./ember run --kernel "$kdir/vmlinux" --initrd "$idir/initramfs.cpio.gz" \
		--cmdline "$cmdline" --boot-time --no-raw </dev/null
fi

echo "run: this host's /dev/kvm cannot run an unmodified Linux guest" \
     "($( [ -d /sys/module/kvm_pvm ] && echo "PVM software backend" || echo "no hardware KVM"));"
echo "run: booting it inside the lab (QEMU-emulated machine with nested KVM) instead"
files=$(mktemp -d)
trap 'rm -rf "$files"' EXIT
cp ember "$files/ember"
cp "$kdir/vmlinux" "$files/vmlinux"
cp "$idir/initramfs.cpio.gz" "$files/initramfs.cpio.gz"
cat > "$files/demo.sh" <<DEMO
#!/bin/sh
# Boots the reference guest once with ember and prints its console and boot-time breakdown.
d=\$1
\$d/ember run --kernel \$d/vmlinux --initrd \$d/initramfs.cpio.gz --cmdline "$cmdline" \\
	--boot-time --no-raw </dev/null
rc=\$?
if [ \$rc = 0 ]; then echo "LAB-RESULT demo PASS"; else echo "LAB-RESULT demo FAIL exit \$rc"; fi
DEMO
bash tests/lab/lab.sh run --files "$files" --script demo.sh --timeout 300 --verbose
