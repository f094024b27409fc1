/* SPDX-License-Identifier: MIT */
/* arch/x86/acpi/aml.c: AML encoding (ACPI 6.4 §20) with bounded, sticky-error writes. */
#include <errno.h>
#include <string.h>

#include "arch/x86/acpi/aml.h"

#define AML_ZERO	0x00
#define AML_ONE		0x01
#define AML_NAME	0x08
#define AML_BYTE	0x0a
#define AML_WORD	0x0b
#define AML_DWORD	0x0c
#define AML_STRING	0x0d
#define AML_QWORD	0x0e
#define AML_BUFFER	0x11
#define AML_ROOT	0x5c
#define PKG_RESERVE	4	/* PkgLength is written back-patched in up to 4 bytes */

void aml_init(struct aml *a, uint8_t *buf, size_t len)
{
	a->buf = buf;
	a->len = len;
	a->pos = 0;
	a->err = 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->len - a->pos) {
		a->err = -ENOSPC;
		return;
	}
	memcpy(a->buf + a->pos, p, n);
	a->pos += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_name_seg(struct aml *a, const char *seg)
{
	if (seg[0] == '\\') {
		aml_byte(a, AML_ROOT);
		seg++;
	}
	if (strlen(seg) != 4) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	aml_bytes(a, seg, 4);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		uint16_t w = (uint16_t)v;

		aml_byte(a, AML_WORD);
		aml_bytes(a, &w, 2);
	} else if (v <= 0xffffffffu) {
		uint32_t d = (uint32_t)v;

		aml_byte(a, AML_DWORD);
		aml_bytes(a, &d, 4);
	} else {
		aml_byte(a, AML_QWORD);
		aml_bytes(a, &v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v;

	if (strlen(id) != 7) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	/* Three 5-bit letters then four hex digits, stored big-endian. */
	v = ((uint32_t)(id[0] - '@') << 26) | ((uint32_t)(id[1] - '@') << 21) |
	    ((uint32_t)(id[2] - '@') << 16);
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t h = (uint32_t)(c >= 'A' ? c - 'A' + 10 : c - '0');

		v |= h << (4 * (6 - i));
	}
	v = __builtin_bswap32(v);
	aml_byte(a, AML_DWORD);
	aml_bytes(a, &v, 4);
}

void aml_name(struct aml *a, const char *seg)
{
	aml_byte(a, AML_NAME);
	aml_name_seg(a, seg);
}

size_t aml_open(struct aml *a, const uint8_t *op, size_t oplen, const char *name)
{
	size_t token;
	uint8_t zero[PKG_RESERVE] = { 0 };

	aml_bytes(a, op, oplen);
	token = a->pos;
	aml_bytes(a, zero, PKG_RESERVE);
	if (name)
		aml_name_seg(a, name);
	return token;
}

void aml_close(struct aml *a, size_t token)
{
	size_t body, total, nbytes;
	uint8_t enc[PKG_RESERVE];

	if (a->err)
		return;
	body = a->pos - token - PKG_RESERVE;
	/* PkgLength counts itself: pick the smallest encoding that fits. */
	if (body + 1 < 0x40)
		nbytes = 1;
	else if (body + 2 < 0x1000)
		nbytes = 2;
	else if (body + 3 < 0x100000)
		nbytes = 3;
	else if (body + 4 < 0x10000000)
		nbytes = 4;
	else {
		a->err = -ENOSPC;
		return;
	}
	total = body + nbytes;
	if (nbytes == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)(((nbytes - 1) << 6) | (total & 0xf));
		for (size_t i = 1; i < nbytes; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memcpy(a->buf + token, enc, nbytes);
	memmove(a->buf + token + nbytes, a->buf + token + PKG_RESERVE, body);
	a->pos -= PKG_RESERVE - nbytes;
}

void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n)
{
	static const uint8_t op = AML_BUFFER;
	size_t tok = aml_open(a, &op, 1, NULL);

	aml_integer(a, n);
	aml_bytes(a, bytes, n);
	aml_close(a, tok);
}
