/* SPDX-License-Identifier: MIT */
/* tests/unit/test_bus.c: PIO/MMIO range registry: overlaps, adjacency, dispatch, straddles, 0xff reads. */
#include <errno.h>

#include "bus/bus.h"
#include "harness.h"

struct dev {
	uint64_t last_off;
	uint32_t last_len;
	bool last_write;
	unsigned int calls;
	uint8_t wrote[8];
	bool fill;		/* answer reads with 0x11, 0x22, ... */
};

static void access_fn(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct dev *d = opaque;

	d->calls++;
	d->last_off = off;
	d->last_len = len;
	d->last_write = is_write;
	if (is_write)
		memcpy(d->wrote, data, len);
	else if (d->fill)
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(0x11 * (i + 1));
}

static struct bus b;
static struct dev d1, d2;

static void reset(void)
{
	memset(&b, 0, sizeof(b));
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
}

static void test_bus_overlap_refused(void)
{
	reset();
	CHECK_EQ(bus_register(&b, 0x3f8, 8, access_fn, &d1, "com1"), 0);
	CHECK_EQ(bus_register(&b, 0x3f8, 8, access_fn, &d2, "same"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0x3f0, 9, access_fn, &d2, "tail"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0x3ff, 4, access_fn, &d2, "head"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0x3fa, 1, access_fn, &d2, "inside"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0x300, 0x200, access_fn, &d2, "around"), -EEXIST);
	CHECK_EQ(b.n, 1);
}

static void test_bus_adjacent_ranges_ok(void)
{
	reset();
	CHECK_EQ(bus_register(&b, 0x3f8, 8, access_fn, &d1, "com1"), 0);
	CHECK_EQ(bus_register(&b, 0x400, 8, access_fn, &d2, "after"), 0);
	CHECK_EQ(bus_register(&b, 0x3f0, 8, access_fn, &d2, "before"), 0);
	CHECK_EQ(b.n, 3);
	CHECK_EQ(b.ranges[0].base, 0x3f0);			/* kept sorted */
	CHECK_EQ(b.ranges[1].base, 0x3f8);
	CHECK_EQ(b.ranges[2].base, 0x400);
}

static void test_bus_bad_registration_refused(void)
{
	reset();
	CHECK_EQ(bus_register(&b, 0x10, 0, access_fn, &d1, "empty"), -EINVAL);
	CHECK_EQ(bus_register(&b, 0x10, 1, NULL, &d1, "nofn"), -EINVAL);
	CHECK_EQ(bus_register(&b, UINT64_MAX, 2, access_fn, &d1, "wrap"), -EINVAL);
	CHECK_EQ(bus_register(&b, UINT64_MAX - 1, 1, access_fn, &d1, "top"), 0);
	for (unsigned int i = 1; i < BUS_MAX_RANGES; i++)
		CHECK_EQ(bus_register(&b, i * 0x10ull, 0x10, access_fn, &d1, "r"), 0);
	CHECK_EQ(bus_register(&b, 0x100000, 1, access_fn, &d1, "full"), -ENOSPC);
}

static void test_bus_dispatch_hits_with_offset(void)
{
	uint8_t data[4] = { 0xde, 0xad, 0xbe, 0xef };

	reset();
	CHECK_EQ(bus_register(&b, 0xd0000000, 0x1000, access_fn, &d1, "mmio"), 0);
	CHECK_EQ(bus_register(&b, 0xd0001000, 0x1000, access_fn, &d2, "mmio2"), 0);
	CHECK(bus_dispatch(&b, 0xd0000070, data, 4, true));
	CHECK_EQ(d1.calls, 1);
	CHECK_EQ(d1.last_off, 0x70);
	CHECK_EQ(d1.last_len, 4);
	CHECK(d1.last_write);
	CHECK(!memcmp(d1.wrote, data, 4));
	d2.fill = true;
	CHECK(bus_dispatch(&b, 0xd0001ffe, data, 2, false));
	CHECK_EQ(d2.calls, 1);
	CHECK_EQ(d2.last_off, 0xffe);
	CHECK_EQ(data[0], 0x11);
	CHECK_EQ(data[1], 0x22);
	CHECK_EQ(d1.calls, 1);
}

/* Reads nobody claims return all ones, like an empty ISA/PCI bus. */
static void test_bus_unclaimed_reads_all_ones(void)
{
	uint8_t data[8] = { 0 };

	reset();
	CHECK_EQ(bus_register(&b, 0x60, 1, access_fn, &d1, "i8042"), 0);
	CHECK(!bus_dispatch(&b, 0x80, data, 8, false));
	for (int i = 0; i < 8; i++)
		CHECK_EQ(data[i], 0xff);
	memset(data, 0, sizeof(data));
	CHECK(!bus_dispatch(&b, 0x80, data, 4, true));		/* writes are dropped */
	CHECK_EQ(data[0], 0);
	CHECK_EQ(d1.calls, 0);
	/* A handler that leaves a read alone also yields 0xff. */
	memset(data, 0, sizeof(data));
	CHECK(bus_dispatch(&b, 0x60, data, 1, false));
	CHECK_EQ(data[0], 0xff);
}

/* An access must lie inside one range: crossing its end goes nowhere. */
static void test_bus_access_straddling_end_refused(void)
{
	uint8_t data[4] = { 0 };

	reset();
	CHECK_EQ(bus_register(&b, 0x70, 2, access_fn, &d1, "rtc"), 0);
	CHECK_EQ(bus_register(&b, 0x72, 2, access_fn, &d2, "next"), 0);
	CHECK(bus_find(&b, 0x71, 1) == &b.ranges[0]);
	CHECK(bus_find(&b, 0x71, 2) == NULL);
	CHECK(!bus_dispatch(&b, 0x71, data, 2, false));
	CHECK_EQ(data[0], 0xff);
	CHECK_EQ(data[1], 0xff);
	CHECK(!bus_dispatch(&b, 0x70, data, 4, true));
	CHECK_EQ(d1.calls + d2.calls, 0);
}

/* The binary search finds every one of many ranges and nothing between them. */
static void test_bus_find_many_ranges(void)
{
	reset();
	for (unsigned int i = 0; i < BUS_MAX_RANGES; i++) {
		uint64_t base = 0x1000ull * ((i * 37) % BUS_MAX_RANGES);	/* shuffled */

		CHECK_EQ(bus_register(&b, base, 0x100, access_fn, &d1, "r"), 0);
	}
	for (unsigned int i = 0; i < BUS_MAX_RANGES; i++) {
		const struct bus_range *r = bus_find(&b, 0x1000ull * i + 0x80, 4);

		CHECK(r && r->base == 0x1000ull * i);
		CHECK(bus_find(&b, 0x1000ull * i + 0x100, 1) == NULL);
	}
	for (unsigned int i = 1; i < b.n; i++)
		CHECK(b.ranges[i - 1].base < b.ranges[i].base);
}

int main(void)
{
	RUN(test_bus_overlap_refused);
	RUN(test_bus_adjacent_ranges_ok);
	RUN(test_bus_bad_registration_refused);
	RUN(test_bus_dispatch_hits_with_offset);
	RUN(test_bus_unclaimed_reads_all_ones);
	RUN(test_bus_access_straddling_end_refused);
	RUN(test_bus_find_many_ranges);
	return harness_summary("bus");
}
