/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_dev_mmio.c: the virtio-mmio v2 register file and status machine, scripted like a guest. */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "virtio_driver.h"

/* A test device: queue 0 echoes its readable bytes into the writable ones. */
struct echo {
	struct virtio_dev vdev;
	uint8_t config[8];
	int activations, resets, notifies, fail_activate;
	uint64_t acked;
};

static uint64_t echo_features(void *dev) { (void)dev; return VIRTIO_BIT(0) | VIRTIO_BIT(5); }

static void echo_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct echo *e = dev;

	memcpy(buf, e->config + off, len);
}

static void echo_config_write(void *dev, uint32_t off, const void *buf, uint32_t len)
{
	struct echo *e = dev;

	memcpy(e->config + off, buf, len);
}

static int echo_activate(void *dev, uint64_t acked)
{
	struct echo *e = dev;

	e->acked = acked;
	e->activations++;
	return e->fail_activate ? -EINVAL : 0;
}

static void echo_notify(void *dev, uint16_t q)
{
	struct echo *e = dev;
	struct vq *vq = &e->vdev.vqs[q];
	static struct vq_chain c;
	int r;

	e->notifies++;
	while ((r = vq_pop(vq, &c)) == 0) {
		uint8_t tmp[256];
		uint32_t n = vq_chain_read(&c, 0, tmp, sizeof(tmp));

		n = vq_chain_write(&c, 0, tmp, n);
		if (vq_push(vq, c.head, n))
			abort();
	}
	if (r == -EINVAL)
		virtio_dev_queue_error(&e->vdev, q);
	virtio_dev_notify_queue(&e->vdev, q);
}

static void echo_reset(void *dev)
{
	struct echo *e = dev;

	e->resets++;
}

static const struct virtio_dev_ops echo_ops = {
	.device_id = 42, .num_queues = 2, .max_queue_size = 16, .config_size = 8,
	.features = echo_features, .config_read = echo_config_read,
	.config_write = echo_config_write, .activate = echo_activate,
	.queue_notify = echo_notify, .reset = echo_reset,
};

static struct fake_mem fm;
static struct loop lp;
static struct bus mmio;
static struct echo *e;
static struct fake_ring rings[2];

#define WANT (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
	      VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_BIT(0))

static void setup(void)
{
	if (e) {
		virtio_dev_destroy(&e->vdev);
		free(e);
		loop_destroy(&lp);
		fake_mem_free(&fm);
	}
	fake_mem_init(&fm, 0, 1 << 20);
	memset(&mmio, 0, sizeof(mmio));
	if (loop_init(&lp))
		abort();
	e = calloc(1, sizeof(*e));
	if (!e || virtio_dev_init(&e->vdev, &echo_ops, e, "echo0", &fm.mem, &lp, -1) ||
	    virtio_dev_attach(&e->vdev, &mmio, 0xd0000000, 5))
		abort();
	fake_ring_init(&rings[0], &fm, 16, 0x10000);
	fake_ring_init(&rings[1], &fm, 8, 0x20000);
}

static void test_mmio_identity(void)
{
	uint32_t v;

	setup();
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_DEVICE_ID), 42);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR_EMBER);
	/* Through the bus, as a vCPU exit would arrive. */
	CHECK(bus_dispatch(&mmio, 0xd0000000, (uint8_t *)&v, 4, false));
	CHECK_EQ(v, 0x74726976);
}

static void test_mmio_features(void)
{
	setup();
	mmio_wr(&e->vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_DEVICE_FEATURES),
		 (uint32_t)(VIRTIO_BIT(0) | VIRTIO_BIT(5) | VIRTIO_BIT(28) | VIRTIO_BIT(29)));
	mmio_wr(&e->vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_DEVICE_FEATURES), 1);	/* VERSION_1 */
	mmio_wr(&e->vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* Before DRIVER, DriverFeatures writes are ignored. */
	mmio_wr(&e->vdev, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	CHECK_EQ(e->vdev.acked, 0);
	CHECK_EQ(e->vdev.counters.bad_state, 1);
	/* acked &= offered. */
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_wr(&e->vdev, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	mmio_wr(&e->vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(&e->vdev, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	CHECK_EQ(e->vdev.acked, e->vdev.offered);
}

/* Spec 3.1.1: without VERSION_1 the device refuses FEATURES_OK (no legacy). */
static void test_mmio_features_ok_needs_version_1(void)
{
	setup();
	CHECK_EQ(drv_setup(&e->vdev, VIRTIO_BIT(0), rings, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	CHECK_EQ(e->activations, 0);
}

static void test_mmio_handshake_and_echo(void)
{
	uint64_t a[2] = { 0x40000, 0x41000 };
	uint32_t l[2] = { 5, 16 }, id, len;

	setup();
	CHECK_EQ(drv_setup(&e->vdev, WANT, rings, 2), 0xf);
	CHECK_EQ(e->activations, 1);
	CHECK_EQ(e->acked, WANT);
	CHECK(e->vdev.vqs[0].event_idx);
	loop_poll(&lp);		/* the activation re-kick finds nothing */
	memcpy(fake_hva(&fm, 0x40000), "hello", 5);
	fake_chain(&rings[0], 0, 2, a, l, 0x2);
	drv_kick(&e->vdev, &lp, 0);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(id, 0);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(fake_hva(&fm, 0x41000), "hello", 5));
	CHECK(irq_count(&e->vdev) >= 1);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	mmio_wr(&e->vdev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

/* Buffers kicked before DRIVER_OK are processed once the device is activated. */
static void test_mmio_kick_before_driver_ok(void)
{
	uint64_t a[2] = { 0x40000, 0x41000 };
	uint32_t l[2] = { 3, 3 }, id, len;

	setup();
	fake_chain(&rings[0], 0, 2, a, l, 0x2);
	mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	loop_poll(&lp);
	CHECK_EQ(e->notifies, 0);
	drv_setup(&e->vdev, WANT, rings, 2);
	loop_poll(&lp);
	CHECK(fake_used_next(&rings[0], &id, &len));
}

/* CVE-2026-5747: queue registers are frozen after DRIVER_OK. */
static void test_mmio_queue_config_locked_after_driver_ok(void)
{
	setup();
	drv_setup(&e->vdev, WANT, rings, 2);
	mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_NUM, 4);
	mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_DESC_LOW, 0xdead000);
	mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ(e->vdev.vqs[0].size, 16);
	CHECK_EQ(e->vdev.vqs[0].desc_gpa, rings[0].desc);
	CHECK(e->vdev.vqs[0].ready);
	CHECK(e->vdev.counters.bad_state >= 3);
	CHECK_EQ(e->vdev.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* Queue registers are also closed before FEATURES_OK. */
static void test_mmio_queue_config_before_features_ok(void)
{
	setup();
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_NUM, 8);
	CHECK_EQ(e->vdev.vqs[0].size, 0);
}

/* QueueSel is checked once in the transport (CVE-2011-2512 class). */
static void test_mmio_queue_sel_out_of_range(void)
{
	setup();
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 0xb);	/* ACK|DRIVER|FEATURES_OK fails */
	drv_setup(&e->vdev, WANT, rings, 0);
	setup();
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 3);
	mmio_wr(&e->vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(&e->vdev, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_STATUS), 0xb);
	for (uint32_t sel = 2; sel != 0; sel = sel < 16 ? sel + 1 : (sel == 16 ? 0xffffffffu : 0)) {
		mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_SEL, sel);
		CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_QUEUE_READY), 0);
		mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_NUM, 8);
		mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_READY, 1);
		mmio_wr(&e->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, sel);
	}
	CHECK(e->vdev.counters.bad_notify >= 15);
	CHECK_EQ(e->vdev.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* QueueNum above QueueNumMax or not a power of two, or rings outside RAM. */
static void test_mmio_bad_queue_needs_reset(void)
{
	struct fake_ring bad = rings[0];

	setup();
	bad.size = 12;
	CHECK(drv_setup(&e->vdev, WANT, &bad, 1) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(e->activations, 0);
	setup();
	bad = rings[0];
	bad.used = (1 << 20) - 8;
	CHECK(drv_setup(&e->vdev, WANT, &bad, 1) & VIRTIO_STATUS_NEEDS_RESET);
	setup();
	bad = rings[0];
	bad.size = 32;	/* > QueueNumMax 16 */
	CHECK(drv_setup(&e->vdev, WANT, &bad, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* A malformed chain: NEEDS_RESET plus a config interrupt; no more processing. */
static void test_mmio_malformed_chain_needs_reset(void)
{
	setup();
	drv_setup(&e->vdev, WANT, rings, 2);
	loop_poll(&lp);
	irq_count(&e->vdev);
	e->notifies = 0;
	fake_desc(&rings[0], 0, 0x40000, 4, VRING_DESC_F_NEXT, 0);	/* self loop */
	fake_publish(&rings[0], 0);
	drv_kick(&e->vdev, &lp, 0);
	CHECK(mmio_rd(&e->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(mmio_rd(&e->vdev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(e->vdev.counters.event_fails, 1);
	CHECK(irq_count(&e->vdev) >= 1);
	drv_kick(&e->vdev, &lp, 0);
	CHECK_EQ(e->notifies, 1);
	/* Reset recovers the device. */
	CHECK_EQ(drv_setup(&e->vdev, WANT, rings, 2), 0xf);
	CHECK(e->resets >= 1);
}

static void test_mmio_activate_failure(void)
{
	setup();
	e->fail_activate = 1;
	CHECK(drv_setup(&e->vdev, WANT, rings, 2) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(e->vdev.counters.activate_fails, 1);
	CHECK(!e->vdev.activated);
}

/* Spec 2.1.2: only reset clears status bits; DRIVER_OK needs FEATURES_OK. */
static void test_mmio_status_machine(void)
{
	setup();
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 3);
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 1);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_STATUS), 3);
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 7);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_STATUS), 3);
	CHECK_EQ(e->activations, 0);
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(mmio_rd(&e->vdev, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(e->resets, 1);
	drv_setup(&e->vdev, WANT, rings, 2);
	mmio_wr(&e->vdev, VIRTIO_MMIO_STATUS, 0);
	CHECK(!e->vdev.vqs[0].ready);
	CHECK_EQ(e->vdev.acked, 0);
	CHECK(!e->vdev.activated);
}

/* Spec 4.2.2.2: control registers are 32-bit; other widths are ignored. */
static void test_mmio_access_width(void)
{
	uint8_t b[8];

	setup();
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_MAGIC_VALUE, b, 2, false);
	CHECK_EQ(b[0], 0);
	CHECK_EQ(b[1], 0);
	memset(b, 0xff, sizeof(b));
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_STATUS, b, 1, true);
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_STATUS + 1, b, 4, true);
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_STATUS, b, 8, true);
	CHECK_EQ(e->vdev.status, 0);
	CHECK_EQ(e->vdev.counters.bad_register, 4);
	virtio_mmio_access(&e->vdev, 0x1000, b, 4, true);	/* beyond the page */
	virtio_mmio_access(&e->vdev, 0, b, 0, false);
	virtio_mmio_access(&e->vdev, 0, b, 9, false);
}

static void test_mmio_config_space(void)
{
	uint8_t b[8];
	uint32_t v = 0x11223344;

	setup();
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_CONFIG + 4, (uint8_t *)&v, 4, true);
	memset(b, 0xaa, sizeof(b));
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_CONFIG + 4, b, 1, false);
	CHECK_EQ(b[0], 0x44);
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_CONFIG, b, 8, false);
	CHECK_EQ(b[7], 0x11);
	/* Partially or wholly outside config space: zeros, no write. */
	memset(b, 0xaa, sizeof(b));
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_CONFIG + 6, b, 4, false);
	CHECK_EQ(b[0], 0);
	virtio_mmio_access(&e->vdev, VIRTIO_MMIO_CONFIG + 8, b, 4, true);
	virtio_mmio_access(&e->vdev, 0xffc, b, 4, false);
	CHECK_EQ(e->vdev.counters.config_oob, 3);
}

int main(void)
{
	log_set_level(LOG_ERROR);	/* the guest errors below are expected */
	RUN(test_mmio_identity);
	RUN(test_mmio_features);
	RUN(test_mmio_features_ok_needs_version_1);
	RUN(test_mmio_handshake_and_echo);
	RUN(test_mmio_kick_before_driver_ok);
	RUN(test_mmio_queue_config_locked_after_driver_ok);
	RUN(test_mmio_queue_config_before_features_ok);
	RUN(test_mmio_queue_sel_out_of_range);
	RUN(test_mmio_bad_queue_needs_reset);
	RUN(test_mmio_malformed_chain_needs_reset);
	RUN(test_mmio_activate_failure);
	RUN(test_mmio_status_machine);
	RUN(test_mmio_access_width);
	RUN(test_mmio_config_space);
	return harness_summary("virtio_dev_mmio");
}
