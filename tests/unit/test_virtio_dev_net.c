/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_dev_net.c: virtio-net end to end: fake driver, a real TAP, frames both ways through a packet socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "core/vm.h"
#include "harness.h"
#include "virtio/net/net.h"
#include "virtio_driver.h"

#define ETH_TYPE_TEST	0x88b5		/* IEEE local experimental: nothing else uses it */
#define RXQ_BASE	0x10000ull
#define TXQ_BASE	0x14000ull
#define RX_BUFS		0x100000ull
#define TX_BUFS		0x200000ull
#define F(b)		VIRTIO_BIT(VIRTIO_NET_F_##b)
#define WANT_BASE	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
			 F(MAC) | F(MTU) | F(STATUS))

static struct fake_mem fm;
static struct vm vm;
static struct virtio_net *net;
static struct fake_ring rings[2];
static char tap[IFNAMSIZ];
static int pkt_fd = -1;
static int ifindex;
static const uint8_t guest_mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

static void teardown(void)
{
	if (pkt_fd >= 0)
		close(pkt_fd);
	pkt_fd = -1;
	if (net)
		virtio_net_destroy(net);	/* last fd closed: the TAP goes away */
	net = NULL;
	if (vm.loop.epfd > 0)
		loop_destroy(&vm.loop);
	fake_mem_free(&fm);
}

/* Bring the interface up with IPv6 off (no router solicitations in the way). */
static int link_up(const char *name)
{
	struct ifreq ifr;
	char path[128];
	int s, fd, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			err = -errno;
		close(fd);
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

/* ETHTOOL_G* value of the TAP (1/0), or -1. */
static int ethtool_get(uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	ifr.ifr_data = (void *)&ev;
	r = ioctl(s, SIOCETHTOOL, &ifr) < 0 ? -1 : (int)ev.data;
	close(s);
	return r;
}

/* A device on a fresh TAP, link up, a packet socket on it; 0, or -errno to skip. */
static int setup(const struct net_cfg *extra, char *why, size_t why_len)
{
	struct net_cfg cfg;
	struct sockaddr_ll sll;
	int err;

	teardown();
	fake_mem_init(&fm, 0, 4 << 20);
	memset(&vm, 0, sizeof(vm));
	vm.mem = fm.mem;
	vm.vm_fd = -1;
	if (loop_init(&vm.loop))
		abort();
	if (extra)
		cfg = *extra;
	else
		memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.id, sizeof(cfg.id), "net0");
	snprintf(tap, sizeof(tap), "embt%u", (unsigned int)getpid() % 100000u);
	snprintf(cfg.host_dev_name, sizeof(cfg.host_dev_name), "%s", tap);
	err = virtio_net_create(&vm, &cfg, &net, why, why_len);
	if (err)
		return err;
	if (virtio_dev_attach(&net->vdev, &vm.mmio, 0xd0000000, 5))
		abort();
	err = link_up(tap);
	if (err) {
		snprintf(why, why_len, "cannot bring %s up: %s", tap, strerror(-err));
		return err;
	}
	ifindex = (int)if_nametoindex(tap);
	pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_TYPE_TEST));
	if (pkt_fd < 0 || !ifindex) {
		snprintf(why, why_len, "packet socket: %s", strerror(errno));
		return -errno;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_TYPE_TEST);
	sll.sll_ifindex = ifindex;
	if (bind(pkt_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(why, why_len, "bind packet socket: %s", strerror(errno));
		return -errno;
	}
	fake_ring_init(&rings[0], &fm, 16, RXQ_BASE);
	fake_ring_init(&rings[1], &fm, 16, TXQ_BASE);
	return 0;
}

static void start(uint64_t want)
{
	CHECK_EQ(drv_setup(&net->vdev, want, rings, 2), 0xf);
	loop_poll(&vm.loop);
}

/* An Ethernet frame from the guest's MAC to broadcast, type ETH_TYPE_TEST, `len` bytes. */
static uint32_t make_frame(uint8_t *p, uint32_t len, uint8_t fill)
{
	memset(p, 0xff, 6);
	memcpy(p + 6, guest_mac, 6);
	p[12] = ETH_TYPE_TEST >> 8;
	p[13] = ETH_TYPE_TEST & 0xff;
	memset(p + 14, fill, len - 14);
	return len;
}

/* Guest tx: header + frame in two descriptors, published on the tx ring. */
static void guest_send(uint16_t desc, uint32_t len, uint8_t fill, uint64_t at)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint64_t a[2] = { at, at + 64 };
	uint32_t l[2] = { sizeof(h), len };

	memcpy(fake_hva(&fm, at), &h, sizeof(h));
	make_frame(fake_hva(&fm, at + 64), len, fill);
	fake_chain(&rings[1], desc, 2, a, l, 0);
}

/* Read one test frame from the packet socket within timeout_ms; its length or -1. */
static int host_recv(uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = pkt_fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return (int)recv(pkt_fd, buf, len, MSG_DONTWAIT);
}

static int host_send(uint32_t len, uint8_t fill)
{
	uint8_t f[2048];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				   .sll_halen = 6 };

	make_frame(f, len, fill);
	memcpy(f, guest_mac, 6);	/* to the guest */
	memset(f + 6, 0x02, 6);
	memcpy(sll.sll_addr, guest_mac, 6);
	return (int)sendto(pkt_fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll));
}

static void post_rx(uint16_t desc, uint64_t at, uint32_t len)
{
	fake_chain(&rings[0], desc, 1, &at, &len, 1);
}

static int skipped;

#define NEED_TAP(cfg) do {							\
	char __why[256] = "";							\
	if (setup((cfg), __why, sizeof(__why))) {				\
		printf("SKIP: %s: no usable TAP here: %s\n", __func__, __why);	\
		skipped++;							\
		return;								\
	}									\
} while (0)

/* Spec 5.1.4: mac, status (LINK_UP), max_virtqueue_pairs, mtu; read-only to the driver. */
static void test_net_config_space(void)
{
	struct net_cfg cfg = { .mtu = 9000, .has_mac = true };
	uint8_t c[12], junk[6] = { 1, 2, 3, 4, 5, 6 };
	uint64_t offered;

	memcpy(cfg.mac, guest_mac, 6);
	NEED_TAP(&cfg);
	CHECK_EQ(mmio_rd(&net->vdev, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	for (uint32_t i = 0; i < sizeof(c); i++)
		virtio_mmio_access(&net->vdev, VIRTIO_MMIO_CONFIG + i, c + i, 1, false);
	CHECK(!memcmp(c, guest_mac, 6));
	CHECK_EQ(c[6] | c[7] << 8, VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(c[8] | c[9] << 8, 1);
	CHECK_EQ(c[10] | c[11] << 8, 9000);
	virtio_mmio_access(&net->vdev, VIRTIO_MMIO_CONFIG, junk, 6, true);
	virtio_mmio_access(&net->vdev, VIRTIO_MMIO_CONFIG, c, 6, false);
	CHECK(!memcmp(c, guest_mac, 6));
	offered = mmio_rd(&net->vdev, VIRTIO_MMIO_DEVICE_FEATURES);
	CHECK(offered & F(CSUM));
	CHECK(offered & F(GUEST_TSO4));
	CHECK(offered & F(MRG_RXBUF));
	teardown();
}

static void test_net_generated_mac_stable(void)
{
	uint8_t a[6], b[6];

	NEED_TAP(NULL);
	virtio_mmio_access(&net->vdev, VIRTIO_MMIO_CONFIG, a, 6, false);
	NEED_TAP(NULL);
	virtio_mmio_access(&net->vdev, VIRTIO_MMIO_CONFIG, b, 6, false);
	CHECK(!memcmp(a, b, 6));
	CHECK_EQ(a[0] & 3, 2);
	teardown();
}

static void test_net_tx_reaches_tap(void)
{
	uint8_t buf[2048], want[2048];
	uint32_t id, len;
	int n;

	NEED_TAP(NULL);
	start(WANT_BASE);
	guest_send(0, 100, 0xab, TX_BUFS);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK_EQ(id, 0);
	n = host_recv(buf, sizeof(buf), 2000);
	CHECK_EQ(n, 100);
	make_frame(want, 100, 0xab);
	CHECK(n == 100 && !memcmp(buf, want, 100));
	CHECK_EQ(net->m.tx_packets_count, 1);
	CHECK_EQ(net->m.tx_bytes_count, 100);
	CHECK_EQ(net->m.tx_malformed_frames, 0);
	teardown();
}

static void test_net_rx_from_tap(void)
{
	struct virtio_net_hdr_v1 h;
	uint32_t id, len;
	uint8_t *p;

	NEED_TAP(NULL);
	start(WANT_BASE);
	post_rx(0, RX_BUFS, 1526);
	post_rx(1, RX_BUFS + 0x1000, 1526);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK_EQ(host_send(60, 0x5c), 60);
	CHECK(wait_used(&vm.loop, &rings[0]));
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(id, 0);
	CHECK_EQ(len, NET_HDR_LEN + 60);
	memcpy(&h, fake_hva(&fm, RX_BUFS), sizeof(h));
	CHECK_EQ(h.num_buffers, 1);
	CHECK_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	p = fake_hva(&fm, RX_BUFS + NET_HDR_LEN);
	CHECK(!memcmp(p, guest_mac, 6));
	CHECK_EQ(p[12], 0x88);
	CHECK_EQ(p[59], 0x5c);
	CHECK_EQ(net->m.rx_packets_count, 1);
	CHECK_EQ(net->m.rx_bytes_count, 60);
	teardown();
}

/* No rx buffer: the frame waits, the TAP is not polled in a loop, the rx kick delivers it. */
static void test_net_rx_waits_for_buffers(void)
{
	uint32_t id, len;

	NEED_TAP(NULL);
	start(WANT_BASE);
	CHECK_EQ(host_send(80, 0x11), 80);
	CHECK_EQ(host_send(90, 0x22), 90);
	loop_poll_ms(&vm.loop, 200);
	CHECK(net->rx_have_frame);
	CHECK_EQ(net->m.no_rx_avail_buffer, 1);
	/* Nothing is ready any more: edge-triggered TAP, no busy loop. */
	CHECK_EQ(loop_poll_ms(&vm.loop, 50), 0);
	CHECK_EQ(net->m.rx_tap_event_count, 1);
	post_rx(0, RX_BUFS, 1526);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(len, NET_HDR_LEN + 80);
	CHECK(!fake_used_next(&rings[0], &id, &len));
	post_rx(1, RX_BUFS + 0x1000, 1526);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(len, NET_HDR_LEN + 90);
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, RX_BUFS + 0x1000 + NET_HDR_LEN + 89), 0x22);
	CHECK_EQ(net->m.rx_packets_count, 2);
	teardown();
}

/* MRG_RXBUF: a frame spans as many buffers as it needs, num_buffers says how
 * many, and the driver sees none of them until all are there. */
static void test_net_rx_mergeable(void)
{
	struct virtio_net_hdr_v1 h;
	uint32_t id, len;
	uint8_t *p;

	NEED_TAP(NULL);
	start(WANT_BASE | F(MRG_RXBUF));
	CHECK(net->mrg_rxbuf);
	post_rx(0, RX_BUFS, 64);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	/* 12 + 150 bytes: three 64-byte buffers, only one posted so far */
	CHECK_EQ(host_send(150, 0x6d), 150);
	loop_poll_ms(&vm.loop, 200);
	CHECK_EQ(fake_used_idx(&rings[0]), 0);		/* nothing half-published */
	CHECK(net->rx_have_frame);
	post_rx(1, RX_BUFS + 0x1000, 64);
	post_rx(2, RX_BUFS + 0x2000, 64);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK_EQ(fake_used_idx(&rings[0]), 3);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(id, 0);
	CHECK_EQ(len, 64);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(id, 1);
	CHECK_EQ(len, 64);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(id, 2);
	CHECK_EQ(len, NET_HDR_LEN + 150 - 128);
	memcpy(&h, fake_hva(&fm, RX_BUFS), sizeof(h));
	CHECK_EQ(h.num_buffers, 3);
	p = fake_hva(&fm, RX_BUFS + NET_HDR_LEN);
	CHECK(!memcmp(p, guest_mac, 6));
	CHECK_EQ(*(uint8_t *)fake_hva(&fm, RX_BUFS + 0x2000 + 33), 0x6d);	/* byte 149 */
	CHECK_EQ(net->m.rx_packets_count, 1);
	/* A small frame still takes one buffer, num_buffers 1. */
	post_rx(3, RX_BUFS + 0x3000, 1526);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK_EQ(host_send(60, 0x5c), 60);
	CHECK(wait_used(&vm.loop, &rings[0]));
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(len, NET_HDR_LEN + 60);
	memcpy(&h, fake_hva(&fm, RX_BUFS + 0x3000), sizeof(h));
	CHECK_EQ(h.num_buffers, 1);
	teardown();
}

/* A frame bigger than MTU + headers without GSO is dropped and counted; the device goes on. */
static void test_net_tx_oversized_dropped(void)
{
	uint8_t buf[2048];
	uint32_t id, len;

	NEED_TAP(NULL);
	start(WANT_BASE);
	guest_send(0, 1600, 0x01, TX_BUFS);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(net->m.tx_malformed_frames, 1);
	CHECK_EQ(net->m.tx_packets_count, 0);
	CHECK_EQ(host_recv(buf, sizeof(buf), 100), -1);
	guest_send(2, 200, 0x02, TX_BUFS + 0x1000);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK_EQ(host_recv(buf, sizeof(buf), 2000), 200);
	CHECK(!(mmio_rd(&net->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET));
	teardown();
}

/* A frame larger than the driver's rx buffer is dropped (rx_fails), the buffer stays available. */
static void test_net_rx_frame_too_big_for_buffer(void)
{
	uint32_t id, len;

	NEED_TAP(NULL);
	start(WANT_BASE);
	post_rx(0, RX_BUFS, 64);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK_EQ(host_send(200, 0x33), 200);
	CHECK_EQ(host_send(50, 0x44), 50);
	loop_poll_ms(&vm.loop, 200);
	CHECK_EQ(net->m.rx_fails, 1);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(len, NET_HDR_LEN + 50);
	teardown();
}

/* TUNSETOFFLOAD follows the GUEST_* features the driver acked (visible through ethtool). */
static void test_net_offloads_follow_features(void)
{
	NEED_TAP(NULL);
	start(WANT_BASE | F(CSUM) | F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6));
	CHECK_EQ(ethtool_get(ETHTOOL_GTSO), 1);
	CHECK(net->lim.csum);
	CHECK(!net->lim.tso4);		/* HOST_TSO4 not acked */
	start(WANT_BASE);
	CHECK_EQ(ethtool_get(ETHTOOL_GTSO), 0);
	CHECK(!net->lim.csum);
	teardown();
}

/* A GSO frame with HOST_TSO4 negotiated goes out and the stack segments it. */
static void test_net_tx_gso_frame(void)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t *f;
	uint64_t a[2] = { TX_BUFS, TX_BUFS + 64 };
	uint32_t l[2] = { sizeof(h), 0 }, id, len;

	NEED_TAP(NULL);
	start(WANT_BASE | F(CSUM) | F(HOST_TSO4));
	CHECK(net->lim.tso4);
	/* A GSO TCP frame without a real TCP header is refused by the TAP: tx_fails, not malformed. */
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 1448;
	h.csum_start = 34;
	h.csum_offset = 16;
	memcpy(fake_hva(&fm, TX_BUFS), &h, sizeof(h));
	f = fake_hva(&fm, TX_BUFS + 64);
	l[1] = make_frame(f, 4000, 0x77);
	fake_chain(&rings[1], 0, 2, a, l, 0);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK_EQ(net->m.tx_malformed_frames, 0);
	CHECK_EQ(net->m.tx_packets_count + net->m.tx_fails, 1);
	printf("  gso frame: %s by the TAP\n", net->m.tx_packets_count ? "accepted" : "refused");
	teardown();
}

/* vring_need_event() as the driver computes it (spec 2.7.10). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/*
 * A tx driver that asks for everything through the event indices only, as
 * Linux's virtio-net with napi tx does: at most 4 frames in flight (TCP small
 * queues hold the rest until completions free them), kick only when
 * avail_event says so, before each send used_event = 0 then 3/4 of the
 * outstanding frames ahead, and when it must wait, used_event = what it has
 * seen and nothing but the interrupt to wake it.  The device thread runs
 * now and then, not at each kick.  300 frames through a 16-entry ring: each
 * must reach the TAP and each wait must end with an interrupt (a lost one is
 * the stall of a TCP stream after a few segments).
 */
static void test_net_tx_event_idx_driver(void)
{
	enum { FRAMES = 300, INFLIGHT = 4 };
	struct fake_ring *r = &rings[1];
	unsigned int sent = 0, done = 0, got = 0, kicks = 0, waits = 0, iter = 0;
	uint16_t kicked_at = 0;
	uint32_t id, len;
	uint8_t buf[2048];
	bool stalled = false;

	NEED_TAP(NULL);
	start(WANT_BASE);
	irq_count(&net->vdev);
	while (done < FRAMES && iter++ < 10 * FRAMES) {
		uint16_t out = (uint16_t)(r->avail_idx - r->last_used), bufs;

		if (sent < FRAMES && out < INFLIGHT) {
			/* start_xmit: disable callbacks, reap, re-enable delayed */
			fake_set_used_event(r, 0);
			while (fake_used_next(r, &id, &len))
				done++;
			bufs = (uint16_t)((uint16_t)(r->avail_idx - r->last_used) * 3 / 4);
			fake_set_used_event(r, (uint16_t)(r->last_used + bufs));
			guest_send((uint16_t)(2 * (r->avail_idx % 8)), 100, (uint8_t)sent,
				   TX_BUFS + 0x1000ull * (r->avail_idx % 8));
			sent++;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (need_event(fake_avail_event(r), r->avail_idx, kicked_at)) {
				mmio_wr(&net->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, NET_TXQ);
				kicks++;
			}
			kicked_at = r->avail_idx;
			/* The device runs now and then, not at every kick. */
			if (sent % 5 == 0)
				loop_poll(&vm.loop);
		} else {
			unsigned int before = done;

			/* Interrupts so far ran the handler: it reaped what they announced. */
			irq_count(&net->vdev);
			while (fake_used_next(r, &id, &len))
				done++;
			if (done != before)
				continue;
			/* Nothing to do but wait: used_event at what was seen, then
			 * only a new interrupt may wake the driver. */
			fake_set_used_event(r, r->last_used);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (fake_used_idx(r) == r->last_used) {
				loop_poll_ms(&vm.loop, 50);
				waits++;
				if (!irq_count(&net->vdev)) {
					stalled = true;
					break;
				}
			}
			while (fake_used_next(r, &id, &len))
				done++;
		}
		while (host_recv(buf, sizeof(buf), 0) > 0)
			got++;
	}
	while (got < FRAMES && host_recv(buf, sizeof(buf), 500) > 0)
		got++;
	CHECK(!stalled);
	if (stalled)
		fprintf(stderr, "  stalled: %u sent, %u completed, used_idx %u, avail_event %u\n",
			sent, done, fake_used_idx(r), fake_avail_event(r));
	CHECK_EQ(done, FRAMES);
	CHECK_EQ(got, FRAMES);
	CHECK_EQ(net->m.tx_packets_count, FRAMES);
	CHECK(kicks < FRAMES);		/* avail_event suppressed some kicks */
	printf("  %u frames: %u kicks, %u waits for an interrupt\n", FRAMES, kicks, waits);
	teardown();
}

static void test_net_tx_rate_limited(void)
{
	struct net_cfg cfg = { .tx_rate_limiter.bandwidth = { .size = 100, .refill_time_ms = 50 } };
	uint8_t buf[2048];
	uint32_t id, len;

	NEED_TAP(&cfg);
	start(WANT_BASE);
	guest_send(0, 100, 0x0a, TX_BUFS);
	guest_send(2, 100, 0x0b, TX_BUFS + 0x1000);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK(!fake_used_next(&rings[1], &id, &len));
	CHECK(net->tx_throttled);
	CHECK_EQ(net->m.tx_rate_limiter_throttled, 1);
	CHECK(wait_used(&vm.loop, &rings[1]));
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK_EQ(net->m.tx_rate_limiter_event_count, 1);
	CHECK_EQ(host_recv(buf, sizeof(buf), 2000), 100);
	CHECK_EQ(host_recv(buf, sizeof(buf), 2000), 100);
	CHECK_EQ(buf[20], 0x0b);
	teardown();
}

static void test_net_rx_rate_limited(void)
{
	struct net_cfg cfg = { .rx_rate_limiter.ops = { .size = 1, .refill_time_ms = 50 } };
	uint32_t id, len;

	NEED_TAP(&cfg);
	start(WANT_BASE);
	post_rx(0, RX_BUFS, 1526);
	post_rx(1, RX_BUFS + 0x1000, 1526);
	drv_kick(&net->vdev, &vm.loop, NET_RXQ);
	CHECK_EQ(host_send(60, 1), 60);
	CHECK_EQ(host_send(60, 2), 60);
	loop_poll_ms(&vm.loop, 20);
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK(net->rx_throttled);
	CHECK_EQ(net->m.rx_rate_limiter_throttled, 1);
	CHECK(wait_used(&vm.loop, &rings[0]));
	CHECK(fake_used_next(&rings[0], &id, &len));
	CHECK_EQ(net->m.rx_packets_count, 2);
	teardown();
}

/* A broken tx ring (avail index jump) puts the device in NEEDS_RESET, and a reset recovers it. */
static void test_net_bad_ring_needs_reset(void)
{
	uint8_t buf[2048];
	uint32_t id, len;

	NEED_TAP(NULL);
	start(WANT_BASE);
	fake_set_avail_idx(&rings[1], 100);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(mmio_rd(&net->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(net->m.event_fails, 1);
	fake_ring_init(&rings[0], &fm, 16, RXQ_BASE);
	fake_ring_init(&rings[1], &fm, 16, TXQ_BASE);
	start(WANT_BASE);
	guest_send(0, 64, 0x0c, TX_BUFS);
	drv_kick(&net->vdev, &vm.loop, NET_TXQ);
	CHECK(fake_used_next(&rings[1], &id, &len));
	CHECK_EQ(host_recv(buf, sizeof(buf), 2000), 64);
	teardown();
}

/* A TAP that cannot be opened is a clear error, not a crash. */
static void test_net_bad_tap_name(void)
{
	struct net_cfg cfg = { 0 };
	char why[256] = "";
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("SKIP: %s: no /dev/net/tun\n", __func__);
		skipped++;
		return;
	}
	close(fd);
	fake_mem_init(&fm, 0, 1 << 20);
	memset(&vm, 0, sizeof(vm));
	vm.mem = fm.mem;
	vm.vm_fd = -1;
	if (loop_init(&vm.loop))
		abort();
	snprintf(cfg.id, sizeof(cfg.id), "net0");
	snprintf(cfg.host_dev_name, sizeof(cfg.host_dev_name), "lo");	/* not a TAP */
	CHECK(virtio_net_create(&vm, &cfg, &net, why, sizeof(why)) < 0);
	CHECK(strstr(why, "cannot attach to TAP 'lo'") != NULL);
	teardown();
}

int main(void)
{
	RUN(test_net_config_space);
	RUN(test_net_generated_mac_stable);
	RUN(test_net_tx_reaches_tap);
	RUN(test_net_rx_from_tap);
	RUN(test_net_rx_waits_for_buffers);
	RUN(test_net_rx_mergeable);
	RUN(test_net_tx_oversized_dropped);
	RUN(test_net_rx_frame_too_big_for_buffer);
	RUN(test_net_offloads_follow_features);
	RUN(test_net_tx_gso_frame);
	RUN(test_net_tx_event_idx_driver);
	RUN(test_net_tx_rate_limited);
	RUN(test_net_rx_rate_limited);
	RUN(test_net_bad_ring_needs_reset);
	RUN(test_net_bad_tap_name);
	if (skipped) {
		/* RUN counted the skipped ones as passed: report them as skipped. */
		printf("virtio_dev_net: %d passed, %d failed, %d skipped\n",
		       harness_passed - skipped, harness_failed, skipped);
		return harness_failed ? 1 : 0;
	}
	return harness_summary("virtio_dev_net");
}
