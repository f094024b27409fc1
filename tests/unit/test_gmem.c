/* SPDX-License-Identifier: MIT */
/* tests/unit/test_gmem.c: the guest-memory gate: region sets, gmem_ptr bounds, overflow, copies. */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "mem/gmem.h"
#include "mem/layout.h"

static uint8_t a[0x2000], b[0x1000], c[0x1000];

/* Two regions: [0x0, 0x2000) and [0x10000, 0x11000), plus an adjacent [0x11000, 0x12000). */
static struct gmem three(void)
{
	struct gmem m;
	struct gmem_region r[3] = {
		{ 0x0, sizeof(a), a }, { 0x10000, sizeof(b), b }, { 0x11000, sizeof(c), c },
	};

	if (gmem_init_regions(&m, r, 3))
		harness_cur_failed++;
	return m;
}

static void test_gmem_region_sets_validated(void)
{
	struct gmem m;
	struct gmem_region r[5] = {
		{ 0x0, 0x1000, a }, { 0x1000, 0x1000, b }, { 0x4000, 0x1000, c },
		{ 0x8000, 0x1000, a }, { 0x9000, 0x1000, b },
	};
	struct gmem_region unsorted[2] = { { 0x4000, 0x1000, a }, { 0x0, 0x1000, b } };
	struct gmem_region overlap[2] = { { 0x0, 0x2000, a }, { 0x1fff, 0x1000, b } };
	struct gmem_region wrap[1] = { { UINT64_MAX - 0xfff, 0x1000, a } };
	struct gmem_region empty[1] = { { 0x0, 0, a } };
	struct gmem_region nohva[1] = { { 0x0, 0x1000, NULL } };

	CHECK_EQ(gmem_init_regions(&m, r, 2), 0);		/* adjacent is fine */
	CHECK_EQ(m.total, 0x2000);
	CHECK_EQ(gmem_init_regions(&m, r, 4), 0);
	CHECK_EQ(gmem_init_regions(&m, r, 0), -EINVAL);
	CHECK_EQ(gmem_init_regions(&m, r, GMEM_MAX_REGIONS + 1), -EINVAL);
	CHECK_EQ(gmem_init_regions(&m, unsorted, 2), -EINVAL);
	CHECK_EQ(gmem_init_regions(&m, overlap, 2), -EINVAL);
	CHECK_EQ(gmem_init_regions(&m, wrap, 1), -EINVAL);	/* end == 2^64 */
	CHECK_EQ(gmem_init_regions(&m, empty, 1), -EINVAL);
	CHECK_EQ(gmem_init_regions(&m, nohva, 1), -EINVAL);
}

static void test_gmem_ptr_inside_regions(void)
{
	struct gmem m = three();

	CHECK(gmem_ptr(&m, 0, 1) == a);
	CHECK(gmem_ptr(&m, 0, sizeof(a)) == a);			/* a whole region */
	CHECK(gmem_ptr(&m, 0x1fff, 1) == a + 0x1fff);
	CHECK(gmem_ptr(&m, 0x10000, 0x1000) == b);
	CHECK(gmem_ptr(&m, 0x11800, 0x800) == c + 0x800);
}

/* A range must lie in one region: straddling an end or two adjacent regions is refused. */
static void test_gmem_ptr_straddles_refused(void)
{
	struct gmem m = three();

	CHECK(gmem_ptr(&m, 0x1fff, 2) == NULL);			/* past region end */
	CHECK(gmem_ptr(&m, 0, sizeof(a) + 1) == NULL);
	CHECK(gmem_ptr(&m, 0x10fff, 2) == NULL);		/* b into adjacent c */
	CHECK(gmem_ptr(&m, 0x10000, 0x2000) == NULL);
	CHECK(gmem_ptr(&m, 0x2000, 1) == NULL);			/* in the hole */
	CHECK(gmem_ptr(&m, 0xffff, 2) == NULL);			/* hole into b */
	CHECK(gmem_ptr(&m, 0x12000, 1) == NULL);		/* past everything */
}

/* len 0 is valid inside a region and at its very end, nowhere else. */
static void test_gmem_ptr_zero_length(void)
{
	struct gmem m = three();

	CHECK(gmem_ptr(&m, 0x100, 0) == a + 0x100);
	CHECK(gmem_ptr(&m, 0x2000, 0) == a + 0x2000);		/* one past a */
	CHECK(gmem_ptr(&m, 0x2001, 0) == NULL);
	CHECK(gmem_ptr(&m, 0x8000, 0) == NULL);
	CHECK(gmem_ptr(&m, 0x12000, 0) == c + 0x1000);
}

/* gpa + len must not wrap: huge lengths and addresses near 2^64 are refused. */
static void test_gmem_ptr_overflow_refused(void)
{
	struct gmem m = three();
	static uint8_t top[0x1000];
	struct gmem_region r = { UINT64_MAX - 0x1000, 0x1000, top };	/* ends at 2^64 - 1 */

	CHECK(gmem_ptr(&m, 0x10, UINT64_MAX) == NULL);
	CHECK(gmem_ptr(&m, 0x10, UINT64_MAX - 0xf) == NULL);	/* wraps to exactly 0 */
	CHECK(gmem_ptr(&m, 0x10000, UINT64_MAX - 0xffff) == NULL);
	CHECK(gmem_ptr(&m, UINT64_MAX, 1) == NULL);
	CHECK(gmem_ptr(&m, UINT64_MAX, 0) == NULL);
	CHECK_EQ(gmem_init_regions(&m, &r, 1), 0);
	CHECK(gmem_ptr(&m, UINT64_MAX - 1, 1) == top + 0xfff);	/* last byte */
	CHECK(gmem_ptr(&m, UINT64_MAX - 1, 2) == NULL);
	CHECK(gmem_ptr(&m, UINT64_MAX - 0x1000, 0x1000) == top);
	CHECK(gmem_ptr(&m, UINT64_MAX - 0x800, UINT64_MAX) == NULL);
}

static void test_gmem_read_write_copy_or_efault(void)
{
	struct gmem m = three();
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, got[8] = { 0 };

	CHECK_EQ(gmem_write(&m, 0x10004, buf, 8), 0);
	CHECK(!memcmp(b + 4, buf, 8));
	CHECK_EQ(gmem_read(&m, 0x10004, got, 8), 0);
	CHECK(!memcmp(got, buf, 8));
	CHECK_EQ(gmem_write(&m, 0x10ffc, buf, 8), -EFAULT);	/* straddles into c */
	CHECK_EQ(c[0], 0);
	CHECK_EQ(gmem_read(&m, 0x3000, got, 1), -EFAULT);
}

static void test_gmem_low_end(void)
{
	struct gmem m = three();
	struct gmem x;

	CHECK_EQ(gmem_low_end(&m), 0x2000);
	CHECK_EQ(gmem_create_x86(&x, MiB(5000)), 0);
	CHECK_EQ(x.nr_regions, 2);
	CHECK_EQ(gmem_low_end(&x), LAYOUT_MMIO32_START);
	CHECK_EQ(x.regions[1].gpa, LAYOUT_HIGH_START);
	CHECK_EQ(x.total, MiB(5000));
	CHECK(gmem_ptr(&x, LAYOUT_MMIO32_START, 1) == NULL);	/* the gap */
	CHECK(gmem_ptr(&x, LAYOUT_HIGH_START + MiB(5000 - 3072) - 1, 1) != NULL);
	gmem_destroy(&x);
	CHECK_EQ(x.nr_regions, 0);
}

/* gmem_create_x86 takes 8 MiB .. 1 TiB in whole pages. */
static void test_gmem_create_x86_limits(void)
{
	struct gmem x;

	CHECK_EQ(gmem_create_x86(&x, MiB(8) - 4096), -EINVAL);
	CHECK_EQ(gmem_create_x86(&x, MiB(8) + 1), -EINVAL);
	CHECK_EQ(gmem_create_x86(&x, MiB(LAYOUT_MAX_MEM_MIB) + 4096), -EINVAL);
	CHECK_EQ(gmem_create_x86(&x, MiB(8)), 0);
	CHECK_EQ(x.nr_regions, 1);
	CHECK_EQ(gmem_low_end(&x), MiB(8));
	gmem_destroy(&x);
}

/* VMM writes are recorded page by page for diff snapshots, and taken once. */
static void test_gmem_dirty_bitmap(void)
{
	struct gmem m = three();
	uint64_t bm[1] = { 0 }, bm1[1] = { 0 };
	uint8_t x[16] = { 1 };

	gmem_mark_dirty(&m, 0, 0x2000);		/* not tracking: nothing happens */
	CHECK(m.dirty[0] == NULL);
	CHECK_EQ(gmem_dirty_enable(&m), 0);
	gmem_dirty_take(&m, 0, bm);
	CHECK_EQ(bm[0], 0);
	CHECK_EQ(gmem_write(&m, 0x1ff8, x, 16), -EFAULT);	/* straddles: refused, unmarked */
	CHECK_EQ(gmem_write(&m, 0xff8, x, 16), 0);		/* pages 0 and 1 */
	gmem_dirty_take(&m, 0, bm);
	CHECK_EQ(bm[0], 0x3);
	bm[0] = 0;
	gmem_dirty_take(&m, 0, bm);				/* taken means cleared */
	CHECK_EQ(bm[0], 0);
	CHECK_EQ(gmem_write(&m, 0x10010, x, 1), 0);		/* region 1, page 0 */
	gmem_mark_dirty(&m, 0x1fff, 0x10002);			/* clipped to each region */
	gmem_mark_dirty_hva(&m, c + 0x10, 4);			/* region 2 via its host address */
	gmem_mark_dirty(&m, 0x5000, 0x100);			/* no RAM there: ignored */
	gmem_dirty_take(&m, 0, bm);
	CHECK_EQ(bm[0], 0x2);
	gmem_dirty_take(&m, 1, bm1);
	CHECK_EQ(bm1[0], 0x1);
	bm1[0] = 0;
	gmem_dirty_take(&m, 2, bm1);
	CHECK_EQ(bm1[0], 0x1);
	gmem_dirty_take(&m, 7, bm1);				/* no such region: no-op */
	for (unsigned int i = 0; i < GMEM_MAX_REGIONS; i++)
		free(m.dirty[i]);
}

int main(void)
{
	RUN(test_gmem_region_sets_validated);
	RUN(test_gmem_ptr_inside_regions);
	RUN(test_gmem_ptr_straddles_refused);
	RUN(test_gmem_ptr_zero_length);
	RUN(test_gmem_ptr_overflow_refused);
	RUN(test_gmem_read_write_copy_or_efault);
	RUN(test_gmem_low_end);
	RUN(test_gmem_create_x86_limits);
	RUN(test_gmem_dirty_bitmap);
	return harness_summary("gmem");
}
