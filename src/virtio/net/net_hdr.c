/* SPDX-License-Identifier: MIT */
/* virtio/net/net_hdr.c: virtio-net header and frame validation, offload mapping, MAC generation; pure. */
#include <errno.h>
#include <string.h>
#include <linux/if_tun.h>

#include "virtio/abi.h"
#include "virtio/net/net_hdr.h"

void net_tx_limits_from(struct net_tx_limits *lim, uint64_t acked, uint32_t mtu)
{
	lim->csum = acked & VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	/* A GSO frame needs partial checksums (spec 5.1.3.1: HOST_TSO* require CSUM). */
	lim->tso4 = lim->csum && (acked & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	lim->tso6 = lim->csum && (acked & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6));
	lim->ufo = lim->csum && (acked & VIRTIO_BIT(VIRTIO_NET_F_HOST_UFO));
	lim->mtu = mtu ? mtu : NET_DEFAULT_MTU;
}

enum net_frame_err net_tx_check(const struct virtio_net_hdr_v1 *h, uint32_t total,
				const struct net_tx_limits *lim)
{
	uint32_t frame;
	uint8_t gso;

	if (total < NET_HDR_LEN + NET_ETH_HLEN)
		return NET_FRAME_SHORT;
	if (total > NET_MAX_BUFFER)
		return NET_FRAME_TOO_BIG;
	frame = total - NET_HDR_LEN;
	/* DATA_VALID is for the receive direction; the driver sets only NEEDS_CSUM (5.1.6.2). */
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return NET_FRAME_FLAGS;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t end = (uint32_t)h->csum_start + h->csum_offset + 2;

		if (!lim->csum || end > frame)
			return NET_FRAME_CSUM;
	}
	gso = h->gso_type;
	if (gso & VIRTIO_NET_HDR_GSO_ECN)
		return NET_FRAME_GSO;	/* HOST_ECN is not offered */
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (frame > lim->mtu + NET_ETH_HLEN + NET_VLAN_HLEN)
			return NET_FRAME_TOO_BIG;
		return NET_FRAME_OK;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!lim->tso4)
			return NET_FRAME_GSO;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!lim->tso6)
			return NET_FRAME_GSO;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		if (!lim->ufo)
			return NET_FRAME_GSO;
		break;
	default:
		return NET_FRAME_GSO;
	}
	/* GSO: the stack segments it, so it must say how (and checksum it). */
	if (h->gso_size == 0 || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return NET_FRAME_GSO;
	return NET_FRAME_OK;
}

const char *net_frame_err_str(enum net_frame_err e)
{
	switch (e) {
	case NET_FRAME_OK: return "ok";
	case NET_FRAME_SHORT: return "frame shorter than its headers";
	case NET_FRAME_TOO_BIG: return "frame too big";
	case NET_FRAME_GSO: return "GSO type not negotiated or malformed";
	case NET_FRAME_CSUM: return "checksum offload not negotiated or outside the frame";
	case NET_FRAME_FLAGS: return "unknown header flags";
	}
	return "?";
}

bool net_rx_fits(uint32_t n, uint32_t wlen)
{
	return n >= NET_HDR_LEN + NET_ETH_HLEN && n <= NET_MAX_BUFFER && n <= wlen;
}

unsigned int net_tap_offloads(uint64_t acked)
{
	unsigned int f = 0;

	if (!(acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	f |= TUN_F_CSUM;
	if (acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if (acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO))
		f |= TUN_F_UFO;
	return f;
}

void net_mac_generate(const char *seed, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a, 64-bit */

	for (const char *p = seed; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}
