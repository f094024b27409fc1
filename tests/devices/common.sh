# tests/devices/common.sh: shared setup of the device lab tests (sourced): labtest.sh, the inputs, the ember command.
# SPDX-License-Identifier: MIT
dir=${1:?usage: sh SCRIPT DIR}
for h in "$(dirname "$0")/labtest.sh" "$(dirname "$0")/../lab/labtest.sh"; do
	[ -f "$h" ] && . "$h" && break
done
# Sizes and other knobs from the host side (run-lab.sh writes them: the lab passes no environment).
[ -f "$dir/dev-params.sh" ] && . "$dir/dev-params.sh"
EMBER=${EMBER:-$dir/ember}
TO=${VM_TIMEOUT:-120}
# The initramfs with the device helpers appended (tests/devices/run-lab.sh), else the plain one.
INITRD=$dir/initramfs-devices.cpio.gz
[ -f "$INITRD" ] || INITRD=$dir/initramfs.cpio.gz
KERNEL=$dir/vmlinux
BASE="console=ttyS0 reboot=k panic=-1 ember.timeout=100"

# dev_vm NAME CHECKS "EXTRA CMDLINE" EMBER-ARGS...: boot the reference kernel with the device
# checks; after dev_snapshot (same arguments), restore that snapshot instead
dev_vm() {
	_n=$1 _c=$2 _x=$3
	shift 3
	if [ -n "${DEV_SNAP:-}" ]; then
		lt_vm "$_n" "$TO" "$EMBER" run --restore "$DEV_SNAP/vm.snap" --mem-file "$DEV_SNAP/vm.mem" \
			--resume
		rm -rf "$DEV_SNAP"
		DEV_SNAP=
		return
	fi
	lt_vm "$_n" "$TO" "$EMBER" run --kernel "$KERNEL" --initrd "$INITRD" --cpus 1 --mem 256 \
		--cmdline "$BASE ember.check=$_c $_x" "$@"
}

# dev_snapshot NAME CHECKS "EXTRA CMDLINE" EMBER-ARGS...: boot as dev_vm would and write a full
# snapshot at the guest's boot marker (its /init, before the checks run), then stop; the next
# dev_vm restores it in a fresh ember, so the checks run in a restored VM whose backends (TAP,
# vsock socket) were reopened. Returns non-zero, with a FAIL for NAME, when no snapshot came out.
dev_snapshot() {
	_n=$1 _c=$2 _x=$3
	shift 3
	DEV_SNAP=$(mktemp -d -t dev-snap.XXXXXX)
	lt_vm "$_n-snapshot" "$TO" "$EMBER" run --kernel "$KERNEL" --initrd "$INITRD" --cpus 1 --mem 256 \
		--cmdline "$BASE ember.check=$_c $_x" "$@" --snapshot-at-marker "$DEV_SNAP/vm.snap,$DEV_SNAP/vm.mem"
	[ "$LT_RC" = 0 ] && [ -s "$DEV_SNAP/vm.snap" ] && return 0
	lt_fail "$_n" "no snapshot at the boot marker (ember status $LT_RC)"; lt_dump
	rm -rf "$DEV_SNAP"
	DEV_SNAP=
	return 1
}

# dev_judge NAME [DETAIL]: PASS when ember exited 0, the guest finished and no check failed
dev_judge() {
	_bad=$(lt_checks_failed)
	if [ "$LT_RC" != 0 ]; then
		lt_fail "$1" "ember exit status $LT_RC"; lt_dump
	elif [ -n "$_bad" ]; then
		lt_fail "$1" "check failed: $(echo "$_bad" | head -n 1)"; lt_dump
	elif ! lt_has EMBER-DONE; then
		lt_fail "$1" "the guest did not finish"; lt_dump
	else
		lt_pass "$1" "$2"
	fi
}

# dev_need_ember NAMES...: SKIP every named result and finish when there is no ember or /dev/kvm
dev_need_ember() {
	_why=
	[ -x "$EMBER" ] || _why="no ember binary in $dir"
	[ -c /dev/kvm ] || _why=${_why:-"no /dev/kvm"}
	[ -z "$_why" ] && return 0
	for _t in "$@"; do lt_skip "$_t" "$_why"; done
	lt_finish
}

# logline MARKER: the first console line of the last VM containing MARKER, without the timestamp
logline() { grep -F -- "$1" "$LT_LOG" | head -n 1 | cut -d' ' -f2-; }

# --- the API from device scripts (req and wait_console are in labtest.sh): RAW, SOCK, W, LT_LOG, PID set by the caller
# put METHOD PATH BODY: true on 204, else the reason in $why
put() {
	req "$@"
	[ "$CODE" = 204 ] && return 0
	why="$1 $2 answered ${CODE:-nothing}: $BODY"
	return 1
}

# rss_kb: VmRSS of ember (PID) in KiB
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID/status" 2> /dev/null; }
