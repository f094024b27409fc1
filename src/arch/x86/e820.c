/* SPDX-License-Identifier: MIT */
/* arch/x86/e820.c: builds the e820 map shared by the Linux zero page and the PVH memmap. */
#include <errno.h>

#include "arch/x86/e820.h"
#include "mem/layout.h"

static int add(struct e820_entry *out, unsigned int max, unsigned int *n,
	       uint64_t addr, uint64_t size, uint32_t type)
{
	if (!size)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	out[(*n)++] = (struct e820_entry){ addr, size, type };
	return 0;
}

int e820_build(const struct gmem *m, struct e820_entry *out, unsigned int max)
{
	unsigned int n = 0;
	int err;

	if (!m->nr_regions || m->regions[0].gpa != 0 ||
	    m->regions[0].size <= LAYOUT_HIGH_RAM)
		return -EINVAL;
	err = add(out, max, &n, 0, LAYOUT_EBDA_START, E820_RAM);
	if (!err)
		err = add(out, max, &n, LAYOUT_EBDA_START, LAYOUT_HIGH_RAM - LAYOUT_EBDA_START,
			  E820_RESERVED);
	if (!err)
		err = add(out, max, &n, LAYOUT_HIGH_RAM,
			  m->regions[0].size - LAYOUT_HIGH_RAM, E820_RAM);
	for (unsigned int i = 1; !err && i < m->nr_regions; i++)
		err = add(out, max, &n, m->regions[i].gpa, m->regions[i].size, E820_RAM);
	return err ? err : (int)n;
}
