/* SPDX-License-Identifier: MIT */
/* util/ratelimiter.c: token buckets with linear refill, one-time burst and overdraft; pure. */
#include <string.h>

#include "util/ratelimiter.h"

void tb_init(struct token_bucket *b, const struct token_bucket_cfg *c, uint64_t now_ns)
{
	memset(b, 0, sizeof(*b));
	if (!c->size || !c->refill_time_ms || c->size > INT64_MAX)
		return;		/* disabled */
	b->size = c->size;
	b->refill_ns = c->refill_time_ms > UINT64_MAX / 1000000u ? UINT64_MAX
							      : c->refill_time_ms * 1000000u;
	b->burst = c->one_time_burst;
	b->budget = (int64_t)c->size;
	b->last_ns = now_ns;
}

bool tb_enabled(const struct token_bucket *b)
{
	return b->size != 0;
}

/* Bring the budget up to date: size tokens per refill_ns, capped at size. */
static void refill(struct token_bucket *b, uint64_t now_ns)
{
	unsigned __int128 add;
	uint64_t elapsed;

	if (now_ns <= b->last_ns)
		return;
	elapsed = now_ns - b->last_ns;
	add = (unsigned __int128)elapsed * b->size / b->refill_ns;
	if (!add)
		return;		/* keep the fraction: last_ns stays */
	if (add >= (unsigned __int128)((__int128)b->size - b->budget)) {
		b->budget = (int64_t)b->size;
		b->last_ns = now_ns;
		return;
	}
	b->budget += (int64_t)add;
	/* Advance by the time those whole tokens took, keeping the remainder. */
	b->last_ns += (uint64_t)(add * b->refill_ns / b->size);
}

bool tb_consume(struct token_bucket *b, uint64_t tokens, uint64_t now_ns)
{
	if (!tb_enabled(b))
		return true;
	refill(b, now_ns);
	if (b->burst) {
		uint64_t from_burst = MIN(b->burst, tokens);

		/* Only spend the burst if the rest is also there. */
		if (tokens - from_burst == 0) {
			b->burst -= from_burst;
			return true;
		}
		if (b->budget >= 0 && (uint64_t)b->budget >= tokens - from_burst) {
			b->burst -= from_burst;
			b->budget -= (int64_t)(tokens - from_burst);
			return true;
		}
	}
	if (b->budget >= 0 && (uint64_t)b->budget >= tokens) {
		b->budget -= (int64_t)tokens;
		return true;
	}
	if (tokens > b->size && b->budget == (int64_t)b->size) {
		/* Larger than the bucket: allowed when full, repaid by waiting. */
		uint64_t debt = tokens - b->size;

		b->budget = debt > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)debt;
		return true;
	}
	return false;
}

uint64_t tb_wait_ns(struct token_bucket *b, uint64_t tokens, uint64_t now_ns)
{
	unsigned __int128 need, ns;
	uint64_t want;

	if (!tb_enabled(b))
		return 0;
	refill(b, now_ns);
	want = MIN(tokens, b->size);	/* oversized requests wait for a full bucket */
	if (b->burst >= want)
		return 0;
	want -= b->burst;
	if (b->budget >= 0 && (uint64_t)b->budget >= want)
		return 0;
	need = (unsigned __int128)((__int128)want - b->budget);
	ns = (need * b->refill_ns + b->size - 1) / b->size;
	if (now_ns > b->last_ns)
		ns = ns > now_ns - b->last_ns ? ns - (now_ns - b->last_ns) : 1;
	return ns > UINT64_MAX ? UINT64_MAX : (ns ? (uint64_t)ns : 1);
}

void rl_init(struct rate_limiter *rl, const struct rate_limiter_cfg *c, uint64_t now_ns)
{
	tb_init(&rl->bw, &c->bandwidth, now_ns);
	tb_init(&rl->ops, &c->ops, now_ns);
	rl->throttled = 0;
}

bool rl_enabled(const struct rate_limiter *rl)
{
	return tb_enabled(&rl->bw) || tb_enabled(&rl->ops);
}

bool rl_consume(struct rate_limiter *rl, uint64_t bytes, uint64_t ops, uint64_t now_ns)
{
	struct token_bucket save = rl->bw;

	if (!tb_consume(&rl->bw, bytes, now_ns)) {
		rl->throttled++;
		return false;
	}
	if (!tb_consume(&rl->ops, ops, now_ns)) {
		rl->bw = save;	/* all or nothing */
		rl->throttled++;
		return false;
	}
	return true;
}

uint64_t rl_wait_ns(struct rate_limiter *rl, uint64_t bytes, uint64_t ops, uint64_t now_ns)
{
	uint64_t a = tb_wait_ns(&rl->bw, bytes, now_ns);
	uint64_t b = tb_wait_ns(&rl->ops, ops, now_ns);

	return MAX(MAX(a, b), 1);
}
