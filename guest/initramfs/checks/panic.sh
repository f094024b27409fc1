# guest/initramfs/checks/panic.sh: Check: force a kernel panic through sysrq-c; the expected outcome is the panic, so returning at all is a FAIL.
# SPDX-License-Identifier: MIT
echo 1 > /proc/sys/kernel/sysrq || { echo "cannot enable sysrq"; exit 1; }
echo "EMBER-PANIC-NOW" > /dev/console
echo c > /proc/sysrq-trigger
sleep 5
echo "still alive after sysrq-c"
exit 1
