/* SPDX-License-Identifier: MIT */
/* virtio/vsock/vsock.c: virtio-vsock device and connection multiplexer over host AF_UNIX sockets, on the event loop. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/vm.h"
#include "virtio/vsock/vsock.h"

#define MS	1000000ull
#define CREDIT_UPDATE_THRESHOLD	(VSOCK_CONN_BUF / 2)
#define RING_SIZE	(VSOCK_CONN_BUF + VSOCK_CONNECT_LINE_MAX)	/* + "OK <port>\n" */

static void rx_process(struct virtio_vsock *v);

static void config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_vsock *v = dev;

	memcpy(buf, v->config + off, len);
}

/* --- connections ------------------------------------------------------- */

static void timer_arm(struct virtio_vsock *v)
{
	struct itimerspec its = { .it_value = { .tv_nsec = 250 * 1000000 },
				  .it_interval = { .tv_nsec = 250 * 1000000 } };

	if (v->timer_armed || v->timer_fd < 0)
		return;
	if (timerfd_settime(v->timer_fd, 0, &its, NULL) == 0)
		v->timer_armed = true;
}

static void set_deadline(struct vsock_conn *c, uint64_t ms)
{
	c->deadline_ns = now_ns() + ms * MS;
	timer_arm(c->v);
}

static void close_host(struct vsock_conn *c)
{
	if (c->on_loop)
		loop_del_fd(c->v->vdev.loop, c->fd);
	c->on_loop = false;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Forget the connection entirely (host socket closed, nothing owed to the guest). */
static void conn_free(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;
	uint8_t *buf = c->buf;

	close_host(c);
	if (c->state != CONN_FREE)
		v->m.conns_removed++;
	memset(c, 0, sizeof(*c));
	c->v = v;
	c->fd = -1;
	c->buf = buf;	/* kept for the next connection in this slot */
}

/* End the stream: close the host side and owe the guest an RST (unless it sent one). */
static void conn_reset(struct vsock_conn *c, bool tell_guest)
{
	close_host(c);
	c->v->m.conns_killed++;
	if (!tell_guest || c->state == CONN_HOST_LINE) {
		conn_free(c);
		return;
	}
	c->want_request = c->want_response = c->want_credit_update = false;
	c->want_credit_request = false;
	c->want_shutdown = 0;
	c->want_rst = true;
	c->deadline_ns = 0;
}

static struct vsock_conn *conn_find(struct virtio_vsock *v, uint32_t local_port,
				    uint32_t peer_port)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->state != CONN_FREE && c->state != CONN_HOST_LINE &&
		    c->local_port == local_port && c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

static struct vsock_conn *conn_alloc(struct virtio_vsock *v)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conns[i].state == CONN_FREE)
			return &v->conns[i];
	return NULL;
}

static bool local_port_used(struct virtio_vsock *v, const struct vsock_conn *self,
			    uint32_t port)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (&v->conns[i] != self && v->conns[i].state != CONN_FREE &&
		    v->conns[i].local_port == port)
			return true;
	return false;
}

static void queue_rst(struct virtio_vsock *v, uint32_t local_port, uint32_t peer_port)
{
	if (v->rstq_len == VSOCK_RST_QUEUE) {
		v->m.rst_dropped++;
		return;
	}
	v->rstq[v->rstq_len].local_port = local_port;
	v->rstq[v->rstq_len].peer_port = peer_port;
	v->rstq_len++;
}

static void on_conn(void *opaque, uint32_t events);

static int conn_watch(struct vsock_conn *c)
{
	/* Edge-triggered: reads stop when the guest has no credit or buffers
	 * and resume from rx_process, never from a spinning loop. */
	int err = loop_add_fd(c->v->vdev.loop, c->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			      on_conn, c);

	c->on_loop = !err;
	return err;
}

/* --- guest -> host bytes ----------------------------------------------- */

static void fwd_advanced(struct vsock_conn *c, uint32_t n)
{
	c->fwd_cnt += n;
	/* Tell the guest about freed space before its window closes. */
	if (c->fwd_cnt - c->last_fwd_cnt_sent >= CREDIT_UPDATE_THRESHOLD)
		c->want_credit_update = true;
}

/* sendmsg without SIGPIPE; bytes taken, 0 on EAGAIN, -errno on error. */
static ssize_t send_iov(int fd, struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w;

	do {
		w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (w < 0 && errno == EINTR);
	if (w < 0)
		return errno == EAGAIN ? 0 : -errno;
	return w;
}

/* The host took w ring bytes: the leading non-payload ones ("OK <port>\n") do not count. */
static void ring_taken(struct vsock_conn *c, uint32_t w)
{
	uint32_t skip = MIN(w, c->ring_nonpayload);

	c->ring_nonpayload -= skip;
	fwd_advanced(c, w - skip);
}

/* Write what the ring holds to the host socket. 0, or -errno (socket broken). */
static int flush_ring(struct vsock_conn *c)
{
	while (c->buf_len) {
		uint32_t first = MIN(c->buf_len, RING_SIZE - c->buf_head);
		struct iovec iov[2] = {
			{ c->buf + c->buf_head, first },
			{ c->buf, c->buf_len - first },
		};
		ssize_t w = send_iov(c->fd, iov, c->buf_len > first ? 2 : 1);

		if (w < 0) {
			c->v->m.tx_flush_fails++;
			return (int)w;
		}
		if (w == 0)
			return 0;
		c->buf_head = (uint32_t)((c->buf_head + (uint32_t)w) % RING_SIZE);
		c->buf_len -= (uint32_t)w;
		ring_taken(c, (uint32_t)w);
	}
	return 0;
}

static int ring_append(struct vsock_conn *c, const struct iovec *iov, int n, size_t skip)
{
	if (!c->buf) {
		c->buf = malloc(RING_SIZE);
		if (!c->buf)
			return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		p += skip;
		len -= skip;
		skip = 0;
		if (len > RING_SIZE - c->buf_len)
			return -ENOBUFS;	/* cannot happen while the guest honours credit */
		while (len) {
			uint32_t tail = (c->buf_head + c->buf_len) % RING_SIZE;
			uint32_t k = (uint32_t)MIN(len, (size_t)(RING_SIZE - tail));

			memcpy(c->buf + tail, p, k);
			c->buf_len += k;
			p += k;
			len -= k;
		}
	}
	return 0;
}

/*
 * Pass `total` bytes (iov) to the host socket, keeping whatever it cannot
 * take now.  `counted`: the bytes are stream payload (fwd_cnt moves as the
 * host takes them).  0 or -errno (the stream must be reset).
 */
static int host_write(struct vsock_conn *c, struct iovec *iov, int n, uint32_t total,
		      bool counted)
{
	ssize_t w = 0;
	int err;

	if (c->buf_len) {
		err = flush_ring(c);
		if (err)
			return err;
	}
	if (!c->buf_len && total) {
		w = send_iov(c->fd, iov, n);
		if (w < 0) {
			c->v->m.tx_write_fails++;
			return (int)w;
		}
	}
	if ((uint32_t)w < total) {
		err = ring_append(c, iov, n, (size_t)w);
		if (err)
			return err;
		/* Only the "OK" line is not payload, and it is the first thing
		 * a connection ever writes, so it sits at the ring's head. */
		if (!counted)
			c->ring_nonpayload += total - (uint32_t)w;
	}
	/* Ring bytes count as forwarded when the host takes them (ring_taken). */
	if (counted)
		fwd_advanced(c, (uint32_t)w);
	return 0;
}

/* --- guest -> device (tx queue) ---------------------------------------- */

static void host_connect(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c = conn_alloc(v);
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->uds_path, h->dst_port);
	if (!c || n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		v->m.conns_refused++;
		queue_rst(v, h->dst_port, h->src_port);
		return;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* Nothing listens there (or its backlog is full): refuse. */
		if (fd >= 0)
			close(fd);
		v->m.conns_refused++;
		queue_rst(v, h->dst_port, h->src_port);
		return;
	}
	c->state = CONN_ESTABLISHED;
	c->fd = fd;
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->want_response = true;
	c->host_readable = true;
	if (conn_watch(c)) {
		conn_reset(c, true);
		return;
	}
	v->m.conns_added++;
}

static void handle_rw(struct vsock_conn *c, const struct virtio_vsock_hdr *h)
{
	struct virtio_vsock *v = c->v;
	int n, err;

	if (c->state != CONN_ESTABLISHED || c->peer_shut_send) {
		conn_reset(c, true);
		return;
	}
	if (!vsock_rx_fits(VSOCK_CONN_BUF, c->rx_cnt, c->fwd_cnt, h->len)) {
		v->m.credit_violations++;
		log_warn_ratelimited(&v->vdev.rl, "%s: guest port %u sent %u bytes beyond its "
				     "credit; connection reset", v->vdev.name, c->peer_port, h->len);
		conn_reset(c, true);
		return;
	}
	n = vq_chain_iov(&v->chain, false, VSOCK_HDR_LEN, h->len, v->iov, VQ_MAX_CHAIN);
	if (n < 0) {
		conn_reset(c, true);
		return;
	}
	c->rx_cnt += h->len;
	v->m.tx_bytes_count += h->len;
	err = host_write(c, v->iov, n, h->len, true);
	if (err)
		conn_reset(c, true);
}

static void handle_shutdown(struct vsock_conn *c, uint32_t flags)
{
	if (flags & VSOCK_SHUTDOWN_RCV)
		c->peer_shut_rcv = true;
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->peer_shut_send = true;
	if (c->peer_shut_rcv && c->peer_shut_send) {
		/* The guest is closing: deliver what it sent, then RST (it waits for one). */
		if (c->buf_len) {
			c->close_after_flush = true;
			set_deadline(c, VSOCK_SHUTDOWN_TIMEOUT_MS);
		} else {
			conn_reset(c, true);
		}
		return;
	}
	if (c->peer_shut_send && !c->buf_len && c->fd >= 0)
		shutdown(c->fd, SHUT_WR);
}

static void handle_pkt(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	struct vsock_conn *c = conn_find(v, h->dst_port, h->src_port);

	if (!c) {
		if (h->op == VSOCK_OP_REQUEST)
			host_connect(v, h);
		else if (h->op != VSOCK_OP_RST)
			queue_rst(v, h->dst_port, h->src_port);
		return;
	}
	/* Every packet carries the guest's receive window. */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (vsock_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->tx_cnt))
		c->credit_requested = false;
	if (c->want_rst)
		return;		/* already ending: only the RST is left to send */
	switch (h->op) {
	case VSOCK_OP_REQUEST:
		conn_reset(c, true);	/* a second REQUEST for a live stream */
		break;
	case VSOCK_OP_RESPONSE: {
		char ok[VSOCK_CONNECT_LINE_MAX];
		struct iovec iov;

		if (c->state != CONN_LOCAL_INIT) {
			conn_reset(c, true);
			break;
		}
		c->state = CONN_ESTABLISHED;
		c->deadline_ns = 0;
		iov.iov_base = ok;
		iov.iov_len = (size_t)snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);
		if (host_write(c, &iov, 1, (uint32_t)iov.iov_len, false))
			conn_reset(c, true);
		break;
	}
	case VSOCK_OP_RST:
		/* Guest refused or ended the stream: close the host side, say nothing. */
		close_host(c);
		v->m.conns_killed++;
		conn_free(c);
		break;
	case VSOCK_OP_SHUTDOWN:
		handle_shutdown(c, h->flags);
		break;
	case VSOCK_OP_RW:
		handle_rw(c, h);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->want_credit_update = true;
		break;
	default:
		break;
	}
}

static void tx_process(struct virtio_vsock *v)
{
	struct vq *q = &v->vdev.vqs[VSOCK_TXQ];
	unsigned int pushed = 0;
	int err;

	if (!virtio_dev_queue_live(&v->vdev, VSOCK_TXQ))
		return;
	while ((err = vq_pop(q, &v->chain)) == 0) {
		struct virtio_vsock_hdr h;
		enum vsock_pkt_err pe = vsock_pkt_parse(&v->chain, v->guest_cid, &h);

		if (pe == VSOCK_PKT_OK) {
			v->m.tx_packets_count++;
			handle_pkt(v, &h);
		} else {
			v->m.malformed_pkts++;
			log_warn_ratelimited(&v->vdev.rl, "%s: packet dropped (op %u, %u bytes): %s",
					     v->vdev.name, h.op, v->chain.rlen, vsock_pkt_err_str(pe));
			/* A well-addressed packet of the wrong kind gets an RST, as Linux does. */
			if ((pe == VSOCK_PKT_TYPE || pe == VSOCK_PKT_OP) && h.op != VSOCK_OP_RST)
				queue_rst(v, h.dst_port, h.src_port);
		}
		if (vq_push(q, v->chain.head, 0))
			break;
		pushed++;
	}
	if (err == -EINVAL) {
		v->m.event_fails++;
		virtio_dev_queue_error(&v->vdev, VSOCK_TXQ);
	}
	if (pushed)
		virtio_dev_notify_queue(&v->vdev, VSOCK_TXQ);
}

/* --- device -> guest (rx queue) ---------------------------------------- */

/* Whether c has something for the guest now; *op gets the control op (0: data). */
static bool conn_has_rx(struct vsock_conn *c, uint16_t *op)
{
	if (c->state == CONN_FREE || c->state == CONN_HOST_LINE)
		return false;
	*op = c->want_rst ? VSOCK_OP_RST :
	      c->want_request ? VSOCK_OP_REQUEST :
	      c->want_response ? VSOCK_OP_RESPONSE :
	      c->want_shutdown ? VSOCK_OP_SHUTDOWN :
	      c->want_credit_update ? VSOCK_OP_CREDIT_UPDATE :
	      c->want_credit_request ? VSOCK_OP_CREDIT_REQUEST : 0;
	if (*op)
		return true;
	if (c->state != CONN_ESTABLISHED || !c->host_readable || c->host_eof ||
	    c->peer_shut_rcv || c->fd < 0)
		return false;
	if (!vsock_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->tx_cnt)) {
		/* Out of credit: ask once, then wait for the guest's update. */
		if (!c->credit_requested) {
			c->credit_requested = true;
			c->want_credit_request = true;
			*op = VSOCK_OP_CREDIT_REQUEST;
			return true;
		}
		return false;
	}
	return true;
}

/* Send one control packet of c into chain; returns bytes written into the chain. */
static uint32_t put_control(struct virtio_vsock *v, struct vsock_conn *c, uint16_t op)
{
	struct virtio_vsock_hdr h;
	uint32_t flags = 0;

	switch (op) {
	case VSOCK_OP_RST: c->want_rst = false; break;
	case VSOCK_OP_REQUEST: c->want_request = false; break;
	case VSOCK_OP_RESPONSE: c->want_response = false; break;
	case VSOCK_OP_SHUTDOWN: flags = c->want_shutdown; c->want_shutdown = 0; break;
	case VSOCK_OP_CREDIT_UPDATE: c->want_credit_update = false; break;
	case VSOCK_OP_CREDIT_REQUEST: c->want_credit_request = false; break;
	default: break;
	}
	vsock_hdr_build(&h, v->guest_cid, c->local_port, c->peer_port, op, flags, 0,
			VSOCK_CONN_BUF, c->fwd_cnt);
	c->last_fwd_cnt_sent = c->fwd_cnt;
	return vq_chain_write(&v->chain, 0, &h, sizeof(h));
}

/*
 * Read host bytes straight into the chain's payload area.  Returns the
 * payload length (> 0), 0 when nothing was sent (EAGAIN, EOF or error,
 * with the connection updated accordingly).
 */
static uint32_t put_data(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct virtio_vsock_hdr h;
	uint32_t room, want;
	ssize_t r;
	int n;

	if (v->chain.wlen <= VSOCK_HDR_LEN)
		return 0;
	room = v->chain.wlen - VSOCK_HDR_LEN;
	want = MIN(MIN(room, VSOCK_MAX_PKT_BUF), vsock_credit(c->peer_buf_alloc, c->peer_fwd_cnt,
							      c->tx_cnt));
	n = vq_chain_iov(&v->chain, true, VSOCK_HDR_LEN, want, v->iov, VQ_MAX_CHAIN);
	if (n <= 0)
		return 0;
	do {
		r = readv(c->fd, v->iov, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN) {
			c->host_readable = false;
		} else {
			v->m.rx_read_fails++;
			conn_reset(c, true);
		}
		return 0;
	}
	if (r == 0) {
		/* The host will send no more (closed, or shut its write side):
		 * the guest reads EOF.  The stream ends when the guest closes
		 * (SHUTDOWN both ways, answered with RST), or at the first write
		 * the host socket refuses. */
		c->host_eof = true;
		c->want_shutdown = VSOCK_SHUTDOWN_SEND;
		return 0;
	}
	vsock_hdr_build(&h, v->guest_cid, c->local_port, c->peer_port, VSOCK_OP_RW, 0,
			(uint32_t)r, VSOCK_CONN_BUF, c->fwd_cnt);
	c->last_fwd_cnt_sent = c->fwd_cnt;
	vq_chain_write(&v->chain, 0, &h, sizeof(h));
	c->tx_cnt += (uint32_t)r;
	v->m.rx_bytes_count += (uint64_t)r;
	return (uint32_t)r;
}

static void rx_process(struct virtio_vsock *v)
{
	struct vq *q = &v->vdev.vqs[VSOCK_RXQ];
	unsigned int pushed = 0, idle = 0;
	int err;

	if (!virtio_dev_queue_live(&v->vdev, VSOCK_RXQ))
		return;
	/* Round robin: one packet per connection per turn; stop after a full
	 * turn with nothing to send, or when the guest has no buffer. */
	while (idle < VSOCK_MAX_CONNS + 1) {
		struct vsock_conn *c = NULL;
		uint16_t op = 0;
		uint32_t written;

		if (v->rstq_len == 0) {
			v->rr = (v->rr + 1) % VSOCK_MAX_CONNS;
			c = &v->conns[v->rr];
			if (!conn_has_rx(c, &op)) {
				idle++;
				continue;
			}
		}
		err = vq_pop(q, &v->chain);
		if (err == -EAGAIN)
			break;		/* the rx kick brings us back */
		if (err) {
			v->m.event_fails++;
			virtio_dev_queue_error(&v->vdev, VSOCK_RXQ);
			return;
		}
		if (!c) {
			struct virtio_vsock_hdr h;

			v->rstq_len--;
			vsock_hdr_build(&h, v->guest_cid, v->rstq[v->rstq_len].local_port,
					v->rstq[v->rstq_len].peer_port, VSOCK_OP_RST, 0, 0, 0, 0);
			written = vq_chain_write(&v->chain, 0, &h, sizeof(h));
		} else if (op) {
			bool was_rst = op == VSOCK_OP_RST;

			written = put_control(v, c, op);
			if (was_rst)
				conn_free(c);
		} else {
			written = put_data(v, c);
			if (!written) {
				vq_unpop(q);
				/* EOF or a read error leaves a SHUTDOWN or an RST for
				 * the guest: it needs a full turn more (one nearly over
				 * would end without it, and nothing else may come to
				 * send it).  Otherwise c just ran dry. */
				if (c->want_shutdown || c->want_rst)
					idle = 0;
				else
					idle++;
				continue;
			}
			written += VSOCK_HDR_LEN;
		}
		idle = 0;
		if (written < VSOCK_HDR_LEN) {
			/* A buffer too small for a header: the driver broke 5.10.6.3. */
			vq_unpop(q);
			virtio_dev_needs_reset(&v->vdev, "rx buffer shorter than a packet header");
			return;
		}
		if (vq_push(q, v->chain.head, written))
			break;
		v->m.rx_packets_count++;
		pushed++;
	}
	if (pushed)
		virtio_dev_notify_queue(&v->vdev, VSOCK_RXQ);
}

/* --- event queue ------------------------------------------------------- */

static void ev_process(struct virtio_vsock *v)
{
	struct vq *q = &v->vdev.vqs[VSOCK_EVQ];
	uint32_t id = htole32(VSOCK_EVENT_TRANSPORT_RESET);
	int err;

	if (!v->event_pending || !virtio_dev_queue_live(&v->vdev, VSOCK_EVQ))
		return;
	err = vq_pop(q, &v->chain);
	if (err == -EAGAIN)
		return;
	if (err) {
		v->m.event_fails++;
		virtio_dev_queue_error(&v->vdev, VSOCK_EVQ);
		return;
	}
	if (vq_push(q, v->chain.head, vq_chain_write(&v->chain, 0, &id, sizeof(id))))
		return;
	v->event_pending = false;
	virtio_dev_notify_queue(&v->vdev, VSOCK_EVQ);
}

/* --- host side: listener, connections, timer ---------------------------- */

static void host_line(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;
	uint32_t port;
	int err = -EAGAIN;

	/* One byte at a time: nothing after the newline may be consumed here. */
	while (err == -EAGAIN && c->line_len < sizeof(c->line)) {
		ssize_t r = recv(c->fd, c->line + c->line_len, 1, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			conn_free(c);
			return;
		}
		c->line_len++;
		err = vsock_parse_connect(c->line, c->line_len, &port);
	}
	if (err) {
		v->m.conns_refused++;
		conn_free(c);
		return;
	}
	/* At most VSOCK_MAX_CONNS ports are taken, so this ends quickly. */
	do {
		c->local_port = v->next_local_port++;
		if (v->next_local_port < VSOCK_LOCAL_PORT_BASE)
			v->next_local_port = VSOCK_LOCAL_PORT_BASE;
	} while (local_port_used(v, c, c->local_port));
	c->state = CONN_LOCAL_INIT;
	c->peer_port = port;
	c->want_request = true;
	set_deadline(c, VSOCK_REQUEST_TIMEOUT_MS);
	v->m.conns_added++;
}

static void on_conn(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct virtio_vsock *v = c->v;

	(void)events;	/* the slot may have been reused since: act on syscall results only */
	pthread_mutex_lock(&v->vdev.lock);
	if (c->state == CONN_HOST_LINE) {
		host_line(c);
	} else if (c->state != CONN_FREE && c->fd >= 0) {
		c->host_readable = true;
		if (c->buf_len) {
			if (flush_ring(c))
				conn_reset(c, true);
			else if (!c->buf_len && c->close_after_flush)
				conn_reset(c, true);
			else if (!c->buf_len && c->peer_shut_send)
				shutdown(c->fd, SHUT_WR);
		}
	}
	rx_process(v);
	pthread_mutex_unlock(&v->vdev.lock);
}

static void on_listen(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;

	(void)events;
	pthread_mutex_lock(&v->vdev.lock);
	for (;;) {
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0)
			break;
		c = conn_alloc(v);
		if (!c) {
			v->m.conns_refused++;
			close(fd);	/* full: the client sees EOF instead of OK */
			continue;
		}
		c->state = CONN_HOST_LINE;
		c->fd = fd;
		c->line_len = 0;
		if (conn_watch(c)) {
			conn_free(c);
			continue;
		}
		set_deadline(c, VSOCK_REQUEST_TIMEOUT_MS);
	}
	pthread_mutex_unlock(&v->vdev.lock);
}

static void on_timer(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	uint64_t now = now_ns(), x;
	bool any = false;

	(void)events;
	if (read(v->timer_fd, &x, sizeof(x)) < 0)
		return;
	pthread_mutex_lock(&v->vdev.lock);
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->state == CONN_FREE || !c->deadline_ns)
			continue;
		if (now < c->deadline_ns) {
			any = true;
			continue;
		}
		/* No CONNECT line, no answer to REQUEST, or a host that does not
		 * take the guest's last bytes after it closed. */
		c->deadline_ns = 0;
		conn_reset(c, true);
	}
	if (!any) {
		struct itimerspec off = { 0 };

		timerfd_settime(v->timer_fd, 0, &off, NULL);
		v->timer_armed = false;
	}
	rx_process(v);
	pthread_mutex_unlock(&v->vdev.lock);
}

/* --- device ops --------------------------------------------------------- */

static int vsock_activate(void *dev, uint64_t acked)
{
	(void)dev;
	(void)acked;
	return 0;
}

static void vsock_queue_notify(void *dev, uint16_t qidx)
{
	struct virtio_vsock *v = dev;

	switch (qidx) {
	case VSOCK_RXQ:
		v->m.rx_queue_event_count++;
		break;
	case VSOCK_TXQ:
		v->m.tx_queue_event_count++;
		tx_process(v);
		break;
	default:
		v->m.ev_queue_event_count++;
		ev_process(v);
		return;
	}
	rx_process(v);
}

/* Close every stream; the guest is told by the caller (reset or event). */
static void drop_all(struct virtio_vsock *v)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conns[i].state != CONN_FREE)
			conn_free(&v->conns[i]);
	v->rstq_len = 0;
}

static void vsock_reset(void *dev)
{
	struct virtio_vsock *v = dev;

	/* The driver's sockets are gone with its queues; so are ours. */
	drop_all(v);
	v->event_pending = false;
}

void virtio_vsock_transport_reset(struct virtio_vsock *v)
{
	pthread_mutex_lock(&v->vdev.lock);
	drop_all(v);
	v->event_pending = true;
	v->m.transport_resets++;
	ev_process(v);
	pthread_mutex_unlock(&v->vdev.lock);
}

static const struct virtio_dev_ops vsock_ops = {
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = 3,
	.max_queue_size = VSOCK_QUEUE_SIZE,
	.config_size = VSOCK_CONFIG_SIZE,
	.config_read = config_read,
	.activate = vsock_activate,
	.queue_notify = vsock_queue_notify,
	.reset = vsock_reset,
};

static int listen_uds(struct virtio_vsock *v, char *why, size_t why_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int e;

	if (strlen(v->uds_path) >= sizeof(sa.sun_path)) {
		snprintf(why, why_len, "vsock: UDS path '%s' is too long", v->uds_path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", v->uds_path);
	if (lstat(v->uds_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, why_len, "vsock: '%s' exists and is not a socket", v->uds_path);
			return -EEXIST;
		}
		unlink(v->uds_path);	/* a previous run's socket */
	}
	v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->listen_fd < 0 || bind(v->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(v->listen_fd, VSOCK_MAX_CONNS) < 0) {
		e = errno;
		snprintf(why, why_len, "vsock: cannot listen on '%s': %s", v->uds_path, strerror(e));
		return -e;
	}
	return 0;
}

int virtio_vsock_create(struct vm *vm, const struct vsock_cfg *cfg, struct virtio_vsock **out,
			char *why, size_t why_len)
{
	struct virtio_vsock *v = calloc(1, sizeof(*v));
	uint64_t cid;
	int err;

	*out = v;
	if (!v) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	v->listen_fd = v->timer_fd = -1;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		v->conns[i].v = v;
		v->conns[i].fd = -1;
	}
	if (cfg->guest_cid < 3 || !cfg->uds_path || !*cfg->uds_path) {
		snprintf(why, why_len, "vsock: needs a guest CID >= 3 and a UDS path");
		return -EINVAL;
	}
	v->guest_cid = cfg->guest_cid;
	cid = htole64(v->guest_cid);
	memcpy(v->config, &cid, sizeof(cid));
	snprintf(v->uds_path, sizeof(v->uds_path), "%s", cfg->uds_path);
	v->next_local_port = VSOCK_LOCAL_PORT_BASE;
	err = listen_uds(v, why, why_len);
	if (err)
		return err;
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (v->timer_fd < 0) {
		err = -errno;
		snprintf(why, why_len, "vsock: timerfd: %s", strerror(errno));
		return err;
	}
	err = virtio_dev_init(&v->vdev, &vsock_ops, v, "vsock", &vm->mem, &vm->loop, vm->vm_fd);
	if (!err) {
		err = loop_add_fd(&vm->loop, v->listen_fd, EPOLLIN, on_listen, v);
		v->listen_on_loop = !err;
	}
	if (!err) {
		err = loop_add_fd(&vm->loop, v->timer_fd, EPOLLIN, on_timer, v);
		v->timer_on_loop = !err;
	}
	if (err)
		snprintf(why, why_len, "vsock: %s", strerror(-err));
	return err;
}

void virtio_vsock_destroy(struct virtio_vsock *v)
{
	if (!v)
		return;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		if (v->conns[i].v) {
			conn_free(&v->conns[i]);
			free(v->conns[i].buf);
		}
	}
	if (v->listen_on_loop)
		loop_del_fd(v->vdev.loop, v->listen_fd);
	if (v->timer_on_loop)
		loop_del_fd(v->vdev.loop, v->timer_fd);
	virtio_dev_destroy(&v->vdev);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->uds_path);
	}
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	free(v);
}
