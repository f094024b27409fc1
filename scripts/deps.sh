#!/bin/sh
# scripts/deps.sh: installs the Debian packages ember's build, guests, lab and tests need (only missing ones).
set -e
PKGS="build-essential clang libclang-rt-14-dev libseccomp-dev liburing-dev libjansson-dev \
pkg-config qemu-system-x86 linux-source-6.1 busybox-static cpio bc flex bison libelf-dev \
libssl-dev xz-utils e2fsprogs curl iproute2 python3 strace acpica-tools"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them with apt-get)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
