/* SPDX-License-Identifier: MIT */
/* tests/unit/test_ratelimit.c: the log rate limiter: a burst, then suppression, then one per interval. */
#include <time.h>

#include "harness.h"
#include "util/log.h"

#define MS 1000000ull
#define T0 (1000 * MS)

static void test_ratelimit_burst_then_suppressed(void)
{
	struct ratelimit rl = RATELIMIT_INIT(3, 100);
	uint32_t sup = 99;

	for (int i = 0; i < 3; i++) {
		CHECK(ratelimit_allow_at(&rl, T0 + (uint64_t)i, &sup));
		CHECK_EQ(sup, 0);
	}
	CHECK(!ratelimit_allow_at(&rl, T0 + 3, &sup));
	CHECK(!ratelimit_allow_at(&rl, T0 + 99 * MS, &sup));
	CHECK_EQ(rl.suppressed, 2);
}

/* After each full interval one more message passes and reports what was dropped. */
static void test_ratelimit_refill_reports_suppressed(void)
{
	struct ratelimit rl = RATELIMIT_INIT(2, 100);
	uint32_t sup = 99;

	CHECK(ratelimit_allow_at(&rl, T0, &sup));
	CHECK(ratelimit_allow_at(&rl, T0, &sup));
	for (int i = 0; i < 5; i++)
		CHECK(!ratelimit_allow_at(&rl, T0 + 10 * MS, &sup));
	CHECK(ratelimit_allow_at(&rl, T0 + 100 * MS, &sup));
	CHECK_EQ(sup, 5);
	CHECK(!ratelimit_allow_at(&rl, T0 + 150 * MS, &sup));
	CHECK(ratelimit_allow_at(&rl, T0 + 200 * MS, &sup));
	CHECK_EQ(sup, 1);					/* count restarts */
}

/* A long quiet spell refills at most `burst` tokens. */
static void test_ratelimit_refill_capped_at_burst(void)
{
	struct ratelimit rl = RATELIMIT_INIT(3, 100);
	uint32_t sup;
	int passed = 0;

	for (int i = 0; i < 3; i++)
		CHECK(ratelimit_allow_at(&rl, T0, &sup));
	for (int i = 0; i < 10; i++)
		passed += ratelimit_allow_at(&rl, T0 + 3600000 * MS, &sup);
	CHECK_EQ(passed, 3);
}

static void test_ratelimit_zero_interval_never_refills(void)
{
	struct ratelimit rl = RATELIMIT_INIT(1, 0);
	uint32_t sup;

	CHECK(ratelimit_allow_at(&rl, T0, &sup));
	CHECK(!ratelimit_allow_at(&rl, T0 + 3600000 * MS, &sup));
}

static void test_ratelimit_zero_burst_never_allows(void)
{
	struct ratelimit rl = RATELIMIT_INIT(0, 10);
	uint32_t sup;

	CHECK(!ratelimit_allow_at(&rl, T0, &sup));
	CHECK(!ratelimit_allow_at(&rl, T0 + 1000 * MS, &sup));
	CHECK_EQ(rl.suppressed, 2);
}

/* The wall-clock wrapper: 25 ms of real sleep, well under the 50 ms budget. */
static void test_ratelimit_real_clock(void)
{
	struct ratelimit rl = RATELIMIT_INIT(1, 20);
	struct timespec ts = { 0, 25 * 1000 * 1000 };
	uint32_t sup = 99;

	CHECK(ratelimit_allow(&rl, &sup));
	CHECK(!ratelimit_allow(&rl, &sup));
	nanosleep(&ts, NULL);
	CHECK(ratelimit_allow(&rl, &sup));
	CHECK_EQ(sup, 1);
}

int main(void)
{
	RUN(test_ratelimit_burst_then_suppressed);
	RUN(test_ratelimit_refill_reports_suppressed);
	RUN(test_ratelimit_refill_capped_at_burst);
	RUN(test_ratelimit_zero_interval_never_refills);
	RUN(test_ratelimit_zero_burst_never_allows);
	RUN(test_ratelimit_real_clock);
	return harness_summary("ratelimit");
}
