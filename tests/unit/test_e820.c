/* SPDX-License-Identifier: MIT */
/* tests/unit/test_e820.c: e820 map layout for small, gap-straddling and huge memory sizes. */
#include <stdlib.h>

#include "arch/x86/e820.h"
#include "harness.h"
#include "mem/layout.h"

static uint8_t dummy[1];

static struct gmem fake(uint64_t size)
{
	struct gmem m;
	struct gmem_region r[2] = {
		{ 0, MIN(size, LAYOUT_MMIO32_START), dummy },
		{ LAYOUT_HIGH_START, size > LAYOUT_MMIO32_START ? size - LAYOUT_MMIO32_START : 0,
		  dummy },
	};
	int err = gmem_init_regions(&m, r, size > LAYOUT_MMIO32_START ? 2 : 1);

	if (err)
		abort();
	return m;
}

static void test_e820_small(void)
{
	struct gmem m = fake(MiB(128));
	struct e820_entry e[E820_MAX_ENTRIES];
	int n = e820_build(&m, e, E820_MAX_ENTRIES);

	CHECK_EQ(n, 3);
	CHECK_EQ(e[0].addr, 0);
	CHECK_EQ(e[0].size, LAYOUT_EBDA_START);
	CHECK_EQ(e[0].type, E820_RAM);
	CHECK_EQ(e[1].type, E820_RESERVED);
	CHECK_EQ(e[2].addr, LAYOUT_HIGH_RAM);
	CHECK_EQ(e[2].addr + e[2].size, MiB(128));
}

static void test_e820_above_4g(void)
{
	struct gmem m = fake(MiB(5000));
	struct e820_entry e[E820_MAX_ENTRIES];
	int n = e820_build(&m, e, E820_MAX_ENTRIES);
	uint64_t ram = 0;

	CHECK_EQ(n, 4);
	CHECK_EQ(e[2].addr + e[2].size, LAYOUT_MMIO32_START);
	CHECK_EQ(e[3].addr, LAYOUT_HIGH_START);
	for (int i = 0; i < n; i++)
		if (e[i].type == E820_RAM)
			ram += e[i].size;
	/* All RAM but the EBDA-to-1MiB hole is reported. */
	CHECK_EQ(ram, MiB(5000) - (LAYOUT_HIGH_RAM - LAYOUT_EBDA_START));
}

static void test_e820_no_space(void)
{
	struct gmem m = fake(MiB(5000));
	struct e820_entry e[2];

	CHECK(e820_build(&m, e, 2) < 0);
}

int main(void)
{
	RUN(test_e820_small);
	RUN(test_e820_above_4g);
	RUN(test_e820_no_space);
	return harness_summary("e820");
}
