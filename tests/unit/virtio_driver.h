/* SPDX-License-Identifier: MIT */
/* tests/unit/virtio_driver.h: a fake virtio-mmio driver that pokes registers like a guest would. */
#ifndef EMBER_TEST_VIRTIO_DRIVER_H
#define EMBER_TEST_VIRTIO_DRIVER_H

#include <sys/epoll.h>
#include <unistd.h>

#include "event/loop.h"
#include "fake_vring.h"
#include "virtio/device.h"

static inline uint32_t mmio_rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_access(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static inline void mmio_wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, true);
}

/* Dispatch what becomes ready within timeout_ms (then anything already ready). */
static inline int loop_poll_ms(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int total = 0;

	for (;;) {
		int n = epoll_wait(l->epfd, evs, 32, total ? 0 : timeout_ms);

		if (n <= 0)
			return total;
		for (int i = 0; i < n; i++) {
			struct loop_entry *e = &l->entries[evs[i].data.u32];

			if (e->fn)
				e->fn(e->opaque, evs[i].events);
		}
		total += n;
	}
}

/* Dispatch whatever is ready on the loop, without blocking; returns events run. */
static inline int loop_poll(struct loop *l)
{
	return loop_poll_ms(l, 0);
}

/* Run the loop until the used ring has an entry or ~2 s pass. */
static inline bool wait_used(struct loop *l, struct fake_ring *r)
{
	for (int i = 0; i < 200; i++) {
		if (fake_used_idx(r) != r->last_used)
			return true;
		loop_poll_ms(l, 10);
	}
	return fake_used_idx(r) != r->last_used;
}

/* Interrupts signalled since the last call (reads the irqfd's eventfd). */
static inline uint64_t irq_count(struct virtio_dev *d)
{
	uint64_t v = 0;

	if (read(d->irq_fd, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

/*
 * The driver's side of device initialisation (spec 3.1.1): reset, ACKNOWLEDGE,
 * DRIVER, features (offered & want), FEATURES_OK, queues, DRIVER_OK.
 * Returns the final status.
 */
static inline uint32_t drv_setup(struct virtio_dev *d, uint64_t want, struct fake_ring *rings,
				 unsigned int nrings)
{
	uint64_t offered;
	uint32_t st;

	mmio_wr(d, VIRTIO_MMIO_STATUS, 0);
	mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)mmio_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	mmio_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered |= mmio_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	want &= offered;
	mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	mmio_wr(d, VIRTIO_MMIO_STATUS, st);
	if (!(mmio_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return mmio_rd(d, VIRTIO_MMIO_STATUS);
	for (unsigned int i = 0; i < nrings; i++) {
		struct fake_ring *r = &rings[i];

		mmio_wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
		mmio_wr(d, VIRTIO_MMIO_QUEUE_NUM, r->size);
		mmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)r->desc);
		mmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(r->desc >> 32));
		mmio_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)r->avail);
		mmio_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(r->avail >> 32));
		mmio_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)r->used);
		mmio_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(r->used >> 32));
		mmio_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	mmio_wr(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	return mmio_rd(d, VIRTIO_MMIO_STATUS);
}

/* Kick queue q through the register (as a guest without ioeventfd) and run the loop. */
static inline void drv_kick(struct virtio_dev *d, struct loop *l, uint32_t q)
{
	mmio_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	loop_poll(l);
}

#endif
