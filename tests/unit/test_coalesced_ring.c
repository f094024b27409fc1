/* SPDX-License-Identifier: MIT */
/* tests/unit/test_coalesced_ring.c: draining KVM's coalesced ring: order, wrap-around, bad lengths, broken indices. */
#include <stdlib.h>

#include "harness.h"
#include "kvm/coalesced_ring.h"

#define MAX 8u	/* a small ring: the real one has ~170 entries */

struct rec {
	unsigned int n;
	uint64_t addr[64];
	uint8_t byte[64];
	bool pio[64];
	uint32_t len[64];
};

static void record(void *opaque, bool pio, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct rec *r = opaque;

	if (r->n < 64) {
		r->addr[r->n] = addr;
		r->byte[r->n] = data[0];
		r->pio[r->n] = pio;
		r->len[r->n] = len;
	}
	r->n++;
}

static struct kvm_coalesced_mmio_ring *ring_new(void)
{
	return calloc(1, sizeof(struct kvm_coalesced_mmio_ring) +
			 MAX * sizeof(struct kvm_coalesced_mmio));
}

/* What KVM does for one queued write. */
static void produce(struct kvm_coalesced_mmio_ring *ring, uint64_t addr, uint8_t byte,
		    uint32_t len, bool pio)
{
	struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->last];

	memset(e, 0, sizeof(*e));
	e->phys_addr = addr;
	e->len = len;
	e->pio = pio;
	e->data[0] = byte;
	ring->last = (ring->last + 1) % MAX;
}

static void test_coalesced_empty_ring_is_a_no_op(void)
{
	struct kvm_coalesced_mmio_ring *ring = ring_new();
	struct rec r = { 0 };

	CHECK_EQ(coalesced_ring_drain(ring, MAX, record, &r), 0);
	CHECK_EQ(r.n, 0);
	free(ring);
}

static void test_coalesced_in_order_and_wraps(void)
{
	struct kvm_coalesced_mmio_ring *ring = ring_new();
	struct rec r = { 0 };

	ring->first = ring->last = MAX - 2;	/* the next writes wrap */
	produce(ring, 0x3f8, 'a', 1, true);
	produce(ring, 0x70, 0x0b, 1, true);
	produce(ring, 0xd0000000, 'c', 4, false);
	produce(ring, 0x3f8, 'd', 1, true);
	CHECK_EQ(ring->last, 2);
	CHECK_EQ(coalesced_ring_drain(ring, MAX, record, &r), 4);
	CHECK_EQ(r.n, 4);
	CHECK_EQ(r.addr[0], 0x3f8);
	CHECK_EQ(r.byte[0], 'a');
	CHECK_EQ(r.addr[1], 0x70);
	CHECK_EQ(r.addr[2], 0xd0000000);
	CHECK(!r.pio[2]);
	CHECK_EQ(r.len[2], 4);
	CHECK_EQ(r.byte[3], 'd');
	CHECK_EQ(ring->first, ring->last);
	/* drained: a second call finds nothing */
	CHECK_EQ(coalesced_ring_drain(ring, MAX, record, &r), 0);
	CHECK_EQ(r.n, 4);
	free(ring);
}

static void test_coalesced_bad_length_skipped(void)
{
	struct kvm_coalesced_mmio_ring *ring = ring_new();
	struct rec r = { 0 };

	produce(ring, 0x3f8, 'x', 0, true);
	produce(ring, 0x3f8, 'y', 9, true);
	produce(ring, 0x3f8, 'z', 1, true);
	CHECK_EQ(coalesced_ring_drain(ring, MAX, record, &r), 3);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.byte[0], 'z');
	free(ring);
}

static void test_coalesced_broken_indices_stop(void)
{
	struct kvm_coalesced_mmio_ring *ring = ring_new();
	struct rec r = { 0 };

	ring->last = MAX;	/* out of range: nothing read */
	CHECK_EQ(coalesced_ring_drain(ring, MAX, record, &r), -1);
	CHECK_EQ(r.n, 0);
	ring->last = 0;
	ring->first = 0xffffffffu;
	CHECK_EQ(coalesced_ring_drain(ring, MAX, record, &r), -1);
	CHECK_EQ(r.n, 0);
	free(ring);
}

/* Writes KVM queues while a drain runs (a handler's effect, another vCPU)
 * are delivered by the same drain. */
static void refill(void *opaque, bool pio, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct kvm_coalesced_mmio_ring *ring = opaque;

	(void)pio; (void)addr; (void)len;
	if (data[0] < 'c')
		produce(ring, 0x3f8, (uint8_t)(data[0] + 1), 1, true);
}

static void test_coalesced_entries_added_while_draining(void)
{
	struct kvm_coalesced_mmio_ring *ring = ring_new();

	produce(ring, 0x3f8, 'a', 1, true);
	CHECK_EQ(coalesced_ring_drain(ring, MAX, refill, ring), 3);
	CHECK_EQ(ring->first, ring->last);
	free(ring);
}

/* While a write is being delivered its slot is still taken: another thread
 * that finds first == last knows every queued write has reached its device. */
struct busy {
	struct kvm_coalesced_mmio_ring *ring;
	unsigned int seen, wrong;
};

static void check_slot_held(void *opaque, bool pio, uint64_t addr, const uint8_t *data,
			    uint32_t len)
{
	struct busy *b = opaque;

	(void)pio; (void)addr; (void)data; (void)len;
	if (b->ring->first != (MAX - 1 + b->seen) % MAX)
		b->wrong++;
	b->seen++;
}

static void test_coalesced_slot_held_until_delivered(void)
{
	struct kvm_coalesced_mmio_ring *ring = ring_new();
	struct busy b = { .ring = ring };

	ring->first = ring->last = MAX - 1;
	produce(ring, 0x70, 0x0a, 1, true);
	produce(ring, 0x3f8, 'q', 1, true);
	CHECK_EQ(coalesced_ring_drain(ring, MAX, check_slot_held, &b), 2);
	CHECK_EQ(b.seen, 2);
	CHECK_EQ(b.wrong, 0);
	CHECK_EQ(ring->first, 1);
	free(ring);
}

int main(void)
{
	RUN(test_coalesced_empty_ring_is_a_no_op);
	RUN(test_coalesced_in_order_and_wraps);
	RUN(test_coalesced_bad_length_skipped);
	RUN(test_coalesced_broken_indices_stop);
	RUN(test_coalesced_entries_added_while_draining);
	RUN(test_coalesced_slot_held_until_delivered);
	return harness_summary("coalesced_ring");
}
