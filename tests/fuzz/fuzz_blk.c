/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_blk.c: virtio-blk request parsing on chains popped from fuzzed guest memory. */
#include <string.h>

#include "fuzz.h"
#include "virtio/blk/blk_req.h"

#define MEM_SIZE (128u * 1024)

/*
 * Input: 8 bytes of parameters (feature flags, capacity), then guest memory
 * holding a 16-entry ring at 0 (desc), 0x100 (avail), 0x200 (used) and the
 * descriptors' buffers.  Every chain vq_pop accepts goes to blk_req_parse;
 * every data buffer it returns must lie inside guest memory and inside the
 * disk's capacity.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct vq_chain c;
	static struct blk_req req;
	struct gmem_region r;
	struct blk_limits lim;
	struct gmem m;
	struct vq q;

	if (size < 8)
		return 0;
	if (!ram) {
		ram = aligned_alloc(4096, MEM_SIZE);
		if (!ram)
			abort();
	}
	memset(ram, 0, MEM_SIZE);
	memcpy(ram, data + 8, size - 8 < MEM_SIZE ? size - 8 : MEM_SIZE);
	r.gpa = 0;
	r.size = MEM_SIZE;
	r.hva = ram;
	if (gmem_init_regions(&m, &r, 1))
		abort();
	memset(&lim, 0, sizeof(lim));
	lim.read_only = data[0] & 1;
	lim.discard = data[0] & 2;
	lim.write_zeroes = data[0] & 4;
	lim.max_discard_sectors = lim.max_write_zeroes_sectors = 1u << (data[1] % 32);
	memcpy(&lim.capacity, data + 2, 6);
	lim.capacity &= 0xffffffffffffull;
	vq_reset(&q);
	q.size = 16;
	q.desc_gpa = 0;
	q.avail_gpa = 0x100;
	q.used_gpa = 0x200;
	q.ready = true;
	if (vq_activate(&q, &m, 256, data[0] & 8, data[0] & 16))
		abort();
	for (int i = 0; i < 32 && vq_pop(&q, &c) == 0; i++) {
		uint64_t bytes = 0;

		if (blk_req_parse(&c, &lim, &req)) {
			FUZZ_ASSERT(c.wlen == 0);
			continue;
		}
		FUZZ_ASSERT(req.status_hva >= ram && req.status_hva < ram + MEM_SIZE);
		*req.status_hva = req.status;
		if (req.status != VIRTIO_BLK_S_OK)
			continue;
		FUZZ_ASSERT(req.niov <= BLK_MAX_SEGS);
		for (uint32_t k = 0; k < req.niov; k++) {
			uint8_t *p = req.iov[k].iov_base;

			FUZZ_ASSERT(p >= ram && p + req.iov[k].iov_len <= ram + MEM_SIZE);
			bytes += req.iov[k].iov_len;
		}
		if (req.type == VIRTIO_BLK_T_IN || req.type == VIRTIO_BLK_T_OUT) {
			FUZZ_ASSERT(bytes == req.len && req.len % 512 == 0);
			FUZZ_ASSERT(req.offset + req.len >= req.offset);
			FUZZ_ASSERT(req.offset + req.len <= lim.capacity * 512);
			FUZZ_ASSERT(!(lim.read_only && req.type == VIRTIO_BLK_T_OUT));
		}
		if (req.type == VIRTIO_BLK_T_DISCARD || req.type == VIRTIO_BLK_T_WRITE_ZEROES) {
			FUZZ_ASSERT(!lim.read_only);
			FUZZ_ASSERT(req.offset + req.len <= lim.capacity * 512);
		}
		if (vq_push(&q, c.head, 1))
			abort();
	}
	return 0;
}
