/* SPDX-License-Identifier: MIT */
/* tests/unit/fake_vring.h: fake guest memory and a driver-side split-ring builder for virtio tests. */
#ifndef EMBER_FAKE_VRING_H
#define EMBER_FAKE_VRING_H

#include <stdbool.h>
#include <stdint.h>
#include "mem/gmem.h"

/* Guest RAM: one page-aligned malloc'd region at gpa `base`. */
struct fake_mem {
	uint8_t *ram;
	uint64_t base, size;
	struct gmem mem;
};

void fake_mem_init(struct fake_mem *f, uint64_t base, uint64_t size);
void fake_mem_free(struct fake_mem *f);
void *fake_hva(struct fake_mem *f, uint64_t gpa);

/* The driver's view of one split ring living in fake memory. */
struct fake_ring {
	struct fake_mem *m;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx;	/* driver's shadow of avail->idx */
	uint16_t last_used;	/* next used entry the driver will read */
};

/* Lay out desc/avail/used from `base` (desc at base, used page-aligned). */
void fake_ring_init(struct fake_ring *r, struct fake_mem *m, uint16_t size, uint64_t base);
void fake_desc(struct fake_ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
	       uint16_t next);
/* Write a descriptor into an indirect table at gpa `table`. */
void fake_indirect_desc(struct fake_mem *m, uint64_t table, uint16_t i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next);
/* Put head in the avail ring and publish it (avail->idx++). */
void fake_publish(struct fake_ring *r, uint16_t head);
void fake_set_avail_idx(struct fake_ring *r, uint16_t idx);
void fake_set_avail_flags(struct fake_ring *r, uint16_t flags);
void fake_set_used_event(struct fake_ring *r, uint16_t v);
uint16_t fake_avail_event(struct fake_ring *r);
uint16_t fake_used_idx(struct fake_ring *r);
/* Next used element, if any: returns true and fills id and len. */
bool fake_used_next(struct fake_ring *r, uint32_t *id, uint32_t *len);

/*
 * Build a chain of n buffers at descriptors first..first+n-1 (flags from
 * `writable`: bit i set = buffer i device-writable), publish it, return head.
 */
uint16_t fake_chain(struct fake_ring *r, uint16_t first, unsigned int n, const uint64_t *addr,
		    const uint32_t *len, uint32_t writable);

#endif
