/* SPDX-License-Identifier: MIT */
/* virtio/queue.c: split-virtqueue parsing over checked guest memory (spec 2.7). */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "virtio/queue.h"

/*
 * Memory ordering.  The driver runs on other CPUs and shares the rings with
 * us; virtio requires (spec 2.7.13, 2.7.7.2):
 *  - read avail->idx, then (acquire) the ring entries and descriptors it
 *    publishes;
 *  - write used elements, then (release) used->idx;
 *  - between publishing used->idx and reading flags/used_event, and between
 *    writing avail_event and re-reading avail->idx, a full barrier, or a
 *    notification can be lost (the driver does the mirror image).
 * Ring fields are accessed with __atomic builtins so the compiler neither
 * tears nor repeats them; descriptors are copied before they are checked.
 */

static inline uint16_t ring_load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, order));
}

static inline void ring_store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), order);
}

static inline void ring_store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

#define AVAIL_IDX(q)		((q)->avail + 2)
#define AVAIL_RING(q, i)	((q)->avail + 4 + 2u * (i))
#define USED_EVENT(q)		((q)->avail + 4 + 2u * (q)->size)
#define USED_FLAGS(q)		((q)->used)
#define USED_IDX(q)		((q)->used + 2)
#define USED_RING(q, i)		((q)->used + 4 + 8u * (i))
#define AVAIL_EVENT(q)		((q)->used + 4 + 8u * (q)->size)

static bool aligned(uint64_t gpa, const void *hva, uint64_t a)
{
	return !(gpa & (a - 1)) && !((uintptr_t)hva & (a - 1));
}

int vq_activate(struct vq *q, const struct gmem *mem, uint16_t max_size, bool event_idx,
		bool indirect)
{
	void *d, *a, *u;

	q->active = false;
	if (!q->size || q->size > max_size || q->size > VQ_MAX_SIZE || (q->size & (q->size - 1)))
		return -EINVAL;
	d = gmem_ptr(mem, q->desc_gpa, VRING_DESC_BYTES(q->size));
	a = gmem_ptr(mem, q->avail_gpa, VRING_AVAIL_BYTES(q->size));
	u = gmem_ptr(mem, q->used_gpa, VRING_USED_BYTES(q->size));
	if (!d || !a || !u)
		return -EINVAL;
	if (!aligned(q->desc_gpa, d, 16) || !aligned(q->avail_gpa, a, 2) ||
	    !aligned(q->used_gpa, u, 4))
		return -EINVAL;
	q->mem = mem;
	q->desc = d;
	q->avail = a;
	q->used = u;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_valid = false;
	q->broken = false;
	q->last_error = VQ_OK;
	q->active = true;
	return 0;
}

void vq_reset(struct vq *q)
{
	memset(q, 0, sizeof(*q));
}

static int fail(struct vq *q, enum vq_error e)
{
	q->broken = true;
	q->last_error = e;
	return -EINVAL;
}

/* Copy descriptor i out of a table (guest memory): no double fetch. */
static void desc_copy(const uint8_t *table, uint32_t i, struct vring_desc *d)
{
	memcpy(d, table + 16u * i, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* Number of chains the driver has published and we have not popped; acquire. */
static int avail_pending(struct vq *q, uint16_t *pending)
{
	/* Acquire: ring entries and descriptors are read after this load. */
	uint16_t idx = ring_load16(AVAIL_IDX(q), __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(idx - q->last_avail);

	if (n > q->size)
		return fail(q, VQ_ERR_AVAIL_IDX);
	*pending = n;
	return 0;
}

int vq_pop(struct vq *q, struct vq_chain *c)
{
	const uint8_t *table;
	uint32_t table_size, ttl, idx;
	bool in_indirect = false, seen_writable = false;
	uint16_t pending, head;
	int err;

	if (!q->active || !q->ready)
		return -EAGAIN;
	if (q->broken)
		return -EINVAL;
	err = avail_pending(q, &pending);
	if (err)
		return err;
	if (!pending && q->event_idx) {
		/* Ask for a kick at the next buffer, then look again: the full
		 * barrier orders our avail_event store before the idx re-read
		 * (the driver writes idx, barrier, reads avail_event). */
		ring_store16(AVAIL_EVENT(q), q->last_avail, __ATOMIC_RELAXED);
		gmem_mark_dirty(q->mem, q->used_gpa, VRING_USED_BYTES(q->size));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		err = avail_pending(q, &pending);
		if (err)
			return err;
	}
	if (!pending)
		return -EAGAIN;

	head = ring_load16(AVAIL_RING(q, q->last_avail % q->size), __ATOMIC_RELAXED);
	if (head >= q->size)
		return fail(q, VQ_ERR_INDEX);

	memset(c, 0, offsetof(struct vq_chain, buf));
	c->head = head;
	table = q->desc;
	table_size = q->size;
	ttl = q->size;		/* a chain cannot be longer than its table */
	idx = head;
	for (;;) {
		struct vring_desc d;
		void *hva;

		if (ttl-- == 0)
			return fail(q, VQ_ERR_LOOP);
		desc_copy(table, idx, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* Spec 2.7.5.3.1: only if negotiated, never nested, never
			 * with NEXT; the table is a whole number of descriptors. */
			if (!q->indirect || in_indirect || (d.flags & VRING_DESC_F_NEXT))
				return fail(q, VQ_ERR_INDIRECT);
			if (d.len == 0 || d.len % 16 || d.len / 16 > VQ_MAX_CHAIN)
				return fail(q, VQ_ERR_INDIRECT);
			hva = gmem_ptr(q->mem, d.addr, d.len);
			if (!hva)
				return fail(q, VQ_ERR_ADDR);
			table = hva;
			table_size = d.len / 16;
			ttl = table_size;
			idx = 0;
			in_indirect = true;
			continue;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			seen_writable = true;
		} else if (seen_writable) {
			return fail(q, VQ_ERR_ORDER);
		}
		if (d.len) {
			struct vq_buf *b;
			uint32_t *total = (d.flags & VRING_DESC_F_WRITE) ? &c->wlen : &c->rlen;

			hva = gmem_ptr(q->mem, d.addr, d.len);
			if (!hva)
				return fail(q, VQ_ERR_ADDR);
			if (c->nbufs == VQ_MAX_CHAIN)
				return fail(q, VQ_ERR_TOO_LONG);
			if (__builtin_add_overflow(*total, d.len, total))
				return fail(q, VQ_ERR_OVERFLOW);
			/* The device may write it: a diff snapshot must carry it
			 * (KVM's dirty log sees guest writes only). */
			if (d.flags & VRING_DESC_F_WRITE)
				gmem_mark_dirty(q->mem, d.addr, d.len);
			b = &c->buf[c->nbufs++];
			b->hva = hva;
			b->len = d.len;
			b->device_writable = (d.flags & VRING_DESC_F_WRITE) != 0;
			if (!b->device_writable)
				c->nread++;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= table_size)
			return fail(q, VQ_ERR_INDEX);
	}
	q->last_avail++;
	return 0;
}

void vq_unpop(struct vq *q)
{
	q->last_avail--;
}

int vq_fill(struct vq *q, uint16_t n, uint16_t head, uint32_t written)
{
	uint16_t slot;

	if (!q->active || head >= q->size || n >= q->size)
		return -EINVAL;
	slot = (uint16_t)(q->used_idx + n) % q->size;
	ring_store32(USED_RING(q, slot), head);
	ring_store32(USED_RING(q, slot) + 4, written);
	return 0;
}

void vq_flush(struct vq *q, uint16_t count)
{
	if (!q->active || !count)
		return;
	q->used_idx = (uint16_t)(q->used_idx + count);
	/* Release: the elements are visible before the index that publishes them. */
	ring_store16(USED_IDX(q), q->used_idx, __ATOMIC_RELEASE);
	gmem_mark_dirty(q->mem, q->used_gpa, VRING_USED_BYTES(q->size));
}

int vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	int err = vq_fill(q, 0, head, written);

	if (!err)
		vq_flush(q, 1);
	return err;
}

bool vq_should_notify(struct vq *q)
{
	uint16_t old, new_idx, event;
	bool valid;

	if (!q->active)
		return false;
	/* Full barrier: used->idx is published before we read the driver's
	 * suppression state (the driver writes it, barrier, reads used->idx). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(ring_load16(q->avail, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
	event = ring_load16(USED_EVENT(q), __ATOMIC_RELAXED);
	old = q->signalled_used;
	valid = q->signalled_valid;
	new_idx = q->used_idx;
	q->signalled_used = new_idx;
	q->signalled_valid = true;
	if (!valid)
		return true;
	/* vring_need_event(): did used_idx cross used_event since `old`? */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_has_avail(const struct vq *q)
{
	if (!q->active || !q->ready || q->broken)
		return false;
	return ring_load16(AVAIL_IDX(q), __ATOMIC_ACQUIRE) != q->last_avail;
}

const char *vq_error_str(enum vq_error e)
{
	switch (e) {
	case VQ_OK: return "ok";
	case VQ_ERR_AVAIL_IDX: return "avail index moved more than the queue size";
	case VQ_ERR_INDEX: return "descriptor index out of range";
	case VQ_ERR_LOOP: return "descriptor chain loops";
	case VQ_ERR_TOO_LONG: return "descriptor chain too long";
	case VQ_ERR_INDIRECT: return "invalid indirect descriptor";
	case VQ_ERR_ORDER: return "readable descriptor after a writable one";
	case VQ_ERR_ADDR: return "buffer outside guest RAM";
	case VQ_ERR_OVERFLOW: return "chain length overflows";
	}
	return "unknown";
}

uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < c->nread && done < len; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t n;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = MIN(b->len - off, len - done);
		memcpy((uint8_t *)dst + done, (const uint8_t *)b->hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len)
{
	uint32_t done = 0;

	for (unsigned int i = c->nread; i < c->nbufs && done < len; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t n;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = MIN(b->len - off, len - done);
		memcpy((uint8_t *)b->hva + off, (const uint8_t *)src + done, n);
		done += n;
		off = 0;
	}
	return done;
}

int vq_chain_iov(const struct vq_chain *c, bool writable, uint32_t off, uint32_t len,
		 struct iovec *iov, int max)
{
	unsigned int first = writable ? c->nread : 0, end = writable ? c->nbufs : c->nread;
	int n = 0;

	for (unsigned int i = first; i < end && len; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t k;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		if (n == max)
			return -E2BIG;
		k = MIN(b->len - off, len);
		iov[n].iov_base = (uint8_t *)b->hva + off;
		iov[n].iov_len = k;
		n++;
		len -= k;
		off = 0;
	}
	return len ? -EINVAL : n;
}
