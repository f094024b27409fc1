/* SPDX-License-Identifier: MIT */
/* arch/x86/mptable.h: Intel MultiProcessor Specification 1.4 table builder (pure). */
#ifndef EMBER_MPTABLE_H
#define EMBER_MPTABLE_H

#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

#define MPTABLE_MAX_CPUS	32
#define MPTABLE_IRQS		24	/* IOAPIC pins, identity-mapped from ISA/GSI numbers */

/* Bytes mptable_build needs for `ncpus` processors. */
size_t mptable_size(unsigned int ncpus);

/*
 * Write the MP floating pointer followed by the configuration table into
 * buf, which will live at guest-physical `gpa`.  Processor entries get APIC
 * IDs 0..ncpus-1 (CPU 0 is the BSP); the IOAPIC gets ID ncpus and pins
 * 0..23 map 1:1 from bus IRQs.  Returns bytes written or -EINVAL/-ENOSPC.
 */
long mptable_build(uint8_t *buf, size_t len, uint64_t gpa, unsigned int ncpus) __must_check;

/* Sum of bytes modulo 256 (0 for a valid table). */
uint8_t mptable_checksum(const uint8_t *p, size_t len);

#endif
