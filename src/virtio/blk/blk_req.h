/* SPDX-License-Identifier: MIT */
/* virtio/blk/blk_req.h: virtio-blk request parsing and validation (spec 5.2.6); pure. */
#ifndef EMBER_BLK_REQ_H
#define EMBER_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "util/compiler.h"
#include "virtio/queue.h"

/* Feature bits (spec 5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types. */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13

/* Status byte. */
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

#define VIRTIO_BLK_ID_BYTES		20
#define VIRTIO_BLK_SECTOR		512u
#define VIRTIO_BLK_DWZ_F_UNMAP		1u

/* Data segments per request we accept (advertised seg_max is this). */
#define BLK_MAX_SEGS			126

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};
BUILD_BUG_ON(sizeof(struct virtio_blk_outhdr) != 16);

struct virtio_blk_dwz {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};
BUILD_BUG_ON(sizeof(struct virtio_blk_dwz) != 16);

/* What the device allows; capacity in 512-byte sectors. */
struct blk_limits {
	uint64_t capacity;
	bool read_only;
	bool discard;		/* VIRTIO_BLK_F_DISCARD negotiated */
	bool write_zeroes;	/* VIRTIO_BLK_F_WRITE_ZEROES negotiated */
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
};

/*
 * A validated request.  When `status` is not VIRTIO_BLK_S_OK the device must
 * not touch the backend and completes the request with that status.
 */
struct blk_req {
	uint32_t type;
	uint8_t status;
	uint64_t offset;	/* bytes: IN/OUT data, DISCARD/WRITE_ZEROES range */
	uint64_t len;		/* bytes: data (IN/OUT/GET_ID) or range length */
	bool unmap;		/* WRITE_ZEROES may deallocate */
	uint8_t *status_hva;	/* the status byte in guest memory */
	uint32_t niov;
	struct iovec iov[BLK_MAX_SEGS];	/* data buffers (guest memory) */
};

/*
 * Parse the chain `c` of a virtio-blk request against `lim`.  The 16-byte
 * header and any discard/write-zeroes segment are copied out of guest memory
 * before they are checked (no double fetch).  Sector arithmetic is
 * overflow-checked; requests beyond capacity, misaligned, too fragmented or
 * writing to a read-only disk get VIRTIO_BLK_S_IOERR; unknown or
 * unnegotiated types get VIRTIO_BLK_S_UNSUPP.
 * Returns 0 (r filled, r->status set) or -EINVAL when the chain has no
 * readable header or no writable status byte, so no status can be reported.
 */
int blk_req_parse(const struct vq_chain *c, const struct blk_limits *lim,
		  struct blk_req *r) __must_check;

#endif
