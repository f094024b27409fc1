/* SPDX-License-Identifier: MIT */
/* tests/unit/fake_vring.c: fake guest memory and a driver-side split-ring builder for virtio tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_vring.h"
#include "virtio/abi.h"

void fake_mem_init(struct fake_mem *f, uint64_t base, uint64_t size)
{
	struct gmem_region r;

	/* Lazily backed: tests may describe gigabytes and touch a few pages. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		abort();
	f->ram = p;
	f->base = base;
	f->size = size;
	r.gpa = base;
	r.size = size;
	r.hva = f->ram;
	if (gmem_init_regions(&f->mem, &r, 1))
		abort();
}

void fake_mem_free(struct fake_mem *f)
{
	if (f->ram)
		munmap(f->ram, f->size);
	f->ram = NULL;
}

void *fake_hva(struct fake_mem *f, uint64_t gpa)
{
	if (gpa < f->base || gpa - f->base >= f->size) {
		fprintf(stderr, "fake_hva: 0x%llx outside fake RAM\n", (unsigned long long)gpa);
		abort();
	}
	return f->ram + (gpa - f->base);
}

static void put16(struct fake_mem *m, uint64_t gpa, uint16_t v) { memcpy(fake_hva(m, gpa), &v, 2); }
static uint16_t get16(struct fake_mem *m, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, fake_hva(m, gpa), 2);
	return v;
}

void fake_ring_init(struct fake_ring *r, struct fake_mem *m, uint16_t size, uint64_t base)
{
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->size = size;
	r->desc = base;
	r->avail = base + VRING_DESC_BYTES(size);
	r->used = (r->avail + VRING_AVAIL_BYTES(size) + 4095) & ~4095ull;
	memset(fake_hva(m, r->desc), 0, VRING_DESC_BYTES(size));
	memset(fake_hva(m, r->avail), 0, VRING_AVAIL_BYTES(size));
	memset(fake_hva(m, r->used), 0, VRING_USED_BYTES(size));
}

void fake_indirect_desc(struct fake_mem *m, uint64_t table, uint16_t i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(fake_hva(m, table + 16ull * i), &d, sizeof(d));
}

void fake_desc(struct fake_ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
	       uint16_t next)
{
	fake_indirect_desc(r->m, r->desc, i, addr, len, flags, next);
}

void fake_publish(struct fake_ring *r, uint16_t head)
{
	put16(r->m, r->avail + 4 + 2ull * (r->avail_idx % r->size), head);
	r->avail_idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put16(r->m, r->avail + 2, r->avail_idx);
}

void fake_set_avail_idx(struct fake_ring *r, uint16_t idx)
{
	r->avail_idx = idx;
	put16(r->m, r->avail + 2, idx);
}

void fake_set_avail_flags(struct fake_ring *r, uint16_t flags) { put16(r->m, r->avail, flags); }

void fake_set_used_event(struct fake_ring *r, uint16_t v)
{
	put16(r->m, r->avail + 4 + 2ull * r->size, v);
}

uint16_t fake_avail_event(struct fake_ring *r) { return get16(r->m, r->used + 4 + 8ull * r->size); }
uint16_t fake_used_idx(struct fake_ring *r) { return get16(r->m, r->used + 2); }

bool fake_used_next(struct fake_ring *r, uint32_t *id, uint32_t *len)
{
	uint64_t e;

	if (fake_used_idx(r) == r->last_used)
		return false;
	e = r->used + 4 + 8ull * (r->last_used % r->size);
	memcpy(id, fake_hva(r->m, e), 4);
	memcpy(len, fake_hva(r->m, e + 4), 4);
	r->last_used++;
	return true;
}

uint16_t fake_chain(struct fake_ring *r, uint16_t first, unsigned int n, const uint64_t *addr,
		    const uint32_t *len, uint32_t writable)
{
	for (unsigned int i = 0; i < n; i++) {
		uint16_t flags = (uint16_t)(((writable >> i) & 1) ? VRING_DESC_F_WRITE : 0);

		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		fake_desc(r, (uint16_t)((first + i) % r->size), addr[i], len[i], flags,
			  (uint16_t)((first + i + 1) % r->size));
	}
	fake_publish(r, first);
	return first;
}
