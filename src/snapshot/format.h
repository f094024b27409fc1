/* SPDX-License-Identifier: MIT */
/* snapshot/format.h: the snapshot state-file encoding: header, tagged records, nested sections, CRC-64. */
#ifndef EMBER_SNAP_FORMAT_H
#define EMBER_SNAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

/*
 * Byte-level description: docs/snapshot-format.md.  In short, everything
 * little-endian:
 *
 *   header   u64 magic "EMBERSNP" | u16 major | u16 minor | u32 reserved (0)
 *   body     records: u32 tag | u8 type | u8 flags | u16 reserved (0) | u32 len | len bytes
 *   trailer  u64 CRC-64/XZ (ECMA-182 polynomial, reflected) of everything before it
 *
 * A SECTION record's payload is itself a sequence of records.  Tags are
 * unique within one section; arrays are sections whose element tags are the
 * indices 0..n-1.  The body is the top-level section.
 *
 * Pure code: no I/O, no KVM; linked into the unit tests and fuzzers.
 */

#define SNAP_MAGIC		0x504e535245424d45ull	/* "EMBERSNP" in file order */
#define SNAP_VERSION_MAJOR	1
#define SNAP_VERSION_MINOR	1	/* 1.1: virtio device elements in DEVICES */

#define SNAP_HEADER_SIZE	16u
#define SNAP_RECORD_HDR_SIZE	12u
#define SNAP_TRAILER_SIZE	8u

/* Limits the reader enforces (the file is untrusted input). */
#define SNAP_MAX_FILE_SIZE	(64u << 20)	/* whole state file */
#define SNAP_MAX_DEPTH		8u		/* section nesting */
#define SNAP_MAX_RECORDS	4096u		/* records in one section */

enum snap_type {
	SNAP_T_U32 = 1,		/* len 4 */
	SNAP_T_U64 = 2,		/* len 8 */
	SNAP_T_BYTES = 3,	/* any len */
	SNAP_T_SECTION = 4,	/* len = nested records */
};

/* Record flags. */
#define SNAP_F_OPTIONAL	0x01	/* a reader that does not know the tag may ignore it */
#define SNAP_F_KNOWN	SNAP_F_OPTIONAL

/* CRC-64/XZ: poly 0x42F0E1EBA9EA3693 reflected, init and xorout ~0.
 * crc64("123456789") == 0x995DC9BBDF1939FA.  Chain with crc = snap_crc64(crc, ...),
 * starting from 0. */
uint64_t snap_crc64(uint64_t crc, const void *buf, size_t len);

/* ---------------------------------------------------------------- writer */

/*
 * Builds a state file in a growing heap buffer.  Errors (allocation, nesting
 * too deep, oversize record) are sticky: the put functions return nothing and
 * snap_writer_finish() reports the first one.
 */
struct snap_writer {
	uint8_t *buf;
	size_t len, cap;
	int err;			/* first error, -errno */
	unsigned int depth;
	size_t open[SNAP_MAX_DEPTH];	/* offset of each open section's record header */
};

void snap_writer_init(struct snap_writer *w);	/* writes the header */
void snap_writer_free(struct snap_writer *w);

void snap_put(struct snap_writer *w, uint32_t tag, enum snap_type type, uint8_t flags,
	      const void *data, size_t len);
void snap_put_u32(struct snap_writer *w, uint32_t tag, uint32_t v);
void snap_put_u64(struct snap_writer *w, uint32_t tag, uint64_t v);
void snap_put_bytes(struct snap_writer *w, uint32_t tag, const void *data, size_t len);
void snap_put_str(struct snap_writer *w, uint32_t tag, const char *s);	/* no NUL stored */
/* Array of u64 as one BYTES record of 8*n little-endian bytes. */
void snap_put_u64_array(struct snap_writer *w, uint32_t tag, const uint64_t *v, size_t n);
/* Sections nest: every begin has its end. */
void snap_begin(struct snap_writer *w, uint32_t tag);
void snap_begin_flags(struct snap_writer *w, uint32_t tag, uint8_t flags);
void snap_end(struct snap_writer *w);

/*
 * Close the file: append the CRC.  On success *out and *len are the whole file
 * (owned by w until snap_writer_free).  0 or the first -errno.
 */
int snap_writer_finish(struct snap_writer *w, const uint8_t **out, size_t *len) __must_check;

/* ---------------------------------------------------------------- reader */

struct snap_rec {
	uint32_t tag;
	uint8_t type, flags;
	bool used;
	uint32_t off, len;		/* payload, relative to the section's base */
};

/* Shared by a file's sections: the first error and its message. */
struct snap_ctx {
	int err;
	char *why;
	size_t why_len;
	uint16_t major, minor;
};

/*
 * One section being read.  Fields are looked up by tag in any order; every
 * lookup checks type and length.  snap_close() refuses the section if a
 * record that is not SNAP_F_OPTIONAL was never looked up (an unknown
 * mandatory tag).
 */
struct snap_reader {
	struct snap_ctx *ctx;
	const uint8_t *base;
	uint32_t len;
	unsigned int depth;
	uint32_t tag;			/* this section's tag (for messages) */
	const struct snap_reader *parent;
	struct snap_rec *recs;		/* sorted by tag */
	unsigned int n;
};

/*
 * Check a whole file: size, magic, version, reserved bits, CRC, then index
 * the top-level section into *r.  Nested sections are indexed as they are
 * opened.  0 or -EINVAL/-ENOMEM with one line in ctx->why.
 * The buffer must outlive every reader opened on it.
 */
int snap_open(struct snap_reader *r, struct snap_ctx *ctx, const void *buf, size_t len,
	      char *why, size_t why_len) __must_check;

/* Every getter returns 0, -ENOENT when the tag is absent (no error recorded:
 * the caller decides whether it is required) or -EINVAL with a message. */
bool snap_has(const struct snap_reader *r, uint32_t tag);
int snap_get_u32(struct snap_reader *r, uint32_t tag, uint32_t *v) __must_check;
int snap_get_u64(struct snap_reader *r, uint32_t tag, uint64_t *v) __must_check;
/* Value must lie in [min, max]. */
int snap_get_u64_range(struct snap_reader *r, uint32_t tag, uint64_t min, uint64_t max,
		       uint64_t *v) __must_check;
int snap_get_u32_range(struct snap_reader *r, uint32_t tag, uint32_t min, uint32_t max,
		       uint32_t *v) __must_check;
int snap_get_bool(struct snap_reader *r, uint32_t tag, bool *v) __must_check;
/* BYTES of exactly `len` bytes, copied. */
int snap_get_bytes(struct snap_reader *r, uint32_t tag, void *dst, size_t len) __must_check;
/* BYTES of at most `max` bytes: pointer into the file buffer and length. */
int snap_get_blob(struct snap_reader *r, uint32_t tag, const uint8_t **p, size_t *len,
		  size_t max) __must_check;
/* BYTES of 1..max-1 bytes without NUL, copied and NUL-terminated into dst[max]. */
int snap_get_str(struct snap_reader *r, uint32_t tag, char *dst, size_t max) __must_check;
/* BYTES of exactly 8*n bytes decoded into v[n]. */
int snap_get_u64_array(struct snap_reader *r, uint32_t tag, uint64_t *v, size_t n) __must_check;
/* Open a nested section; close it with snap_close(). */
int snap_get_section(struct snap_reader *r, uint32_t tag, struct snap_reader *sub) __must_check;
/* Number of records in the section (arrays: element count). */
unsigned int snap_count(const struct snap_reader *r);

/* A required tag: like the getters, but a missing tag is an error too. */
int snap_require(struct snap_reader *r, uint32_t tag) __must_check;

/* Record an error (first wins) with the section path; returns -EINVAL. */
int snap_fail(struct snap_reader *r, const char *fmt, ...) __printf(2, 3);

/* Free a section's index without the unknown-field check (a first pass that
 * reads only some fields; the full pass closes it with snap_close). */
void snap_release(struct snap_reader *r);

/* Finish a section: unknown mandatory records → error.  Frees the index.
 * Returns the context's error state (0 if everything so far was fine). */
int snap_close(struct snap_reader *r);

/* Little-endian helpers shared with the state encoders. */
static inline void snap_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t snap_rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#endif
