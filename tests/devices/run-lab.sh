#!/bin/sh
# tests/devices/run-lab.sh: gather the device tests' inputs (helpers, data disk, tun.ko) and run them in one lab boot.
# SPDX-License-Identifier: MIT
# usage: sh tests/devices/run-lab.sh [EMBER] [lab.sh options...]   (prints the LAB-RESULT lines)
# DEV_SCRIPTS="--script PATH ..." runs only those; sizes: DISK_TPUT_MB, NET_TPUT_MB, NET_RX_MB.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ember=${1:-$repo/ember}
[ $# -gt 0 ] && shift

files=$(mktemp -d -t ember-dev-files.XXXXXX)
trap 'rm -rf "$files"' EXIT
"$repo/tests/lab/prepare.sh" "$files" > /dev/null
ln -sfn "$(cd "$(dirname "$ember")" && pwd)/$(basename "$ember")" "$files/ember"
sh "$here/prepare.sh" "$files" > /dev/null
# the lab passes no environment: the knobs that are set travel in a file common.sh sources
for v in DISK_TPUT_MB NET_TPUT_MB NET_RX_MB VM_TIMEOUT; do
	eval "val=\${$v:-}"
	[ -n "$val" ] && echo "$v=$val" >> "$files/dev-params.sh"
done
"$repo/tests/lab/lab.sh" run --files "$files" --timeout "${LAB_TIMEOUT:-900}" \
	${DEV_SCRIPTS:---script "$here/lab-disk.sh" --script "$here/lab-disk-tput.sh" --script "$here/lab-net.sh" --script "$here/lab-vsock.sh"} "$@"
