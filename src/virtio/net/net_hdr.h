/* SPDX-License-Identifier: MIT */
/* virtio/net/net_hdr.h: virtio-net header and frame validation, offload mapping, MAC generation (spec 5.1); pure. */
#ifndef EMBER_NET_HDR_H
#define EMBER_NET_HDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "util/compiler.h"
#include "virtio/queue.h"

/* Feature bits (spec 5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16

#define VIRTIO_NET_S_LINK_UP		1

/* virtio_net_hdr flags and gso_type (spec 5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

/*
 * The header in front of every frame, both directions.  With VERSION_1 it
 * always has num_buffers (spec 5.1.6), so it is 12 bytes whether or not
 * MRG_RXBUF is negotiated: the number of chains a received frame spans
 * with MRG_RXBUF, else 1.  Little-endian (x86 host).
 */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
BUILD_BUG_ON(sizeof(struct virtio_net_hdr_v1) != 12);

#define NET_HDR_LEN		12u
#define NET_ETH_HLEN		14u
#define NET_VLAN_HLEN		4u
#define NET_DEFAULT_MTU		1500u
/* Largest frame with its header: 64 KiB of GSO payload plus headers (Firecracker's MAX_BUFFER_SIZE). */
#define NET_MAX_BUFFER		65562u
/* Data segments of one tx frame handed to writev (header copy + chain buffers). */
#define NET_MAX_IOV		(VQ_MAX_CHAIN + 1)

/* What the device accepts on tx, from the negotiated features and the MTU. */
struct net_tx_limits {
	bool csum;		/* VIRTIO_NET_F_CSUM: NEEDS_CSUM allowed */
	bool tso4, tso6, ufo;	/* HOST_TSO4/HOST_TSO6/HOST_UFO: GSO types allowed */
	uint32_t mtu;		/* non-GSO frames: at most mtu + Ethernet + VLAN headers */
};

enum net_frame_err {
	NET_FRAME_OK = 0,
	NET_FRAME_SHORT,	/* no full header, or less than an Ethernet header of frame */
	NET_FRAME_TOO_BIG,	/* over NET_MAX_BUFFER, or over the MTU without GSO */
	NET_FRAME_GSO,		/* GSO type unknown or not negotiated, ECN, gso_size 0 */
	NET_FRAME_CSUM,		/* NEEDS_CSUM without CSUM, or csum field beyond the frame */
	NET_FRAME_FLAGS,	/* unknown flag bits */
};

/* Fill lim from the acked feature bits and the MTU (0 means 1500). */
void net_tx_limits_from(struct net_tx_limits *lim, uint64_t acked, uint32_t mtu);

/*
 * Check one tx frame: `h` is the driver's header, already copied out of
 * guest memory; `total` is the chain's readable length (header + frame).
 * Pure; returns NET_FRAME_OK or why the frame must be dropped.
 */
enum net_frame_err net_tx_check(const struct virtio_net_hdr_v1 *h, uint32_t total,
				const struct net_tx_limits *lim) __must_check;

/* Human-readable name of a net_frame_err. */
const char *net_frame_err_str(enum net_frame_err e);

/*
 * A received frame of `n` bytes (header included) fits a chain with `wlen`
 * writable bytes: at least a header and an Ethernet header, at most
 * NET_MAX_BUFFER, and no more than wlen.
 */
bool net_rx_fits(uint32_t n, uint32_t wlen);

/* TUN_F_* offload flags for TUNSETOFFLOAD from the acked GUEST_* features (spec 5.1.3.1:
 * TSO/UFO need GUEST_CSUM, so without it nothing is offloaded). */
unsigned int net_tap_offloads(uint64_t acked);

/*
 * A stable, locally administered unicast MAC derived from `seed` (the
 * interface id and TAP name): same seed, same MAC; the first octet has the
 * locally-administered bit (0x02) set and the multicast bit (0x01) clear.
 */
void net_mac_generate(const char *seed, uint8_t mac[6]);

#endif
