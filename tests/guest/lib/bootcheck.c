// SPDX-License-Identifier: MIT
/* tests/guest/lib/bootcheck.c: checks shared by the boot tests: memory map, command line, initrd. */
#include "guest.h"
#include "bootcheck.h"

#define KiB		((u64)1 << 10)
#define MiB		((u64)1 << 20)
#define GiB		((u64)1 << 30)
#define LOW_RAM_END	(u64)0xa0000	/* 640 KiB */
#define MMIO_HOLE	(3 * GiB)	/* RAM above this continues at 4 GiB */
#define MAPPED_END	(8 * GiB)	/* what our page tables map */

extern char __image_start[], __image_end[];

static const char *type_name(u32 type)
{
	switch (type) {
	case E820_RAM:
		return "RAM";
	case E820_RESERVED:
		return "reserved";
	}
	return "other";
}

/* RAM bytes of the map inside [lo, hi). */
static u64 ram_in(u64 lo, u64 hi)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < boot.nr_ranges; i++) {
		const struct mem_range *r = &boot.ranges[i];
		u64 s = r->addr, e = r->addr + r->size;

		if (r->type != E820_RAM)
			continue;
		if (s < lo)
			s = lo;
		if (e > hi)
			e = hi;
		if (e > s)
			sum += e - s;
	}
	return sum;
}

static const struct mem_range *ram_range_at(u64 addr)
{
	int i;

	for (i = 0; i < boot.nr_ranges; i++) {
		const struct mem_range *r = &boot.ranges[i];

		if (r->type == E820_RAM && r->addr == addr)
			return r;
	}
	return NULL;
}

bool is_ram(u64 addr, u64 size)
{
	int i;

	for (i = 0; i < boot.nr_ranges; i++) {
		const struct mem_range *r = &boot.ranges[i];

		if (r->type == E820_RAM && addr >= r->addr &&
		    addr + size <= r->addr + r->size)
			return true;
	}
	return false;
}

bool overlaps_image(u64 addr, u64 size)
{
	u64 s = (u64)(uintptr_t)__image_start, e = (u64)(uintptr_t)__image_end;

	return addr < e && addr + size > s;
}

static void touch(u64 addr)
{
	volatile u64 *p = (volatile u64 *)(uintptr_t)addr;
	u64 pattern = 0x5a5aa5a500000000ull | (addr >> 12);

	*p = pattern;
	GUEST_ASSERT_EQ(*p, pattern);
}

void check_memory_map(void)
{
	u64 mem = cmdline_uint("mem", 0) * MiB;
	u64 low_end = mem < MMIO_HOLE ? mem : MMIO_HOLE;
	const struct mem_range *r;
	int i, j;

	GUEST_ASSERT_MSG(mem, "the command line must say mem=<MiB>, as passed to --mem");
	GUEST_ASSERT(boot.nr_ranges >= 2);
	GUEST_ASSERT(boot.nr_ranges < MAX_MEM_RANGES);

	for (i = 0; i < boot.nr_ranges; i++) {
		r = &boot.ranges[i];
		GUEST_PRINTF("memmap[%d]: 0x%010lx-0x%010lx %s (%u)", i, r->addr,
			     r->addr + r->size - 1, type_name(r->type), r->type);
		GUEST_ASSERT_NE(r->size, 0);
		GUEST_ASSERT(r->addr + r->size > r->addr);
		for (j = 0; j < i; j++) {
			const struct mem_range *q = &boot.ranges[j];

			__GUEST_ASSERT(r->addr >= q->addr + q->size || q->addr >= r->addr + r->size,
				       r->addr, q->addr, "memmap entries %d and %d overlap", j, i);
		}
	}

	/* Conventional memory: RAM below 640 KiB, none in the 640 KiB-1 MiB hole. */
	__GUEST_ASSERT(ram_in(0, LOW_RAM_END) >= 512 * KiB, ram_in(0, LOW_RAM_END), 512 * KiB,
		       "RAM below 640 KiB: 0x%lx bytes", ram_in(0, LOW_RAM_END));
	GUEST_ASSERT_EQ(ram_in(LOW_RAM_END, 1 * MiB), 0);

	/* From 1 MiB: one block up to min(mem, 3 GiB), the rest from 4 GiB. */
	r = ram_range_at(1 * MiB);
	GUEST_ASSERT_MSG(r, "no RAM entry starting at 1 MiB");
	GUEST_ASSERT_EQ(r->addr + r->size, low_end);
	GUEST_ASSERT_EQ(ram_in(1 * MiB, 4 * GiB), low_end - 1 * MiB);
	if (mem > MMIO_HOLE) {
		r = ram_range_at(4 * GiB);
		GUEST_ASSERT_MSG(r, "mem > 3 GiB but no RAM entry at 4 GiB");
		GUEST_ASSERT_EQ(r->size, mem - MMIO_HOLE);
	}
	GUEST_ASSERT_EQ(ram_in(4 * GiB, ~0ull), mem > MMIO_HOLE ? mem - MMIO_HOLE : 0);
	/* Total: all of --mem but what the first MiB keeps back. */
	GUEST_ASSERT_EQ(ram_in(1 * MiB, ~0ull), mem - 1 * MiB);

	/* This guest lies in RAM; and the RAM is really there. */
	GUEST_ASSERT(is_ram((u64)(uintptr_t)__image_start,
			    (u64)(__image_end - __image_start)));
	touch(low_end - 8);
	touch(3 * MiB);
	if (mem > MMIO_HOLE && 4 * GiB + (mem - MMIO_HOLE) <= MAPPED_END) {
		touch(4 * GiB);
		touch(4 * GiB + (mem - MMIO_HOLE) - 8);
	}
	GUEST_PRINTF("memmap: %d entries, RAM 0x%lx below 1 MiB, 0x%lx from 1 MiB (mem=%lu MiB)",
		     boot.nr_ranges, ram_in(0, 1 * MiB), ram_in(1 * MiB, ~0ull), mem / MiB);
}

void check_cmdline(void)
{
	const char *cl = boot.cmdline;
	size_t len = strlen(cl);
	u64 want = cmdline_uint("len", ~0ull);

	/* The runner matches this echo against what it passed to --cmdline. */
	if (len < 160)
		GUEST_PRINTF("cmdline=[%s]", cl);
	else
		GUEST_PRINTF("cmdline: %lu bytes", (u64)len);
	GUEST_ASSERT_MSG(want != ~0ull, "the command line must say len=<its length>");
	GUEST_ASSERT_EQ(len, want);
	GUEST_ASSERT(!overlaps_image((u64)(uintptr_t)cl, len + 1));
}

void check_initrd(void)
{
	static const char magic[] = "EMBER-INITRD-TEST\n";
	u64 want = cmdline_uint("initrd_size", 0);
	const char *p = (const char *)(uintptr_t)boot.initrd_addr;

	GUEST_ASSERT_EQ(boot.initrd_size, want);
	if (!want)
		return;
	GUEST_PRINTF("initrd at 0x%lx, %lu bytes", boot.initrd_addr, boot.initrd_size);
	GUEST_ASSERT_NE(boot.initrd_addr, 0);
	GUEST_ASSERT(is_ram(boot.initrd_addr, boot.initrd_size));
	GUEST_ASSERT(!overlaps_image(boot.initrd_addr, boot.initrd_size));
	GUEST_ASSERT(boot.initrd_size >= sizeof(magic));
	GUEST_ASSERT_EQ(memcmp(p, magic, sizeof(magic) - 1), 0);
	GUEST_ASSERT_EQ(p[boot.initrd_size - 1], '\n');
}
