/* SPDX-License-Identifier: MIT */
/* util/compiler.h: attribute shorthands and small checked-arithmetic helpers. */
#ifndef EMBER_COMPILER_H
#define EMBER_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define __must_check	__attribute__((warn_unused_result))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __unused	__attribute__((unused))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)
#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

#define KiB(x)	((uint64_t)(x) << 10)
#define MiB(x)	((uint64_t)(x) << 20)
#define GiB(x)	((uint64_t)(x) << 30)

/* True when [off, off+len) lies inside [0, size), with overflow checked. */
static inline bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(off, len, &end))
		return false;
	return end <= size;
}

#endif
