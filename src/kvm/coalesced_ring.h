/* SPDX-License-Identifier: MIT */
/* kvm/coalesced_ring.h: consuming KVM's coalesced MMIO/PIO ring (pure logic, no KVM). */
#ifndef EMBER_COALESCED_RING_H
#define EMBER_COALESCED_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

/* One delayed guest write: PIO when `pio`, else MMIO; len 1..8. */
typedef void (*coalesced_write_fn)(void *opaque, bool pio, uint64_t addr, const uint8_t *data,
				   uint32_t len);

/*
 * Hand every entry between ring->first and ring->last to `fn`, oldest first,
 * advancing ring->first past each one once `fn` has returned (so a ring
 * that looks empty has been delivered, not merely read).  `max` is
 * the ring's entry count.  The producer is the kernel, but the ring is
 * shared memory: indices at or beyond `max` stop the drain (-1 returned,
 * ring->first left valid), an entry whose length is 0 or over 8 is
 * skipped.  The caller serialises consumers.  Returns entries consumed, or
 * -1 for a broken ring.
 */
int coalesced_ring_drain(struct kvm_coalesced_mmio_ring *ring, uint32_t max,
			 coalesced_write_fn fn, void *opaque);

#endif
