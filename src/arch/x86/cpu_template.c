/* SPDX-License-Identifier: MIT */
/* arch/x86/cpu_template.c: parses and renders CPU template register bitmaps (Firecracker's syntax); pure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/cpu_template.h"

int cpu_template_parse_bitmap(const char *s, unsigned int bits, uint64_t *filter,
			      uint64_t *value, char *why, size_t why_len)
{
	const char *p = s;
	unsigned int n = 0;
	uint64_t f = 0, v = 0;

	if (bits == 0 || bits > 64) {
		snprintf(why, why_len, "bitmap width %u is not supported", bits);
		return -EINVAL;
	}
	if (p[0] == '0' && p[1] == 'b')
		p += 2;
	for (; *p; p++) {
		if (*p == '_')
			continue;
		if (*p != '0' && *p != '1' && *p != 'x') {
			snprintf(why, why_len, "bitmap '%.80s': '%c' is not 0, 1, x or _", s,
				 (*p >= 0x20 && *p < 0x7f) ? *p : '?');
			return -EINVAL;
		}
		if (++n > bits) {
			snprintf(why, why_len, "bitmap '%.80s' has more than %u bits", s, bits);
			return -EINVAL;
		}
		/* Shifting left keeps the string right-aligned on bit 0. */
		f <<= 1;
		v <<= 1;
		if (*p != 'x') {
			f |= 1;
			v |= (uint64_t)(*p == '1');
		}
	}
	if (!n) {
		snprintf(why, why_len, "bitmap '%.80s' has no bits", s);
		return -EINVAL;
	}
	*filter = f;
	*value = v;
	return 0;
}

void cpu_template_format_bitmap(uint64_t filter, uint64_t value, unsigned int bits, char *out)
{
	out[0] = '0';
	out[1] = 'b';
	for (unsigned int i = 0; i < bits; i++) {
		uint64_t bit = 1ull << (bits - 1 - i);

		out[2 + i] = (filter & bit) ? ((value & bit) ? '1' : '0') : 'x';
	}
	out[2 + bits] = 0;
}
