/* SPDX-License-Identifier: MIT */
/* virtio/vsock/vsock_pkt.h: virtio-vsock packet header parsing and building, credit arithmetic, the CONNECT line (spec 5.10); pure. */
#ifndef EMBER_VSOCK_PKT_H
#define EMBER_VSOCK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "util/compiler.h"
#include "virtio/queue.h"

#define VSOCK_HOST_CID		2ull		/* VMADDR_CID_HOST */
#define VSOCK_TYPE_STREAM	1
#define VSOCK_TYPE_SEQPACKET	2

/* Operations (spec 5.10.6). */
#define VSOCK_OP_INVALID	0
#define VSOCK_OP_REQUEST	1
#define VSOCK_OP_RESPONSE	2
#define VSOCK_OP_RST		3
#define VSOCK_OP_SHUTDOWN	4
#define VSOCK_OP_RW		5
#define VSOCK_OP_CREDIT_UPDATE	6
#define VSOCK_OP_CREDIT_REQUEST	7

#define VSOCK_SHUTDOWN_RCV	1u
#define VSOCK_SHUTDOWN_SEND	2u

#define VSOCK_EVENT_TRANSPORT_RESET	0u

/* Largest payload in one packet, either way (Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE). */
#define VSOCK_MAX_PKT_BUF	(64u * 1024)

/* The 44-byte little-endian packet header (spec 5.10.6). */
struct virtio_vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));
BUILD_BUG_ON(sizeof(struct virtio_vsock_hdr) != 44);

#define VSOCK_HDR_LEN	44u

enum vsock_pkt_err {
	VSOCK_PKT_OK = 0,
	VSOCK_PKT_SHORT,	/* fewer than 44 readable bytes */
	VSOCK_PKT_LEN,		/* len > VSOCK_MAX_PKT_BUF, or more than the chain holds */
	VSOCK_PKT_CID,		/* src_cid is not the guest's, or dst_cid is not the host */
	VSOCK_PKT_TYPE,		/* not a stream packet */
	VSOCK_PKT_OP,		/* unknown op, or payload on a packet other than RW */
};

/*
 * Parse the guest's packet in the readable part of chain c (tx queue): the
 * header is copied into *h (no double fetch) and checked against the
 * guest's CID.  The payload is bytes [44, 44 + h->len) of the readable part.
 * Pure; returns VSOCK_PKT_OK or why the packet is refused.  For
 * VSOCK_PKT_TYPE and VSOCK_PKT_OP, *h is valid (the device answers RST).
 */
enum vsock_pkt_err vsock_pkt_parse(const struct vq_chain *c, uint64_t guest_cid,
				   struct virtio_vsock_hdr *h) __must_check;

const char *vsock_pkt_err_str(enum vsock_pkt_err e);

/* A host-to-guest header: from (host, local_port) to (guest_cid, peer_port). */
void vsock_hdr_build(struct virtio_vsock_hdr *h, uint64_t guest_cid, uint32_t local_port,
		     uint32_t peer_port, uint16_t op, uint32_t flags, uint32_t len,
		     uint32_t buf_alloc, uint32_t fwd_cnt);

/*
 * Credit (spec 5.10.6.3): bytes the sender may still send, given the
 * receiver's advertised buf_alloc and fwd_cnt and the sender's tx_cnt.
 * Counters wrap at 2^32; in-flight bytes beyond buf_alloc give 0.
 */
uint32_t vsock_credit(uint32_t peer_buf_alloc, uint32_t peer_fwd_cnt, uint32_t tx_cnt);

/*
 * Whether `len` more bytes fit in our receive buffer: rx_cnt bytes received
 * so far, fwd_cnt of them passed on, buf_alloc advertised.  A guest that
 * sends beyond this broke the credit protocol.
 */
bool vsock_rx_fits(uint32_t buf_alloc, uint32_t rx_cnt, uint32_t fwd_cnt, uint32_t len);

/* Longest "CONNECT <port>\n" line accepted, newline included. */
#define VSOCK_CONNECT_LINE_MAX	32

/*
 * Parse the host's "CONNECT <port>\n" request (Firecracker's hybrid vsock)
 * from the first len bytes of buf.  Returns 0 with *port set when buf holds
 * exactly one complete line, -EAGAIN when more bytes are needed, -EINVAL
 * when it can never become a valid line (bad word, non-digit, port beyond
 * 32 bits, longer than VSOCK_CONNECT_LINE_MAX).
 */
int vsock_parse_connect(const char *buf, size_t len, uint32_t *port) __must_check;


#endif
