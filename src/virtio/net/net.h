/* SPDX-License-Identifier: MIT */
/* virtio/net/net.h: virtio-net on a TAP device: offloads, MAC/MTU/status config, rate limiters (spec 5.1). */
#ifndef EMBER_VIRTIO_NET_H
#define EMBER_VIRTIO_NET_H

#include "core/config.h"
#include "util/ratelimiter.h"
#include "virtio/device.h"
#include "virtio/net/net_hdr.h"

#define NET_QUEUE_SIZE		256
#define NET_RXQ			0
#define NET_TXQ			1
#define NET_CONFIG_SIZE		12	/* mac, status, max_virtqueue_pairs, mtu */

/* Per-device counters; names follow Firecracker's NetDeviceMetrics. */
struct net_metrics {
	uint64_t activate_fails;
	uint64_t event_fails;			/* malformed chains (device then needs reset) */
	uint64_t rx_queue_event_count;		/* rx kicks: the driver added buffers */
	uint64_t rx_tap_event_count;		/* the TAP became readable */
	uint64_t rx_bytes_count, rx_packets_count;
	uint64_t rx_fails;			/* frames dropped: too big for the chain or the limit */
	uint64_t no_rx_avail_buffer;		/* a frame waited for the driver's buffers */
	uint64_t rx_rate_limiter_throttled;
	uint64_t rx_event_rate_limiter_count;	/* timer resumed a throttled rx */
	uint64_t tap_read_fails;
	uint64_t tx_queue_event_count;
	uint64_t tx_bytes_count, tx_packets_count;
	uint64_t tx_fails;			/* the TAP refused a frame */
	uint64_t tx_malformed_frames;		/* dropped by net_tx_check */
	uint64_t tx_rate_limiter_throttled;
	uint64_t tx_rate_limiter_event_count;
	uint64_t tap_write_fails;
};

struct virtio_net {
	struct virtio_dev vdev;
	char id[CONFIG_ID_MAX + 1];
	char tap_name[16];
	int tap_fd;
	bool tap_on_loop;
	bool tap_ufo;			/* the TAP accepts TUN_F_UFO: UFO offered */
	uint8_t config[NET_CONFIG_SIZE];
	uint32_t mtu;
	struct net_tx_limits lim;

	/* rx: one frame read from the TAP waits here for a guest buffer. */
	bool tap_readable;		/* edge-triggered: set by EPOLLIN, cleared at EAGAIN */
	bool rx_have_frame;
	uint32_t rx_len;
	uint8_t *rx_buf;		/* NET_MAX_BUFFER + slack */

	struct rate_limiter rx_rl, tx_rl;
	int rx_timer_fd, tx_timer_fd;
	bool rx_timer_on_loop, tx_timer_on_loop;
	bool rx_throttled, tx_throttled;

	struct net_metrics m;
	bool mrg_rxbuf;			/* VIRTIO_NET_F_MRG_RXBUF negotiated */
	struct vq_chain chain;		/* scratch, too big for the stack */
	struct vq_chain rx_first;	/* mergeable rx: a frame's first chain, for num_buffers */
	struct iovec iov[NET_MAX_IOV];
};

/*
 * Open the TAP cfg->host_dev_name (/dev/net/tun, IFF_TAP|IFF_NO_PI|
 * IFF_VNET_HDR, 12-byte vnet header, nonblocking) and build the device; the
 * caller attaches it with virtio_dev_attach(&(*out)->vdev, ...).  Uses
 * vm->mem, vm->loop and vm->vm_fd only.  On error *out may hold a partial
 * object for virtio_net_destroy(); *why gets one line.
 */
int virtio_net_create(struct vm *vm, const struct net_cfg *cfg, struct virtio_net **out,
		      char *why, size_t why_len) __must_check;
void virtio_net_destroy(struct virtio_net *n);

/*
 * PATCH /network-interfaces/{id} after boot, on the event-loop thread:
 * replace the rx and/or tx rate limiter (NULL: unchanged).  The new buckets
 * start full and a direction parked by the old limiter is resumed at once.
 */
void virtio_net_update_rate_limiters(struct virtio_net *n, const struct rate_limiter_cfg *rx,
				     const struct rate_limiter_cfg *tx);

#endif
