/* SPDX-License-Identifier: MIT */
/* virtio/vsock/vsock.h: virtio-vsock, Firecracker's hybrid model: guest AF_VSOCK streams to host AF_UNIX sockets (spec 5.10). */
#ifndef EMBER_VIRTIO_VSOCK_H
#define EMBER_VIRTIO_VSOCK_H

#include "core/config.h"
#include "virtio/device.h"
#include "virtio/vsock/vsock_pkt.h"

#define VSOCK_QUEUE_SIZE	256
#define VSOCK_RXQ		0
#define VSOCK_TXQ		1
#define VSOCK_EVQ		2
#define VSOCK_CONFIG_SIZE	8	/* guest_cid */

#define VSOCK_MAX_CONNS		64		/* open connections, both directions */
#define VSOCK_CONN_BUF		(64u * 1024)	/* buf_alloc we advertise per connection */
#define VSOCK_RST_QUEUE		32		/* RSTs for unknown connections awaiting rx buffers */
#define VSOCK_LOCAL_PORT_BASE	(1u << 30)	/* host-side ports of host-initiated connections */
#define VSOCK_REQUEST_TIMEOUT_MS	5000	/* guest answer to REQUEST; the CONNECT line */
#define VSOCK_SHUTDOWN_TIMEOUT_MS	5000	/* host taking the guest's last bytes */

/* Counters; names follow Firecracker's VsockDeviceMetrics where they match. */
struct vsock_metrics {
	uint64_t activate_fails;
	uint64_t rx_queue_event_count, tx_queue_event_count, ev_queue_event_count;
	uint64_t rx_bytes_count, tx_bytes_count;	/* payload to / from the guest */
	uint64_t rx_packets_count, tx_packets_count;
	uint64_t rx_read_fails, tx_write_fails, tx_flush_fails;
	uint64_t conns_added, conns_killed, conns_removed;
	uint64_t conns_refused;			/* table full, bad CONNECT line, nothing listening */
	uint64_t malformed_pkts;		/* dropped by vsock_pkt_parse */
	uint64_t credit_violations;		/* guest sent beyond our buf_alloc: RST */
	uint64_t rst_dropped;			/* RST queue full */
	uint64_t event_fails;			/* malformed chains (device then needs reset) */
	uint64_t transport_resets;
};

enum vsock_conn_state {
	CONN_FREE = 0,
	CONN_HOST_LINE,		/* host client connected; reading "CONNECT <port>\n" */
	CONN_LOCAL_INIT,	/* REQUEST to the guest pending or sent; awaiting RESPONSE */
	CONN_ESTABLISHED,
};

struct virtio_vsock;

/* One stream: the host AF_UNIX socket and the guest's (port) end. */
struct vsock_conn {
	struct virtio_vsock *v;
	enum vsock_conn_state state;
	int fd;
	bool on_loop;
	uint32_t local_port;		/* host side of the stream */
	uint32_t peer_port;		/* guest side */

	/* Control packets owed to the guest, sent as rx buffers allow. */
	bool want_request, want_response, want_rst, want_credit_update, want_credit_request;
	uint32_t want_shutdown;		/* VSOCK_SHUTDOWN_* flags, 0 = none */

	/* Host -> guest. */
	uint32_t peer_buf_alloc, peer_fwd_cnt;	/* guest's receive window */
	uint32_t tx_cnt;			/* payload bytes sent to the guest */
	bool credit_requested;
	bool host_readable;			/* edge-triggered: cleared at EAGAIN */
	bool host_eof;
	bool peer_shut_rcv, peer_shut_send;

	/* Guest -> host: bytes not yet taken by the host socket (ring, bounded by our buf_alloc). */
	uint32_t rx_cnt, fwd_cnt, last_fwd_cnt_sent;
	uint8_t *buf;
	uint32_t buf_head, buf_len;
	uint32_t ring_nonpayload;		/* leading ring bytes that are the "OK" line */
	bool close_after_flush;			/* guest shut both ways: RST once flushed */

	char line[VSOCK_CONNECT_LINE_MAX];
	uint32_t line_len;
	uint64_t deadline_ns;			/* 0: none */
};

struct virtio_vsock {
	struct virtio_dev vdev;
	uint64_t guest_cid;
	uint8_t config[VSOCK_CONFIG_SIZE];
	char uds_path[108];
	int listen_fd;
	bool listen_on_loop;
	int timer_fd;
	bool timer_on_loop, timer_armed;
	uint32_t next_local_port;
	unsigned int rr;			/* round-robin cursor over conns */
	struct vsock_conn conns[VSOCK_MAX_CONNS];
	struct {
		uint32_t local_port, peer_port;
	} rstq[VSOCK_RST_QUEUE];
	unsigned int rstq_len;
	bool event_pending;			/* TRANSPORT_RESET waits for an event buffer */

	struct vsock_metrics m;
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_CHAIN];
};

/*
 * Build the device for cfg (guest_cid >= 3) and listen on cfg->uds_path (a
 * stale socket file there is replaced; any other file is an error).  The
 * caller attaches it with virtio_dev_attach(&(*out)->vdev, ...).  On error
 * *out may hold a partial object for virtio_vsock_destroy(); *why gets one line.
 */
int virtio_vsock_create(struct vm *vm, const struct vsock_cfg *cfg, struct virtio_vsock **out,
			char *why, size_t why_len) __must_check;
void virtio_vsock_destroy(struct virtio_vsock *v);

/*
 * After a snapshot restore: every connection is gone (host sockets closed)
 * and the driver is told with VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the
 * event queue (spec 5.10.6.6), now or as soon as it posts an event buffer.
 * Takes the device lock; any thread.
 */
void virtio_vsock_transport_reset(struct virtio_vsock *v);

#endif
