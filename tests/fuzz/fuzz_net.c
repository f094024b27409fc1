/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_net.c: virtio-net tx frame validation and chain iovecs on chains popped from fuzzed guest memory. */
#include <string.h>

#include "fuzz.h"
#include "virtio/abi.h"
#include "virtio/net/net_hdr.h"

#define MEM_SIZE (128u * 1024)

/*
 * Input: 8 bytes of parameters (acked features, MTU, rx frame length), then
 * guest memory holding a 16-entry ring at 0 (desc), 0x100 (avail), 0x200
 * (used) and the buffers.  Every chain vq_pop accepts is checked as a tx
 * frame; an accepted frame must respect the limits and map to iovecs inside
 * guest memory.  The same chain is then used as an rx buffer when
 * net_rx_fits allows it.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct vq_chain c;
	static struct iovec iov[NET_MAX_IOV];
	static uint8_t frame[NET_MAX_BUFFER];
	struct net_tx_limits lim;
	struct gmem_region r;
	struct gmem m;
	struct vq q;
	uint64_t acked = 0;
	uint32_t mtu, rxlen;

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
	if (data[0] & 1) acked |= VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	if (data[0] & 2) acked |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);
	if (data[0] & 4) acked |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
	if (data[0] & 8) acked |= VIRTIO_BIT(VIRTIO_NET_F_HOST_UFO);
	mtu = (uint32_t)data[1] << 8 | data[2];
	rxlen = (uint32_t)data[3] << 16 | (uint32_t)data[4] << 8 | data[5];
	net_tx_limits_from(&lim, acked, mtu);
	vq_reset(&q);
	q.size = 16;
	q.desc_gpa = 0;
	q.avail_gpa = 0x100;
	q.used_gpa = 0x200;
	q.ready = true;
	if (vq_activate(&q, &m, 256, data[0] & 16, data[0] & 32))
		abort();
	for (int i = 0; i < 32 && vq_pop(&q, &c) == 0; i++) {
		struct virtio_net_hdr_v1 h = { 0 };
		uint32_t copied = vq_chain_read(&c, 0, &h, sizeof(h));

		if (net_tx_check(&h, c.rlen, &lim) == NET_FRAME_OK) {
			uint32_t flen = c.rlen - NET_HDR_LEN;
			uint64_t bytes = 0;
			int n;

			FUZZ_ASSERT(copied == sizeof(h));
			FUZZ_ASSERT(c.rlen <= NET_MAX_BUFFER);
			FUZZ_ASSERT(flen >= NET_ETH_HLEN);
			if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE)
				FUZZ_ASSERT(flen <= lim.mtu + NET_ETH_HLEN + NET_VLAN_HLEN);
			else
				FUZZ_ASSERT(lim.csum && h.gso_size);
			if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
				FUZZ_ASSERT((uint32_t)h.csum_start + h.csum_offset + 2 <= flen);
			n = vq_chain_iov(&c, false, NET_HDR_LEN, flen, iov, NET_MAX_IOV - 1);
			FUZZ_ASSERT(n >= 0);
			for (int k = 0; k < n; k++) {
				uint8_t *p = iov[k].iov_base;

				FUZZ_ASSERT(p >= ram && p + iov[k].iov_len <= ram + MEM_SIZE);
				bytes += iov[k].iov_len;
			}
			FUZZ_ASSERT(bytes == flen);
		}
		if (net_rx_fits(rxlen, c.wlen)) {
			FUZZ_ASSERT(rxlen <= NET_MAX_BUFFER && rxlen <= c.wlen);
			FUZZ_ASSERT(vq_chain_write(&c, 0, frame, rxlen) == rxlen);
			if (vq_push(&q, c.head, rxlen))
				abort();
		} else if (vq_push(&q, c.head, 0)) {
			abort();
		}
	}
	return 0;
}
