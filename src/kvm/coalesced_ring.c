/* SPDX-License-Identifier: MIT */
/* kvm/coalesced_ring.c: consuming KVM's coalesced MMIO/PIO ring in order (pure logic, no KVM). */
#include "kvm/coalesced_ring.h"

int coalesced_ring_drain(struct kvm_coalesced_mmio_ring *ring, uint32_t max,
			 coalesced_write_fn fn, void *opaque)
{
	uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
	int n = 0;

	if (first >= max)
		return -1;
	for (;;) {
		/* The kernel fills an entry, then publishes it by moving last. */
		uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
		struct kvm_coalesced_mmio e;

		if (last >= max)
			return -1;
		if (first == last)
			return n;
		e = ring->coalesced_mmio[first];
		if (e.len >= 1 && e.len <= sizeof(e.data))
			fn(opaque, e.pio != 0, e.phys_addr, e.data, e.len);
		/*
		 * Free the slot only after the write reached its device: a vCPU
		 * exiting meanwhile sees a non-empty ring and waits for this
		 * consumer, instead of taking the ring for drained and reading,
		 * say, CMOS data before the index write is applied.
		 */
		first = (first + 1) % max;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
		n++;
	}
}
