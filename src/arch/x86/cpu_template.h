/* SPDX-License-Identifier: MIT */
/* arch/x86/cpu_template.h: Firecracker's custom CPU template bitmaps ("0b01x..."): parse, render, apply; pure. */
#ifndef EMBER_CPU_TEMPLATE_H
#define EMBER_CPU_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

/*
 * Parse a register bitmap as Firecracker writes it: an optional "0b"
 * prefix, then one character per bit, most significant first and
 * right-aligned: '0' and '1' set the bit, 'x' keeps the current value,
 * '_' separates groups and counts for nothing.  At most `bits` (32 or 64)
 * bit characters; at least one.  On success *filter has a 1 for every bit
 * the template sets and *value the values of those bits.  0, or -EINVAL
 * with one line in *why.
 */
int cpu_template_parse_bitmap(const char *s, unsigned int bits, uint64_t *filter,
			      uint64_t *value, char *why, size_t why_len) __must_check;

/* The bitmap as Firecracker renders it: "0b" and exactly `bits` characters.
 * `out` needs bits + 3 bytes. */
void cpu_template_format_bitmap(uint64_t filter, uint64_t value, unsigned int bits, char *out);

/* `old` with the bits of `filter` replaced by those of `value`. */
static inline uint64_t cpu_template_apply(uint64_t old, uint64_t filter, uint64_t value)
{
	return (old & ~filter) | (value & filter);
}

#endif
