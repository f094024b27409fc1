/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_dev_misc.c: virtio-rng and virtio-balloon end to end on the event loop with a fake driver. */
#include <stdlib.h>

#include "core/vm.h"
#include "harness.h"
#include "virtio/balloon.h"
#include "virtio/rng.h"
#include "virtio_driver.h"

#define WANT_BASE (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX))

static struct fake_mem fm;
static struct vm vm;

static void env(void)
{
	fake_mem_free(&fm);
	if (vm.loop.epfd > 0)
		loop_destroy(&vm.loop);
	fake_mem_init(&fm, 0, 4 << 20);
	memset(&vm, 0, sizeof(vm));
	vm.mem = fm.mem;
	vm.vm_fd = -1;
	if (loop_init(&vm.loop))
		abort();
}

static void test_rng_fills_buffers(void)
{
	struct entropy_cfg cfg = { .enabled = true };
	struct virtio_rng *r;
	struct fake_ring ring;
	char why[128];
	uint64_t a[2] = { 0x100000, 0x200000 };
	uint32_t l[2] = { 64, 100000 }, id, len;
	uint8_t zero[64] = { 0 };

	env();
	CHECK_EQ(virtio_rng_create(&vm, &cfg, &r, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&r->vdev, &vm.mmio, 0xd0000000, 5), 0);
	fake_ring_init(&ring, &fm, 16, 0x10000);
	CHECK_EQ(drv_setup(&r->vdev, WANT_BASE, &ring, 1), 0xf);
	CHECK_EQ(mmio_rd(&r->vdev, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	fake_chain(&ring, 0, 1, a, l, 0x1);
	fake_chain(&ring, 1, 1, a + 1, l + 1, 0x1);
	drv_kick(&r->vdev, &vm.loop, 0);
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK_EQ(len, 64);
	CHECK(memcmp(fake_hva(&fm, 0x100000), zero, 64) != 0);
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK_EQ(len, RNG_MAX_REQUEST);	/* capped per request */
	CHECK_EQ(r->m.entropy_bytes, 64 + RNG_MAX_REQUEST);
	virtio_rng_destroy(r);
}

static void test_rng_rate_limited(void)
{
	struct entropy_cfg cfg = { .enabled = true,
				   .rate_limiter.bandwidth = { .size = 100, .refill_time_ms = 50 } };
	struct virtio_rng *r;
	struct fake_ring ring;
	char why[128];
	uint64_t a = 0x100000;
	uint32_t l = 100, id, len;

	env();
	CHECK_EQ(virtio_rng_create(&vm, &cfg, &r, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&r->vdev, &vm.mmio, 0xd0000000, 5), 0);
	fake_ring_init(&ring, &fm, 16, 0x10000);
	drv_setup(&r->vdev, WANT_BASE, &ring, 1);
	fake_chain(&ring, 0, 1, &a, &l, 0x1);
	fake_chain(&ring, 1, 1, &a, &l, 0x1);
	drv_kick(&r->vdev, &vm.loop, 0);
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK(!fake_used_next(&ring, &id, &len));
	CHECK(r->throttled);
	CHECK(wait_used(&vm.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK_EQ(r->m.rate_limiter_event_count, 1);
	virtio_rng_destroy(r);
}

static void test_balloon_inflate_and_config(void)
{
	struct balloon_cfg cfg = { .enabled = true, .amount_mib = 1, .deflate_on_oom = true };
	struct virtio_balloon *b;
	struct fake_ring rings[3];
	char why[128];
	uint32_t pfns[4] = { 0x300, 0x301, 0x305, 0xfffff }, id, len, v;
	uint64_t a = 0x20000;
	uint32_t l = sizeof(pfns);

	env();
	CHECK_EQ(virtio_balloon_create(&vm, &cfg, &b, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&b->vdev, &vm.mmio, 0xd0000000, 5), 0);
	for (int i = 0; i < 3; i++)
		fake_ring_init(&rings[i], &fm, 16, 0x40000 + 0x4000ull * (uint64_t)i);
	CHECK_EQ(drv_setup(&b->vdev, WANT_BASE | VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
			   rings, 3), 0xf);
	virtio_mmio_access(&b->vdev, VIRTIO_MMIO_CONFIG, (uint8_t *)&v, 4, false);
	CHECK_EQ(v, 256);	/* 1 MiB in 4 KiB pages */
	memset(fake_hva(&fm, 0x300000), 0x5a, 2 * 4096);
	memset(fake_hva(&fm, 0x305000), 0x5a, 4096);
	memset(fake_hva(&fm, 0x306000), 0x5a, 4096);
	memcpy(fake_hva(&fm, a), pfns, sizeof(pfns));
	fake_chain(&rings[0], 0, 1, &a, &l, 0);
	drv_kick(&b->vdev, &vm.loop, BALLOON_Q_INFLATE);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, 0x300000), 0);	/* released: reads as zero */
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, 0x301fff), 0);
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, 0x305000), 0);
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, 0x306000), 0x5a);	/* not in the list */
	CHECK_EQ(b->m.inflate_count, 3);
	CHECK_EQ(b->m.invalid_pfns, 1);		/* beyond guest RAM */
	/* The driver reports `actual`; num_pages is read-only. */
	v = 3;
	virtio_mmio_access(&b->vdev, VIRTIO_MMIO_CONFIG + 4, (uint8_t *)&v, 4, true);
	v = 9;
	virtio_mmio_access(&b->vdev, VIRTIO_MMIO_CONFIG, (uint8_t *)&v, 4, true);
	CHECK_EQ(b->actual, 3);
	CHECK_EQ(b->num_pages, 256);
	irq_count(&b->vdev);
	virtio_balloon_set_target(b, 2);
	CHECK_EQ(b->num_pages, 512);
	CHECK(mmio_rd(&b->vdev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(mmio_rd(&b->vdev, VIRTIO_MMIO_CONFIG_GENERATION), 1);
	virtio_balloon_destroy(b);
}

static void test_balloon_stats_poll(void)
{
	struct balloon_cfg cfg = { .enabled = true, .amount_mib = 0,
				   .stats_polling_interval_s = 1 };
	struct virtio_balloon *b;
	struct fake_ring rings[3];
	char why[128];
	uint8_t st[20] = { 4, 0, 0x10, 0x27, 0, 0, 0, 0, 0, 0,	/* MEMFREE = 10000 */
			   200, 0, 1, 0, 0, 0, 0, 0, 0, 0 };	/* unknown tag: skipped */
	uint64_t a = 0x20000;
	uint32_t l = sizeof(st), id, len;

	env();
	CHECK_EQ(virtio_balloon_create(&vm, &cfg, &b, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&b->vdev, &vm.mmio, 0xd0000000, 5), 0);
	for (int i = 0; i < 3; i++)
		fake_ring_init(&rings[i], &fm, 16, 0x40000 + 0x4000ull * (uint64_t)i);
	drv_setup(&b->vdev, WANT_BASE | VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ), rings, 3);
	memcpy(fake_hva(&fm, a), st, sizeof(st));
	fake_chain(&rings[2], 0, 1, &a, &l, 0);
	drv_kick(&b->vdev, &vm.loop, BALLOON_Q_STATS);
	CHECK(b->stats_held);
	CHECK(!fake_used_next(&rings[2], &id, &len));	/* held until the next poll */
	CHECK(b->stats_valid[4]);
	CHECK_EQ(b->stats[4], 10000);
	CHECK(wait_used(&vm.loop, &rings[2]));		/* the 1 s timer returns it */
	CHECK(fake_used_next(&rings[2], &id, &len));
	CHECK_EQ(b->m.stats_updates_count, 1);
	virtio_balloon_destroy(b);
}

static void test_balloon_too_big(void)
{
	struct balloon_cfg cfg = { .enabled = true, .amount_mib = 5 };
	struct virtio_balloon *b;
	char why[128];

	env();
	CHECK(virtio_balloon_create(&vm, &cfg, &b, why, sizeof(why)) != 0);
	virtio_balloon_destroy(b);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	RUN(test_rng_fills_buffers);
	RUN(test_rng_rate_limited);
	RUN(test_balloon_inflate_and_config);
	RUN(test_balloon_stats_poll);
	RUN(test_balloon_too_big);
	loop_destroy(&vm.loop);
	fake_mem_free(&fm);
	return harness_summary("virtio_dev_misc");
}
