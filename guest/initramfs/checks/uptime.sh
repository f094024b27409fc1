# guest/initramfs/checks/uptime.sh: Check: the guest clock runs and /init came within ember.max_uptime seconds (default 60) of kernel start.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
max=$(ember_param max_uptime) || max=60
read -r a _ < /proc/uptime
sleep 1
read -r b _ < /proc/uptime
echo "uptime $a then $b (1 s sleep), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a + 0.5 && b < a + 5) }' || fail "clock does not advance ~1 s over sleep 1 ($a -> $b)"
awk -v a="$a" -v m="$max" 'BEGIN { exit !(a < m) }' || fail "uptime $a s at check time exceeds $max s"
