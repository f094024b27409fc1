/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_dev_blk.c: virtio-blk end to end on the event loop: fake driver, real image file, both engines. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/vm.h"
#include "harness.h"
#include "virtio/blk/blk.h"
#include "virtio_driver.h"

#define DISK_SECTORS	64
#define HDR	0x40000ull
#define DATA	0x41000ull
#define STATUS	0x48000ull

static struct fake_mem fm;
static struct vm vm;
static struct virtio_blk *blk;
static struct fake_ring ring;
static char path[256];
static int diskfd = -1;

#define WANT (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
	      VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | \
	      VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) | \
	      VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_RO))

static void teardown(void)
{
	if (blk)
		virtio_blk_destroy(blk);
	blk = NULL;
	if (vm.loop.epfd > 0)
		loop_destroy(&vm.loop);
	fake_mem_free(&fm);
	if (diskfd >= 0) {
		close(diskfd);
		unlink(path);
	}
	diskfd = -1;
}

/* A fresh VM-ish environment, a 32 KiB image filled with 0xee, a started driver. */
static int setup(enum io_engine engine, bool ro, const struct rate_limiter_cfg *rl)
{
	struct drive_cfg cfg;
	const char *tmp = getenv("TMPDIR");
	uint8_t fill[DISK_SECTORS * 512];
	char why[256];
	int err;

	teardown();
	snprintf(path, sizeof(path), "%s/ember-blk-XXXXXX", tmp ? tmp : "/tmp");
	diskfd = mkstemp(path);
	if (diskfd < 0)
		abort();
	memset(fill, 0xee, sizeof(fill));
	if (pwrite(diskfd, fill, sizeof(fill), 0) != (ssize_t)sizeof(fill))
		abort();
	fake_mem_init(&fm, 0, 1 << 20);
	memset(&vm, 0, sizeof(vm));
	vm.mem = fm.mem;
	vm.vm_fd = -1;
	if (loop_init(&vm.loop))
		abort();
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.id, sizeof(cfg.id), "disk0");
	cfg.path = path;
	cfg.read_only = ro;
	cfg.io_engine = engine;
	cfg.cache_type = CACHE_WRITEBACK;
	if (rl)
		cfg.rate_limiter = *rl;
	err = virtio_blk_create(&vm, &cfg, &blk, why, sizeof(why));
	if (err) {
		fprintf(stderr, "  virtio_blk_create: %s\n", why);
		return err;
	}
	if (virtio_dev_attach(&blk->vdev, &vm.mmio, 0xd0000000, 5))
		abort();
	fake_ring_init(&ring, &fm, 64, 0x10000);
	CHECK_EQ(drv_setup(&blk->vdev, WANT, &ring, 1), 0xf);
	loop_poll(&vm.loop);
	return 0;
}

static uint16_t next_desc;

/* Submit type/sector with `len` data bytes at DATA (writable for IN/GET_ID). */
static uint8_t *submit(uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	struct virtio_blk_outhdr h = { type, 0, sector };
	uint64_t a[3] = { HDR, DATA, STATUS };
	uint32_t l[3] = { 16, len, 1 };
	uint16_t first = next_desc;
	uint8_t *status = fake_hva(&fm, STATUS);

	memcpy(fake_hva(&fm, HDR), &h, sizeof(h));
	*status = 0xaa;
	if (len) {
		fake_chain(&ring, first, 3, a, l, data_writable ? 0x6 : 0x4);
		next_desc = (uint16_t)((next_desc + 3) % ring.size);
	} else {
		a[1] = STATUS;
		l[1] = 1;
		fake_chain(&ring, first, 2, a, l, 0x2);
		next_desc = (uint16_t)((next_desc + 2) % ring.size);
	}
	mmio_wr(&blk->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return status;
}

static uint8_t run(uint32_t type, uint64_t sector, uint32_t len, bool w, uint32_t *used_len)
{
	uint8_t *st = submit(type, sector, len, w);
	uint32_t id, ul = 0;

	CHECK(wait_used(&vm.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &ul));
	if (used_len)
		*used_len = ul;
	return *st;
}

static void engine_roundtrip(enum io_engine engine)
{
	uint8_t buf[1024], cfgb[8];
	uint32_t ul;
	uint64_t cap;

	if (setup(engine, false, NULL)) {
		CHECK(0);
		return;
	}
	virtio_mmio_access(&blk->vdev, VIRTIO_MMIO_CONFIG, cfgb, 8, false);
	memcpy(&cap, cfgb, 8);
	CHECK_EQ(cap, DISK_SECTORS);

	/* Write two sectors at sector 3, check the file. */
	for (int i = 0; i < 1024; i++)
		((uint8_t *)fake_hva(&fm, DATA))[i] = (uint8_t)i;
	CHECK_EQ(run(VIRTIO_BLK_T_OUT, 3, 1024, false, &ul), VIRTIO_BLK_S_OK);
	CHECK_EQ(ul, 1);
	CHECK_EQ(pread(diskfd, buf, 1024, 3 * 512), 1024);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[1023], (uint8_t)1023);
	CHECK_EQ(blk->m.write_bytes, 1024);

	/* Read them back into cleared guest memory. */
	memset(fake_hva(&fm, DATA), 0, 1024);
	CHECK_EQ(run(VIRTIO_BLK_T_IN, 3, 1024, true, &ul), VIRTIO_BLK_S_OK);
	CHECK_EQ(ul, 1025);
	CHECK(!memcmp(fake_hva(&fm, DATA), buf, 1024));

	/* Past the end: IOERR, file untouched. */
	CHECK_EQ(run(VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 1024, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(run(VIRTIO_BLK_T_IN, 1ull << 60, 512, true, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(lseek(diskfd, 0, SEEK_END), DISK_SECTORS * 512);

	CHECK_EQ(run(VIRTIO_BLK_T_FLUSH, 0, 0, false, &ul), VIRTIO_BLK_S_OK);
	CHECK_EQ(blk->m.flush_count, 1);

	memset(fake_hva(&fm, DATA), 0xff, 32);
	CHECK_EQ(run(VIRTIO_BLK_T_GET_ID, 0, 32, true, &ul), VIRTIO_BLK_S_OK);
	CHECK_EQ(ul, 21);
	CHECK(!memcmp(fake_hva(&fm, DATA), "disk0\0\0\0", 8));
	CHECK_EQ(((uint8_t *)fake_hva(&fm, DATA))[20], 0xff);

	/* WRITE_ZEROES over sectors 3..4 (a segment in the data buffer). */
	{
		struct virtio_blk_dwz s = { 3, 2, 0 };

		memcpy(fake_hva(&fm, DATA), &s, sizeof(s));
		CHECK_EQ(run(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL), VIRTIO_BLK_S_OK);
		CHECK_EQ(pread(diskfd, buf, 1024, 3 * 512), 1024);
		CHECK_EQ(buf[5], 0);
		CHECK_EQ(buf[1000], 0);
		CHECK_EQ(pread(diskfd, buf, 1, 5 * 512), 1);
		CHECK_EQ(buf[0], 0xee);
		s = (struct virtio_blk_dwz){ 8, 8, 0 };
		memcpy(fake_hva(&fm, DATA), &s, sizeof(s));
		CHECK_EQ(run(VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_OK);
		CHECK_EQ(pread(diskfd, buf, 512, 8 * 512), 512);
		CHECK_EQ(buf[100], 0);	/* punched holes read as zeroes */
	}
	CHECK_EQ(run(77, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK(irq_count(&blk->vdev) >= 1);
	CHECK_EQ(blk->m.execute_fails, 0);
}

static void test_blk_sync_roundtrip(void) { engine_roundtrip(IO_ENGINE_SYNC); }
static void test_blk_uring_roundtrip(void) { engine_roundtrip(IO_ENGINE_ASYNC); }

static void test_blk_read_only_disk(void)
{
	uint64_t f;

	if (setup(IO_ENGINE_SYNC, true, NULL)) {
		CHECK(0);
		return;
	}
	mmio_wr(&blk->vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = mmio_rd(&blk->vdev, VIRTIO_MMIO_DEVICE_FEATURES);
	CHECK(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	CHECK(!(f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD)));
	CHECK_EQ(run(VIRTIO_BLK_T_OUT, 0, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(run(VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(((uint8_t *)fake_hva(&fm, DATA))[7], 0xee);
}

/* A chain with no writable status byte is returned with used len 0. */
static void test_blk_no_status(void)
{
	uint64_t a = HDR;
	uint32_t l = 16, id, len = 99;

	if (setup(IO_ENGINE_SYNC, false, NULL)) {
		CHECK(0);
		return;
	}
	fake_chain(&ring, 0, 1, &a, &l, 0);
	mmio_wr(&blk->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(wait_used(&vm.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(blk->m.invalid_reqs_count, 1);
	CHECK_EQ(blk->vdev.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* Token bucket of 1 op per 100 ms: the second request waits for the timerfd. */
static void test_blk_rate_limited(void)
{
	struct rate_limiter_cfg rl = { .ops = { .size = 1, .refill_time_ms = 100 } };
	uint64_t t0;
	uint32_t id, len;

	if (setup(IO_ENGINE_SYNC, false, &rl)) {
		CHECK(0);
		return;
	}
	t0 = now_ns();
	submit(VIRTIO_BLK_T_IN, 0, 512, true);
	loop_poll(&vm.loop);
	CHECK(fake_used_next(&ring, &id, &len));
	submit(VIRTIO_BLK_T_IN, 1, 512, true);
	loop_poll(&vm.loop);
	CHECK(!fake_used_next(&ring, &id, &len));
	CHECK(blk->throttled);
	CHECK(wait_used(&vm.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK(now_ns() - t0 >= 90 * 1000000ull);
	CHECK_EQ(blk->m.rate_limiter_event_count, 1);
}

/* A missing image fails cleanly and leaves a partial object destroy accepts. */
static void test_blk_missing_file(void)
{
	struct drive_cfg cfg;
	char why[256] = "";
	struct virtio_blk *b = NULL;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.id, sizeof(cfg.id), "nope");
	cfg.path = (char *)"/nonexistent/ember-disk";
	CHECK_EQ(virtio_blk_create(&vm, &cfg, &b, why, sizeof(why)), -ENOENT);
	CHECK(strstr(why, "cannot open") != NULL);
	virtio_blk_destroy(b);	/* partial object */
}

int main(void)
{
	log_set_level(LOG_ERROR);
	RUN(test_blk_sync_roundtrip);
	RUN(test_blk_uring_roundtrip);
	RUN(test_blk_read_only_disk);
	RUN(test_blk_no_status);
	RUN(test_blk_rate_limited);
	RUN(test_blk_missing_file);
	teardown();
	return harness_summary("virtio_dev_blk");
}
