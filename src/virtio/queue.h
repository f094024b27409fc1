/* SPDX-License-Identifier: MIT */
/* virtio/queue.h: split virtqueues over checked guest memory (virtio spec v1.2 section 2.7). */
#ifndef EMBER_VIRTIO_QUEUE_H
#define EMBER_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "mem/gmem.h"
#include "util/compiler.h"
#include "virtio/abi.h"

#define VQ_MAX_SIZE	256	/* largest QueueNumMax any ember device offers */
#define VQ_MAX_CHAIN	256	/* buffers per chain, direct and indirect together */

/* One guest buffer, already checked by gmem_ptr() for [gpa, gpa+len). */
struct vq_buf {
	void *hva;
	uint32_t len;
	bool device_writable;
};

/*
 * A popped descriptor chain.  Readable buffers come first (buf[0..nread)),
 * then writable ones; rlen/wlen are their byte totals (overflow-checked).
 * Zero-length descriptors are dropped.
 */
struct vq_chain {
	uint16_t head;
	uint16_t nbufs;
	uint16_t nread;
	uint32_t rlen;
	uint32_t wlen;
	struct vq_buf buf[VQ_MAX_CHAIN];
};

/* Why vq_pop refused a chain (for counters and the error policy). */
enum vq_error {
	VQ_OK = 0,
	VQ_ERR_AVAIL_IDX,	/* avail->idx moved more than `size` past last_avail */
	VQ_ERR_INDEX,		/* head or next >= table size */
	VQ_ERR_LOOP,		/* chain longer than its table (a loop) */
	VQ_ERR_TOO_LONG,	/* more than VQ_MAX_CHAIN buffers */
	VQ_ERR_INDIRECT,	/* nested, NEXT+INDIRECT, bad length, not negotiated */
	VQ_ERR_ORDER,		/* readable buffer after a writable one */
	VQ_ERR_ADDR,		/* buffer or table not inside guest RAM */
	VQ_ERR_OVERFLOW,	/* chain byte total does not fit in 32 bits */
};

/*
 * Guest-visible queue configuration (written by the transport) and the
 * device-side ring state.  Plain fields only, so a snapshot can encode it.
 */
struct vq {
	/* Transport-owned configuration (virtio-mmio QueueNum/Desc/Driver/Device). */
	uint16_t size;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Set by vq_activate(). */
	bool active;
	bool event_idx;
	bool indirect;
	const struct gmem *mem;
	uint8_t *desc;		/* hva of the descriptor table, size * 16 bytes */
	uint8_t *avail;		/* hva of the avail ring incl. used_event */
	uint8_t *used;		/* hva of the used ring incl. avail_event */

	/* Ring state. */
	uint16_t last_avail;	/* next avail slot the device will read */
	uint16_t used_idx;	/* next used slot the device will write */
	uint16_t signalled_used;
	bool signalled_valid;
	bool broken;		/* a guest error was seen: stop until reset */
	enum vq_error last_error;
};

/*
 * Check and map the rings: size a power of two in 1..max_size, desc 16-byte,
 * avail 2-byte and used 4-byte aligned, every ring inside guest RAM
 * (spec 2.7, 4.2.3.2).  0 or -EINVAL (q unchanged apart from active=false).
 */
int vq_activate(struct vq *q, const struct gmem *mem, uint16_t max_size, bool event_idx,
		bool indirect) __must_check;

/* Forget everything, configuration included (device reset). */
void vq_reset(struct vq *q);

/*
 * Pop the next available chain into *c.
 * Returns 0, -EAGAIN when the ring is empty (with EVENT_IDX, avail_event is
 * re-armed first, so a kick follows any later buffer), or -EINVAL when the
 * guest broke a ring invariant: the queue is then marked broken, q->last_error
 * says why, and every later call returns -EINVAL until vq_reset().
 */
int vq_pop(struct vq *q, struct vq_chain *c) __must_check;

/* Give the driver's buffers back without using them (undo the last pop). */
void vq_unpop(struct vq *q);

/*
 * Return chain `head` with `written` bytes written into its writable
 * buffers.  `written` must not exceed the chain's wlen (callers clamp).
 * 0 or -EINVAL when head >= size (a device bug, not a guest error).
 */
int vq_push(struct vq *q, uint16_t head, uint32_t written) __must_check;

/*
 * Several chains the driver must see together (a virtio-net frame over
 * mergeable rx buffers): vq_fill() writes used element `n` (0, 1, ...) past
 * the published ones without publishing it, vq_flush() publishes `count` of
 * them with one used->idx store.  0 or -EINVAL (head or n >= size).
 */
int vq_fill(struct vq *q, uint16_t n, uint16_t head, uint32_t written) __must_check;
void vq_flush(struct vq *q, uint16_t count);

/*
 * Whether the driver wants an interrupt for what was pushed since the last
 * notification: VRING_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX
 * (spec 2.7.10).  Call once after a batch of vq_push().
 */
bool vq_should_notify(struct vq *q);

/* True when the driver has made buffers available that are not popped yet. */
bool vq_has_avail(const struct vq *q);

/* Human-readable name of a vq_error (for rate-limited logs). */
const char *vq_error_str(enum vq_error e);

/* Copy up to len bytes of the readable part of c, from byte `off`, into dst.
 * Returns the number of bytes copied. */
uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len);
/* Copy len bytes into the writable part of c starting at writable byte `off`.
 * Returns the number of bytes copied (short when the buffers are too small). */
uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len);

struct iovec;

/*
 * Build iovecs over bytes [off, off+len) of the readable (writable=false) or
 * writable (writable=true) part of chain c.  Returns the number of iovecs,
 * or -E2BIG when more than max would be needed, or -EINVAL when the chain
 * part is shorter than off+len.
 */
int vq_chain_iov(const struct vq_chain *c, bool writable, uint32_t off, uint32_t len,
		 struct iovec *iov, int max) __must_check;

#endif
