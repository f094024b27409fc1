# guest/initramfs/checks/cpus.sh: Check: the guest sees exactly ember.cpus=N processors (/proc/cpuinfo and the online mask).
# SPDX-License-Identifier: MIT
. /lib/ember.sh
want=$(ember_param cpus) || fail "ember.cpus=N not on the command line"
got=$(grep -c '^processor' /proc/cpuinfo)
online=$(cat /sys/devices/system/cpu/online 2>/dev/null)
echo "cpuinfo processors: $got, online: $online, expected: $want"
[ "$got" = "$want" ] || fail "expected $want cpus, /proc/cpuinfo has $got"
