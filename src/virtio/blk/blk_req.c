/* SPDX-License-Identifier: MIT */
/* virtio/blk/blk_req.c: virtio-blk request parsing and validation (spec 5.2.6); pure. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtio/blk/blk_req.h"

/* Add [hva, hva+len) to r->iov; false when BLK_MAX_SEGS is exceeded. */
static bool add_iov(struct blk_req *r, void *hva, uint64_t len)
{
	if (!len)
		return true;
	if (r->niov == BLK_MAX_SEGS)
		return false;
	r->iov[r->niov].iov_base = hva;
	r->iov[r->niov].iov_len = len;
	r->niov++;
	return true;
}

/* Readable bytes after the header: OUT data, DISCARD/WRITE_ZEROES segments. */
static bool collect_readable(const struct vq_chain *c, struct blk_req *r, uint32_t skip)
{
	for (unsigned int i = 0; i < c->nread; i++) {
		const struct vq_buf *b = &c->buf[i];

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		if (!add_iov(r, (uint8_t *)b->hva + skip, b->len - skip))
			return false;
		skip = 0;
	}
	return true;
}

/* Writable bytes before the status byte: IN and GET_ID data. */
static bool collect_writable(const struct vq_chain *c, struct blk_req *r)
{
	for (unsigned int i = c->nread; i < c->nbufs; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t len = (i + 1u == c->nbufs) ? b->len - 1 : b->len;

		if (!add_iov(r, b->hva, len))
			return false;
	}
	return true;
}

static uint8_t check_range(const struct blk_limits *lim, uint64_t sector, uint64_t bytes,
			   struct blk_req *r)
{
	uint64_t off, end;

	if (sector > UINT64_MAX / VIRTIO_BLK_SECTOR)
		return VIRTIO_BLK_S_IOERR;
	off = sector * VIRTIO_BLK_SECTOR;
	if (__builtin_add_overflow(off, bytes, &end) ||
	    end > lim->capacity * VIRTIO_BLK_SECTOR)
		return VIRTIO_BLK_S_IOERR;
	r->offset = off;
	r->len = bytes;
	return VIRTIO_BLK_S_OK;
}

static uint8_t parse_dwz(const struct vq_chain *c, const struct blk_limits *lim,
			 struct blk_req *r, bool zeroes)
{
	struct virtio_blk_dwz seg;
	uint32_t max = zeroes ? lim->max_write_zeroes_sectors : lim->max_discard_sectors;
	uint32_t flags;

	if (zeroes ? !lim->write_zeroes : !lim->discard)
		return VIRTIO_BLK_S_UNSUPP;
	if (lim->read_only)
		return VIRTIO_BLK_S_IOERR;
	/* We advertise max_*_seg = 1: exactly one 16-byte segment. */
	if (c->rlen - sizeof(struct virtio_blk_outhdr) != sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP;
	if (vq_chain_read(c, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg)) != sizeof(seg))
		return VIRTIO_BLK_S_IOERR;
	flags = le32toh(seg.flags);
	/* Spec 5.2.6.2: UNMAP is meaningful only for WRITE_ZEROES; other bits reserved. */
	if (flags & ~(uint32_t)VIRTIO_BLK_DWZ_F_UNMAP || (!zeroes && flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (le32toh(seg.num_sectors) > max)
		return VIRTIO_BLK_S_IOERR;
	r->unmap = flags & VIRTIO_BLK_DWZ_F_UNMAP;
	return check_range(lim, le64toh(seg.sector),
			   (uint64_t)le32toh(seg.num_sectors) * VIRTIO_BLK_SECTOR, r);
}

int blk_req_parse(const struct vq_chain *c, const struct blk_limits *lim, struct blk_req *r)
{
	struct virtio_blk_outhdr h;
	const struct vq_buf *last;
	uint64_t bytes = 0;

	r->niov = 0;
	r->offset = r->len = 0;
	r->unmap = false;
	r->status = VIRTIO_BLK_S_OK;
	r->status_hva = NULL;
	/* The status byte is the last writable byte; the header the first
	 * readable 16 bytes (no framing assumed beyond that, spec 2.6.4). */
	if (c->wlen < 1 || c->nbufs == 0)
		return -EINVAL;
	last = &c->buf[c->nbufs - 1];
	r->status_hva = (uint8_t *)last->hva + last->len - 1;
	if (c->rlen < sizeof(h) || vq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h)) {
		r->type = UINT32_MAX;
		r->status = VIRTIO_BLK_S_IOERR;
		return 0;
	}
	r->type = le32toh(h.type);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (r->type == VIRTIO_BLK_T_OUT && lim->read_only) {
			r->status = VIRTIO_BLK_S_IOERR;
			return 0;
		}
		if (!(r->type == VIRTIO_BLK_T_IN ? collect_writable(c, r)
						 : collect_readable(c, r, sizeof(h)))) {
			r->status = VIRTIO_BLK_S_IOERR;
			return 0;
		}
		for (uint32_t i = 0; i < r->niov; i++)
			bytes += r->iov[i].iov_len;	/* <= 2^32 by vq_pop */
		if (bytes % VIRTIO_BLK_SECTOR) {
			r->status = VIRTIO_BLK_S_IOERR;
			return 0;
		}
		r->status = check_range(lim, le64toh(h.sector), bytes, r);
		return 0;
	case VIRTIO_BLK_T_FLUSH:
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		if (!collect_writable(c, r))
			r->status = VIRTIO_BLK_S_IOERR;
		for (uint32_t i = 0; i < r->niov; i++)
			bytes += r->iov[i].iov_len;
		r->len = MIN(bytes, VIRTIO_BLK_ID_BYTES);
		return 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->status = parse_dwz(c, lim, r, r->type == VIRTIO_BLK_T_WRITE_ZEROES);
		return 0;
	default:
		r->status = VIRTIO_BLK_S_UNSUPP;
		return 0;
	}
}
