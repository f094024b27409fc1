/* SPDX-License-Identifier: MIT */
/* virtio/vsock/vsock_pkt.c: virtio-vsock packet header parsing and building, credit arithmetic, the CONNECT line; pure. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtio/vsock/vsock_pkt.h"

enum vsock_pkt_err vsock_pkt_parse(const struct vq_chain *c, uint64_t guest_cid,
				   struct virtio_vsock_hdr *h)
{
	struct virtio_vsock_hdr raw;

	memset(h, 0, sizeof(*h));
	if (c->rlen < VSOCK_HDR_LEN || vq_chain_read(c, 0, &raw, sizeof(raw)) != sizeof(raw))
		return VSOCK_PKT_SHORT;
	h->src_cid = le64toh(raw.src_cid);
	h->dst_cid = le64toh(raw.dst_cid);
	h->src_port = le32toh(raw.src_port);
	h->dst_port = le32toh(raw.dst_port);
	h->len = le32toh(raw.len);
	h->type = le16toh(raw.type);
	h->op = le16toh(raw.op);
	h->flags = le32toh(raw.flags);
	h->buf_alloc = le32toh(raw.buf_alloc);
	h->fwd_cnt = le32toh(raw.fwd_cnt);
	if (h->len > VSOCK_MAX_PKT_BUF || h->len > c->rlen - VSOCK_HDR_LEN)
		return VSOCK_PKT_LEN;
	/* The guest speaks for its own CID only, and only to the host. */
	if (h->src_cid != guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_CID;
	if (h->type != VSOCK_TYPE_STREAM)
		return VSOCK_PKT_TYPE;
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_OP;
	if (h->op != VSOCK_OP_RW && h->len)
		return VSOCK_PKT_OP;
	return VSOCK_PKT_OK;
}

const char *vsock_pkt_err_str(enum vsock_pkt_err e)
{
	switch (e) {
	case VSOCK_PKT_OK: return "ok";
	case VSOCK_PKT_SHORT: return "shorter than its 44-byte header";
	case VSOCK_PKT_LEN: return "payload length beyond the buffer or 64 KiB";
	case VSOCK_PKT_CID: return "wrong source or destination CID";
	case VSOCK_PKT_TYPE: return "not a stream packet";
	case VSOCK_PKT_OP: return "unknown operation, or payload on a control packet";
	}
	return "?";
}

void vsock_hdr_build(struct virtio_vsock_hdr *h, uint64_t guest_cid, uint32_t local_port,
		     uint32_t peer_port, uint16_t op, uint32_t flags, uint32_t len,
		     uint32_t buf_alloc, uint32_t fwd_cnt)
{
	h->src_cid = htole64(VSOCK_HOST_CID);
	h->dst_cid = htole64(guest_cid);
	h->src_port = htole32(local_port);
	h->dst_port = htole32(peer_port);
	h->len = htole32(len);
	h->type = htole16(VSOCK_TYPE_STREAM);
	h->op = htole16(op);
	h->flags = htole32(flags);
	h->buf_alloc = htole32(buf_alloc);
	h->fwd_cnt = htole32(fwd_cnt);
}

uint32_t vsock_credit(uint32_t peer_buf_alloc, uint32_t peer_fwd_cnt, uint32_t tx_cnt)
{
	uint32_t in_flight = tx_cnt - peer_fwd_cnt;	/* modulo 2^32 */

	return in_flight >= peer_buf_alloc ? 0 : peer_buf_alloc - in_flight;
}

bool vsock_rx_fits(uint32_t buf_alloc, uint32_t rx_cnt, uint32_t fwd_cnt, uint32_t len)
{
	uint32_t held = rx_cnt - fwd_cnt;

	return held <= buf_alloc && len <= buf_alloc - held;
}

int vsock_parse_connect(const char *buf, size_t len, uint32_t *port)
{
	static const char word[] = "CONNECT ";
	size_t w = sizeof(word) - 1, i;
	uint64_t v = 0;

	if (len > VSOCK_CONNECT_LINE_MAX)
		return -EINVAL;
	if (memcmp(buf, word, MIN(len, w)))
		return -EINVAL;
	if (len <= w)
		return -EAGAIN;
	for (i = w; i < len; i++) {
		char ch = buf[i];

		if (ch == '\n')
			break;
		if (ch < '0' || ch > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(ch - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (i == len)
		return len == VSOCK_CONNECT_LINE_MAX ? -EINVAL : -EAGAIN;
	if (i == w || i + 1 != len)
		return -EINVAL;	/* no digits, or bytes after the newline */
	*port = (uint32_t)v;
	return 0;
}
