# guest/initramfs/checks/rtc.sh: Check: a CMOS RTC is present and both it and the system clock read a date after 2024-01-01.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
after=1704067200
[ -e /sys/class/rtc/rtc0 ] || fail "no /sys/class/rtc/rtc0 (CMOS RTC not found)"
rtc=$(cat /sys/class/rtc/rtc0/since_epoch)
sys=$(date +%s)
echo "rtc0 $(cat /sys/class/rtc/rtc0/name 2>/dev/null): $(cat /sys/class/rtc/rtc0/date) $(cat /sys/class/rtc/rtc0/time) ($rtc), system $(date -u)"
[ "$rtc" -gt "$after" ] || fail "rtc0 reads $rtc, before 2024"
[ "$sys" -gt "$after" ] || fail "system clock reads $sys, before 2024"
