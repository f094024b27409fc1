/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_vq.c: random guest memory and ring indices through vq_pop/vq_push (crosvm-style harness). */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "virtio/queue.h"

#define MEM_SIZE (256u * 1024)

/*
 * Input: 16 bytes of parameters (queue size exponent, flags, ring offsets,
 * last_avail), then the initial guest memory.  The rings and every
 * descriptor live in that memory, so the fuzzer controls all of it.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct vq_chain c;
	struct gmem_region r;
	struct gmem m;
	struct vq q;
	uint16_t offs[3];

	if (size < 16)
		return 0;
	if (!ram) {
		ram = aligned_alloc(4096, MEM_SIZE);
		if (!ram)
			abort();
	}
	memset(ram, 0, MEM_SIZE);
	memcpy(ram, data + 16, size - 16 < MEM_SIZE ? size - 16 : MEM_SIZE);
	r.gpa = 0x1000;		/* gpa 0 is not RAM: exercises the low edge */
	r.size = MEM_SIZE;
	r.hva = ram;
	if (gmem_init_regions(&m, &r, 1))
		abort();
	memcpy(offs, data + 2, sizeof(offs));
	vq_reset(&q);
	q.size = (uint16_t)(1u << (data[0] % 10));	/* 1..512: above 256 must be refused */
	q.desc_gpa = 0x1000 + (uint64_t)offs[0] * 16;
	q.avail_gpa = 0x1000 + (uint64_t)offs[1] * 2;
	q.used_gpa = 0x1000 + (uint64_t)offs[2] * 4;
	if (data[1] & 0x80)
		q.desc_gpa = (uint64_t)data[8] << 56;	/* wild addresses */
	q.ready = true;
	if (vq_activate(&q, &m, 256, data[1] & 1, data[1] & 2))
		return 0;
	memcpy(&q.last_avail, data + 9, 2);
	q.used_idx = q.last_avail;
	for (int i = 0; i < 600; i++) {
		int err = vq_pop(&q, &c);
		uint8_t tmp[512];
		uint32_t total = 0;

		if (err == -EAGAIN)
			break;
		if (err) {
			FUZZ_ASSERT(err == -EINVAL && q.broken);
			FUZZ_ASSERT(vq_pop(&q, &c) == -EINVAL);
			break;
		}
		FUZZ_ASSERT(c.head < q.size);
		FUZZ_ASSERT(c.nbufs <= VQ_MAX_CHAIN && c.nread <= c.nbufs);
		for (unsigned int b = 0; b < c.nbufs; b++) {
			/* Every buffer is inside guest RAM: touch its ends (ASan checks). */
			volatile uint8_t *p = c.buf[b].hva;

			FUZZ_ASSERT(c.buf[b].len > 0);
			FUZZ_ASSERT((uint8_t *)c.buf[b].hva >= ram &&
				    (uint8_t *)c.buf[b].hva + c.buf[b].len <= ram + MEM_SIZE);
			FUZZ_ASSERT(c.buf[b].device_writable == (b >= c.nread));
			(void)p[0];
			(void)p[c.buf[b].len - 1];
			total += c.buf[b].len;
		}
		FUZZ_ASSERT(total == c.rlen + c.wlen);
		vq_chain_read(&c, 0, tmp, sizeof(tmp));
		memset(tmp, 0xab, sizeof(tmp));
		FUZZ_ASSERT(vq_chain_write(&c, 0, tmp, sizeof(tmp)) <= c.wlen);
		FUZZ_ASSERT(vq_push(&q, c.head, c.wlen < 512 ? c.wlen : 512) == 0);
		(void)vq_should_notify(&q);
	}
	return 0;
}
