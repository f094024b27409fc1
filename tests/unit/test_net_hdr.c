/* SPDX-License-Identifier: MIT */
/* tests/unit/test_net_hdr.c: virtio-net frame validation, chain iovecs, offload mapping and MAC generation (spec 5.1). */
#include <errno.h>
#include <linux/if_tun.h>

#include "harness.h"
#include "virtio/abi.h"
#include "virtio/net/net_hdr.h"

#define F(b) VIRTIO_BIT(VIRTIO_NET_F_##b)

static struct net_tx_limits all, none;

static void limits(void)
{
	net_tx_limits_from(&all, F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_UFO), 1500);
	net_tx_limits_from(&none, 0, 0);
}

static struct virtio_net_hdr_v1 hdr(uint8_t flags, uint8_t gso, uint16_t gso_size,
				    uint16_t cs, uint16_t co)
{
	struct virtio_net_hdr_v1 h = { flags, gso, 0, gso_size, cs, co, 0 };

	return h;
}

/* Spec 5.1.3.1: HOST_TSO4/6 and HOST_UFO depend on CSUM. */
static void test_net_limits_need_csum(void)
{
	struct net_tx_limits l;

	net_tx_limits_from(&l, F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_UFO), 9000);
	CHECK(!l.csum && !l.tso4 && !l.tso6 && !l.ufo);
	CHECK_EQ(l.mtu, 9000);
	limits();
	CHECK(all.csum && all.tso4 && all.tso6 && all.ufo);
	CHECK_EQ(none.mtu, 1500);	/* 0 means the default */
}

static void test_net_tx_plain_frames(void)
{
	struct virtio_net_hdr_v1 h = hdr(0, 0, 0, 0, 0);

	limits();
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 60, &none), NET_FRAME_OK);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + NET_ETH_HLEN, &none), NET_FRAME_OK);
	/* An MTU-sized payload plus Ethernet and a VLAN tag is the largest plain frame. */
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 1500 + 18, &none), NET_FRAME_OK);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 1500 + 19, &none), NET_FRAME_TOO_BIG);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 1500 + 19, &all), NET_FRAME_TOO_BIG);
}

static void test_net_tx_short(void)
{
	struct virtio_net_hdr_v1 h = hdr(0, 0, 0, 0, 0);

	limits();
	CHECK_EQ(net_tx_check(&h, 0, &all), NET_FRAME_SHORT);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN - 1, &all), NET_FRAME_SHORT);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN, &all), NET_FRAME_SHORT);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + NET_ETH_HLEN - 1, &all), NET_FRAME_SHORT);
}

/* 65562 bytes with the header is the limit even for GSO (Firecracker's MAX_BUFFER_SIZE). */
static void test_net_tx_gso_limits(void)
{
	struct virtio_net_hdr_v1 h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
					 1448, 34, 16);

	limits();
	CHECK_EQ(net_tx_check(&h, NET_MAX_BUFFER, &all), NET_FRAME_OK);
	CHECK_EQ(net_tx_check(&h, NET_MAX_BUFFER + 1, &all), NET_FRAME_TOO_BIG);
	CHECK_EQ(net_tx_check(&h, UINT32_MAX, &all), NET_FRAME_TOO_BIG);
	/* Not negotiated: refused. */
	CHECK_EQ(net_tx_check(&h, 20000, &none), NET_FRAME_CSUM);
	{
		struct net_tx_limits l;

		net_tx_limits_from(&l, F(CSUM), 1500);
		CHECK_EQ(net_tx_check(&h, 20000, &l), NET_FRAME_GSO);
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		CHECK_EQ(net_tx_check(&h, 20000, &l), NET_FRAME_GSO);
		CHECK_EQ(net_tx_check(&h, 20000, &all), NET_FRAME_OK);
		h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
		CHECK_EQ(net_tx_check(&h, 20000, &l), NET_FRAME_GSO);
		CHECK_EQ(net_tx_check(&h, 20000, &all), NET_FRAME_OK);
	}
}

static void test_net_tx_gso_malformed(void)
{
	struct virtio_net_hdr_v1 h;

	limits();
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, 34, 16);
	CHECK_EQ(net_tx_check(&h, 3000, &all), NET_FRAME_GSO);		/* gso_size 0 */
	h = hdr(0, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 0, 0);
	CHECK_EQ(net_tx_check(&h, 3000, &all), NET_FRAME_GSO);		/* no NEEDS_CSUM */
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
		1448, 34, 16);
	CHECK_EQ(net_tx_check(&h, 3000, &all), NET_FRAME_GSO);		/* ECN not offered */
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 2, 1448, 34, 16);
	CHECK_EQ(net_tx_check(&h, 3000, &all), NET_FRAME_GSO);		/* unknown type */
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 5, 1448, 34, 16);
	CHECK_EQ(net_tx_check(&h, 3000, &all), NET_FRAME_GSO);
}

/* Spec 5.1.6.2: csum_start + csum_offset + 2 must lie inside the frame. */
static void test_net_tx_csum(void)
{
	struct virtio_net_hdr_v1 h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 16);

	limits();
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 52, &all), NET_FRAME_OK);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 51, &all), NET_FRAME_CSUM);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 52, &none), NET_FRAME_CSUM);
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0xffff, 0xffff);	/* no 16-bit wrap */
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 1500, &all), NET_FRAME_CSUM);
	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0);		/* rx-only flag */
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 60, &all), NET_FRAME_FLAGS);
	h = hdr(0x80, 0, 0, 0, 0);
	CHECK_EQ(net_tx_check(&h, NET_HDR_LEN + 60, &all), NET_FRAME_FLAGS);
	CHECK_STR(net_frame_err_str(NET_FRAME_CSUM),
		  "checksum offload not negotiated or outside the frame");
}

static uint8_t mem[4096];
static struct vq_chain c;

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

/* The header may share a descriptor with the frame or sit alone (spec 5.1.6.2). */
static void test_net_chain_iov(void)
{
	struct iovec iov[4];

	memset(&c, 0, sizeof(c));
	add(0, 10, false);
	add(100, 30, false);
	add(200, 40, false);
	add(1000, 64, true);
	CHECK_EQ(vq_chain_iov(&c, false, NET_HDR_LEN, 68, iov, 4), 2);
	CHECK(iov[0].iov_base == mem + 102);
	CHECK_EQ(iov[0].iov_len, 28);
	CHECK(iov[1].iov_base == mem + 200);
	CHECK_EQ(iov[1].iov_len, 40);
	CHECK_EQ(vq_chain_iov(&c, false, 0, 80, iov, 4), 3);
	CHECK_EQ(vq_chain_iov(&c, false, 0, 80, iov, 2), -E2BIG);
	CHECK_EQ(vq_chain_iov(&c, false, 0, 81, iov, 4), -EINVAL);	/* past rlen */
	CHECK_EQ(vq_chain_iov(&c, true, 4, 60, iov, 4), 1);
	CHECK(iov[0].iov_base == mem + 1004);
	CHECK_EQ(vq_chain_iov(&c, true, 4, 61, iov, 4), -EINVAL);
	CHECK_EQ(vq_chain_iov(&c, false, 5, 0, iov, 4), 0);
}

static void test_net_rx_fits(void)
{
	CHECK(net_rx_fits(NET_HDR_LEN + 60, 1526));
	CHECK(!net_rx_fits(NET_HDR_LEN + 13, 1526));
	CHECK(!net_rx_fits(1527, 1526));
	CHECK(net_rx_fits(NET_MAX_BUFFER, UINT32_MAX));
	CHECK(!net_rx_fits(NET_MAX_BUFFER + 1, UINT32_MAX));
}

/* TUNSETOFFLOAD gets exactly what the guest can receive. */
static void test_net_tap_offloads(void)
{
	CHECK_EQ(net_tap_offloads(0), 0);
	CHECK_EQ(net_tap_offloads(F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_UFO)), 0);
	CHECK_EQ(net_tap_offloads(F(GUEST_CSUM)), TUN_F_CSUM);
	CHECK_EQ(net_tap_offloads(F(GUEST_CSUM) | F(GUEST_TSO4)), TUN_F_CSUM | TUN_F_TSO4);
	CHECK_EQ(net_tap_offloads(F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_UFO)),
		 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_UFO);
	/* Host-side (tx) features do not change what the TAP may send us. */
	CHECK_EQ(net_tap_offloads(F(CSUM) | F(HOST_TSO4)), 0);
}

static void test_net_mac_generate(void)
{
	uint8_t a[6], b[6], d[6];

	net_mac_generate("net0/tap0", a);
	net_mac_generate("net0/tap0", b);
	net_mac_generate("net1/tap1", d);
	CHECK(!memcmp(a, b, 6));		/* stable */
	CHECK(memcmp(a, d, 6) != 0);
	CHECK_EQ(a[0] & 3, 2);			/* locally administered, unicast */
	CHECK_EQ(d[0] & 3, 2);
	net_mac_generate("", a);
	CHECK_EQ(a[0] & 3, 2);
}

int main(void)
{
	RUN(test_net_limits_need_csum);
	RUN(test_net_tx_plain_frames);
	RUN(test_net_tx_short);
	RUN(test_net_tx_gso_limits);
	RUN(test_net_tx_gso_malformed);
	RUN(test_net_tx_csum);
	RUN(test_net_chain_iov);
	RUN(test_net_rx_fits);
	RUN(test_net_tap_offloads);
	RUN(test_net_mac_generate);
	return harness_summary("net_hdr");
}
