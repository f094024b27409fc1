/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz.h: helpers shared by the libFuzzer targets: invariant checks and fake guest memory. */
#ifndef EMBER_FUZZ_H
#define EMBER_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mem/gmem.h"
#include "mem/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant the code under test promises; a violation is a finding, like a crash. */
#define FUZZ_ASSERT(c) do {							\
	if (!(c)) {								\
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,	\
			__LINE__, #c);						\
		abort();							\
	}									\
} while (0)

/*
 * Guest memory for loaders: `low` bytes from 0 and `high` bytes from 4 GiB,
 * both lazily mapped once per process.  The contents persist between inputs;
 * nothing may depend on them.
 */
static inline struct gmem *fuzz_gmem(uint64_t low, uint64_t high)
{
	static struct gmem m;
	static int ready;

	if (!ready) {
		struct gmem_region r[2] = {
			{ 0, low, NULL }, { LAYOUT_HIGH_START, high, NULL },
		};
		unsigned int n = high ? 2 : 1;

		for (unsigned int i = 0; i < n; i++) {
			void *p = mmap(NULL, r[i].size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			FUZZ_ASSERT(p != MAP_FAILED);
			r[i].hva = p;
		}
		FUZZ_ASSERT(gmem_init_regions(&m, r, n) == 0);
		ready = 1;
	}
	return &m;
}

#endif
