/* SPDX-License-Identifier: MIT */
/* snapshot/format.c: state-file writer and validating reader (tagged records, sections, CRC-64/XZ). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/format.h"

/* CRC-64/XZ table: ECMA-182 polynomial 0x42F0E1EBA9EA3693, reflected (0xC96C5795D7870F42). */
static const uint64_t crc64_table[256] = {
	0x0000000000000000ull, 0xb32e4cbe03a75f6full, 0xf4843657a840a05bull,
	0x47aa7ae9abe7ff34ull, 0x7bd0c384ff8f5e33ull, 0xc8fe8f3afc28015cull,
	0x8f54f5d357cffe68ull, 0x3c7ab96d5468a107ull, 0xf7a18709ff1ebc66ull,
	0x448fcbb7fcb9e309ull, 0x0325b15e575e1c3dull, 0xb00bfde054f94352ull,
	0x8c71448d0091e255ull, 0x3f5f08330336bd3aull, 0x78f572daa8d1420eull,
	0xcbdb3e64ab761d61ull, 0x7d9ba13851336649ull, 0xceb5ed8652943926ull,
	0x891f976ff973c612ull, 0x3a31dbd1fad4997dull, 0x064b62bcaebc387aull,
	0xb5652e02ad1b6715ull, 0xf2cf54eb06fc9821ull, 0x41e11855055bc74eull,
	0x8a3a2631ae2dda2full, 0x39146a8fad8a8540ull, 0x7ebe1066066d7a74ull,
	0xcd905cd805ca251bull, 0xf1eae5b551a2841cull, 0x42c4a90b5205db73ull,
	0x056ed3e2f9e22447ull, 0xb6409f5cfa457b28ull, 0xfb374270a266cc92ull,
	0x48190ecea1c193fdull, 0x0fb374270a266cc9ull, 0xbc9d3899098133a6ull,
	0x80e781f45de992a1ull, 0x33c9cd4a5e4ecdceull, 0x7463b7a3f5a932faull,
	0xc74dfb1df60e6d95ull, 0x0c96c5795d7870f4ull, 0xbfb889c75edf2f9bull,
	0xf812f32ef538d0afull, 0x4b3cbf90f69f8fc0ull, 0x774606fda2f72ec7ull,
	0xc4684a43a15071a8ull, 0x83c230aa0ab78e9cull, 0x30ec7c140910d1f3ull,
	0x86ace348f355aadbull, 0x3582aff6f0f2f5b4ull, 0x7228d51f5b150a80ull,
	0xc10699a158b255efull, 0xfd7c20cc0cdaf4e8ull, 0x4e526c720f7dab87ull,
	0x09f8169ba49a54b3ull, 0xbad65a25a73d0bdcull, 0x710d64410c4b16bdull,
	0xc22328ff0fec49d2ull, 0x85895216a40bb6e6ull, 0x36a71ea8a7ace989ull,
	0x0adda7c5f3c4488eull, 0xb9f3eb7bf06317e1ull, 0xfe5991925b84e8d5ull,
	0x4d77dd2c5823b7baull, 0x64b62bcaebc387a1ull, 0xd7986774e864d8ceull,
	0x90321d9d438327faull, 0x231c512340247895ull, 0x1f66e84e144cd992ull,
	0xac48a4f017eb86fdull, 0xebe2de19bc0c79c9ull, 0x58cc92a7bfab26a6ull,
	0x9317acc314dd3bc7ull, 0x2039e07d177a64a8ull, 0x67939a94bc9d9b9cull,
	0xd4bdd62abf3ac4f3ull, 0xe8c76f47eb5265f4ull, 0x5be923f9e8f53a9bull,
	0x1c4359104312c5afull, 0xaf6d15ae40b59ac0ull, 0x192d8af2baf0e1e8ull,
	0xaa03c64cb957be87ull, 0xeda9bca512b041b3ull, 0x5e87f01b11171edcull,
	0x62fd4976457fbfdbull, 0xd1d305c846d8e0b4ull, 0x96797f21ed3f1f80ull,
	0x2557339fee9840efull, 0xee8c0dfb45ee5d8eull, 0x5da24145464902e1ull,
	0x1a083bacedaefdd5ull, 0xa9267712ee09a2baull, 0x955cce7fba6103bdull,
	0x267282c1b9c65cd2ull, 0x61d8f8281221a3e6ull, 0xd2f6b4961186fc89ull,
	0x9f8169ba49a54b33ull, 0x2caf25044a02145cull, 0x6b055fede1e5eb68ull,
	0xd82b1353e242b407ull, 0xe451aa3eb62a1500ull, 0x577fe680b58d4a6full,
	0x10d59c691e6ab55bull, 0xa3fbd0d71dcdea34ull, 0x6820eeb3b6bbf755ull,
	0xdb0ea20db51ca83aull, 0x9ca4d8e41efb570eull, 0x2f8a945a1d5c0861ull,
	0x13f02d374934a966ull, 0xa0de61894a93f609ull, 0xe7741b60e174093dull,
	0x545a57dee2d35652ull, 0xe21ac88218962d7aull, 0x5134843c1b317215ull,
	0x169efed5b0d68d21ull, 0xa5b0b26bb371d24eull, 0x99ca0b06e7197349ull,
	0x2ae447b8e4be2c26ull, 0x6d4e3d514f59d312ull, 0xde6071ef4cfe8c7dull,
	0x15bb4f8be788911cull, 0xa6950335e42fce73ull, 0xe13f79dc4fc83147ull,
	0x521135624c6f6e28ull, 0x6e6b8c0f1807cf2full, 0xdd45c0b11ba09040ull,
	0x9aefba58b0476f74ull, 0x29c1f6e6b3e0301bull, 0xc96c5795d7870f42ull,
	0x7a421b2bd420502dull, 0x3de861c27fc7af19ull, 0x8ec62d7c7c60f076ull,
	0xb2bc941128085171ull, 0x0192d8af2baf0e1eull, 0x4638a2468048f12aull,
	0xf516eef883efae45ull, 0x3ecdd09c2899b324ull, 0x8de39c222b3eec4bull,
	0xca49e6cb80d9137full, 0x7967aa75837e4c10ull, 0x451d1318d716ed17ull,
	0xf6335fa6d4b1b278ull, 0xb199254f7f564d4cull, 0x02b769f17cf11223ull,
	0xb4f7f6ad86b4690bull, 0x07d9ba1385133664ull, 0x4073c0fa2ef4c950ull,
	0xf35d8c442d53963full, 0xcf273529793b3738ull, 0x7c0979977a9c6857ull,
	0x3ba3037ed17b9763ull, 0x888d4fc0d2dcc80cull, 0x435671a479aad56dull,
	0xf0783d1a7a0d8a02ull, 0xb7d247f3d1ea7536ull, 0x04fc0b4dd24d2a59ull,
	0x3886b22086258b5eull, 0x8ba8fe9e8582d431ull, 0xcc0284772e652b05ull,
	0x7f2cc8c92dc2746aull, 0x325b15e575e1c3d0ull, 0x8175595b76469cbfull,
	0xc6df23b2dda1638bull, 0x75f16f0cde063ce4ull, 0x498bd6618a6e9de3ull,
	0xfaa59adf89c9c28cull, 0xbd0fe036222e3db8ull, 0x0e21ac88218962d7ull,
	0xc5fa92ec8aff7fb6ull, 0x76d4de52895820d9ull, 0x317ea4bb22bfdfedull,
	0x8250e80521188082ull, 0xbe2a516875702185ull, 0x0d041dd676d77eeaull,
	0x4aae673fdd3081deull, 0xf9802b81de97deb1ull, 0x4fc0b4dd24d2a599ull,
	0xfceef8632775faf6ull, 0xbb44828a8c9205c2ull, 0x086ace348f355aadull,
	0x34107759db5dfbaaull, 0x873e3be7d8faa4c5ull, 0xc094410e731d5bf1ull,
	0x73ba0db070ba049eull, 0xb86133d4dbcc19ffull, 0x0b4f7f6ad86b4690ull,
	0x4ce50583738cb9a4ull, 0xffcb493d702be6cbull, 0xc3b1f050244347ccull,
	0x709fbcee27e418a3ull, 0x3735c6078c03e797ull, 0x841b8ab98fa4b8f8ull,
	0xadda7c5f3c4488e3ull, 0x1ef430e13fe3d78cull, 0x595e4a08940428b8ull,
	0xea7006b697a377d7ull, 0xd60abfdbc3cbd6d0ull, 0x6524f365c06c89bfull,
	0x228e898c6b8b768bull, 0x91a0c532682c29e4ull, 0x5a7bfb56c35a3485ull,
	0xe955b7e8c0fd6beaull, 0xaeffcd016b1a94deull, 0x1dd181bf68bdcbb1ull,
	0x21ab38d23cd56ab6ull, 0x9285746c3f7235d9ull, 0xd52f0e859495caedull,
	0x6601423b97329582ull, 0xd041dd676d77eeaaull, 0x636f91d96ed0b1c5ull,
	0x24c5eb30c5374ef1ull, 0x97eba78ec690119eull, 0xab911ee392f8b099ull,
	0x18bf525d915feff6ull, 0x5f1528b43ab810c2ull, 0xec3b640a391f4fadull,
	0x27e05a6e926952ccull, 0x94ce16d091ce0da3ull, 0xd3646c393a29f297ull,
	0x604a2087398eadf8ull, 0x5c3099ea6de60cffull, 0xef1ed5546e415390ull,
	0xa8b4afbdc5a6aca4ull, 0x1b9ae303c601f3cbull, 0x56ed3e2f9e224471ull,
	0xe5c372919d851b1eull, 0xa26908783662e42aull, 0x114744c635c5bb45ull,
	0x2d3dfdab61ad1a42ull, 0x9e13b115620a452dull, 0xd9b9cbfcc9edba19ull,
	0x6a978742ca4ae576ull, 0xa14cb926613cf817ull, 0x1262f598629ba778ull,
	0x55c88f71c97c584cull, 0xe6e6c3cfcadb0723ull, 0xda9c7aa29eb3a624ull,
	0x69b2361c9d14f94bull, 0x2e184cf536f3067full, 0x9d36004b35545910ull,
	0x2b769f17cf112238ull, 0x9858d3a9ccb67d57ull, 0xdff2a94067518263ull,
	0x6cdce5fe64f6dd0cull, 0x50a65c93309e7c0bull, 0xe388102d33392364ull,
	0xa4226ac498dedc50ull, 0x170c267a9b79833full, 0xdcd7181e300f9e5eull,
	0x6ff954a033a8c131ull, 0x28532e49984f3e05ull, 0x9b7d62f79be8616aull,
	0xa707db9acf80c06dull, 0x14299724cc279f02ull, 0x5383edcd67c06036ull,
	0xe0ada17364673f59ull,
};

uint64_t snap_crc64(uint64_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--)
		crc = crc64_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---------------------------------------------------------------- writer */

static uint8_t *reserve(struct snap_writer *w, size_t n)
{
	size_t need;

	if (w->err)
		return NULL;
	if (__builtin_add_overflow(w->len, n, &need) || need > SNAP_MAX_FILE_SIZE) {
		w->err = -E2BIG;
		return NULL;
	}
	if (need > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *nb;

		while (cap < need)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->buf = nb;
		w->cap = cap;
	}
	w->len = need;
	return w->buf + need - n;
}

void snap_writer_init(struct snap_writer *w)
{
	uint8_t *h;

	memset(w, 0, sizeof(*w));
	h = reserve(w, SNAP_HEADER_SIZE);
	if (!h)
		return;
	snap_le64(h, SNAP_MAGIC);
	le16(h + 8, SNAP_VERSION_MAJOR);
	le16(h + 10, SNAP_VERSION_MINOR);
	le32(h + 12, 0);
}

void snap_writer_free(struct snap_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void put_hdr(uint8_t *h, uint32_t tag, enum snap_type type, uint8_t flags, uint32_t len)
{
	le32(h, tag);
	h[4] = (uint8_t)type;
	h[5] = flags;
	le16(h + 6, 0);
	le32(h + 8, len);
}

void snap_put(struct snap_writer *w, uint32_t tag, enum snap_type type, uint8_t flags,
	      const void *data, size_t len)
{
	uint8_t *p;

	if (len > UINT32_MAX) {
		if (!w->err)
			w->err = -E2BIG;
		return;
	}
	p = reserve(w, SNAP_RECORD_HDR_SIZE + len);
	if (!p)
		return;
	put_hdr(p, tag, type, flags, (uint32_t)len);
	if (len)
		memcpy(p + SNAP_RECORD_HDR_SIZE, data, len);
}

void snap_put_u32(struct snap_writer *w, uint32_t tag, uint32_t v)
{
	uint8_t b[4];

	le32(b, v);
	snap_put(w, tag, SNAP_T_U32, 0, b, sizeof(b));
}

void snap_put_u64(struct snap_writer *w, uint32_t tag, uint64_t v)
{
	uint8_t b[8];

	snap_le64(b, v);
	snap_put(w, tag, SNAP_T_U64, 0, b, sizeof(b));
}

void snap_put_bytes(struct snap_writer *w, uint32_t tag, const void *data, size_t len)
{
	snap_put(w, tag, SNAP_T_BYTES, 0, data, len);
}

void snap_put_str(struct snap_writer *w, uint32_t tag, const char *s)
{
	snap_put(w, tag, SNAP_T_BYTES, 0, s, strlen(s));
}

void snap_put_u64_array(struct snap_writer *w, uint32_t tag, const uint64_t *v, size_t n)
{
	uint8_t *p;

	if (n > UINT32_MAX / 8) {
		if (!w->err)
			w->err = -E2BIG;
		return;
	}
	p = reserve(w, SNAP_RECORD_HDR_SIZE + 8 * n);
	if (!p)
		return;
	put_hdr(p, tag, SNAP_T_BYTES, 0, (uint32_t)(8 * n));
	for (size_t i = 0; i < n; i++)
		snap_le64(p + SNAP_RECORD_HDR_SIZE + 8 * i, v[i]);
}

void snap_begin(struct snap_writer *w, uint32_t tag)
{
	snap_begin_flags(w, tag, 0);
}

void snap_begin_flags(struct snap_writer *w, uint32_t tag, uint8_t flags)
{
	size_t at = w->len;
	uint8_t *p;

	if (w->depth >= SNAP_MAX_DEPTH) {
		if (!w->err)
			w->err = -E2BIG;
		return;
	}
	p = reserve(w, SNAP_RECORD_HDR_SIZE);
	if (!p)
		return;
	put_hdr(p, tag, SNAP_T_SECTION, flags, 0);
	w->open[w->depth++] = at;
}

void snap_end(struct snap_writer *w)
{
	size_t at, len;

	if (w->err)
		return;
	if (!w->depth) {
		w->err = -EINVAL;
		return;
	}
	at = w->open[--w->depth];
	len = w->len - at - SNAP_RECORD_HDR_SIZE;
	if (len > UINT32_MAX) {
		w->err = -E2BIG;
		return;
	}
	le32(w->buf + at + 8, (uint32_t)len);
}

int snap_writer_finish(struct snap_writer *w, const uint8_t **out, size_t *len)
{
	uint64_t crc;
	uint8_t *p;

	if (!w->err && w->depth)
		w->err = -EINVAL;	/* unbalanced snap_begin */
	if (w->err)
		return w->err;
	crc = snap_crc64(0, w->buf, w->len);
	p = reserve(w, SNAP_TRAILER_SIZE);
	if (!p)
		return w->err;
	snap_le64(p, crc);
	*out = w->buf;
	*len = w->len;
	return 0;
}

/* ---------------------------------------------------------------- reader */

static const char *type_name(unsigned int t)
{
	switch (t) {
	case SNAP_T_U32: return "u32";
	case SNAP_T_U64: return "u64";
	case SNAP_T_BYTES: return "bytes";
	case SNAP_T_SECTION: return "section";
	default: return "?";
	}
}

static int path_of(const struct snap_reader *r, char *buf, size_t len)
{
	int n = 0;

	if (!r || !r->parent)
		return 0;
	n = path_of(r->parent, buf, len);
	if (n < 0 || (size_t)n >= len)
		return n;
	return n + snprintf(buf + n, len - (size_t)n, "/0x%x", r->tag);
}

static int vfail(struct snap_ctx *ctx, const struct snap_reader *r, const char *fmt,
		 va_list ap) __printf(3, 0);
static int vfail(struct snap_ctx *ctx, const struct snap_reader *r, const char *fmt, va_list ap)
{
	char path[128] = "";
	int n;

	if (ctx->err)
		return ctx->err;
	ctx->err = -EINVAL;
	if (!ctx->why || !ctx->why_len)
		return ctx->err;
	path_of(r, path, sizeof(path));
	n = snprintf(ctx->why, ctx->why_len, "snapshot is invalid: %s%s", path[0] ? path : "",
		     path[0] ? ": " : "");
	if (n >= 0 && (size_t)n < ctx->why_len)
		vsnprintf(ctx->why + n, ctx->why_len - (size_t)n, fmt, ap);
	return ctx->err;
}

int snap_fail(struct snap_reader *r, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfail(r->ctx, r, fmt, ap);
	va_end(ap);
	return err;
}

static int ctx_fail(struct snap_ctx *ctx, const char *fmt, ...) __printf(2, 3);
static int ctx_fail(struct snap_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err)
		return ctx->err;
	ctx->err = -EINVAL;
	va_start(ap, fmt);
	if (ctx->why && ctx->why_len)
		vsnprintf(ctx->why, ctx->why_len, fmt, ap);
	va_end(ap);
	return ctx->err;
}

static int cmp_rec(const void *a, const void *b)
{
	uint32_t x = ((const struct snap_rec *)a)->tag, y = ((const struct snap_rec *)b)->tag;

	return x < y ? -1 : x > y;
}

/* Walk and check every record header of r's payload, then index it. */
static int index_section(struct snap_reader *r)
{
	unsigned int n = 0, i;
	uint32_t off;

	r->recs = NULL;
	r->n = 0;
	/* Pass 1: validate and count. */
	for (off = 0; off < r->len; n++) {
		uint32_t rest = r->len - off, len;
		const uint8_t *h = r->base + off;
		uint8_t type, flags;

		if (n >= SNAP_MAX_RECORDS)
			return snap_fail(r, "more than %u records in one section", SNAP_MAX_RECORDS);
		if (rest < SNAP_RECORD_HDR_SIZE)
			return snap_fail(r, "truncated record header (%u bytes left)", rest);
		type = h[4];
		flags = h[5];
		len = rd32(h + 8);
		if (type < SNAP_T_U32 || type > SNAP_T_SECTION)
			return snap_fail(r, "record 0x%x has unknown type %u", rd32(h), type);
		if (flags & ~SNAP_F_KNOWN)
			return snap_fail(r, "record 0x%x has unknown flags 0x%x", rd32(h), flags);
		if (rd16(h + 6))
			return snap_fail(r, "record 0x%x has non-zero reserved bits", rd32(h));
		if (len > rest - SNAP_RECORD_HDR_SIZE)
			return snap_fail(r, "record 0x%x length %u exceeds its section (%u bytes left)",
					 rd32(h), len, rest - SNAP_RECORD_HDR_SIZE);
		if ((type == SNAP_T_U32 && len != 4) || (type == SNAP_T_U64 && len != 8))
			return snap_fail(r, "record 0x%x: %s of length %u", rd32(h),
					 type_name(type), len);
		off += SNAP_RECORD_HDR_SIZE + len;
	}
	if (!n)
		return 0;
	r->recs = calloc(n, sizeof(*r->recs));
	if (!r->recs) {
		r->ctx->err = -ENOMEM;
		return snap_fail(r, "out of memory");
	}
	/* Pass 2: fill (every header is known to be in bounds now). */
	for (off = 0, i = 0; i < n; i++) {
		const uint8_t *h = r->base + off;

		r->recs[i].tag = rd32(h);
		r->recs[i].type = h[4];
		r->recs[i].flags = h[5];
		r->recs[i].len = rd32(h + 8);
		r->recs[i].off = off + SNAP_RECORD_HDR_SIZE;
		off += SNAP_RECORD_HDR_SIZE + r->recs[i].len;
	}
	r->n = n;
	qsort(r->recs, n, sizeof(*r->recs), cmp_rec);
	for (i = 1; i < n; i++) {
		if (r->recs[i].tag == r->recs[i - 1].tag) {
			snap_fail(r, "tag 0x%x appears twice", r->recs[i].tag);
			/* A section that failed to open holds nothing. */
			free(r->recs);
			r->recs = NULL;
			r->n = 0;
			return r->ctx->err;
		}
	}
	return 0;
}

int snap_open(struct snap_reader *r, struct snap_ctx *ctx, const void *buf, size_t len,
	      char *why, size_t why_len)
{
	const uint8_t *p = buf;
	uint64_t stored;

	memset(r, 0, sizeof(*r));
	memset(ctx, 0, sizeof(*ctx));
	ctx->why = why;
	ctx->why_len = why_len;
	r->ctx = ctx;
	if (len < SNAP_HEADER_SIZE + SNAP_TRAILER_SIZE)
		return ctx_fail(ctx, "snapshot is truncated: %zu bytes, a snapshot has at least %u",
				len, SNAP_HEADER_SIZE + SNAP_TRAILER_SIZE);
	if (snap_rd64(p) != SNAP_MAGIC)
		return ctx_fail(ctx, "not an ember snapshot (bad magic)");
	ctx->major = rd16(p + 8);
	ctx->minor = rd16(p + 10);
	if (ctx->major != SNAP_VERSION_MAJOR)
		return ctx_fail(ctx, "snapshot format version %u.%u is not supported "
				"(this ember reads version %u.x)", ctx->major, ctx->minor,
				SNAP_VERSION_MAJOR);
	if (len > SNAP_MAX_FILE_SIZE)
		return ctx_fail(ctx, "snapshot is %zu bytes; the limit is %u", len,
				SNAP_MAX_FILE_SIZE);
	stored = snap_rd64(p + len - SNAP_TRAILER_SIZE);
	if (snap_crc64(0, p, len - SNAP_TRAILER_SIZE) != stored)
		return ctx_fail(ctx, "snapshot checksum mismatch: the file is corrupted or truncated");
	if (rd32(p + 12))
		return ctx_fail(ctx, "snapshot header has non-zero reserved bits");
	r->base = p + SNAP_HEADER_SIZE;
	r->len = (uint32_t)(len - SNAP_HEADER_SIZE - SNAP_TRAILER_SIZE);
	return index_section(r);
}

static struct snap_rec *find(const struct snap_reader *r, uint32_t tag)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->recs[mid].tag == tag)
			return &r->recs[mid];
		if (r->recs[mid].tag < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool snap_has(const struct snap_reader *r, uint32_t tag)
{
	return find(r, tag) != NULL;
}

unsigned int snap_count(const struct snap_reader *r)
{
	return r->n;
}

/* Look up tag with the expected type; marks it used. */
static int lookup(struct snap_reader *r, uint32_t tag, uint8_t type, struct snap_rec **out)
{
	struct snap_rec *rec;

	if (r->ctx->err)
		return r->ctx->err;
	rec = find(r, tag);
	if (!rec)
		return -ENOENT;
	rec->used = true;
	if (rec->type != type)
		return snap_fail(r, "field 0x%x is a %s, expected a %s", tag, type_name(rec->type),
				 type_name(type));
	*out = rec;
	return 0;
}

int snap_require(struct snap_reader *r, uint32_t tag)
{
	if (r->ctx->err)
		return r->ctx->err;
	if (!find(r, tag))
		return snap_fail(r, "required field 0x%x is missing", tag);
	return 0;
}

int snap_get_u32(struct snap_reader *r, uint32_t tag, uint32_t *v)
{
	struct snap_rec *rec;
	int err = lookup(r, tag, SNAP_T_U32, &rec);

	if (!err)
		*v = rd32(r->base + rec->off);
	return err;
}

int snap_get_u64(struct snap_reader *r, uint32_t tag, uint64_t *v)
{
	struct snap_rec *rec;
	int err = lookup(r, tag, SNAP_T_U64, &rec);

	if (!err)
		*v = snap_rd64(r->base + rec->off);
	return err;
}

int snap_get_u64_range(struct snap_reader *r, uint32_t tag, uint64_t min, uint64_t max,
		       uint64_t *v)
{
	uint64_t x = 0;
	int err = snap_get_u64(r, tag, &x);

	if (err == -ENOENT)
		return snap_fail(r, "required field 0x%x is missing", tag);
	if (err)
		return err;
	if (x < min || x > max)
		return snap_fail(r, "field 0x%x = %llu is out of range %llu..%llu", tag,
				 (unsigned long long)x, (unsigned long long)min,
				 (unsigned long long)max);
	*v = x;
	return 0;
}

int snap_get_u32_range(struct snap_reader *r, uint32_t tag, uint32_t min, uint32_t max,
		       uint32_t *v)
{
	uint32_t x = 0;
	int err = snap_get_u32(r, tag, &x);

	if (err == -ENOENT)
		return snap_fail(r, "required field 0x%x is missing", tag);
	if (err)
		return err;
	if (x < min || x > max)
		return snap_fail(r, "field 0x%x = %u is out of range %u..%u", tag, x, min, max);
	*v = x;
	return 0;
}

int snap_get_bool(struct snap_reader *r, uint32_t tag, bool *v)
{
	uint32_t x = 0;
	int err = snap_get_u32_range(r, tag, 0, 1, &x);

	if (!err)
		*v = x;
	return err;
}

int snap_get_blob(struct snap_reader *r, uint32_t tag, const uint8_t **p, size_t *len,
		  size_t max)
{
	struct snap_rec *rec;
	int err = lookup(r, tag, SNAP_T_BYTES, &rec);

	if (err)
		return err;
	if (rec->len > max)
		return snap_fail(r, "field 0x%x is %u bytes, at most %zu allowed", tag, rec->len, max);
	*p = r->base + rec->off;
	*len = rec->len;
	return 0;
}

int snap_get_bytes(struct snap_reader *r, uint32_t tag, void *dst, size_t len)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	int err = snap_get_blob(r, tag, &p, &n, len);

	if (err)
		return err;
	if (n != len)
		return snap_fail(r, "field 0x%x is %zu bytes, expected %zu", tag, n, len);
	memcpy(dst, p, len);
	return 0;
}

int snap_get_str(struct snap_reader *r, uint32_t tag, char *dst, size_t max)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	int err;

	if (max < 2)
		return snap_fail(r, "field 0x%x: no room", tag);
	err = snap_get_blob(r, tag, &p, &n, max - 1);
	if (err)
		return err;
	if (!n || memchr(p, 0, n))
		return snap_fail(r, "field 0x%x is not a valid string", tag);
	memcpy(dst, p, n);
	dst[n] = 0;
	return 0;
}

int snap_get_u64_array(struct snap_reader *r, uint32_t tag, uint64_t *v, size_t n)
{
	const uint8_t *p = NULL;
	size_t len = 0;
	int err;

	if (n > SNAP_MAX_FILE_SIZE / 8)
		return snap_fail(r, "field 0x%x: array too long", tag);
	err = snap_get_blob(r, tag, &p, &len, 8 * n);
	if (err)
		return err;
	if (len != 8 * n)
		return snap_fail(r, "field 0x%x is %zu bytes, expected %zu u64 values", tag, len, n);
	for (size_t i = 0; i < n; i++)
		v[i] = snap_rd64(p + 8 * i);
	return 0;
}

int snap_get_section(struct snap_reader *r, uint32_t tag, struct snap_reader *sub)
{
	struct snap_rec *rec;
	int err;

	memset(sub, 0, sizeof(*sub));
	sub->ctx = r->ctx;
	err = lookup(r, tag, SNAP_T_SECTION, &rec);
	if (err)
		return err;
	if (r->depth + 1 >= SNAP_MAX_DEPTH)
		return snap_fail(r, "sections nested deeper than %u", SNAP_MAX_DEPTH);
	sub->base = r->base + rec->off;
	sub->len = rec->len;
	sub->depth = r->depth + 1;
	sub->tag = tag;
	sub->parent = r;
	return index_section(sub);
}

void snap_release(struct snap_reader *r)
{
	free(r->recs);
	r->recs = NULL;
	r->n = 0;
}

int snap_close(struct snap_reader *r)
{
	for (unsigned int i = 0; i < r->n && !r->ctx->err; i++)
		if (!r->recs[i].used && !(r->recs[i].flags & SNAP_F_OPTIONAL))
			snap_fail(r, "unknown mandatory field 0x%x (written by a newer ember?)",
				  r->recs[i].tag);
	free(r->recs);
	r->recs = NULL;
	r->n = 0;
	return r->ctx ? r->ctx->err : -EINVAL;
}
