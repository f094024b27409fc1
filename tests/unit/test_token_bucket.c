/* SPDX-License-Identifier: MIT */
/* tests/unit/test_token_bucket.c: token buckets for device rate limiters, with injected time. */
#include "harness.h"
#include "util/ratelimiter.h"

#define MS 1000000ull

static void test_tb_disabled(void)
{
	struct token_bucket_cfg c = { 0 };
	struct token_bucket b;

	tb_init(&b, &c, 0);
	CHECK(!tb_enabled(&b));
	CHECK(tb_consume(&b, UINT64_MAX, 0));
	CHECK_EQ(tb_wait_ns(&b, 1, 0), 0);
}

/* size tokens refill linearly over refill_time. */
static void test_tb_refill(void)
{
	struct token_bucket_cfg c = { .size = 1000, .refill_time_ms = 1000 };
	struct token_bucket b;

	tb_init(&b, &c, 0);
	CHECK(tb_consume(&b, 1000, 0));
	CHECK(!tb_consume(&b, 1, 0));
	CHECK_EQ(tb_wait_ns(&b, 100, 0), 100 * MS);
	CHECK(!tb_consume(&b, 100, 99 * MS));
	CHECK(tb_consume(&b, 100, 100 * MS));
	CHECK(tb_consume(&b, 1000, 5000 * MS));	/* capped at size, not more */
	CHECK(!tb_consume(&b, 1, 5000 * MS));
}

/* one_time_burst is spent first and never comes back. */
static void test_tb_one_time_burst(void)
{
	struct token_bucket_cfg c = { .size = 10, .one_time_burst = 50, .refill_time_ms = 1000 };
	struct token_bucket b;

	tb_init(&b, &c, 0);
	CHECK(tb_consume(&b, 55, 0));
	CHECK(tb_consume(&b, 5, 0));
	CHECK(!tb_consume(&b, 1, 0));
	CHECK(tb_consume(&b, 10, 10000 * MS));
	CHECK(!tb_consume(&b, 1, 10000 * MS));
}

/* A request larger than the bucket passes when full and is paid back. */
static void test_tb_oversized(void)
{
	struct token_bucket_cfg c = { .size = 100, .refill_time_ms = 100 };
	struct token_bucket b;

	tb_init(&b, &c, 0);
	CHECK(tb_consume(&b, 300, 0));
	CHECK(!tb_consume(&b, 1, 150 * MS));	/* still paying 200 tokens of debt */
	CHECK(tb_wait_ns(&b, 1, 150 * MS) > 0);
	CHECK(tb_consume(&b, 1, 201 * MS));
}

static void test_rl_all_or_nothing(void)
{
	struct rate_limiter_cfg c = { .bandwidth = { .size = 1000, .refill_time_ms = 1000 },
				      .ops = { .size = 1, .refill_time_ms = 1000 } };
	struct rate_limiter rl;

	rl_init(&rl, &c, 0);
	CHECK(rl_enabled(&rl));
	CHECK(rl_consume(&rl, 10, 1, 0));
	CHECK(!rl_consume(&rl, 10, 1, 0));	/* ops empty: bytes not taken */
	CHECK_EQ(rl.bw.budget, 990);
	CHECK_EQ(rl.throttled, 1);
	CHECK(rl_wait_ns(&rl, 10, 1, 0) >= 1000 * MS - 1);
	CHECK(rl_consume(&rl, 10, 1, 1000 * MS));
}

int main(void)
{
	RUN(test_tb_disabled);
	RUN(test_tb_refill);
	RUN(test_tb_one_time_burst);
	RUN(test_tb_oversized);
	RUN(test_rl_all_or_nothing);
	return harness_summary("token_bucket");
}
