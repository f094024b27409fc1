/* SPDX-License-Identifier: MIT */
/* sandbox/rules.h: shorthands for writing seccomp allow-list entries (filters.c). */
#ifndef EMBER_SANDBOX_RULES_H
#define EMBER_SANDBOX_RULES_H

#include <seccomp.h>

/* Placeholder datum resolved when the filter is built: VCPU_KICK_SIGNAL is
 * SIGRTMIN + 1, which is not a compile-time constant. */
#define SANDBOX_KICK_SIGNAL	0x7fffff01ull

#define SANDBOX_CMP(i, o, x, y)	{ .arg = (i), .op = (o), .a = (x), .b = (y) }

/* Any arguments. */
#define ALLOW(sys)	{ .name = #sys }
/* Argument `i` equals `v`. */
#define ARG_EQ(sys, i, v) \
	{ .name = #sys, .nargs = 1, .cmp = { SANDBOX_CMP(i, SCMP_CMP_EQ, (v), 0) } }
/* ioctl() with this request number; the kernel reads it as 32 bits, so do we. */
#define IOCTL(req) \
	{ .name = "ioctl", .nargs = 1, \
	  .cmp = { SANDBOX_CMP(1, SCMP_CMP_MASKED_EQ, 0xffffffffull, (unsigned int)(req)) } }
/* Protection argument `i` without PROT_EXEC. */
#define NO_EXEC(sys, i) \
	{ .name = #sys, .nargs = 1, .cmp = { SANDBOX_CMP(i, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) } }
/* futex() with this operation, private or shared, any clock. */
#define FUTEX(op) \
	{ .name = "futex", .nargs = 1, \
	  .cmp = { SANDBOX_CMP(1, SCMP_CMP_MASKED_EQ, \
			       0xffffffffull & ~(unsigned long long)(FUTEX_PRIVATE_FLAG | \
								    FUTEX_CLOCK_REALTIME), \
			       (op)) } }

#endif
