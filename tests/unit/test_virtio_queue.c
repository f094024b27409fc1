/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_queue.c: every vq_pop/vq_push/vq_should_notify invariant on fake guest memory. */
#include <errno.h>
#include <stdlib.h>

#include "fake_vring.h"
#include "harness.h"
#include "virtio/queue.h"

#define RAM	(4ull << 20)
#define RING	0x10000ull
#define DATA	0x100000ull

static struct fake_mem fm;
static struct fake_ring fr;
static struct vq q;
static struct vq_chain ch;

static void setup(uint16_t size, bool event_idx, bool indirect)
{
	fake_mem_free(&fm);
	fake_mem_init(&fm, 0, RAM);
	fake_ring_init(&fr, &fm, size, RING);
	vq_reset(&q);
	q.size = size;
	q.desc_gpa = fr.desc;
	q.avail_gpa = fr.avail;
	q.used_gpa = fr.used;
	q.ready = true;
	if (vq_activate(&q, &fm.mem, 256, event_idx, indirect))
		abort();
}

static int pop_err(enum vq_error want)
{
	int r = vq_pop(&q, &ch);

	CHECK_EQ(r, -EINVAL);
	CHECK_EQ(q.last_error, want);
	CHECK(q.broken);
	/* Broken is sticky: nothing more is read from this queue. */
	CHECK_EQ(vq_pop(&q, &ch), -EINVAL);
	return r;
}

/* Spec 2.7.13: an empty ring pops nothing. */
static void test_vq_empty(void)
{
	setup(16, false, false);
	CHECK_EQ(vq_pop(&q, &ch), -EAGAIN);
	CHECK(!vq_has_avail(&q));
}

static void test_vq_simple_chain(void)
{
	uint64_t a[3] = { DATA, DATA + 0x100, DATA + 0x1000 };
	uint32_t l[3] = { 16, 512, 1 };
	uint32_t id, len;

	setup(16, false, false);
	fake_chain(&fr, 3, 3, a, l, 0x6);
	CHECK(vq_has_avail(&q));
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(ch.head, 3);
	CHECK_EQ(ch.nbufs, 3);
	CHECK_EQ(ch.nread, 1);
	CHECK_EQ(ch.rlen, 16);
	CHECK_EQ(ch.wlen, 513);
	CHECK(ch.buf[0].hva == fake_hva(&fm, DATA));
	CHECK(!ch.buf[0].device_writable);
	CHECK(ch.buf[2].device_writable);
	CHECK_EQ(vq_pop(&q, &ch), -EAGAIN);
	CHECK_EQ(vq_push(&q, 3, 77), 0);
	CHECK(fake_used_next(&fr, &id, &len));
	CHECK_EQ(id, 3);
	CHECK_EQ(len, 77);
	CHECK_EQ(vq_push(&q, 16, 0), -EINVAL);	/* head >= size: device bug */
}

/* Firecracker InvalidAvailIdx: avail->idx - last_avail must be <= size. */
static void test_vq_avail_idx_jump(void)
{
	setup(16, false, false);
	fake_set_avail_idx(&fr, 17);
	pop_err(VQ_ERR_AVAIL_IDX);
	setup(16, false, false);
	fake_set_avail_idx(&fr, 16);	/* exactly size is fine */
	CHECK_EQ(vq_pop(&q, &ch), 0);
}

/* 16-bit index wrap-around is normal operation, not an error. */
static void test_vq_index_wrap(void)
{
	uint64_t a = DATA;
	uint32_t l = 8;

	setup(8, false, false);
	q.last_avail = 65534;
	fake_set_avail_idx(&fr, 65534);
	for (int i = 0; i < 4; i++) {
		fake_chain(&fr, (uint16_t)i, 1, &a, &l, 0);
		CHECK_EQ(vq_pop(&q, &ch), 0);
		CHECK_EQ(ch.head, i);
	}
	CHECK_EQ(q.last_avail, 2);
}

static void test_vq_head_out_of_range(void)
{
	setup(16, false, false);
	fake_publish(&fr, 16);
	pop_err(VQ_ERR_INDEX);
}

static void test_vq_next_out_of_range(void)
{
	setup(16, false, false);
	fake_desc(&fr, 0, DATA, 8, VRING_DESC_F_NEXT, 200);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_INDEX);
}

/* vmd/Firecracker loop guard: a chain is never longer than its table. */
static void test_vq_loop(void)
{
	setup(16, false, false);
	fake_desc(&fr, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	fake_desc(&fr, 1, DATA, 8, VRING_DESC_F_NEXT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_LOOP);
	/* Self-loop of zero-length descriptors (CVE-2016-6490 class). */
	setup(16, false, false);
	fake_desc(&fr, 5, DATA, 0, VRING_DESC_F_NEXT, 5);
	fake_publish(&fr, 5);
	pop_err(VQ_ERR_LOOP);
}

/* Spec 2.7.4.2: readable descriptors precede writable ones. */
static void test_vq_readable_after_writable(void)
{
	uint64_t a[2] = { DATA, DATA + 64 };
	uint32_t l[2] = { 8, 8 };

	setup(16, false, false);
	fake_chain(&fr, 0, 2, a, l, 0x1);
	pop_err(VQ_ERR_ORDER);
}

/* Every buffer goes through gmem_ptr(gpa, len) (CVE-2016-7422, kvmtool). */
static void test_vq_buffer_outside_ram(void)
{
	uint64_t a;
	uint32_t l;

	setup(16, false, false);
	a = RAM;	/* just past the end */
	l = 1;
	fake_chain(&fr, 0, 1, &a, &l, 0);
	pop_err(VQ_ERR_ADDR);
	setup(16, false, false);
	a = RAM - 8;	/* straddles the end */
	l = 16;
	fake_chain(&fr, 0, 1, &a, &l, 0);
	pop_err(VQ_ERR_ADDR);
	setup(16, false, false);
	a = ~0ull - 3;	/* gpa + len wraps */
	l = 8;
	fake_chain(&fr, 0, 1, &a, &l, 0);
	pop_err(VQ_ERR_ADDR);
}

/* len == 0 carries nothing: dropped, its address is never used. */
static void test_vq_zero_length(void)
{
	uint64_t a[3] = { ~0ull, DATA, ~0ull };
	uint32_t l[3] = { 0, 4, 0 };

	setup(16, false, false);
	fake_chain(&fr, 0, 3, a, l, 0x4);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(ch.nbufs, 1);
	CHECK_EQ(ch.rlen, 4);
	CHECK_EQ(ch.wlen, 0);
}

/* Chain totals are overflow-checked (Solo5 add_overflow). */
static void test_vq_length_overflow(void)
{
	struct fake_mem big;
	struct fake_ring r;
	struct vq bq;

	fake_mem_init(&big, 0, 5ull << 30);	/* lazily backed */
	fake_ring_init(&r, &big, 4, RING);
	vq_reset(&bq);
	bq.size = 4;
	bq.desc_gpa = r.desc;
	bq.avail_gpa = r.avail;
	bq.used_gpa = r.used;
	bq.ready = true;
	CHECK_EQ(vq_activate(&bq, &big.mem, 256, false, false), 0);
	{
		uint64_t a[2] = { 1ull << 30, 3ull << 30 };
		uint32_t l[2] = { 0x80000000u, 0x80000000u };

		fake_chain(&r, 0, 2, a, l, 0);
	}
	CHECK_EQ(vq_pop(&bq, &ch), -EINVAL);
	CHECK_EQ(bq.last_error, VQ_ERR_OVERFLOW);
	fake_mem_free(&big);
}

static void test_vq_indirect_ok(void)
{
	uint64_t t = DATA + 0x10000;

	setup(16, false, true);
	fake_indirect_desc(&fm, t, 0, DATA, 16, VRING_DESC_F_NEXT, 2);
	fake_indirect_desc(&fm, t, 2, DATA + 16, 100, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	fake_indirect_desc(&fm, t, 1, DATA + 200, 1, VRING_DESC_F_WRITE, 0);
	/* The WRITE flag on the indirect descriptor itself is ignored (2.7.5.3.2). */
	fake_desc(&fr, 7, t, 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	fake_publish(&fr, 7);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(ch.head, 7);
	CHECK_EQ(ch.nbufs, 3);
	CHECK_EQ(ch.rlen, 16);
	CHECK_EQ(ch.wlen, 101);
}

/* Spec 2.7.5.3.1: the driver MUST NOT use INDIRECT unless negotiated. */
static void test_vq_indirect_not_negotiated(void)
{
	uint64_t t = DATA + 0x10000;

	setup(16, false, false);
	fake_indirect_desc(&fm, t, 0, DATA, 16, 0, 0);
	fake_desc(&fr, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_INDIRECT);
}

static void test_vq_indirect_nested(void)
{
	uint64_t t = DATA + 0x10000;

	setup(16, false, true);
	fake_indirect_desc(&fm, t, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	fake_desc(&fr, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_INDIRECT);
}

static void test_vq_indirect_with_next(void)
{
	uint64_t t = DATA + 0x10000;

	setup(16, false, true);
	fake_indirect_desc(&fm, t, 0, DATA, 16, 0, 0);
	fake_desc(&fr, 0, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	fake_desc(&fr, 1, DATA, 16, 0, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_INDIRECT);
}

static void test_vq_indirect_bad_len(void)
{
	uint64_t t = DATA + 0x10000;
	uint32_t bad[] = { 0, 15, 17, 16 * (VQ_MAX_CHAIN + 1) };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		setup(16, false, true);
		fake_desc(&fr, 0, t, bad[i], VRING_DESC_F_INDIRECT, 0);
		fake_publish(&fr, 0);
		pop_err(VQ_ERR_INDIRECT);
	}
	/* The table itself must be in RAM. */
	setup(16, false, true);
	fake_desc(&fr, 0, RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_ADDR);
}

static void test_vq_indirect_loop_and_index(void)
{
	uint64_t t = DATA + 0x10000;

	setup(16, false, true);
	fake_indirect_desc(&fm, t, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	fake_indirect_desc(&fm, t, 1, DATA, 8, VRING_DESC_F_NEXT, 0);
	fake_desc(&fr, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_LOOP);
	setup(16, false, true);
	fake_indirect_desc(&fm, t, 0, DATA, 8, VRING_DESC_F_NEXT, 2);	/* table has 2 */
	fake_desc(&fr, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_INDEX);
}

/* Direct buffers plus a full indirect table exceed VQ_MAX_CHAIN. */
static void test_vq_chain_too_long(void)
{
	uint64_t t = DATA + 0x10000;

	setup(16, false, true);
	for (uint16_t i = 0; i < VQ_MAX_CHAIN; i++)
		fake_indirect_desc(&fm, t, i, DATA, 1, i + 1 < VQ_MAX_CHAIN ? VRING_DESC_F_NEXT : 0,
				   (uint16_t)(i + 1));
	fake_desc(&fr, 0, DATA, 4, VRING_DESC_F_NEXT, 1);
	fake_desc(&fr, 1, t, 16 * VQ_MAX_CHAIN, VRING_DESC_F_INDIRECT, 0);
	fake_publish(&fr, 0);
	pop_err(VQ_ERR_TOO_LONG);
}

static void test_vq_activate_checks(void)
{
	setup(16, false, false);
	q.size = 12;	/* not a power of two */
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), -EINVAL);
	q.size = 512;	/* above QueueNumMax */
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), -EINVAL);
	q.size = 0;
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), -EINVAL);
	q.size = 16;
	q.desc_gpa = RING + 8;	/* misaligned */
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), -EINVAL);
	q.desc_gpa = RAM - 16;	/* table runs out of RAM */
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), -EINVAL);
	q.desc_gpa = fr.desc;
	q.used_gpa = fr.used + 2;
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), -EINVAL);
	CHECK(!q.active);
	CHECK_EQ(vq_pop(&q, &ch), -EAGAIN);	/* inactive queue: nothing is read */
	q.used_gpa = fr.used;
	CHECK_EQ(vq_activate(&q, &fm.mem, 256, false, false), 0);
}

/* Spec 2.7.7.2: VRING_AVAIL_F_NO_INTERRUPT without EVENT_IDX. */
static void test_vq_notify_flags(void)
{
	setup(16, false, false);
	CHECK_EQ(vq_push(&q, 0, 0), 0);
	CHECK(vq_should_notify(&q));
	fake_set_avail_flags(&fr, VRING_AVAIL_F_NO_INTERRUPT);
	CHECK_EQ(vq_push(&q, 0, 0), 0);
	CHECK(!vq_should_notify(&q));
}

/* Spec 2.7.10: used_event suppression with VIRTIO_F_EVENT_IDX. */
static void test_vq_used_notif_suppression(void)
{
	setup(16, true, false);
	CHECK_EQ(vq_push(&q, 0, 0), 0);
	CHECK(vq_should_notify(&q));		/* first one always */
	fake_set_used_event(&fr, 3);		/* wake me when used_idx passes 3 */
	CHECK_EQ(vq_push(&q, 0, 0), 0);		/* used_idx 2 */
	CHECK(!vq_should_notify(&q));
	CHECK_EQ(vq_push(&q, 0, 0), 0);		/* used_idx 3 */
	CHECK(!vq_should_notify(&q));
	CHECK_EQ(vq_push(&q, 0, 0), 0);		/* used_idx 4: crossed 3 */
	CHECK(vq_should_notify(&q));
	CHECK(!vq_should_notify(&q));		/* nothing new */
}

/* Spec 2.7.10: the device re-arms avail_event when it runs dry. */
static void test_vq_avail_event_rearm(void)
{
	uint64_t a = DATA;
	uint32_t l = 4;

	setup(16, true, false);
	fake_chain(&fr, 0, 1, &a, &l, 0);
	fake_chain(&fr, 1, 1, &a, &l, 0);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(vq_pop(&q, &ch), -EAGAIN);
	CHECK_EQ(fake_avail_event(&fr), 2);
}

/* vring_need_event() as a driver computes it (spec 2.7.10). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/*
 * No lost kick or interrupt with EVENT_IDX, over 70000 buffers (the 16-bit
 * indices wrap).  The driver behaves as Linux's virtio-net tx with napi: it
 * sends only while fewer than `limit` buffers are outstanding (TCP small
 * queues), and then only when the stack gives it a packet; each send first
 * disables callbacks (used_event = 0, virtqueue_disable_cb), reaps, re-enables
 * them 3/4 of the outstanding buffers ahead (virtqueue_enable_cb_delayed),
 * publishes and kicks only if vring_need_event(avail_event) says so.  Its
 * interrupt handler reaps and sets used_event to what it has seen
 * (virtqueue_enable_cb_prepare), then polls once more.  The device pops only
 * when kicked and completes later in random batches (an async backend).
 * Whenever nothing is left to wake either side, every buffer must be back.
 */
static void test_vq_event_idx_no_lost_notification(void)
{
	enum { TOTAL = 70000, SIZE = 16 };
	uint16_t free_ids[SIZE], pend[SIZE], nfree = SIZE, npend = 0, kicked_at = 0, bufs;
	unsigned int sent = 0, done = 0, steps = 0, kicks = 0, irqs = 0, limit = 4;
	bool kick = false, irq = false, stalled = false;
	uint32_t seed = 7, id, len;

	setup(SIZE, true, false);
	for (uint16_t i = 0; i < SIZE; i++) {
		free_ids[i] = i;
		fake_desc(&fr, i, DATA + 64u * i, 64, 0, 0);
	}
	while (done < TOTAL && steps++ < 20u * TOTAL) {
		unsigned int out = (uint16_t)(fr.avail_idx - fr.last_used);
		bool can_send = sent < TOTAL && nfree && out < limit;

		/* driver: start_xmit, when TSQ and the ring allow and a packet comes */
		if (can_send && lcg(&seed) % 2) {
			unsigned int n = 1 + lcg(&seed) % 3;

			do {
				fake_set_used_event(&fr, 0);
				while (fake_used_next(&fr, &id, &len)) {
					free_ids[nfree++] = (uint16_t)id;
					done++;
				}
				bufs = (uint16_t)((uint16_t)(fr.avail_idx - fr.last_used) * 3 / 4);
				fake_set_used_event(&fr, (uint16_t)(fr.last_used + bufs));
				__atomic_thread_fence(__ATOMIC_SEQ_CST);
			} while ((uint16_t)(fake_used_idx(&fr) - fr.last_used) > bufs);
			for (; n && nfree && sent < TOTAL; n--, sent++)
				fake_publish(&fr, free_ids[--nfree]);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (need_event(fake_avail_event(&fr), fr.avail_idx, kicked_at)) {
				kick = true;
				kicks++;
			}
			kicked_at = fr.avail_idx;
			limit = 1 + lcg(&seed) % SIZE;
		}
		/* device: a kick pops everything (and re-arms avail_event) */
		if (kick) {
			int err;

			kick = false;
			while ((err = vq_pop(&q, &ch)) == 0)
				pend[npend++] = ch.head;
			CHECK_EQ(err, -EAGAIN);
			CHECK_EQ(fake_avail_event(&fr), fr.avail_idx);
		}
		/* device backend: complete some of what is in flight */
		if (npend && lcg(&seed) % 2) {
			unsigned int m = 1 + lcg(&seed) % npend;

			for (unsigned int i = 0; i < m; i++)
				CHECK_EQ(vq_push(&q, pend[i], 0), 0);
			memmove(pend, pend + m, (npend - m) * sizeof(pend[0]));
			npend = (uint16_t)(npend - m);
			if (vq_should_notify(&q)) {
				irq = true;
				irqs++;
			}
		}
		/* driver: the interrupt (napi poll, then virtqueue_napi_complete) */
		if (irq) {
			irq = false;
			do {
				while (fake_used_next(&fr, &id, &len)) {
					free_ids[nfree++] = (uint16_t)id;
					done++;
				}
				fake_set_used_event(&fr, fr.last_used);
				__atomic_thread_fence(__ATOMIC_SEQ_CST);
			} while (fake_used_idx(&fr) != fr.last_used);
		}
		out = (uint16_t)(fr.avail_idx - fr.last_used);
		if (!kick && !irq && !npend && !(sent < TOTAL && nfree && out < limit) &&
		    done < TOTAL) {
			stalled = true;
			break;
		}
	}
	CHECK(!stalled);
	CHECK_EQ(done, TOTAL);
	CHECK_EQ(q.used_idx, (uint16_t)TOTAL);
	/* Suppression worked too: far fewer kicks and interrupts than buffers. */
	CHECK(kicks < TOTAL);
	CHECK(irqs < TOTAL);
	if (stalled)
		fprintf(stderr, "  stalled after %u of %u buffers: avail %u used %u signalled "
			"%u avail_event %u\n", done, TOTAL, fr.avail_idx, fake_used_idx(&fr),
			(unsigned int)q.signalled_used, fake_avail_event(&fr));
}

/* vq_fill()/vq_flush(): elements written ahead stay invisible until one
 * used->idx store publishes them all. */
static void test_vq_fill_flush(void)
{
	uint32_t id, len;

	setup(4, false, false);
	CHECK_EQ(vq_push(&q, 3, 7), 0);
	CHECK_EQ(vq_fill(&q, 0, 1, 10), 0);
	CHECK_EQ(vq_fill(&q, 1, 2, 20), 0);
	CHECK_EQ(vq_fill(&q, 2, 0, 30), 0);
	CHECK_EQ(vq_fill(&q, 4, 0, 30), -EINVAL);	/* n >= size */
	CHECK_EQ(vq_fill(&q, 0, 4, 30), -EINVAL);	/* head >= size */
	CHECK_EQ(fake_used_idx(&fr), 1);
	vq_flush(&q, 3);
	CHECK_EQ(fake_used_idx(&fr), 4);
	CHECK_EQ(q.used_idx, 4);
	CHECK(fake_used_next(&fr, &id, &len) && id == 3 && len == 7);
	CHECK(fake_used_next(&fr, &id, &len) && id == 1 && len == 10);
	CHECK(fake_used_next(&fr, &id, &len) && id == 2 && len == 20);
	CHECK(fake_used_next(&fr, &id, &len) && id == 0 && len == 30);
	CHECK(!fake_used_next(&fr, &id, &len));
	CHECK_EQ(vq_fill(&q, 0, 1, 5), 0);		/* wraps to slot 0 */
	vq_flush(&q, 1);
	CHECK(fake_used_next(&fr, &id, &len) && id == 1 && len == 5);
}

static void test_vq_unpop(void)
{
	uint64_t a = DATA;
	uint32_t l = 4;

	setup(16, false, false);
	fake_chain(&fr, 4, 1, &a, &l, 0);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	vq_unpop(&q);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(ch.head, 4);
}

static void test_vq_chain_copy(void)
{
	uint64_t a[4] = { DATA, DATA + 0x100, DATA + 0x200, DATA + 0x300 };
	uint32_t l[4] = { 3, 5, 2, 6 };
	uint8_t out[8], in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	setup(16, false, false);
	for (int i = 0; i < 8; i++)
		((uint8_t *)fake_hva(&fm, i < 3 ? DATA + (uint64_t)i : DATA + 0x100 + (uint64_t)i - 3))[0] =
			(uint8_t)(0x10 + i);
	fake_chain(&fr, 0, 4, a, l, 0xc);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(vq_chain_read(&ch, 2, out, 8), 6);
	CHECK_EQ(out[0], 0x12);
	CHECK_EQ(out[1], 0x13);
	CHECK_EQ(vq_chain_write(&ch, 1, in, 8), 7);
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, DATA + 0x201), 1);
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, DATA + 0x300), 2);
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, DATA + 0x305), 7);
}

/* Device writes into guest memory (writable buffers, the used ring) are
 * marked for diff snapshots; readable buffers are not. */
static void test_vq_marks_device_writes_dirty(void)
{
	uint64_t a[2] = { DATA, DATA + 0x3000 };
	uint32_t l[2] = { 16, 0x1001 };	/* the writable one spans pages 3 and 4 */
	uint64_t bm[RAM / 4096 / 64] = { 0 };
	uint64_t up = fr.used / 4096;

	setup(16, true, false);
	CHECK_EQ(gmem_dirty_enable(&fm.mem), 0);
	fake_chain(&fr, 0, 2, a, l, 0x2);
	CHECK_EQ(vq_pop(&q, &ch), 0);
	CHECK_EQ(vq_push(&q, ch.head, 1), 0);
	gmem_dirty_take(&fm.mem, 0, bm);
	CHECK(!(bm[DATA / 4096 / 64] >> (DATA / 4096 % 64) & 1));		/* readable */
	CHECK(bm[(DATA + 0x3000) / 4096 / 64] >> ((DATA + 0x3000) / 4096 % 64) & 1);
	CHECK(bm[(DATA + 0x4000) / 4096 / 64] >> ((DATA + 0x4000) / 4096 % 64) & 1);
	CHECK(bm[up / 64] >> (up % 64) & 1);					/* used ring */
	memset(bm, 0, sizeof(bm));
	CHECK_EQ(vq_pop(&q, &ch), -EAGAIN);	/* writes avail_event into the used page */
	gmem_dirty_take(&fm.mem, 0, bm);
	CHECK(bm[up / 64] >> (up % 64) & 1);
	free(fm.mem.dirty[0]);
	fm.mem.dirty[0] = NULL;
}

int main(void)
{
	RUN(test_vq_empty);
	RUN(test_vq_simple_chain);
	RUN(test_vq_avail_idx_jump);
	RUN(test_vq_index_wrap);
	RUN(test_vq_head_out_of_range);
	RUN(test_vq_next_out_of_range);
	RUN(test_vq_loop);
	RUN(test_vq_readable_after_writable);
	RUN(test_vq_buffer_outside_ram);
	RUN(test_vq_zero_length);
	RUN(test_vq_length_overflow);
	RUN(test_vq_indirect_ok);
	RUN(test_vq_indirect_not_negotiated);
	RUN(test_vq_indirect_nested);
	RUN(test_vq_indirect_with_next);
	RUN(test_vq_indirect_bad_len);
	RUN(test_vq_indirect_loop_and_index);
	RUN(test_vq_chain_too_long);
	RUN(test_vq_activate_checks);
	RUN(test_vq_notify_flags);
	RUN(test_vq_used_notif_suppression);
	RUN(test_vq_avail_event_rearm);
	RUN(test_vq_event_idx_no_lost_notification);
	RUN(test_vq_fill_flush);
	RUN(test_vq_unpop);
	RUN(test_vq_chain_copy);
	fake_mem_free(&fm);
	RUN(test_vq_marks_device_writes_dirty);
	return harness_summary("virtio_queue");
}
