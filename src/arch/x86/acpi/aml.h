/* SPDX-License-Identifier: MIT */
/* arch/x86/acpi/aml.h: a tiny bounded AML byte-code writer (names, packages, devices, buffers). */
#ifndef EMBER_AML_H
#define EMBER_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len;		/* capacity */
	size_t pos;
	int err;		/* sticky: -ENOSPC or -EINVAL */
};

#define AML_MAX_DEPTH 8

void aml_init(struct aml *a, uint8_t *buf, size_t len);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
void aml_name_seg(struct aml *a, const char *seg);	/* "_SB_" style, 4 chars, or "\\_SB_" */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id);		/* "PNP0501" → DWord */
/* Name(seg, <value written next>) */
void aml_name(struct aml *a, const char *seg);

/* Open a package-length scope: returns a token for aml_close. op is the opcode
 * (1 or 2 bytes); the name segment (may be NULL) follows the PkgLength. */
size_t aml_open(struct aml *a, const uint8_t *op, size_t oplen, const char *name);
void aml_close(struct aml *a, size_t token);

/* Buffer { bytes } */
void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n);

#endif
