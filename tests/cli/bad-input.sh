#!/bin/sh
# tests/cli/bad-input.sh: every kind of bad input to `ember run` gets one clear line on stderr and exit status 2.
# SPDX-License-Identifier: MIT
# usage: sh tests/cli/bad-input.sh EMBER
EMBER=${1:?usage: bad-input.sh EMBER}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0; skip=0

# A tiny valid PVH guest, and truncations of it.
gcc -c "$repo/bench/guests/first.S" -o "$T/first.o" &&
	ld -T "$repo/bench/guests/guest.ld" "$T/first.o" -o "$T/good.elf" || {
	echo "FAIL: cli: cannot build the test guest"; echo "cli: 0 passed, 1 failed"; exit 1; }
head -c 100 "$T/good.elf" > "$T/trunc-ehdr.elf"
head -c 300 "$T/good.elf" > "$T/trunc-phdr.elf"
printf 'hello, I am not a kernel\n' > "$T/text"
: > "$T/empty"
mkdir "$T/dir"
# A bzImage header that claims protocol 2.12 with the 64-bit entry but whose
# file ends right after the setup sectors.
python3 - "$T/trunc.bzImage" <<'PY'
import struct, sys
b = bytearray(0x600)
b[0x1f1] = 1                      # setup_sects
b[0x1fe:0x200] = b"\x55\xaa"
b[0x200] = 0xeb; b[0x201] = 0x66  # jump over the header
b[0x202:0x206] = b"HdrS"
struct.pack_into("<H", b, 0x206, 0x20f)
b[0x236] = 1                      # XLF_KERNEL_64
open(sys.argv[1], "wb").write(b[:0x400])
PY
head -c $((20 * 1024 * 1024)) /dev/zero > "$T/big.initrd"
long=$(head -c 5000 /dev/zero | tr '\0' 'a')

# expect NAME PATTERN ARGS...: exit 2, exactly one stderr line, matching PATTERN
expect() {
	name=$1 pat=$2
	shift 2
	timeout -k 5 30 "$EMBER" "$@" </dev/null >"$T/out" 2>"$T/err"
	st=$?
	lines=$(grep -c . "$T/err")
	if [ "$st" = 2 ] && [ "$lines" = 1 ] && grep -q -E "^ember: .*$pat" "$T/err"; then
		echo "PASS: cli/$name: $(cat "$T/err")"
		pass=$((pass + 1))
	else
		echo "FAIL: cli/$name: exit $st, $lines stderr lines (want 2 and 1 matching '$pat')"
		sed 's/^/  | /' "$T/err" | head -n 5
		fail=$((fail + 1))
	fi
}

expect missing-file "cannot open kernel" run --kernel "$T/nonexistent"
expect not-a-kernel "not an x86-64 ELF vmlinux or a bzImage" run --kernel "$T/text"
expect empty-file "is empty" run --kernel "$T/empty"
expect directory "not a regular file" run --kernel "$T/dir"
expect truncated-elf-header "not an x86-64 ELF|malformed" run --kernel "$T/trunc-ehdr.elf"
expect truncated-elf-phdrs "malformed" run --kernel "$T/trunc-phdr.elf"
expect truncated-bzimage "malformed" run --kernel "$T/trunc.bzImage"
expect initrd-missing "cannot open initrd" run --kernel "$T/good.elf" --initrd "$T/nonexistent"
expect initrd-too-big "initrd .* does not fit" run --kernel "$T/good.elf" --initrd "$T/big.initrd" --mem 16
expect cpus-zero "--cpus '0'" run --kernel "$T/good.elf" --cpus 0
expect cpus-too-many "--cpus '33'" run --kernel "$T/good.elf" --cpus 33
expect cpus-not-a-number "--cpus 'two'" run --kernel "$T/good.elf" --cpus two
expect cpus-negative "--cpus '-1'" run --kernel "$T/good.elf" --cpus -1
expect mem-zero "--mem '0'" run --kernel "$T/good.elf" --mem 0
expect mem-absurd "--mem '99999999999999'" run --kernel "$T/good.elf" --mem 99999999999999
expect mem-overflow "--mem '18446744073709551616'" run --kernel "$T/good.elf" --mem 18446744073709551616
expect mem-suffix "--mem '128M'" run --kernel "$T/good.elf" --mem 128M
expect unknown-option "unknown option '--frobnicate'" run --kernel "$T/good.elf" --frobnicate
expect missing-value "needs a value" run --kernel
expect stray-argument "unexpected argument 'extra'" run --kernel "$T/good.elf" extra
expect no-kernel "kernel" run --cpus 1
expect unknown-command "unknown command" frobnicate
expect cmdline-too-long "command line" run --kernel "$T/good.elf" --cmdline "$long"
expect acpi-bad-value "--acpi 'maybe'" run --kernel "$T/good.elf" --acpi maybe

# A real kernel that does not fit: the reference vmlinux (loaded at 16 MiB)
# in 8 MiB, when the cached build exists.
kdir=$("$repo/guest/build-kernel.sh" 2>/dev/null | tail -n 1)	# cached after the first build
if [ -n "$kdir" ] && [ -f "$kdir/vmlinux" ]; then
	expect kernel-too-big "does not fit in 8 MiB" run --kernel "$kdir/vmlinux" --mem 8
	expect bzimage-too-big "does not fit in 8 MiB" run --kernel "$kdir/bzImage" --mem 8
else
	echo "SKIP: cli/kernel-too-big: the reference kernel could not be built"
	skip=$((skip + 1))
fi

echo "cli: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
