/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_cpu_template.c: CPU template bitmaps: any accepted string renders and parses back to the same bits. */
#include <string.h>

#include "arch/x86/cpu_template.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int widths[] = { 32, 64, 1, 7 };
	char *s, why[160], out[2 + 64 + 1];

	if (size > 512)
		return 0;
	s = malloc(size + 1);
	FUZZ_ASSERT(s);
	memcpy(s, data, size);
	s[size] = 0;
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		unsigned int bits = widths[i];
		uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
		uint64_t f = 0, v = 0, f2 = 0, v2 = 0;

		why[0] = 0;
		if (cpu_template_parse_bitmap(s, bits, &f, &v, why, sizeof(why))) {
			FUZZ_ASSERT(why[0] != 0);	/* a refusal always says why */
			continue;
		}
		FUZZ_ASSERT((f & ~mask) == 0);		/* nothing beyond the width */
		FUZZ_ASSERT((v & ~f) == 0);		/* values only where the filter is */
		cpu_template_format_bitmap(f, v, bits, out);
		FUZZ_ASSERT(strlen(out) == 2 + bits);
		FUZZ_ASSERT(cpu_template_parse_bitmap(out, bits, &f2, &v2, why, sizeof(why)) == 0);
		FUZZ_ASSERT(f2 == f && v2 == v);
		FUZZ_ASSERT(cpu_template_apply(0, f, v) == v);
		FUZZ_ASSERT(cpu_template_apply(~0ull, f, v) == (~f | v));
	}
	free(s);
	return 0;
}
