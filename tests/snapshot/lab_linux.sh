#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/snapshot/lab_linux.sh: snapshot and restore a real Linux guest (run where /dev/kvm runs Linux, e.g. the lab).
#
# usage: lab_linux.sh EMBER KERNEL [INITRD]
#
# The guest boots until its /init writes the boot marker (123 to port
# 0x440); ember snapshots it there and stops.  The snapshot is then restored
# in a fresh process, and three clones at once; each must end with status 0
# and print DONE_PATTERN (default EMBER-DONE, what the lab's /init prints
# when its checks pass) after the restore.  Environment: CMDLINE (default
# the lab's checks), MEM_MIB (256), CPUS (1), VM_TIMEOUT (120 s),
# SNAP_NO_SECCOMP=1 until the VMM seccomp filter allows the snapshot calls.
# POSIX sh and busybox tools only.  Exit status: 0 pass, 1 fail, 2 usage.

set -u
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 EMBER KERNEL [INITRD]" >&2
	exit 2
fi
EMBER=$1 KERNEL=$2 INITRD=${3:-}
CPUS=${CPUS:-1} MEM=${MEM_MIB:-256} TO=${VM_TIMEOUT:-120}
CMDLINE=${CMDLINE:-"console=ttyS0 reboot=k panic=-1 ember.check=cpus,uptime ember.cpus=$CPUS"}
DONE=${DONE_PATTERN:-EMBER-DONE}
X=${SNAP_NO_SECCOMP:+--no-seccomp}
[ -c /dev/kvm ] || { echo "SKIP: snapshot-linux: no /dev/kvm"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ember-snaplinux.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; [ -f "${2:-}" ] && tail -n 15 "$2" | sed 's/^/  | /'; fail=$((fail + 1)); }

set -- --kernel "$KERNEL"
[ -n "$INITRD" ] && set -- "$@" --initrd "$INITRD"
timeout "$TO" "$EMBER" run --no-raw $X "$@" --cpus "$CPUS" --mem "$MEM" --cmdline "$CMDLINE" \
	--boot-time --snapshot-at-marker "$T/l.snap,$T/l.mem" >"$T/boot.log" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$T/l.snap" ]; then
	ko "snapshot-linux-create: status $rc (did /init write the boot marker?)" "$T/boot.log"
	echo "snapshot-linux: $pass passed, $fail failed"
	exit 1
fi
ok "snapshot-linux-create: $(grep 'snapshot full' "$T/boot.log" | sed 's/^ember: //')"

timeout "$TO" "$EMBER" run --no-raw $X --restore "$T/l.snap" --mem-file "$T/l.mem" --resume \
	--boot-time >"$T/r.log" 2>&1
rc=$?
fe=$(sed -n 's/^  first guest exit *\([0-9.]*\)$/\1/p' "$T/r.log")
if [ $rc -eq 0 ] && grep -q "$DONE" "$T/r.log"; then
	ok "snapshot-linux-restore: status 0, $DONE after restore, first exit ${fe:-?} ms after main()"
else
	ko "snapshot-linux-restore: status $rc" "$T/r.log"
fi

for i in 1 2 3; do
	timeout "$TO" "$EMBER" run --no-raw $X --restore "$T/l.snap" --mem-file "$T/l.mem" --resume \
		>"$T/c$i.log" 2>&1 &
done
wait
good=0
for i in 1 2 3; do
	grep -q "$DONE" "$T/c$i.log" && good=$((good + 1))
done
[ $good -eq 3 ] && ok "snapshot-linux-clones: 3 of 3" || ko "snapshot-linux-clones: $good of 3" "$T/c1.log"

echo "snapshot-linux: $pass passed, $fail failed"
[ $fail -eq 0 ]
