/* SPDX-License-Identifier: MIT */
/* tests/unit/test_blk_req.c: virtio-blk request parsing: layouts, bounds, overflow, features (spec 5.2.6). */
#include <errno.h>

#include "harness.h"
#include "virtio/blk/blk_req.h"

static uint8_t mem[1 << 16];
static struct vq_chain c;
static struct blk_req r;
static struct blk_limits lim;

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
	memset(&c, 0, sizeof(c));
	lim = (struct blk_limits){ .capacity = 64, .discard = true, .write_zeroes = true,
				   .max_discard_sectors = 16, .max_write_zeroes_sectors = 16 };
}

static void add(uint32_t off, uint32_t len, bool w)
{
	struct vq_buf *b = &c.buf[c.nbufs++];

	b->hva = mem + off;
	b->len = len;
	b->device_writable = w;
	if (w)
		c.wlen += len;
	else {
		c.rlen += len;
		c.nread++;
	}
}

static void hdr(uint32_t off, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { type, 0, sector };

	memcpy(mem + off, &h, sizeof(h));
}

static void test_blk_read(void)
{
	reset();
	hdr(0, VIRTIO_BLK_T_IN, 2);
	add(0, 16, false);
	add(0x1000, 1024, true);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.type, VIRTIO_BLK_T_IN);
	CHECK_EQ(r.offset, 1024);
	CHECK_EQ(r.len, 1024);
	CHECK_EQ(r.niov, 1);
	CHECK(r.status_hva == mem + 0x2000);
}

/* No framing assumptions (spec 2.6.4): header split, status inside the data buffer. */
static void test_blk_any_layout(void)
{
	reset();
	hdr(0x100, VIRTIO_BLK_T_IN, 0);
	add(0x100, 4, false);
	add(0x104, 12, false);
	add(0x1000, 513, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, 512);
	CHECK(r.status_hva == mem + 0x1000 + 512);
	/* OUT with header and data in one readable buffer. */
	reset();
	hdr(0, VIRTIO_BLK_T_OUT, 1);
	add(0, 16 + 512, false);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.type, VIRTIO_BLK_T_OUT);
	CHECK(r.iov[0].iov_base == mem + 16);
	CHECK_EQ(r.len, 512);
}

static void test_blk_no_status_byte(void)
{
	reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	add(0, 16, false);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), -EINVAL);
	reset();
	CHECK_EQ(blk_req_parse(&c, &lim, &r), -EINVAL);	/* empty chain */
}

static void test_blk_short_header(void)
{
	reset();
	add(0, 8, false);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
}

static void test_blk_read_only(void)
{
	reset();
	lim.read_only = true;
	hdr(0, VIRTIO_BLK_T_OUT, 0);
	add(0, 16 + 512, false);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
	hdr(0, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
}

/* Capacity, sector overflow and alignment: IOERR, never a host access. */
static void test_blk_bounds(void)
{
	static const struct { uint64_t sector; uint32_t len; uint8_t want; } cases[] = {
		{ 63, 512, VIRTIO_BLK_S_OK },		/* last sector */
		{ 63, 1024, VIRTIO_BLK_S_IOERR },	/* runs past the end */
		{ 64, 512, VIRTIO_BLK_S_IOERR },
		{ 0, 511, VIRTIO_BLK_S_IOERR },		/* not whole sectors */
		{ 1ull << 55, 512, VIRTIO_BLK_S_IOERR },	/* sector * 512 overflows */
		{ UINT64_MAX / 512, 512, VIRTIO_BLK_S_IOERR },	/* offset + len overflows */
		{ UINT64_MAX, 512, VIRTIO_BLK_S_IOERR },
		{ 64, 0, VIRTIO_BLK_S_OK },		/* empty read at the end */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		reset();
		hdr(0, VIRTIO_BLK_T_IN, cases[i].sector);
		add(0, 16, false);
		if (cases[i].len)
			add(0x1000, cases[i].len, true);
		add(0x8000, 1, true);
		CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
		CHECK_EQ(r.status, cases[i].want);
	}
}

static void test_blk_too_many_segments(void)
{
	reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	add(0, 16, false);
	for (int i = 0; i < BLK_MAX_SEGS + 1; i++)
		add(0x1000, 512, true);
	add(0x8000, 1, true);
	lim.capacity = 1 << 20;
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
}

static void test_blk_flush_get_id_unknown(void)
{
	reset();
	hdr(0, VIRTIO_BLK_T_FLUSH, 12345);
	add(0, 16, false);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	reset();
	hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	add(0, 16, false);
	add(0x1000, 64, true);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.len, VIRTIO_BLK_ID_BYTES);
	reset();
	hdr(0, 99, 0);
	add(0, 16, false);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_UNSUPP);
}

static void seg(uint32_t off, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct virtio_blk_dwz s = { sector, n, flags };

	memcpy(mem + off, &s, sizeof(s));
}

static uint8_t dwz(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags, int nseg)
{
	reset();
	hdr(0, type, 0);
	for (int i = 0; i < nseg; i++)
		seg(16 + 16u * (uint32_t)i, sector, n, flags);
	add(0, 16 + 16u * (uint32_t)nseg, false);
	add(0x2000, 1, true);
	if (blk_req_parse(&c, &lim, &r))
		return 0xff;
	return r.status;
}

static void test_blk_discard_write_zeroes(void)
{
	CHECK_EQ(dwz(VIRTIO_BLK_T_DISCARD, 8, 8, 0, 1), VIRTIO_BLK_S_OK);
	CHECK_EQ(r.offset, 4096);
	CHECK_EQ(r.len, 4096);
	CHECK_EQ(dwz(VIRTIO_BLK_T_DISCARD, 8, 8, VIRTIO_BLK_DWZ_F_UNMAP, 1), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(dwz(VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, VIRTIO_BLK_DWZ_F_UNMAP, 1), VIRTIO_BLK_S_OK);
	CHECK(r.unmap);
	CHECK_EQ(dwz(VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, 0x4, 1), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(dwz(VIRTIO_BLK_T_DISCARD, 8, 8, 0, 2), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(dwz(VIRTIO_BLK_T_DISCARD, 60, 8, 0, 1), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(dwz(VIRTIO_BLK_T_DISCARD, 0, 17, 0, 1), VIRTIO_BLK_S_IOERR);	/* > max */
	CHECK_EQ(dwz(VIRTIO_BLK_T_DISCARD, UINT64_MAX, 1, 0, 1), VIRTIO_BLK_S_IOERR);
	lim.discard = false;
	reset();
	lim.discard = false;
	hdr(0, VIRTIO_BLK_T_DISCARD, 0);
	seg(16, 0, 1, 0);
	add(0, 32, false);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_UNSUPP);	/* not negotiated */
}

/* The header is copied before validation: later guest writes change nothing. */
static void test_blk_header_copied(void)
{
	reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	add(0, 16, false);
	add(0x1000, 512, true);
	add(0x2000, 1, true);
	CHECK_EQ(blk_req_parse(&c, &lim, &r), 0);
	hdr(0, VIRTIO_BLK_T_OUT, 1ull << 60);
	CHECK_EQ(r.type, VIRTIO_BLK_T_IN);
	CHECK_EQ(r.offset, 0);
}

int main(void)
{
	RUN(test_blk_read);
	RUN(test_blk_any_layout);
	RUN(test_blk_no_status_byte);
	RUN(test_blk_short_header);
	RUN(test_blk_read_only);
	RUN(test_blk_bounds);
	RUN(test_blk_too_many_segments);
	RUN(test_blk_flush_get_id_unknown);
	RUN(test_blk_discard_write_zeroes);
	RUN(test_blk_header_copied);
	return harness_summary("blk_req");
}
