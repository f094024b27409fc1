#!/bin/bash
# tests/lab/lab.sh: Run guest test scripts that need /dev/kvm: directly on a host with real KVM, otherwise inside the nested-KVM QEMU lab.
# SPDX-License-Identifier: MIT
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/guest/lib.sh"

usage() {
	cat >&2 <<'USAGE'
usage: tests/lab/lab.sh run --files DIR --script SCRIPT [--script SCRIPT...]
                            [--timeout SECONDS] [--idle SECONDS] [--mem MiB] [--smp N] [--log FILE]
                            [--mode auto|lab|host] [--verbose]
       tests/lab/lab.sh mode      # prints "host" or "lab": where tests would run

  DIR      inputs of the scripts (kernels, initramfs, ember binary...); in the
           lab it is copied to /lab, on a real-KVM host it is used in place.
  SCRIPT   a shell script run as `sh SCRIPT DIR`; it prints
           "LAB-RESULT <name> PASS|FAIL|SKIP [reason]" lines and exits 0 on success.
Exit status: 0 when every script passed, 1 on a failing test, 2 on bad usage,
4 when the lab VM itself did not boot, timed out, or printed nothing for
--idle seconds (default 300: each guest run has a shorter timeout of its own).
When the lab's own kernel panics (a fault of TCG's nested SVM, docs/lab.md), a
fresh lab runs the interrupted script and those after it, at most LAB_RESTARTS
(default 2) times; each restart is printed as "lab.sh: NOTE: lab restart".
USAGE
	exit 2
}

# real KVM: a hardware backend module is loaded and the PVM software backend is not
host_has_real_kvm() {
	[ -c /dev/kvm ] && [ -w /dev/kvm ] || return 1
	[ -d /sys/module/kvm_pvm ] && return 1
	[ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
mode) if host_has_real_kvm; then echo host; else echo lab; fi; exit 0 ;;
run) ;;
*) usage ;;
esac

files= scripts=() timeout=300 idle=300 mem=4096 smp=2 log= mode=auto verbose=0
while [ $# -gt 0 ]; do
	case "$1" in
	--files) files=$2; shift 2 ;;
	--script) scripts+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--idle) idle=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--verbose|-v) verbose=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$files" ] && [ -d "$files" ] || { echo "lab.sh: --files DIR is required and must exist" >&2; exit 2; }
[ ${#scripts[@]} -gt 0 ] || { echo "lab.sh: at least one --script is required" >&2; exit 2; }
for s in "${scripts[@]}"; do
	[ -f "$s" ] || [ -f "$files/$s" ] || { echo "lab.sh: no such script: $s" >&2; exit 2; }
done
files=$(cd "$files" && pwd)
if [ "$mode" = auto ]; then
	if host_has_real_kvm; then mode=host; else mode=lab; fi
fi
[ -n "$log" ] || log=$(mktemp -t ember-lab-log.XXXXXX)

# --- host path: the scripts run here, against the host's /dev/kvm ----------
if [ "$mode" = host ]; then
	echo "lab.sh: running on this host (mode host; log $log)"
	status=0
	: > "$log"
	for s in "${scripts[@]}"; do
		[ -f "$s" ] || s="$files/$s"
		echo "LAB-SCRIPT ${s##*/}" | tee -a "$log"
		set +e
		timeout --kill-after=10 "$timeout" sh "$s" "$files" 2>&1 | tee -a "$log" |
			if [ "$verbose" = 1 ]; then cat; else grep --line-buffered '^LAB-'; fi
		rc=${PIPESTATUS[0]}
		set -e
		echo "LAB-SCRIPT-STATUS ${s##*/} $rc" | tee -a "$log"
		[ "$rc" = 0 ] || status=1
	done
	echo "LAB-EXIT $status" | tee -a "$log"
	exit "$status"
fi

# --- lab path: boot the lab VM with the scripts and DIR under /lab ------------
base=$("$here/build-lab-initrd.sh" | tail -n 1)
work=$(mktemp -d -t ember-lab.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/lab"
names=
for s in "${scripts[@]}"; do
	if [ -f "$files/$s" ]; then
		names="$names,$s"
	else
		cp -L "$s" "$work/root/lab/${s##*/}"
		names="$names,${s##*/}"
	fi
done
names=${names#,}
cp "$here/labtest.sh" "$work/root/lab/labtest.sh"
# The lab has no package manager: every dynamically linked program in DIR gets its libraries.
(cd "$files" && find -L . -type f -perm -u+x) | while read -r f; do
	ldd "$files/$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' || true
done | sort -u | while read -r lib; do
	mkdir -p "$work/root$(dirname "$lib")"
	cp -L "$lib" "$work/root$lib"
done
# DIR (symlinks followed) as /lab, then the copied scripts and libraries, after the base archive
ln -s "$files" "$work/lab"
{
	cat "$base/lab.cpio"
	(cd "$work" && find -L lab -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -L -R 0:0 --quiet)
	(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
} > "$work/lab-run.cpio" || { echo "lab.sh: cannot pack $files into the lab archive" >&2; exit 2; }

echo "lab.sh: no real KVM here: booting the nested-KVM lab (TCG, ${smp} cpus, ${mem} MiB, timeout ${timeout}s)"
echo "lab.sh: scripts: $names; serial log: $log"
start=$(date +%s)
: > "$log"

# boot_lab NAMES: one lab boot running the comma-separated scripts NAMES, its serial
# output appended to $log; sets rc (QEMU's status) and leaves $work/stalled when the
# watchdog ended it.
boot_lab() {
	rm -f "$work/stalled" "$work/qemu.pid" "$work/stall.txt"
	# Watchdog: every guest run has its own timeout well under $idle, so a lab that prints
	# nothing for that long is hung (seen: nested SVM under TCG wedging the lab kernel).
	# Only the scripts' lines count as progress, not the lab kernel's own messages: a
	# wedged lab prints a soft-lockup or RCU-stall report every ~30 s forever.
	(
		progress=0 last=$(date +%s)
		while sleep 10; do
			[ -f "$work/qemu.pid" ] || continue
			pid=$(cat "$work/qemu.pid" 2>/dev/null) || continue
			kill -0 "$pid" 2>/dev/null || exit 0
			n=$(grep -a -c -v -E '^\[ *[0-9]+\.[0-9]+\]' "$log")
			if [ "$n" != "$progress" ]; then
				progress=$n
				last=$(date +%s)
			fi
			if [ $(( $(date +%s) - last )) -ge "$idle" ]; then
				touch "$work/stalled"
				python3 "$here/stall-report.py" "$work/monitor.sock" "$work/heartbeat.log" > "$work/stall.txt" 2>&1
				kill "$pid"
				exit 0
			fi
		done
	) &
	watchdog=$!
	qemu_data=()
	for d in ${LAB_QEMU_DATA:-}; do qemu_data+=(-L "$d"); done
	set +e
	# Multi-threaded TCG (one host thread per lab CPU). Round-robin TCG (LAB_TCG_THREAD=single)
	# was tried against the lab's rare stalls and made them worse: 2-vCPU nested guests crashed
	# in their interrupt entry (a wrong GS base) in 2 runs of 3 within the first minute.
	left=$(( timeout - ($(date +%s) - start) ))
	[ "$left" -ge 60 ] || left=60
	timeout --kill-after=10 "$left" "${LAB_QEMU:-qemu-system-x86_64}" "${qemu_data[@]}" -accel "tcg,thread=${LAB_TCG_THREAD:-multi}" \
		-cpu "${LAB_CPU:-max}" -smp "$smp" -m "$mem" \
		-nographic -no-reboot -nodefaults -serial stdio -serial "file:$work/heartbeat.log" \
		-monitor "unix:$work/monitor.sock,server=on,wait=off" -pidfile "$work/qemu.pid" \
		-kernel "$base/vmlinuz" -initrd "$work/lab-run.cpio" \
		-append "console=ttyS0 quiet panic=-1 mitigations=off lab.script=$1 ${LAB_APPEND:-}" < /dev/null 2>&1 |
		sed -u 's/\r$//' | tee -a "$log" |
		if [ "$verbose" = 1 ]; then cat; else grep --line-buffered -E '^(LAB-|EMBER-CHECK .* FAIL)'; fi
	rc=${PIPESTATUS[0]}
	set -e
	kill "$watchdog" 2>/dev/null || true
	wait "$watchdog" 2>/dev/null || true
}

# lab_kernel_died FROM: the lab's own kernel (not a nested guest, not ember) panicked in the
# log lines after line FROM: a "Kernel panic" line of the lab console outside the guest
# consoles the tests print. Prints the lines that say why.
lab_kernel_died() {
	tail -n "+$(( $1 + 1 ))" "$log" | awk '
		/^---- console of/ { inside = 1; next }
		/^---- end ----/ { inside = 0; next }
		inside { next }
		/^\[ *[0-9]+\.[0-9]+\] (BUG:|Oops|CPU: .* Comm:|RIP: |Kernel panic - not syncing)/ {
			k = $0; sub(/^\[[^]]*\] /, "", k); k = substr(k, 1, 4)
			if (!(k in seen)) { seen[k] = 1; why = why $0 "\n" }
		}
		/^\[ *[0-9]+\.[0-9]+\] Kernel panic - not syncing/ { died = 1 }
		END { if (died) printf "%s", why; exit !died }'
}

# TCG's nested SVM can kill the lab kernel itself (docs/lab.md: an exception taken while a
# nested guest's GS base is loaded, seen under ember and under the nested QEMU alike). That
# is the emulated host failing, not a test: a fresh lab runs the interrupted script again
# and the ones after it, at most LAB_RESTARTS (2) times. Every result printed before the
# death stands (suite.sh counts a test reported twice with its worse result); a hang is not
# restarted. All boots together keep within --timeout.
todo=$names restarts=0 max_restarts=${LAB_RESTARTS:-2}
while :; do
	from=$(wc -l < "$log")
	boot_lab "$todo"
	last=$(grep -a '^LAB-DONE ' "$log" | tail -n 1 | awk '{print $2}' || true)
	[ -z "$last" ] || break
	[ ! -f "$work/stalled" ] && [ "$rc" = 0 ] && [ "$restarts" -lt "$max_restarts" ] || break
	why=$(lab_kernel_died "$from") || break
	done_here=$(tail -n "+$(( from + 1 ))" "$log" | awk '/^LAB-SCRIPT-STATUS / {print $2}')
	rest=
	for n in ${todo//,/ }; do
		printf '%s\n' "$done_here" | grep -qxF "$n" || rest="$rest,$n"
	done
	rest=${rest#,}
	[ -n "$rest" ] || break
	restarts=$((restarts + 1))
	# a lab that died mid-line: the next boot's lines start on lines of their own
	[ -z "$(tail -c 1 "$log")" ] || echo >> "$log"
	echo "lab.sh: the lab kernel itself died (under TCG, see docs/lab.md) during ${rest%%,*}:"
	printf '%s\n' "$why" | sed 's/^/  | /'
	echo "lab.sh: NOTE: lab restart $restarts of $max_restarts: a fresh lab runs $rest"
	echo "LAB-RESTART $restarts $rest" >> "$log"
	todo=$rest
done
echo "lab.sh: lab VM ran $(( $(date +%s) - start )) s, qemu status $rc, lab restarts $restarts"

# Only lab-init's closing LAB-DONE counts: a script's own LAB-EXIT followed by a
# hang would otherwise read as a finished, passing lab.
if [ -z "$last" ]; then
	if [ -f "$work/stalled" ]; then
		echo "lab.sh: the lab made no progress for ${idle}s (a hung guest or lab kernel; its own lockup reports do not count): killed"
		echo "lab.sh: where the lab CPUs were (3 samples, 2 s apart):"
		sed 's/^/  | /' "$work/stall.txt" 2> /dev/null
		echo "lab.sh: the lab's last heartbeats (running and blocked tasks):"
		grep -v "^SYM " "$work/heartbeat.log" 2> /dev/null | tail -n 40 | sed 's/^/  | /'
		echo "lab.sh: last serial lines:"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "lab.sh: the lab timed out after ${timeout}s; last serial lines:"
	else
		echo "lab.sh: the lab ended before its scripts finished (no LAB-DONE, qemu status $rc); last serial lines:"
	fi
	tail -n 40 "$log" | sed 's/^/  | /'
	exit 4
fi
# after a restart, LAB-DONE speaks for the last boot only: every script's status counts
grep -a -q -E '^LAB-SCRIPT-STATUS [^ ]+ [1-9]' "$log" && exit 1
[ "$last" = 0 ] && exit 0
exit 1
