/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_vsock.c: virtio-vsock packet parsing, credit arithmetic and the CONNECT line on fuzzed input. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "virtio/vsock/vsock_pkt.h"

#define MEM_SIZE (128u * 1024)
#define GUEST_CID 3

/*
 * Input: 16 bytes of parameters (credit counters, a CONNECT line length),
 * then guest memory holding a 16-entry ring at 0 (desc), 0x100 (avail),
 * 0x200 (used) and the buffers.  Accepted packets must be addressed from the
 * guest to the host and carry a payload that lies inside the chain and
 * inside guest memory; the credit helpers must never grant more than the
 * advertised buffer; the CONNECT parser must accept only well-formed lines.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct vq_chain c;
	static struct iovec iov[VQ_MAX_CHAIN];
	struct gmem_region r;
	struct gmem m;
	struct vq q;
	uint32_t a, b, t, port = 0;
	size_t line;
	int err;

	if (size < 16)
		return 0;
	memcpy(&a, data, 4);
	memcpy(&b, data + 4, 4);
	memcpy(&t, data + 8, 4);
	FUZZ_ASSERT(vsock_credit(a, b, t) <= a);
	if (vsock_rx_fits(a, b, t, data[12]))
		FUZZ_ASSERT((uint64_t)(uint32_t)(b - t) + data[12] <= a);
	line = MIN((size_t)data[13], size - 16);
	err = vsock_parse_connect((const char *)data + 16, line, &port);
	if (err == 0) {
		FUZZ_ASSERT(line >= 10 && line <= VSOCK_CONNECT_LINE_MAX);
		FUZZ_ASSERT(!memcmp(data + 16, "CONNECT ", 8) && data[16 + line - 1] == '\n');
	} else {
		FUZZ_ASSERT(err == -EAGAIN || err == -EINVAL);
	}

	if (!ram) {
		ram = aligned_alloc(4096, MEM_SIZE);
		if (!ram)
			abort();
	}
	memset(ram, 0, MEM_SIZE);
	memcpy(ram, data + 16, size - 16 < MEM_SIZE ? size - 16 : MEM_SIZE);
	r.gpa = 0;
	r.size = MEM_SIZE;
	r.hva = ram;
	if (gmem_init_regions(&m, &r, 1))
		abort();
	vq_reset(&q);
	q.size = 16;
	q.desc_gpa = 0;
	q.avail_gpa = 0x100;
	q.used_gpa = 0x200;
	q.ready = true;
	if (vq_activate(&q, &m, 256, data[14] & 1, data[14] & 2))
		abort();
	for (int i = 0; i < 32 && vq_pop(&q, &c) == 0; i++) {
		struct virtio_vsock_hdr h;
		enum vsock_pkt_err pe = vsock_pkt_parse(&c, GUEST_CID, &h);

		if (pe == VSOCK_PKT_OK) {
			uint64_t bytes = 0;
			int n;

			FUZZ_ASSERT(h.src_cid == GUEST_CID && h.dst_cid == VSOCK_HOST_CID);
			FUZZ_ASSERT(h.type == VSOCK_TYPE_STREAM);
			FUZZ_ASSERT(h.op >= VSOCK_OP_REQUEST && h.op <= VSOCK_OP_CREDIT_REQUEST);
			FUZZ_ASSERT(h.len <= VSOCK_MAX_PKT_BUF && h.len <= c.rlen - VSOCK_HDR_LEN);
			FUZZ_ASSERT(h.op == VSOCK_OP_RW || h.len == 0);
			n = vq_chain_iov(&c, false, VSOCK_HDR_LEN, h.len, iov, VQ_MAX_CHAIN);
			FUZZ_ASSERT(n >= 0);
			for (int k = 0; k < n; k++) {
				uint8_t *p = iov[k].iov_base;

				FUZZ_ASSERT(p >= ram && p + iov[k].iov_len <= ram + MEM_SIZE);
				bytes += iov[k].iov_len;
			}
			FUZZ_ASSERT(bytes == h.len);
		} else if (pe == VSOCK_PKT_SHORT) {
			FUZZ_ASSERT(c.rlen < VSOCK_HDR_LEN);
		}
		if (vq_push(&q, c.head, 0))
			abort();
	}
	return 0;
}
