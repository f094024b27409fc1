/* SPDX-License-Identifier: MIT */
/* util/ratelimiter.h: Firecracker-style token buckets (bandwidth and ops) with injected time; pure. */
#ifndef EMBER_RATELIMITER_H
#define EMBER_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/config.h"
#include "util/compiler.h"

/*
 * One bucket: `size` tokens refill linearly over `refill_time_ms`; a bucket
 * starts full, plus `one_time_burst` extra tokens spent first and never
 * refilled.  A request bigger than `size` is let through when the bucket is
 * full and leaves it in debt (budget < 0), so the long-run rate still holds.
 * size == 0 or refill_time_ms == 0 disables the bucket.
 */
struct token_bucket {
	uint64_t size;
	uint64_t refill_ns;
	uint64_t burst;		/* remaining one-time burst */
	int64_t budget;		/* may go negative after an oversized request */
	uint64_t last_ns;	/* time the budget was last brought up to date */
};

struct rate_limiter {
	struct token_bucket bw;	/* bytes */
	struct token_bucket ops;	/* operations */
	uint64_t throttled;	/* times a request had to wait */
};

void tb_init(struct token_bucket *b, const struct token_bucket_cfg *c, uint64_t now_ns);
bool tb_enabled(const struct token_bucket *b);
/* Take `tokens` if available now (or the bucket is full); else take nothing. */
bool tb_consume(struct token_bucket *b, uint64_t tokens, uint64_t now_ns);
/* Nanoseconds until tb_consume(tokens) can succeed (0: now). */
uint64_t tb_wait_ns(struct token_bucket *b, uint64_t tokens, uint64_t now_ns);

void rl_init(struct rate_limiter *rl, const struct rate_limiter_cfg *c, uint64_t now_ns);
bool rl_enabled(const struct rate_limiter *rl);
/* Take `bytes` and `ops` from both buckets, or nothing. */
bool rl_consume(struct rate_limiter *rl, uint64_t bytes, uint64_t ops, uint64_t now_ns);
/* Nanoseconds until rl_consume(bytes, ops) can succeed (at least 1 when it cannot now). */
uint64_t rl_wait_ns(struct rate_limiter *rl, uint64_t bytes, uint64_t ops, uint64_t now_ns);

#endif
