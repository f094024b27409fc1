# guest/initramfs/checks/uptime.sh: Check: the guest clock runs and /init came within ember.max_uptime seconds (default 60) of kernel start.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
max=$(ember_param max_uptime) || max=60
# The CMOS clock (ember's RTC reads the host's time) brackets the sleep: a
# guest that was not scheduled for a while (nested emulation) sees more
# than a second pass, and its clock must agree with the RTC's, within the
# RTC's 1 s resolution.  Without an RTC the bound is a fixed 5 s.
rtc=/sys/class/rtc/rtc0/since_epoch
r0=$(cat "$rtc" 2>/dev/null)
read -r a _ < /proc/uptime
sleep 1
read -r b _ < /proc/uptime
r1=$(cat "$rtc" 2>/dev/null)
echo "uptime $a then $b (1 s sleep), RTC ${r0:-none} then ${r1:-none}, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
awk -v a="$a" -v b="$b" -v r0="$r0" -v r1="$r1" 'BEGIN {
	hi = (r0 != "" && r1 != "") ? r1 - r0 + 1.5 : 5
	exit !(b > a + 0.5 && b < a + hi) }' ||
	fail "clock does not advance ~1 s over sleep 1 ($a -> $b; RTC ${r0:-none} -> ${r1:-none})"
awk -v a="$a" -v m="$max" 'BEGIN { exit !(a < m) }' || fail "uptime $a s at check time exceeds $max s"
