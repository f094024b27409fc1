/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_dev_snap.c: virtio device state through the real snapshot encoder and decoder: blk, rng, balloon, refusals, device configuration. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/vm.h"
#include "harness.h"
#include "snapshot/state.h"
#include "virtio/balloon.h"
#include "virtio/blk/blk.h"
#include "virtio/rng.h"
#include "virtio_driver.h"

#define DISK_SECTORS	64
#define HDR	0x40000ull
#define DATA	0x41000ull
#define STATUS	0x48000ull
#define BASE	0xd0000000ull

#define WANT (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
	      VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | \
	      VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX))

/*
 * Guest memory outlives the "process": the fake RAM stays, while each side
 * (before/after) gets its own event loop and device objects, as a restore
 * in a fresh ember would.
 */
static struct fake_mem fm;
static struct vm vm_a, vm_b;
static char path[256];
static int diskfd = -1;
static char why[512];
static uint16_t next_desc;

static void env_vm(struct vm *v)
{
	if (v->loop.epfd > 0)
		loop_destroy(&v->loop);
	memset(v, 0, sizeof(*v));
	v->mem = fm.mem;
	v->vm_fd = -1;
	if (loop_init(&v->loop))
		abort();
}

static void env(void)
{
	const char *tmp = getenv("TMPDIR");
	uint8_t fill[DISK_SECTORS * 512];

	fake_mem_free(&fm);
	fake_mem_init(&fm, 0, 4 << 20);
	env_vm(&vm_a);
	env_vm(&vm_b);
	if (diskfd >= 0) {
		close(diskfd);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/ember-snapblk-XXXXXX", tmp ? tmp : "/tmp");
	diskfd = mkstemp(path);
	if (diskfd < 0)
		abort();
	memset(fill, 0xee, sizeof(fill));
	if (pwrite(diskfd, fill, sizeof(fill), 0) != (ssize_t)sizeof(fill))
		abort();
	next_desc = 0;
	why[0] = 0;
}

static struct drive_cfg drive(enum io_engine e)
{
	struct drive_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "disk0");
	c.path = path;
	c.io_engine = e;
	c.cache_type = CACHE_WRITEBACK;
	return c;
}

/* Put a blk request on the ring (not kicked). */
static void post(struct fake_ring *ring, uint32_t type, uint64_t sector, uint32_t len, bool w)
{
	struct virtio_blk_outhdr h = { type, 0, sector };
	uint64_t a[3] = { HDR, DATA, STATUS };
	uint32_t l[3] = { 16, len, 1 };

	memcpy(fake_hva(&fm, HDR), &h, sizeof(h));
	*(uint8_t *)fake_hva(&fm, STATUS) = 0xaa;
	fake_chain(ring, next_desc, 3, a, l, w ? 0x6 : 0x4);
	next_desc = (uint16_t)((next_desc + 3) % ring->size);
}

/* Save one device as element 0 of a DEVICES-like array; returns the file. */
static size_t save(struct virtio_dev *d, uint8_t **out)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len = 0;

	snap_writer_init(&w);
	snap_begin(&w, SNAP_SEC_DEVICES);
	snap_begin(&w, 0);
	virtio_dev_save(d, &w);
	snap_end(&w);
	snap_end(&w);
	if (snap_writer_finish(&w, &buf, &len))
		abort();
	*out = malloc(len);
	memcpy(*out, buf, len);
	snap_writer_free(&w);
	return len;
}

/* Restore element 0 of `buf` into d; 0 or -EINVAL with `why`. */
static int restore(struct virtio_dev *d, const uint8_t *buf, size_t len)
{
	struct snap_ctx ctx;
	struct snap_reader top, devs, e;
	int err;

	why[0] = 0;
	if (snap_open(&top, &ctx, buf, len, why, sizeof(why)))
		return -EINVAL;
	err = snap_get_section(&top, SNAP_SEC_DEVICES, &devs);
	if (!err)
		err = snap_get_section(&devs, 0, &e);
	if (!err && virtio_dev_restore(d, &e) && !ctx.err)
		snap_fail(&e, "refused without a reason");
	err = snap_close(&e);
	snap_close(&devs);
	snap_close(&top);
	return err ? -EINVAL : 0;
}

/* A running blk device, state saved mid-stream, restored into a new object
 * on a new loop: registers read the same and the ring continues. */
static void blk_roundtrip(enum io_engine engine)
{
	struct drive_cfg cfg = drive(engine);
	struct virtio_blk *a = NULL, *b = NULL;
	struct fake_ring ring;
	uint8_t *snap = NULL, buf[512];
	uint32_t id, len;
	size_t n;

	env();
	CHECK_EQ(virtio_blk_create(&vm_a, &cfg, &a, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&a->vdev, &vm_a.mmio, BASE, 5), 0);
	fake_ring_init(&ring, &fm, 64, 0x10000);
	CHECK_EQ(drv_setup(&a->vdev, WANT, &ring, 1), 0xf);
	loop_poll(&vm_a.loop);
	/* One write completes normally... */
	memset(fake_hva(&fm, DATA), 0x11, 512);
	post(&ring, VIRTIO_BLK_T_OUT, 1, 512, false);
	drv_kick(&a->vdev, &vm_a.loop, 0);
	CHECK(wait_used(&vm_a.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &len));
	/* ...a second one is popped and left in flight (io_uring) or done
	 * (sync) when the snapshot is taken: quiesce must finish it. */
	memset(fake_hva(&fm, DATA), 0x22, 512);
	post(&ring, VIRTIO_BLK_T_OUT, 2, 512, false);
	pthread_mutex_lock(&a->vdev.lock);
	a->vdev.ops->queue_notify(a, 0);
	pthread_mutex_unlock(&a->vdev.lock);
	if (engine == IO_ENGINE_ASYNC)
		CHECK_EQ(a->n_inflight, 1);
	virtio_dev_quiesce(&a->vdev);
	CHECK_EQ(a->n_inflight, 0);
	CHECK(fake_used_next(&ring, &id, &len));	/* completed before the capture */
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, STATUS), VIRTIO_BLK_S_OK);
	/* A third is made available but never kicked before the snapshot. */
	post(&ring, VIRTIO_BLK_T_IN, 1, 512, true);
	n = save(&a->vdev, &snap);
	virtio_blk_destroy(a);

	CHECK_EQ(virtio_blk_create(&vm_b, &cfg, &b, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&b->vdev, &vm_b.mmio, BASE, 5), 0);
	CHECK_EQ(restore(&b->vdev, snap, n), 0);
	if (why[0])
		fprintf(stderr, "  %s\n", why);
	CHECK_EQ(mmio_rd(&b->vdev, VIRTIO_MMIO_STATUS), 0xf);
	mmio_wr(&b->vdev, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ(mmio_rd(&b->vdev, VIRTIO_MMIO_QUEUE_READY), 1);
	mmio_wr(&b->vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	CHECK_EQ(b->vdev.acked, a == NULL ? 0 : b->vdev.acked);
	CHECK(b->vdev.acked & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	CHECK(b->vdev.activated);
	CHECK_EQ(b->vdev.vqs[0].last_avail, 2);
	CHECK_EQ(b->vdev.vqs[0].used_idx, 2);
	/* The pending read is picked up by the restore's kick, without a guest kick. */
	CHECK(wait_used(&vm_b.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK_EQ(len, 513);
	CHECK_EQ(((uint8_t *)fake_hva(&fm, DATA))[0], 0x11);
	/* And the ring goes on. */
	post(&ring, VIRTIO_BLK_T_IN, 2, 512, true);
	drv_kick(&b->vdev, &vm_b.loop, 0);
	CHECK(wait_used(&vm_b.loop, &ring));
	CHECK(fake_used_next(&ring, &id, &len));
	CHECK_EQ(((uint8_t *)fake_hva(&fm, DATA))[511], 0x22);
	CHECK_EQ(pread(diskfd, buf, 512, 2 * 512), 512);
	CHECK_EQ(buf[0], 0x22);
	virtio_blk_destroy(b);
	free(snap);
}

static void test_blk_state_roundtrip_sync(void)
{
	blk_roundtrip(IO_ENGINE_SYNC);
}

static void test_blk_state_roundtrip_uring_drains_inflight(void)
{
	blk_roundtrip(IO_ENGINE_ASYNC);
}

/* A disk whose size changed since the snapshot is refused. */
static void test_blk_resized_image_refused(void)
{
	struct drive_cfg cfg = drive(IO_ENGINE_SYNC);
	struct virtio_blk *a = NULL, *b = NULL;
	struct fake_ring ring;
	uint8_t *snap = NULL;
	size_t n;

	env();
	CHECK_EQ(virtio_blk_create(&vm_a, &cfg, &a, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&a->vdev, &vm_a.mmio, BASE, 5), 0);
	fake_ring_init(&ring, &fm, 64, 0x10000);
	CHECK_EQ(drv_setup(&a->vdev, WANT, &ring, 1), 0xf);
	n = save(&a->vdev, &snap);
	virtio_blk_destroy(a);
	CHECK_EQ(ftruncate(diskfd, 2 * DISK_SECTORS * 512), 0);
	CHECK_EQ(virtio_blk_create(&vm_b, &cfg, &b, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&b->vdev, &vm_b.mmio, BASE, 5), 0);
	CHECK_EQ(restore(&b->vdev, snap, n), -EINVAL);
	CHECK(strstr(why, "128 sectors, the snapshot's had 64") != NULL);
	virtio_blk_destroy(b);
	free(snap);
}

/* Corrupt transport state (as a hostile snapshot would carry it, written
 * through the real encoder) is refused with a reason, and nothing runs. */
static void refuse(void (*spoil)(struct virtio_dev *d), const char *want)
{
	struct entropy_cfg cfg = { .enabled = true };
	struct virtio_rng *a = NULL, *b = NULL;
	struct fake_ring ring;
	uint8_t *snap = NULL;
	size_t n;

	env();
	CHECK_EQ(virtio_rng_create(&vm_a, &cfg, &a, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&a->vdev, &vm_a.mmio, BASE, 5), 0);
	fake_ring_init(&ring, &fm, 16, 0x10000);
	CHECK_EQ(drv_setup(&a->vdev, VIRTIO_BIT(VIRTIO_F_VERSION_1), &ring, 1), 0xf);
	spoil(&a->vdev);
	n = save(&a->vdev, &snap);
	CHECK_EQ(virtio_rng_create(&vm_b, &cfg, &b, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&b->vdev, &vm_b.mmio, BASE, 5), 0);
	CHECK_EQ(restore(&b->vdev, snap, n), -EINVAL);
	if (!strstr(why, want))
		fprintf(stderr, "  got \"%s\", want \"%s\"\n", why, want);
	CHECK(strstr(why, want) != NULL);
	CHECK(!b->vdev.activated);
	CHECK_EQ(b->vdev.status, 0);
	virtio_rng_destroy(a);
	virtio_rng_destroy(b);
	free(snap);
}

static void size_not_pow2(struct virtio_dev *d) { d->vqs[0].size = 12; }
static void size_too_big(struct virtio_dev *d) { d->vqs[0].size = 512; }
static void desc_outside_ram(struct virtio_dev *d) { d->vqs[0].desc_gpa = 0x7ffff000; }
static void used_misaligned(struct virtio_dev *d) { d->vqs[0].used_gpa += 2; }
static void too_many_in_flight(struct virtio_dev *d) { d->vqs[0].last_avail = 40; }
static void acked_not_offered(struct virtio_dev *d) { d->acked |= 1ull << 40; d->offered |= 1ull << 40; }
static void acked_beyond_offer(struct virtio_dev *d) { d->acked |= 1ull << 41; }
static void driver_ok_without_features(struct virtio_dev *d) { d->status = 0x7; }
static void ready_without_features(struct virtio_dev *d) { d->status = 0x3; d->activated = false; }
static void bad_status_bits(struct virtio_dev *d) { d->status |= 0x20; }
static void isr_bits(struct virtio_dev *d) { atomic_store(&d->isr, 4); }

static void test_transport_refusals(void)
{
	refuse(size_not_pow2, "size 12 or rings");
	refuse(size_too_big, "out of range");
	refuse(desc_outside_ram, "invalid for this guest");
	refuse(used_misaligned, "invalid for this guest");
	refuse(too_many_in_flight, "exceed the queue size 16");
	refuse(acked_not_offered, "no longer offers");
	refuse(acked_beyond_offer, "acknowledged but not offered");
	refuse(driver_ok_without_features, "inconsistent device status");
	refuse(ready_without_features, "features were never accepted");
	refuse(bad_status_bits, "unknown device status bits 0x20");
	refuse(isr_bits, "out of range");
}

/* rng keeps working after a restore; balloon keeps its target, the driver's
 * `actual`, the held statistics buffer and the last statistics. */
static void test_rng_and_balloon_roundtrip(void)
{
	struct entropy_cfg rc = { .enabled = true };
	struct balloon_cfg bc = { .enabled = true, .amount_mib = 1, .stats_polling_interval_s = 1 };
	struct virtio_rng *ra = NULL, *rb = NULL;
	struct virtio_balloon *ba = NULL, *bb = NULL;
	struct fake_ring rr, br[3];
	uint8_t *rs = NULL, *bs = NULL, stats[20];
	uint64_t a = 0x100000, sa = 0x200000, v;
	uint32_t l = 32, sl = sizeof(stats), id, len, cfgv;
	uint16_t t;
	size_t rn, bn;

	env();
	CHECK_EQ(virtio_rng_create(&vm_a, &rc, &ra, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&ra->vdev, &vm_a.mmio, BASE, 5), 0);
	CHECK_EQ(virtio_balloon_create(&vm_a, &bc, &ba, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&ba->vdev, &vm_a.mmio, BASE + 0x1000, 6), 0);
	fake_ring_init(&rr, &fm, 16, 0x10000);
	fake_ring_init(&br[0], &fm, 16, 0x20000);
	fake_ring_init(&br[1], &fm, 16, 0x30000);
	fake_ring_init(&br[2], &fm, 16, 0x40000);
	CHECK_EQ(drv_setup(&ra->vdev, VIRTIO_BIT(VIRTIO_F_VERSION_1), &rr, 1), 0xf);
	CHECK_EQ(drv_setup(&ba->vdev, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			   VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ), br, 3), 0xf);
	loop_poll(&vm_a.loop);
	fake_chain(&rr, 0, 1, &a, &l, 0x1);
	drv_kick(&ra->vdev, &vm_a.loop, 0);
	CHECK(fake_used_next(&rr, &id, &len));
	/* The driver posts statistics (held by the device) and reports `actual`. */
	t = 4; v = 0x1234;	/* VIRTIO_BALLOON_S_MEMFREE */
	memcpy(stats, &t, 2); memcpy(stats + 2, &v, 8);
	t = 5; v = 0x5678;	/* VIRTIO_BALLOON_S_MEMTOT */
	memcpy(stats + 10, &t, 2); memcpy(stats + 12, &v, 8);
	memcpy(fake_hva(&fm, sa), stats, sizeof(stats));
	fake_chain(&br[2], 0, 1, &sa, &sl, 0);
	drv_kick(&ba->vdev, &vm_a.loop, 2);
	CHECK(ba->stats_held);
	cfgv = 100;
	virtio_mmio_access(&ba->vdev, VIRTIO_MMIO_CONFIG + 4, (uint8_t *)&cfgv, 4, true);
	virtio_balloon_set_target(ba, 3);
	rn = save(&ra->vdev, &rs);
	bn = save(&ba->vdev, &bs);
	virtio_rng_destroy(ra);
	virtio_balloon_destroy(ba);

	CHECK_EQ(virtio_rng_create(&vm_b, &rc, &rb, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&rb->vdev, &vm_b.mmio, BASE, 5), 0);
	CHECK_EQ(virtio_balloon_create(&vm_b, &bc, &bb, why, sizeof(why)), 0);
	CHECK_EQ(virtio_dev_attach(&bb->vdev, &vm_b.mmio, BASE + 0x1000, 6), 0);
	CHECK_EQ(restore(&rb->vdev, rs, rn), 0);
	CHECK_EQ(restore(&bb->vdev, bs, bn), 0);
	if (why[0])
		fprintf(stderr, "  %s\n", why);
	/* Config space: num_pages 3 MiB, actual 100. */
	virtio_mmio_access(&bb->vdev, VIRTIO_MMIO_CONFIG, (uint8_t *)&cfgv, 4, false);
	CHECK_EQ(cfgv, 3 * 256);
	virtio_mmio_access(&bb->vdev, VIRTIO_MMIO_CONFIG + 4, (uint8_t *)&cfgv, 4, false);
	CHECK_EQ(cfgv, 100);
	CHECK_EQ(mmio_rd(&bb->vdev, VIRTIO_MMIO_CONFIG_GENERATION), 1);
	CHECK(bb->stats_held);
	CHECK_EQ(bb->stats_head, 0);
	CHECK(bb->stats_valid[4] && bb->stats_valid[5] && !bb->stats_valid[0]);
	CHECK_EQ(bb->stats[4], 0x1234);
	/* The stats timer was re-armed: the held buffer goes back within ~1 s. */
	CHECK(wait_used(&vm_b.loop, &br[2]));
	CHECK(fake_used_next(&br[2], &id, &len));
	CHECK_EQ(id, 0);
	/* rng continues. */
	fake_chain(&rr, 1, 1, &a, &l, 0x1);
	drv_kick(&rb->vdev, &vm_b.loop, 0);
	CHECK(fake_used_next(&rr, &id, &len));
	CHECK_EQ(len, 32);
	virtio_rng_destroy(rb);
	virtio_balloon_destroy(bb);
	free(rs);
	free(bs);
}

/* Device configuration: encode as devices_save does, decode as a restore
 * does; order and values checked. */
static size_t cfg_file(const struct vm_config *c, bool swap, uint8_t **out)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len = 0;
	uint32_t i = 0;

	snap_writer_init(&w);
	snap_begin(&w, SNAP_SEC_DEVICES);
	if (swap) {	/* a balloon before a drive: not the attach order */
		snap_begin(&w, i++);
		snap_put_u32(&w, VIRTIO_SNAP_DEVICE_ID, VIRTIO_ID_BALLOON);
		snap_put_str(&w, VIRTIO_SNAP_CONFIG_ID, "balloon");
		snap_begin(&w, VIRTIO_SNAP_CONFIG);
		snap_encode_balloon_cfg(&w, &c->balloon);
		snap_end(&w);
		snap_end(&w);
	}
	for (unsigned int d = 0; d < c->n_drives; d++) {
		snap_begin(&w, i++);
		snap_put_u32(&w, VIRTIO_SNAP_DEVICE_ID, VIRTIO_ID_BLOCK);
		snap_put_str(&w, VIRTIO_SNAP_CONFIG_ID, c->drives[d].id);
		snap_begin(&w, VIRTIO_SNAP_CONFIG);
		snap_encode_drive_cfg(&w, &c->drives[d]);
		snap_end(&w);
		snap_end(&w);
	}
	for (unsigned int d = 0; d < c->n_nets; d++) {
		snap_begin(&w, i++);
		snap_put_u32(&w, VIRTIO_SNAP_DEVICE_ID, VIRTIO_ID_NET);
		snap_put_str(&w, VIRTIO_SNAP_CONFIG_ID, c->nets[d].id);
		snap_begin(&w, VIRTIO_SNAP_CONFIG);
		snap_encode_net_cfg(&w, &c->nets[d]);
		snap_end(&w);
		snap_end(&w);
	}
	snap_begin(&w, i++);
	snap_put_u32(&w, VIRTIO_SNAP_DEVICE_ID, VIRTIO_ID_VSOCK);
	snap_put_str(&w, VIRTIO_SNAP_CONFIG_ID, "vsock");
	snap_begin(&w, VIRTIO_SNAP_CONFIG);
	snap_encode_vsock_cfg(&w, &c->vsock);
	snap_end(&w);
	snap_end(&w);
	snap_begin(&w, i++);
	snap_put_u32(&w, VIRTIO_SNAP_DEVICE_ID, VIRTIO_ID_RNG);
	snap_put_str(&w, VIRTIO_SNAP_CONFIG_ID, "rng");
	snap_begin(&w, VIRTIO_SNAP_CONFIG);
	snap_encode_entropy_cfg(&w, &c->entropy);
	snap_end(&w);
	snap_end(&w);
	if (!swap) {
		snap_begin(&w, i++);
		snap_put_u32(&w, VIRTIO_SNAP_DEVICE_ID, VIRTIO_ID_BALLOON);
		snap_put_str(&w, VIRTIO_SNAP_CONFIG_ID, "balloon");
		snap_begin(&w, VIRTIO_SNAP_CONFIG);
		snap_encode_balloon_cfg(&w, &c->balloon);
		snap_end(&w);
		snap_end(&w);
	}
	snap_end(&w);
	if (snap_writer_finish(&w, &buf, &len))
		abort();
	*out = malloc(len);
	memcpy(*out, buf, len);
	snap_writer_free(&w);
	return len;
}

static int decode_cfg(const uint8_t *buf, size_t len, struct vm_config *c)
{
	struct snap_ctx ctx;
	struct snap_reader top;
	int err;

	why[0] = 0;
	if (snap_open(&top, &ctx, buf, len, why, sizeof(why)))
		return -EINVAL;
	err = snap_decode_devices_cfg(&top, c);
	snap_release(&top);
	return err;
}

static void test_device_config_roundtrip(void)
{
	struct vm_config in, out;
	uint8_t *buf;
	size_t len;

	config_init(&in);
	in.mem_mib = 256;
	in.n_drives = 2;
	snprintf(in.drives[0].id, sizeof(in.drives[0].id), "root");
	in.drives[0].path = strdup("images/root.ext4");
	in.drives[0].is_root = true;
	in.drives[0].partuuid = strdup("0eaa91a0-01");
	in.drives[0].rate_limiter.bandwidth = (struct token_bucket_cfg){ 1000, 50, 100 };
	snprintf(in.drives[1].id, sizeof(in.drives[1].id), "data");
	in.drives[1].path = strdup("/dev/null");
	in.drives[1].read_only = true;
	in.drives[1].io_engine = IO_ENGINE_ASYNC;
	in.drives[1].cache_type = CACHE_WRITEBACK;
	in.n_nets = 1;
	snprintf(in.nets[0].id, sizeof(in.nets[0].id), "eth0");
	snprintf(in.nets[0].host_dev_name, sizeof(in.nets[0].host_dev_name), "tap7");
	memcpy(in.nets[0].mac, "\x02\x11\x22\x33\x44\x55", 6);
	in.nets[0].mtu = 9000;
	in.nets[0].tx_rate_limiter.ops = (struct token_bucket_cfg){ 10, 0, 1000 };
	in.vsock.enabled = true;
	in.vsock.guest_cid = 42;
	in.vsock.uds_path = strdup("v.sock");
	in.entropy.enabled = true;
	in.balloon.enabled = true;
	in.balloon.amount_mib = 64;
	in.balloon.deflate_on_oom = true;
	in.balloon.stats_polling_interval_s = 5;

	len = cfg_file(&in, false, &buf);
	config_init(&out);
	out.mem_mib = 256;
	CHECK_EQ(decode_cfg(buf, len, &out), 0);
	if (why[0])
		fprintf(stderr, "  %s\n", why);
	CHECK_EQ(out.n_drives, 2);
	CHECK_STR(out.drives[0].id, "root");
	CHECK_STR(out.drives[0].path, "images/root.ext4");
	CHECK(out.drives[0].is_root && !out.drives[0].read_only);
	CHECK_STR(out.drives[0].partuuid, "0eaa91a0-01");
	CHECK_EQ(out.drives[0].rate_limiter.bandwidth.size, 1000);
	CHECK_EQ(out.drives[0].rate_limiter.bandwidth.one_time_burst, 50);
	CHECK_EQ(out.drives[0].rate_limiter.bandwidth.refill_time_ms, 100);
	CHECK(out.drives[1].read_only && out.drives[1].partuuid == NULL);
	CHECK_EQ(out.drives[1].io_engine, IO_ENGINE_ASYNC);
	CHECK_EQ(out.drives[1].cache_type, CACHE_WRITEBACK);
	CHECK_EQ(out.n_nets, 1);
	CHECK_STR(out.nets[0].host_dev_name, "tap7");
	CHECK(out.nets[0].has_mac && !memcmp(out.nets[0].mac, in.nets[0].mac, 6));
	CHECK_EQ(out.nets[0].mtu, 9000);
	CHECK_EQ(out.nets[0].tx_rate_limiter.ops.size, 10);
	CHECK(out.vsock.enabled);
	CHECK_EQ(out.vsock.guest_cid, 42);
	CHECK_STR(out.vsock.uds_path, "v.sock");
	CHECK(out.entropy.enabled);
	CHECK(out.balloon.enabled && out.balloon.deflate_on_oom);
	CHECK_EQ(out.balloon.amount_mib, 64);
	CHECK_EQ(out.balloon.stats_polling_interval_s, 5);
	free(buf);

	/* Not in attach order. */
	len = cfg_file(&in, true, &buf);
	config_free(&out);
	config_init(&out);
	out.mem_mib = 256;
	CHECK_EQ(decode_cfg(buf, len, &out), -EINVAL);
	CHECK(strstr(why, "out of the attach order") != NULL);
	free(buf);

	/* Checked like any configuration: a balloon larger than memory. */
	len = cfg_file(&in, false, &buf);
	config_free(&out);
	config_init(&out);
	out.mem_mib = 32;
	CHECK_EQ(decode_cfg(buf, len, &out), -EINVAL);
	CHECK(strstr(why, "balloon target 64 MiB is larger") != NULL);
	free(buf);

	/* Duplicate drive ids. */
	snprintf(in.drives[1].id, sizeof(in.drives[1].id), "root");
	len = cfg_file(&in, false, &buf);
	config_free(&out);
	config_init(&out);
	out.mem_mib = 256;
	CHECK_EQ(decode_cfg(buf, len, &out), -EINVAL);
	CHECK(strstr(why, "used twice") != NULL);
	free(buf);
	config_free(&out);
	config_free(&in);
}

int main(void)
{
	RUN(test_blk_state_roundtrip_sync);
	RUN(test_blk_state_roundtrip_uring_drains_inflight);
	RUN(test_blk_resized_image_refused);
	RUN(test_transport_refusals);
	RUN(test_rng_and_balloon_roundtrip);
	RUN(test_device_config_roundtrip);
	if (diskfd >= 0) {
		close(diskfd);
		unlink(path);
	}
	fake_mem_free(&fm);
	return harness_summary("virtio_dev_snap");
}
