# guest/initramfs/checks/balloon-touch.sh: Check: fill most free memory (a tmpfs file), free it, print EMBER-BALLOON-TOUCHED, then wait for the host to inflate the balloon by that much (MemTotal drops) and optionally hold.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
wait_s=$(ember_param balloon_wait) || wait_s=90
kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
free=$(kb MemFree)
# leave 40 MiB to the kernel
mb=$(( free / 1024 - 40 ))
[ "$mb" -ge 64 ] || fail "only $((free / 1024)) MiB free"
mkdir -p /fill
mount -t tmpfs -o size=${mb}m tmpfs /fill || fail "cannot mount a tmpfs of $mb MiB"
dd if=/dev/zero of=/fill/x bs=1048576 count="$mb" 2> /dev/null || fail "cannot fill $mb MiB"
rm /fill/x
umount /fill
total0=$(kb MemTotal)
echo "EMBER-BALLOON-TOUCHED $mb MiB (MemFree was $((free / 1024)) MiB, MemTotal $((total0 / 1024)) MiB)"
i=0
while [ $i -lt $((wait_s * 2)) ]; do
	total=$(kb MemTotal)
	if [ $(( (total0 - total) / 1024 )) -ge $(( mb * 9 / 10 )) ]; then
		echo "EMBER-BALLOON-INFLATED MemTotal $((total0 / 1024)) -> $((total / 1024)) MiB"
		# ember.balloon_hold=S: stay S seconds so the host can read the VMM's RSS
		hold=$(ember_param balloon_hold) && sleep "$hold"
		exit 0
	fi
	[ $((i % 20)) = 19 ] && echo "MemTotal $((total / 1024)) MiB after $(( (i + 1) / 2 ))s"
	sleep 0.5
	i=$((i + 1))
done
fail "MemTotal still $(( $(kb MemTotal) / 1024 )) MiB after ${wait_s}s (was $((total0 / 1024)))"
