# guest/initramfs/checks/dmesg.sh: Check: print the kernel log (for boot profiles: add initcall_debug to see each initcall's time without slowing the console).
# SPDX-License-Identifier: MIT
dmesg || exit 1
