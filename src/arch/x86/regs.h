/* SPDX-License-Identifier: MIT */
/* arch/x86/regs.h: boot GDT, identity page tables and entry register state for each boot protocol. */
#ifndef EMBER_X86_REGS_H
#define EMBER_X86_REGS_H

#include <linux/kvm.h>
#include "boot/kernel.h"
#include "mem/gmem.h"

#define BOOT_CS		0x10	/* __BOOT_CS of the Linux boot protocol */
#define BOOT_DS		0x18	/* __BOOT_DS */
#define BOOT_TSS	0x20
#define BOOT_STACK	0x8ff0ull	/* below the page tables, above boot_params */

/* Write the boot GDT (and, for 64-bit entry, the 4 GiB identity map). 0 / -EFAULT. */
int x86_write_boot_tables(struct gmem *m, enum boot_proto proto) __must_check;

/* Fill the BSP's segment/control registers for `proto` (sregs from KVM_GET_SREGS). */
void x86_boot_sregs(enum boot_proto proto, struct kvm_sregs *s);

/* Fill the BSP's general registers: entry point and the boot-info pointer. */
void x86_boot_regs(const struct boot_plan *plan, struct kvm_regs *r);

#endif
