#!/bin/sh
# tests/lab/stress.sh: Lab stress (not part of the suite): rounds of six concurrent reference-guest boots, to measure how often the emulated lab itself fails.
# SPDX-License-Identifier: MIT
# usage: STRESS_VMM=ember|qemu STRESS_SECONDS=N tests/lab/lab.sh run --files DIR --script tests/lab/stress.sh
#   DIR from tests/lab/prepare.sh. Each round boots three 1-vCPU and three 2-vCPU guests at
#   once (the reference kernel with the cpus and uptime checks) and waits for all; a guest
#   fails when it does not finish its checks within 90 s. The same guests under ember or
#   under QEMU's microvm tell a fault of the lab (both VMMs) from one of ember (ember only).
#   Prints "LAB-PROGRESS" after each round and "LAB-RESULT stress-total" at the end.
d=${1:?usage: stress.sh DIR}
vmm=${STRESS_VMM:-ember}
secs=${STRESS_SECONDS:-560}
# lab.sh does not pass the environment into the lab: the kernel command line can
for a in $(cat /proc/cmdline 2> /dev/null); do
	case "$a" in
	stress.vmm=*) vmm=${a#stress.vmm=} ;;
	stress.seconds=*) secs=${a#stress.seconds=} ;;
	esac
done
work=$(mktemp -d)
end=$(( $(date +%s) + secs ))
t0=$(date +%s)
boots=0 fails=0 round=0

boot() {	# boot N CPUS: guest N of the round, its console in $work/N.log
	if [ "$vmm" = qemu ]; then
		# microvm has no i8042: the guest ends with a triple fault (reboot=t) that -no-reboot turns into an exit
		timeout 90 qemu-system-x86_64 -M microvm,x-option-roms=off,pit=off,pic=off,isa-serial=on,rtc=on,acpi=off \
			-enable-kvm -cpu host -m 128 -smp "$2" -nodefaults -no-user-config -nographic -no-reboot \
			-serial stdio -kernel "$d/vmlinux" -initrd "$d/initramfs.cpio.gz" \
			-append "console=ttyS0 reboot=t panic=-1 ember.check=cpus,uptime ember.cpus=$2" \
			< /dev/null > "$work/$1.log" 2>&1
	else
		timeout 90 "$d/ember" run --kernel "$d/vmlinux" --initrd "$d/initramfs.cpio.gz" --cpus "$2" --mem 128 \
			--cmdline "console=ttyS0 reboot=k panic=-1 ember.check=cpus,uptime ember.cpus=$2" \
			< /dev/null > "$work/$1.log" 2>&1
	fi
}

while [ "$(date +%s)" -lt "$end" ]; do
	round=$((round + 1))
	pids=
	for i in 1 2 3 4 5 6; do
		c=1
		[ "$i" -gt 3 ] && c=2
		boot "$i" "$c" &
		pids="$pids $!"
	done
	wait $pids
	for i in 1 2 3 4 5 6; do
		boots=$((boots + 1))
		# EMBER-DONE: the guest's /init finished its checks (and none failed)
		if ! grep -q EMBER-DONE "$work/$i.log" || grep -q "EMBER-CHECK .* FAIL" "$work/$i.log"; then
			fails=$((fails + 1))
			echo "LAB-RESULT stress-$vmm-r$round-g$i FAIL (a $([ "$i" -gt 3 ] && echo 2 || echo 1)-vCPU guest)"
			tail -n 8 "$work/$i.log" | sed 's/^/  | /'
		fi
	done
	echo "LAB-PROGRESS $vmm round $round boots $boots fails $fails t=$(( $(date +%s) - t0 ))s"
done
echo "LAB-RESULT stress-$vmm $([ "$fails" = 0 ] && echo PASS || echo FAIL) boots=$boots fails=$fails rounds=$round seconds=$(( $(date +%s) - t0 ))"
rm -rf "$work"
