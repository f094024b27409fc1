/* SPDX-License-Identifier: MIT */
/* tests/unit/harness.h: minimal unit-test harness: CHECK macros, RUN, and a closing count line. */
#ifndef EMBER_TEST_HARNESS_H
#define EMBER_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_cur_failed;
static const char *harness_cur;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n", __FILE__,	\
			__LINE__, harness_cur, #cond);				\
		harness_cur_failed++;						\
	}									\
} while (0)

#define CHECK_EQ(a, b) do {							\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);			\
	if (__a != __b) {							\
		fprintf(stderr, "  %s:%d: %s: %s == %s failed: 0x%" PRIx64	\
			" != 0x%" PRIx64 "\n", __FILE__, __LINE__, harness_cur,	\
			#a, #b, __a, __b);					\
		harness_cur_failed++;						\
	}									\
} while (0)

#define CHECK_STR(a, b) do {							\
	const char *__a = (a), *__b = (b);					\
	if (!__a || !__b || strcmp(__a, __b)) {				\
		fprintf(stderr, "  %s:%d: %s: \"%s\" != \"%s\"\n", __FILE__,	\
			__LINE__, harness_cur, __a ? __a : "(null)",		\
			__b ? __b : "(null)");					\
		harness_cur_failed++;						\
	}									\
} while (0)

/* Run one test function; each test counts once, failed if any CHECK failed. */
#define RUN(fn) do {								\
	harness_cur = #fn;							\
	harness_cur_failed = 0;							\
	fn();									\
	if (harness_cur_failed) {						\
		harness_failed++;						\
		printf("FAIL: %s\n", #fn);					\
	} else {								\
		harness_passed++;						\
		printf("PASS: %s\n", #fn);					\
	}									\
} while (0)

/* Print "<suite>: N passed, N failed" and return the exit status. */
static inline int harness_summary(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

#endif
