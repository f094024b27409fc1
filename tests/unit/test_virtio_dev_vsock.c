/* SPDX-License-Identifier: MIT */
/* tests/unit/test_virtio_dev_vsock.c: virtio-vsock end to end: fake driver as the guest, real AF_UNIX sockets as the host. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/vm.h"
#include "harness.h"
#include "virtio/vsock/vsock.h"
#include "virtio_driver.h"

#define CID		42
#define QSIZE		64
#define RXQ_BASE	0x10000ull
#define TXQ_BASE	0x14000ull
#define EVQ_BASE	0x18000ull
#define RX_BUFS		0x100000ull	/* chain k: header at +k*0x2000, payload at +0x100 */
#define TX_BUFS		0x400000ull
#define EV_BUF		0x30000ull
#define WANT		(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX))

static struct fake_mem fm;
static struct vm vm;
static struct virtio_vsock *vs;
static struct fake_ring rings[3];
static char uds[108];
static uint16_t rx_next, tx_next;

static void teardown(void)
{
	if (vs)
		virtio_vsock_destroy(vs);
	vs = NULL;
	if (vm.loop.epfd > 0)
		loop_destroy(&vm.loop);
	fake_mem_free(&fm);
}

static void setup(void)
{
	struct vsock_cfg cfg = { .enabled = true, .guest_cid = CID };
	const char *tmp = getenv("TMPDIR");
	char why[256];

	teardown();
	fake_mem_init(&fm, 0, 16 << 20);
	memset(&vm, 0, sizeof(vm));
	vm.mem = fm.mem;
	vm.vm_fd = -1;
	if (loop_init(&vm.loop))
		abort();
	snprintf(uds, sizeof(uds), "%s/ember-vs-%d.sock", tmp ? tmp : "/tmp", (int)getpid());
	cfg.uds_path = uds;
	CHECK_EQ(virtio_vsock_create(&vm, &cfg, &vs, why, sizeof(why)), 0);
	if (!vs || virtio_dev_attach(&vs->vdev, &vm.mmio, 0xd0000000, 5))
		abort();
	fake_ring_init(&rings[0], &fm, QSIZE, RXQ_BASE);
	fake_ring_init(&rings[1], &fm, QSIZE, TXQ_BASE);
	fake_ring_init(&rings[2], &fm, 4, EVQ_BASE);
	rx_next = tx_next = 0;
	CHECK_EQ(drv_setup(&vs->vdev, WANT, rings, 3), 0xf);
	loop_poll(&vm.loop);
}

/* Post n rx chains: 44-byte header buffer + 4 KiB payload buffer (Linux 6.1's layout). */
static void post_rx(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint16_t k = (uint16_t)(rx_next % (QSIZE / 2));
		uint64_t a[2] = { RX_BUFS + k * 0x2000ull, RX_BUFS + k * 0x2000ull + 0x100 };
		uint32_t l[2] = { 44, 4096 };

		fake_chain(&rings[0], (uint16_t)(2 * k), 2, a, l, 3);
		rx_next++;
	}
	drv_kick(&vs->vdev, &vm.loop, VSOCK_RXQ);
}

struct pkt {
	struct virtio_vsock_hdr h;
	uint8_t data[4096];
	uint32_t used;
};

/* The next packet the device gave the guest, running the loop up to ~1 s for it. */
static bool grecv(struct pkt *p)
{
	uint32_t id, len;

	for (int i = 0; i < 100 && !fake_used_next(&rings[0], &id, &len); i++) {
		loop_poll_ms(&vm.loop, 10);
		if (i == 99)
			return false;
	}
	memset(p, 0, sizeof(*p));
	p->used = len;
	memcpy(&p->h, fake_hva(&fm, RX_BUFS + (id / 2) * 0x2000ull), 44);
	if (p->h.len <= sizeof(p->data))
		memcpy(p->data, fake_hva(&fm, RX_BUFS + (id / 2) * 0x2000ull + 0x100), p->h.len);
	return true;
}

/* The guest sends one packet (header + optional payload descriptor). */
static void gsend_full(uint16_t op, uint32_t src_port, uint32_t dst_port, const void *data,
		       uint32_t len, uint32_t buf_alloc, uint32_t fwd_cnt, uint32_t flags,
		       uint64_t src_cid)
{
	struct virtio_vsock_hdr h;
	uint16_t k = (uint16_t)(tx_next % (QSIZE / 2));
	uint64_t at = TX_BUFS + k * 0x12000ull;
	uint64_t a[2] = { at, at + 0x100 };
	uint32_t l[2] = { 44, len };

	vsock_hdr_build(&h, 0, 0, 0, op, flags, len, buf_alloc, fwd_cnt);
	h.src_cid = src_cid;
	h.dst_cid = VSOCK_HOST_CID;
	h.src_port = src_port;
	h.dst_port = dst_port;
	memcpy(fake_hva(&fm, at), &h, 44);
	if (len)
		memcpy(fake_hva(&fm, at + 0x100), data, len);
	fake_chain(&rings[1], (uint16_t)(2 * k), len ? 2 : 1, a, l, 0);
	tx_next++;
	drv_kick(&vs->vdev, &vm.loop, VSOCK_TXQ);
}

static void gsend(uint16_t op, uint32_t src_port, uint32_t dst_port, const void *data,
		  uint32_t len, uint32_t fwd_cnt, uint32_t flags)
{
	gsend_full(op, src_port, dst_port, data, len, 65536, fwd_cnt, flags, CID);
}

static int uds_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	return fd;
}

static int uds_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
		abort();
	return fd;
}

/* Read what the host socket has within ~1 s while running the loop; -2 on timeout, 0 at EOF,
 * -1 when the socket was reset (closed with unread bytes). */
static int host_read(int fd, char *buf, size_t len)
{
	for (int i = 0; i < 100; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		loop_poll_ms(&vm.loop, 5);
		if (poll(&p, 1, 5) == 1)
			return (int)read(fd, buf, len);
	}
	return -2;
}

static unsigned int live_conns(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		n += vs->conns[i].state != CONN_FREE;
	return n;
}

/* Host connects with CONNECT <port>; the guest answers RESPONSE; returns the client fd. */
static int host_initiated(uint32_t port, uint32_t *local_port, uint32_t guest_buf_alloc)
{
	char line[32], buf[64];
	struct pkt p;
	int fd = uds_connect(uds), n;

	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	CHECK_EQ(write(fd, line, (size_t)n), n);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_REQUEST);
	CHECK_EQ(p.h.src_cid, VSOCK_HOST_CID);
	CHECK_EQ(p.h.dst_cid, CID);
	CHECK_EQ(p.h.dst_port, port);
	CHECK(p.h.src_port >= VSOCK_LOCAL_PORT_BASE);
	CHECK_EQ(p.h.buf_alloc, VSOCK_CONN_BUF);
	*local_port = p.h.src_port;
	gsend_full(VSOCK_OP_RESPONSE, port, *local_port, NULL, 0, guest_buf_alloc, 0, 0, CID);
	n = host_read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(line, sizeof(line), "OK %u\n", *local_port);
	CHECK_STR(buf, line);
	return fd;
}

static void test_vsock_config_cid(void)
{
	uint64_t cid = 0;

	setup();
	CHECK_EQ(mmio_rd(&vs->vdev, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK);
	virtio_mmio_access(&vs->vdev, VIRTIO_MMIO_CONFIG, (uint8_t *)&cid, 8, false);
	CHECK_EQ(cid, CID);
	teardown();
}

/* Host CONNECT 1234 -> REQUEST; RESPONSE -> "OK"; data both ways; host close -> SHUTDOWN; RST. */
static void test_vsock_host_initiated_stream(void)
{
	uint32_t lp = 0;
	struct pkt p;
	char buf[64];
	int fd;

	setup();
	post_rx(8);
	fd = host_initiated(1234, &lp, 65536);
	CHECK_EQ(write(fd, "ping", 4), 4);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RW);
	CHECK_EQ(p.h.len, 4);
	CHECK_EQ(p.used, 44 + 4);
	CHECK(!memcmp(p.data, "ping", 4));
	gsend(VSOCK_OP_RW, 1234, lp, "pong!", 5, 4, 0);
	CHECK_EQ(host_read(fd, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "pong!", 5));
	CHECK_EQ(vs->m.tx_bytes_count, 5);
	CHECK_EQ(vs->m.rx_bytes_count, 4);
	close(fd);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_SHUTDOWN);
	CHECK(p.h.flags & VSOCK_SHUTDOWN_SEND);
	CHECK_EQ(live_conns(), 1);
	gsend(VSOCK_OP_RST, 1234, lp, NULL, 0, 4, 0);
	CHECK_EQ(live_conns(), 0);
	teardown();
}

/*
 * The host's EOF reaches the guest wherever the round robin stands.  rx_process
 * visits one connection per step and stops after a full turn with nothing to
 * send; reading EOF is such a step, but it leaves a SHUTDOWN to send.  Found
 * late in a turn, that SHUTDOWN used to wait for an event that never came
 * (the guest's reader then hung; a timer tick could rescue it, so the timer is
 * let go idle first).  Start positions across the whole turn are tried.
 */
static void test_vsock_host_eof_any_rr(void)
{
	unsigned int bad = 0;

	setup();
	post_rx(8);
	for (unsigned int start = 0; start < VSOCK_MAX_CONNS; start += 21) {
		uint32_t lp = 0;
		struct pkt p;
		int fd = host_initiated(1234, &lp, 65536), slot = -1;

		for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
			if (vs->conns[i].state != CONN_FREE && vs->conns[i].local_port == lp)
				slot = (int)i;
		CHECK(slot >= 0);
		/* No timer tick may run rx_process for us: wait until the REQUEST
		 * deadline's timer has disarmed itself. */
		for (int i = 0; i < 100 && vs->timer_armed; i++)
			loop_poll_ms(&vm.loop, 10);
		CHECK(!vs->timer_armed);
		/* the next turn begins `start` slots after this connection */
		vs->rr = (uint32_t)(slot + (int)start) % VSOCK_MAX_CONNS;
		close(fd);
		if (!grecv(&p) || p.h.op != VSOCK_OP_SHUTDOWN || !(p.h.flags & VSOCK_SHUTDOWN_SEND))
			bad++;
		gsend(VSOCK_OP_RST, 1234, lp, NULL, 0, 4, 0);
		post_rx(2);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(live_conns(), 0);
	teardown();
}

/* The guest refuses (RST): the host client sees EOF, never "OK". */
static void test_vsock_host_initiated_refused(void)
{
	struct pkt p;
	char buf[16];
	int fd;

	setup();
	post_rx(4);
	fd = uds_connect(uds);
	CHECK_EQ(write(fd, "CONNECT 999\n", 12), 12);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_REQUEST);
	gsend(VSOCK_OP_RST, 999, p.h.src_port, NULL, 0, 0, 0);
	CHECK_EQ(host_read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(live_conns(), 0);
	close(fd);
	teardown();
}

static void test_vsock_bad_connect_line(void)
{
	char buf[16];
	int fd;

	setup();
	fd = uds_connect(uds);
	CHECK_EQ(write(fd, "HELLO 1\n", 8), 8);
	CHECK(host_read(fd, buf, sizeof(buf)) == -1 && errno == ECONNRESET);
	CHECK_EQ(vs->m.conns_refused, 1);
	CHECK_EQ(live_conns(), 0);
	close(fd);
	teardown();
}

/* Guest connects to host port 5000: ember connects to <uds>_5000; echo both ways; guest closes. */
static void test_vsock_guest_initiated_echo(void)
{
	char path[128], buf[64];
	struct pkt p;
	int lfd, fd, n;

	setup();
	post_rx(8);
	snprintf(path, sizeof(path), "%s_5000", uds);
	lfd = uds_listen(path);
	gsend(VSOCK_OP_REQUEST, 1025, 5000, NULL, 0, 0, 0);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RESPONSE);
	CHECK_EQ(p.h.src_port, 5000);
	CHECK_EQ(p.h.dst_port, 1025);
	fd = accept(lfd, NULL, NULL);
	CHECK(fd >= 0);
	gsend(VSOCK_OP_RW, 1025, 5000, "hello", 5, 0, 0);
	n = host_read(fd, buf, sizeof(buf));
	CHECK_EQ(n, 5);
	CHECK_EQ(write(fd, buf, 5), 5);	/* echo */
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RW);
	CHECK(!memcmp(p.data, "hello", 5));
	/* Guest close: SHUTDOWN both ways -> ember answers RST and closes the host side. */
	gsend(VSOCK_OP_SHUTDOWN, 1025, 5000, NULL, 0, 5, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RST);
	CHECK_EQ(host_read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(live_conns(), 0);
	close(fd);
	close(lfd);
	unlink(path);
	teardown();
}

/* Nothing listens on <uds>_6000: the guest's REQUEST gets an RST. */
static void test_vsock_guest_initiated_refused(void)
{
	struct pkt p;

	setup();
	post_rx(2);
	gsend(VSOCK_OP_REQUEST, 1026, 6000, NULL, 0, 0, 0);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RST);
	CHECK_EQ(p.h.src_port, 6000);
	CHECK_EQ(p.h.dst_port, 1026);
	CHECK_EQ(vs->m.conns_refused, 1);
	CHECK_EQ(live_conns(), 0);
	teardown();
}

/* Packets for a stream that does not exist get RST; a stray RST gets nothing. */
static void test_vsock_unknown_stream_rst(void)
{
	struct pkt p;

	setup();
	post_rx(2);
	gsend(VSOCK_OP_RW, 1, 2, "x", 1, 0, 0);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RST);
	gsend(VSOCK_OP_RST, 1, 2, NULL, 0, 0, 0);
	CHECK(!grecv(&p));
	teardown();
}

/* Host -> guest data stops at the guest's buf_alloc; a CREDIT_UPDATE resumes it. */
static void test_vsock_credit_exhaustion_stops_sender(void)
{
	static char big[5000];
	uint32_t lp = 0, got = 0;
	struct pkt p;
	int fd;

	setup();
	post_rx(16);
	fd = host_initiated(77, &lp, 1000);
	memset(big, 'z', sizeof(big));
	CHECK_EQ(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	while (grecv(&p)) {
		if (p.h.op == VSOCK_OP_RW)
			got += p.h.len;
		else
			break;
	}
	CHECK_EQ(got, 1000);
	CHECK_EQ(p.h.op, VSOCK_OP_CREDIT_REQUEST);
	CHECK(!grecv(&p));		/* nothing more without credit */
	gsend_full(VSOCK_OP_CREDIT_UPDATE, 77, lp, NULL, 0, 1000, 1000, 0, CID);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RW);
	CHECK_EQ(p.h.len, 1000);
	close(fd);
	teardown();
}

/* A guest that ignores our buf_alloc while the host does not read gets its stream reset. */
static void test_vsock_guest_credit_violation(void)
{
	static char chunk[VSOCK_MAX_PKT_BUF];
	char path[128];
	struct pkt p;
	int lfd, fd;
	bool rst = false;

	setup();
	post_rx(8);
	snprintf(path, sizeof(path), "%s_5001", uds);
	lfd = uds_listen(path);
	gsend(VSOCK_OP_REQUEST, 2000, 5001, NULL, 0, 0, 0);
	CHECK(grecv(&p));
	CHECK_EQ(p.h.op, VSOCK_OP_RESPONSE);
	fd = accept(lfd, NULL, NULL);	/* never read */
	for (int i = 0; i < 64 && !rst; i++) {
		gsend(VSOCK_OP_RW, 2000, 5001, chunk, sizeof(chunk), 0, 0);
		while (grecv(&p))
			rst |= p.h.op == VSOCK_OP_RST;
	}
	CHECK(rst);
	CHECK_EQ(vs->m.credit_violations, 1);
	CHECK_EQ(live_conns(), 0);
	close(fd);
	close(lfd);
	unlink(path);
	teardown();
}

static void test_vsock_malformed_dropped(void)
{
	struct pkt p;

	setup();
	post_rx(2);
	gsend_full(VSOCK_OP_REQUEST, 1, 5000, NULL, 0, 0, 0, 0, CID + 1);	/* spoofed CID */
	CHECK(!grecv(&p));
	CHECK_EQ(vs->m.malformed_pkts, 1);
	CHECK(!(mmio_rd(&vs->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET));
	teardown();
}

/* Table full: the 65th host client is closed at once. */
static void test_vsock_connection_limit(void)
{
	int fds[VSOCK_MAX_CONNS + 1];
	char buf[8];

	setup();
	for (int i = 0; i <= VSOCK_MAX_CONNS; i++) {
		fds[i] = uds_connect(uds);
		loop_poll_ms(&vm.loop, 1);
	}
	CHECK_EQ(host_read(fds[VSOCK_MAX_CONNS], buf, sizeof(buf)), 0);
	CHECK_EQ(live_conns(), VSOCK_MAX_CONNS);
	CHECK_EQ(vs->m.conns_refused, 1);
	for (int i = 0; i <= VSOCK_MAX_CONNS; i++)
		close(fds[i]);
	loop_poll_ms(&vm.loop, 20);
	CHECK_EQ(live_conns(), 0);
	teardown();
}

/* After a restore: streams dropped, TRANSPORT_RESET on the event queue (spec 5.10.6.6). */
static void test_vsock_transport_reset_event(void)
{
	uint64_t a = EV_BUF;
	uint32_t l = 4, id, len, ev = 0xffffffff, lp = 0;
	char buf[8];
	int fd;

	setup();
	post_rx(4);
	fd = host_initiated(80, &lp, 65536);
	fake_chain(&rings[2], 0, 1, &a, &l, 1);
	drv_kick(&vs->vdev, &vm.loop, VSOCK_EVQ);
	virtio_vsock_transport_reset(vs);
	CHECK(fake_used_next(&rings[2], &id, &len));
	CHECK_EQ(len, 4);
	memcpy(&ev, fake_hva(&fm, EV_BUF), 4);
	CHECK_EQ(ev, VSOCK_EVENT_TRANSPORT_RESET);
	CHECK_EQ(live_conns(), 0);
	CHECK_EQ(host_read(fd, buf, sizeof(buf)), 0);
	close(fd);
	teardown();
}

int main(void)
{
	RUN(test_vsock_config_cid);
	RUN(test_vsock_host_initiated_stream);
	RUN(test_vsock_host_eof_any_rr);
	RUN(test_vsock_host_initiated_refused);
	RUN(test_vsock_bad_connect_line);
	RUN(test_vsock_guest_initiated_echo);
	RUN(test_vsock_guest_initiated_refused);
	RUN(test_vsock_unknown_stream_rst);
	RUN(test_vsock_credit_exhaustion_stops_sender);
	RUN(test_vsock_guest_credit_violation);
	RUN(test_vsock_malformed_dropped);
	RUN(test_vsock_connection_limit);
	RUN(test_vsock_transport_reset_event);
	return harness_summary("virtio_dev_vsock");
}
