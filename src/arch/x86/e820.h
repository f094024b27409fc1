/* SPDX-License-Identifier: MIT */
/* arch/x86/e820.h: the guest physical memory map as e820 entries (pure builder). */
#ifndef EMBER_E820_H
#define EMBER_E820_H

#include <stdint.h>
#include "mem/gmem.h"

#define E820_RAM	1
#define E820_RESERVED	2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define E820_MAX_ENTRIES 8

/*
 * Fill `out` (capacity `max`) with the map for the RAM in `m`: base memory
 * below the EBDA, the EBDA/BIOS hole reserved, RAM from 1 MiB, RAM above
 * 4 GiB.  Returns the entry count, or -ENOSPC / -EINVAL.
 */
int e820_build(const struct gmem *m, struct e820_entry *out, unsigned int max) __must_check;

#endif
