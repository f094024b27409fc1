/* SPDX-License-Identifier: MIT */
/* tests/unit/test_vsock_pkt.c: virtio-vsock header parsing, credit arithmetic and the CONNECT line (spec 5.10.6). */
#include <errno.h>

#include "harness.h"
#include "virtio/vsock/vsock_pkt.h"

#define CID 3

static uint8_t mem[1 << 16];
static struct vq_chain c;

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
	memset(&c, 0, sizeof(c));
}

static void add(uint32_t off, uint32_t len, bool w)
{
	struct vq_buf *b = &c.buf[c.nbufs++];

	b->hva = mem + off;
	b->len = len;
	b->device_writable = w;
	if (w) {
		c.wlen += len;
	} else {
		c.rlen += len;
		c.nread++;
	}
}

static void put_hdr(uint32_t off, uint64_t src, uint64_t dst, uint16_t type, uint16_t op,
		    uint32_t len)
{
	struct virtio_vsock_hdr h;

	vsock_hdr_build(&h, 0, 0, 0, op, 0, len, 65536, 0);
	h.src_cid = src;
	h.dst_cid = dst;
	h.src_port = 1234;
	h.dst_port = 5000;
	h.type = type;
	memcpy(mem + off, &h, sizeof(h));
}

static void test_vsock_parse_request(void)
{
	struct virtio_vsock_hdr h;

	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_REQUEST, 0);
	add(0, 44, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OK);
	CHECK_EQ(h.src_port, 1234);
	CHECK_EQ(h.dst_port, 5000);
	CHECK_EQ(h.op, VSOCK_OP_REQUEST);
	CHECK_EQ(h.buf_alloc, 65536);
}

/* Linux 6.1 puts the header and the payload in separate descriptors; both layouts parse. */
static void test_vsock_parse_rw_split_and_joined(void)
{
	struct virtio_vsock_hdr h;

	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_RW, 100);
	add(0, 44, false);
	add(1000, 100, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OK);
	CHECK_EQ(h.len, 100);
	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_RW, 100);
	add(0, 144, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OK);
	/* Header split across two descriptors. */
	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_RW, 0);
	memmove(mem + 2000, mem + 20, 24);
	add(0, 20, false);
	add(2000, 24, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OK);
	CHECK_EQ(h.dst_port, 5000);
}

static void test_vsock_parse_short_and_len(void)
{
	struct virtio_vsock_hdr h;

	reset();
	add(0, 43, false);
	add(100, 100, true);	/* writable bytes do not count */
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_SHORT);
	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_RW, 101);
	add(0, 144, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_LEN);	/* claims more than it has */
	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_RW, VSOCK_MAX_PKT_BUF + 1);
	add(0, 44, false);
	add(0, 0xffff, false);
	add(0, 0xffff, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_LEN);
	reset();
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_RW, 0xffffffffu);
	add(0, 44, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_LEN);
}

/* The guest may only send as its own CID, to the host (spec 5.10.6.1). */
static void test_vsock_parse_cids(void)
{
	struct virtio_vsock_hdr h;

	reset();
	put_hdr(0, CID + 1, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_REQUEST, 0);
	add(0, 44, false);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_CID);
	put_hdr(0, CID, 1, VSOCK_TYPE_STREAM, VSOCK_OP_REQUEST, 0);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_CID);
	put_hdr(0, CID | (1ull << 32), VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_REQUEST, 0);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_CID);	/* all 64 bits compared */
}

static void test_vsock_parse_type_and_op(void)
{
	struct virtio_vsock_hdr h;

	reset();
	add(0, 60, false);
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_SEQPACKET, VSOCK_OP_REQUEST, 0);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_TYPE);
	CHECK_EQ(h.op, VSOCK_OP_REQUEST);	/* still filled: the device answers RST */
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_INVALID, 0);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OP);
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, 8, 0);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OP);
	put_hdr(0, CID, VSOCK_HOST_CID, VSOCK_TYPE_STREAM, VSOCK_OP_CREDIT_UPDATE, 16);
	CHECK_EQ(vsock_pkt_parse(&c, CID, &h), VSOCK_PKT_OP);	/* payload on control */
	CHECK_STR(vsock_pkt_err_str(VSOCK_PKT_CID), "wrong source or destination CID");
}

static void test_vsock_hdr_build(void)
{
	struct virtio_vsock_hdr h;
	uint8_t *p = (uint8_t *)&h;

	vsock_hdr_build(&h, 7, 0x40000000, 1234, VSOCK_OP_RW, 3, 100, 65536, 42);
	CHECK_EQ(h.src_cid, VSOCK_HOST_CID);
	CHECK_EQ(h.dst_cid, 7);
	CHECK_EQ(h.src_port, 0x40000000);
	CHECK_EQ(h.dst_port, 1234);
	CHECK_EQ(h.type, VSOCK_TYPE_STREAM);
	CHECK_EQ(p[30], VSOCK_OP_RW);		/* op at byte 30, little-endian */
	CHECK_EQ(p[24], 100);			/* len at byte 24 */
	CHECK_EQ(h.flags, 3);
	CHECK_EQ(h.buf_alloc, 65536);
	CHECK_EQ(h.fwd_cnt, 42);
}

/* Spec 5.10.6.3: peer_free = peer_buf_alloc - (tx_cnt - peer_fwd_cnt), modulo 2^32. */
static void test_vsock_credit(void)
{
	CHECK_EQ(vsock_credit(65536, 0, 0), 65536);
	CHECK_EQ(vsock_credit(65536, 0, 65536), 0);
	CHECK_EQ(vsock_credit(65536, 1000, 65536), 1000);
	CHECK_EQ(vsock_credit(65536, 0xfffffff0u, 0x10), 65536 - 0x20);	/* wrapped */
	CHECK_EQ(vsock_credit(100, 0, 200), 0);		/* peer shrank its buffer */
	CHECK_EQ(vsock_credit(0, 0, 0), 0);
}

static void test_vsock_rx_fits(void)
{
	CHECK(vsock_rx_fits(65536, 0, 0, 65536));
	CHECK(!vsock_rx_fits(65536, 0, 0, 65537));
	CHECK(vsock_rx_fits(65536, 70000, 10000, 5536));
	CHECK(!vsock_rx_fits(65536, 70000, 10000, 5537));
	CHECK(vsock_rx_fits(65536, 0x10, 0xfffffff0u, 65536 - 0x20));	/* wrapped */
	CHECK(!vsock_rx_fits(65536, 0x10, 0xfffffff0u, 65536 - 0x1f));
	CHECK(!vsock_rx_fits(65536, 0, 1, 0));		/* fwd_cnt ahead of rx_cnt */
}

static void test_vsock_connect_line(void)
{
	uint32_t port = 0;

	CHECK_EQ(vsock_parse_connect("CONNECT 1234\n", 13, &port), 0);
	CHECK_EQ(port, 1234);
	CHECK_EQ(vsock_parse_connect("CONNECT 4294967295\n", 19, &port), 0);
	CHECK_EQ(port, 4294967295u);
	CHECK_EQ(vsock_parse_connect("CONN", 4, &port), -EAGAIN);
	CHECK_EQ(vsock_parse_connect("CONNECT ", 8, &port), -EAGAIN);
	CHECK_EQ(vsock_parse_connect("CONNECT 12", 10, &port), -EAGAIN);
	CHECK_EQ(vsock_parse_connect("CONNECT 4294967296\n", 19, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("CONNECT \n", 9, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("CONNECT -1\n", 11, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("connect 1\n", 10, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("CONNECT 1\nx", 11, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("X", 1, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("CONNECT 000000000000000000000001", 32, &port), -EINVAL);
	CHECK_EQ(vsock_parse_connect("CONNECT 00000000000000000000001\n", 32, &port), 0);
	CHECK_EQ(port, 1);
}

static void test_vsock_chain_iov(void)
{
	struct iovec iov[4];

	reset();
	add(0, 44, true);
	add(100, 4096, true);
	CHECK_EQ(vq_chain_iov(&c, true, 44, 4096, iov, 4), 1);
	CHECK(iov[0].iov_base == mem + 100);
	CHECK_EQ(vq_chain_iov(&c, true, 40, 100, iov, 4), 2);
	CHECK_EQ(iov[0].iov_len, 4);
	CHECK_EQ(vq_chain_iov(&c, true, 44, 4097, iov, 4), -EINVAL);
	CHECK_EQ(vq_chain_iov(&c, false, 0, 1, iov, 4), -EINVAL);
	CHECK_EQ(vq_chain_iov(&c, true, 0, 200, iov, 1), -E2BIG);
}

int main(void)
{
	RUN(test_vsock_parse_request);
	RUN(test_vsock_parse_rw_split_and_joined);
	RUN(test_vsock_parse_short_and_len);
	RUN(test_vsock_parse_cids);
	RUN(test_vsock_parse_type_and_op);
	RUN(test_vsock_hdr_build);
	RUN(test_vsock_credit);
	RUN(test_vsock_rx_fits);
	RUN(test_vsock_connect_line);
	RUN(test_vsock_chain_iov);
	return harness_summary("vsock_pkt");
}
