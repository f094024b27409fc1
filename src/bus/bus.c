/* SPDX-License-Identifier: MIT */
/* bus/bus.c: sorted range table with binary-search dispatch for PIO and MMIO. */
#include <errno.h>
#include <string.h>

#include "bus/bus.h"

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn fn,
		 void *opaque, const char *name)
{
	uint64_t end;
	unsigned int i;

	if (!len || !fn || __builtin_add_overflow(base, len, &end))
		return -EINVAL;
	if (b->n == BUS_MAX_RANGES)
		return -ENOSPC;
	for (i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->ranges[i];

		if (base < r->base + r->len && r->base < end)
			return -EEXIST;
		if (r->base > base)
			break;
	}
	memmove(&b->ranges[i + 1], &b->ranges[i], (b->n - i) * sizeof(b->ranges[0]));
	b->ranges[i] = (struct bus_range){ base, len, fn, opaque, name };
	b->n++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr, uint32_t len)
{
	unsigned int lo = 0, hi = b->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &b->ranges[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			return range_ok(addr - r->base, len, r->len) ? r : NULL;
		}
	}
	return NULL;
}

bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		  bool is_write)
{
	const struct bus_range *r = bus_find(b, addr, len);

	if (!is_write)
		memset(data, 0xff, len);
	if (!r)
		return false;
	r->fn(r->opaque, addr - r->base, data, len, is_write);
	return true;
}
