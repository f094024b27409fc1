/* SPDX-License-Identifier: MIT */
/* virtio/net/net.c: virtio-net device: TAP backend, rx/tx on the event loop, offloads, rate limiters. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "core/vm.h"
#include "util/metrics.h"
#include "virtio/net/net.h"

/* Room past NET_MAX_BUFFER so a frame longer than allowed is seen, not truncated. */
#define RX_BUF_SIZE	(NET_MAX_BUFFER + 256u)

static uint64_t net_features(void *dev)
{
	struct virtio_net *n = dev;
	uint64_t f = VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |
		     VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);

	if (n->tap_ufo)
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO) | VIRTIO_BIT(VIRTIO_NET_F_HOST_UFO);
	return f;
}

static void net_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net *n = dev;

	memcpy(buf, n->config + off, len);
}

static int set_offloads(struct virtio_net *n, unsigned int flags)
{
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, (unsigned long)flags) < 0)
		return -errno;
	return 0;
}

static int net_activate(void *dev, uint64_t acked)
{
	struct virtio_net *n = dev;
	int err;

	net_tx_limits_from(&n->lim, acked, n->mtu);
	n->mrg_rxbuf = (acked & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)) != 0;
	/* What the TAP may hand us is what the guest said it can receive. */
	err = set_offloads(n, net_tap_offloads(acked));
	if (err) {
		n->m.activate_fails++;
		METRIC_INC(net, activate_fails);
		log_error("%s: TUNSETOFFLOAD 0x%x: %s", n->vdev.name, net_tap_offloads(acked),
			  strerror(-err));
		return err;
	}
	n->rx_throttled = n->tx_throttled = false;
	/* Frames queued on the TAP before DRIVER_OK: the rx kick at activation reads them. */
	n->tap_readable = true;
	return 0;
}

static void arm(int fd, uint64_t ns)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
						.tv_nsec = (long)(ns % 1000000000u) } };

	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		log_error("timerfd: %s", strerror(errno));
}

/* --- rx: TAP -> guest -------------------------------------------------- */

/* Read the next frame from the TAP into rx_buf; false when there is none now. */
static bool rx_read_frame(struct virtio_net *n)
{
	for (;;) {
		ssize_t r = read(n->tap_fd, n->rx_buf, RX_BUF_SIZE);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				n->m.tap_read_fails++;
				log_warn_ratelimited(&n->vdev.rl, "%s: TAP read: %s", n->vdev.name,
						     strerror(errno));
			}
			n->tap_readable = false;
			return false;
		}
		if ((uint32_t)r < NET_HDR_LEN + NET_ETH_HLEN || (uint32_t)r > NET_MAX_BUFFER) {
			n->m.rx_fails++;
			METRIC_INC(net, rx_fails);
			continue;
		}
		n->rx_len = (uint32_t)r;
		n->rx_have_frame = true;
		return true;
	}
}

/*
 * Spread the held frame over as many chains as it needs (MRG_RXBUF, spec
 * 5.1.6.4), each filled in turn and its used element written but not yet
 * published (rx_publish() does that for all of them at once: the driver
 * reads them as one frame).  Returns the number of chains (> 0), 0 when the
 * frame cannot be placed (a first chain too small for the header), -EAGAIN
 * when the ring ran dry, -EINVAL on a broken ring; on 0 and -EAGAIN every
 * chain is given back.
 */
static int rx_gather(struct virtio_net *n, struct vq *q)
{
	struct vq_chain *c = &n->chain;
	uint32_t off = 0;
	uint16_t nb = 0;
	int err;

	while (off < n->rx_len) {
		uint32_t w;

		err = vq_pop(q, c);
		if (err) {
			if (err == -EAGAIN)
				for (; nb; nb--)
					vq_unpop(q);
			return err;
		}
		/* The first chain holds the header, num_buffers included. */
		w = nb || c->wlen >= NET_HDR_LEN ?
			vq_chain_write(c, 0, n->rx_buf + off, n->rx_len - off) : 0;
		if (!w || vq_fill(q, nb, c->head, w)) {
			for (nb++; nb; nb--)
				vq_unpop(q);
			return 0;
		}
		if (!nb)
			memcpy(&n->rx_first, c, offsetof(struct vq_chain, buf) +
			       c->nbufs * sizeof(c->buf[0]));
		nb++;
		off += w;
	}
	return nb;
}

/* num_buffers into the first chain's header, then publish the nb chains. */
static void rx_publish(struct virtio_net *n, struct vq *q, uint16_t nb)
{
	uint16_t le = htole16(nb);

	vq_chain_write(&n->rx_first, offsetof(struct virtio_net_hdr_v1, num_buffers), &le, 2);
	vq_flush(q, nb);
}

/* The rx bucket cannot pay for the pending frame now: give back the
 * `popped` chains taken for it, hold rx and arm the timer that resumes it.
 * False when the frame may go (or rx is not limited). */
static bool rx_held_back(struct virtio_net *n, struct vq *q, int popped)
{
	uint64_t now;

	if (!rl_enabled(&n->rx_rl))
		return false;
	now = now_ns();
	if (rl_consume(&n->rx_rl, n->rx_len - NET_HDR_LEN, 1, now))
		return false;
	for (int i = 0; i < popped; i++)
		vq_unpop(q);
	n->rx_throttled = true;
	n->m.rx_rate_limiter_throttled++;
	METRIC_INC(net, rx_rate_limiter_throttled);
	arm(n->rx_timer_fd, rl_wait_ns(&n->rx_rl, n->rx_len - NET_HDR_LEN, 1, now));
	return true;
}

/* The pending frame reached the guest: count it and make room for the next. */
static void rx_delivered(struct virtio_net *n)
{
	n->rx_have_frame = false;
	n->m.rx_packets_count++;
	n->m.rx_bytes_count += n->rx_len - NET_HDR_LEN;
	METRIC_INC(net, rx_packets_count);
	METRIC_ADD(net, rx_bytes_count, n->rx_len - NET_HDR_LEN);
}

static void rx_process(struct virtio_net *n)
{
	struct vq *q = &n->vdev.vqs[NET_RXQ];
	unsigned int pushed = 0;
	int err;

	if (n->rx_throttled || !virtio_dev_queue_live(&n->vdev, NET_RXQ))
		return;
	for (;;) {
		uint16_t one = htole16(1);

		if (!n->rx_have_frame && (!n->tap_readable || !rx_read_frame(n)))
			break;
		if (n->mrg_rxbuf) {
			err = rx_gather(n, q);
			if (err == -EAGAIN) {
				/* Keep the frame until the driver adds buffers: its
				 * rx kick calls us again. */
				n->m.no_rx_avail_buffer++;
				break;
			}
			if (err < 0) {
				n->m.event_fails++;
				METRIC_INC(net, event_fails);
				virtio_dev_queue_error(&n->vdev, NET_RXQ);
				break;
			}
			if (err == 0) {
				n->m.rx_fails++;
				METRIC_INC(net, rx_fails);
				n->rx_have_frame = false;
				continue;
			}
			if (rx_held_back(n, q, err))
				break;
			rx_publish(n, q, (uint16_t)err);
			rx_delivered(n);
			pushed++;
			continue;
		}
		err = vq_pop(q, &n->chain);
		if (err == -EAGAIN) {
			/* Keep the frame and stop reading the TAP until the driver
			 * adds buffers: its rx kick calls us again. */
			n->m.no_rx_avail_buffer++;
			break;
		}
		if (err) {
			n->m.event_fails++;
			METRIC_INC(net, event_fails);
			virtio_dev_queue_error(&n->vdev, NET_RXQ);
			break;
		}
		if (!net_rx_fits(n->rx_len, n->chain.wlen)) {
			/* The driver's buffers cannot hold it (they match what it
			 * negotiated, so this is a frame the TAP should not send). */
			vq_unpop(q);
			n->m.rx_fails++;
			METRIC_INC(net, rx_fails);
			n->rx_have_frame = false;
			continue;
		}
		if (rx_held_back(n, q, 1))
			break;
		/* Without MRG_RXBUF a frame uses exactly one chain (spec 5.1.6.4). */
		memcpy(n->rx_buf + offsetof(struct virtio_net_hdr_v1, num_buffers), &one, 2);
		vq_chain_write(&n->chain, 0, n->rx_buf, n->rx_len);
		if (vq_push(q, n->chain.head, n->rx_len))
			break;
		rx_delivered(n);
		pushed++;
	}
	if (pushed)
		virtio_dev_notify_queue(&n->vdev, NET_RXQ);
}

/* --- tx: guest -> TAP -------------------------------------------------- */

static void tx_process(struct virtio_net *n)
{
	struct vq *q = &n->vdev.vqs[NET_TXQ];
	struct vq_chain *c = &n->chain;
	unsigned int pushed = 0;
	int err;

	if (n->tx_throttled || !virtio_dev_queue_live(&n->vdev, NET_TXQ))
		return;
	while ((err = vq_pop(q, c)) == 0) {
		struct virtio_net_hdr_v1 h = { 0 };
		enum net_frame_err fe;
		uint32_t frame;
		int niov;
		ssize_t w;

		/* Copy the header out first: the guest cannot change what we checked. */
		vq_chain_read(c, 0, &h, sizeof(h));
		fe = net_tx_check(&h, c->rlen, &n->lim);
		if (fe != NET_FRAME_OK) {
			n->m.tx_malformed_frames++;
			log_warn_ratelimited(&n->vdev.rl, "%s: tx frame dropped (%u bytes): %s",
					     n->vdev.name, c->rlen, net_frame_err_str(fe));
			goto done;
		}
		frame = c->rlen - NET_HDR_LEN;
		if (rl_enabled(&n->tx_rl)) {
			uint64_t now = now_ns();

			if (!rl_consume(&n->tx_rl, frame, 1, now)) {
				vq_unpop(q);
				n->tx_throttled = true;
				n->m.tx_rate_limiter_throttled++;
				METRIC_INC(net, tx_rate_limiter_throttled);
				arm(n->tx_timer_fd, rl_wait_ns(&n->tx_rl, frame, 1, now));
				break;
			}
		}
		h.num_buffers = 0;
		n->iov[0].iov_base = &h;
		n->iov[0].iov_len = sizeof(h);
		niov = vq_chain_iov(c, false, NET_HDR_LEN, frame, n->iov + 1, NET_MAX_IOV - 1);
		if (niov < 0) {		/* cannot happen: rlen covers it and nbufs <= VQ_MAX_CHAIN */
			n->m.tx_malformed_frames++;
			goto done;
		}
		do {
			w = writev(n->tap_fd, n->iov, niov + 1);
		} while (w < 0 && errno == EINTR);
		if (w < 0) {
			/* The TAP is down or its queue is full: the frame is lost,
			 * as on a wire. */
			n->m.tx_fails++;
			n->m.tap_write_fails++;
			METRIC_INC(net, tx_fails);
			log_warn_ratelimited(&n->vdev.rl, "%s: TAP write of %u bytes: %s",
					     n->vdev.name, frame, strerror(errno));
		} else {
			n->m.tx_packets_count++;
			n->m.tx_bytes_count += frame;
			METRIC_INC(net, tx_packets_count);
			METRIC_ADD(net, tx_bytes_count, frame);
		}
done:
		if (vq_push(q, c->head, 0))
			break;
		pushed++;
	}
	if (err == -EINVAL) {
		n->m.event_fails++;
		METRIC_INC(net, event_fails);
		virtio_dev_queue_error(&n->vdev, NET_TXQ);
	}
	if (pushed)
		virtio_dev_notify_queue(&n->vdev, NET_TXQ);
}

static void net_queue_notify(void *dev, uint16_t qidx)
{
	struct virtio_net *n = dev;

	if (qidx == NET_RXQ) {
		n->m.rx_queue_event_count++;
		METRIC_INC(net, rx_queue_event_count);
		rx_process(n);
	} else {
		n->m.tx_queue_event_count++;
		METRIC_INC(net, tx_queue_event_count);
		tx_process(n);
		/* Replies to what was just sent may already wait on the TAP. */
		rx_process(n);
	}
}

static void on_tap(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	(void)events;
	pthread_mutex_lock(&n->vdev.lock);
	n->m.rx_tap_event_count++;
	n->tap_readable = true;
	rx_process(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

/* A direction's rate-limiter timer fired: consume it, then resume that
 * direction if it was held back by its bucket. */
static void on_limiter_timer(struct virtio_net *n, int timer_fd, bool *throttled,
			     uint64_t *resumed, void (*process)(struct virtio_net *n))
{
	uint64_t v;

	if (read(timer_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&n->vdev.lock);
	if (*throttled) {
		*throttled = false;
		(*resumed)++;
		process(n);
	}
	pthread_mutex_unlock(&n->vdev.lock);
}

static void on_rx_timer(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	(void)events;
	on_limiter_timer(n, n->rx_timer_fd, &n->rx_throttled, &n->m.rx_event_rate_limiter_count,
			 rx_process);
}

static void on_tx_timer(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	(void)events;
	on_limiter_timer(n, n->tx_timer_fd, &n->tx_throttled, &n->m.tx_rate_limiter_event_count,
			 tx_process);
}

static void net_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->rx_throttled = n->tx_throttled = false;
	if (n->rx_timer_fd >= 0)
		arm(n->rx_timer_fd, 0);
	if (n->tx_timer_fd >= 0)
		arm(n->tx_timer_fd, 0);
	/* The held frame belongs to no buffer yet: a reset drops it, as a link flap would. */
	n->rx_have_frame = false;
	if (n->tap_fd >= 0 && set_offloads(n, 0))
		log_debug("%s: clearing offloads failed", n->vdev.name);
}

static const struct virtio_dev_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.max_queue_size = NET_QUEUE_SIZE,
	.config_size = NET_CONFIG_SIZE,
	.features = net_features,
	.config_read = net_config_read,
	/* config_write NULL: the MAC and the rest are read-only to the guest. */
	.activate = net_activate,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};

/* Open and configure the TAP; 0 or -errno with *why set. */
static int tap_open(struct virtio_net *n, char *why, size_t why_len)
{
	struct ifreq ifr;
	unsigned int features = 0;
	int hdr = NET_HDR_LEN, e;

	n->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->tap_fd < 0) {
		e = errno;
		snprintf(why, why_len, "net '%s': cannot open /dev/net/tun: %s", n->id,
			 strerror(e));
		return -e;
	}
	if (ioctl(n->tap_fd, TUNGETFEATURES, &features) < 0 || !(features & IFF_VNET_HDR)) {
		snprintf(why, why_len, "net '%s': /dev/net/tun lacks IFF_VNET_HDR", n->id);
		return -ENOTSUP;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->tap_name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(n->tap_fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		snprintf(why, why_len, "net '%s': cannot attach to TAP '%s': %s%s", n->id,
			 n->tap_name, strerror(e),
			 e == EBUSY ? " (in use by another process)" :
			 e == EINVAL ? " (not a TAP device)" :
			 e == EPERM ? " (create it first: ip tuntap add dev NAME mode tap)" : "");
		return -e;
	}
	if (ioctl(n->tap_fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		e = errno;
		snprintf(why, why_len, "net '%s': TUNSETVNETHDRSZ: %s", n->id, strerror(e));
		return -e;
	}
	/* UFO is refused by some kernels: offer it only when the TAP takes it. */
	n->tap_ufo = set_offloads(n, TUN_F_CSUM | TUN_F_UFO) == 0;
	e = -set_offloads(n, 0);
	if (e) {
		snprintf(why, why_len, "net '%s': TUNSETOFFLOAD: %s", n->id, strerror(e));
		return -e;
	}
	return 0;
}

static void build_config(struct virtio_net *n, const uint8_t mac[6])
{
	uint16_t status = htole16(VIRTIO_NET_S_LINK_UP), pairs = htole16(1);
	uint16_t mtu = htole16((uint16_t)n->mtu);

	memcpy(n->config, mac, 6);
	memcpy(n->config + 6, &status, 2);
	memcpy(n->config + 8, &pairs, 2);
	memcpy(n->config + 10, &mtu, 2);
}

/* --- updates from the API (PATCH /network-interfaces/{id}) ------------- */

void virtio_net_update_rate_limiters(struct virtio_net *n, const struct rate_limiter_cfg *rx,
				     const struct rate_limiter_cfg *tx)
{
	uint64_t now = now_ns();

	pthread_mutex_lock(&n->vdev.lock);
	/* New buckets start full; a parked direction is re-checked at once. */
	if (rx) {
		rl_init(&n->rx_rl, rx, now);
		arm(n->rx_timer_fd, 0);
		if (n->rx_throttled) {
			n->rx_throttled = false;
			rx_process(n);
		}
	}
	if (tx) {
		rl_init(&n->tx_rl, tx, now);
		arm(n->tx_timer_fd, 0);
		if (n->tx_throttled) {
			n->tx_throttled = false;
			tx_process(n);
		}
	}
	pthread_mutex_unlock(&n->vdev.lock);
}

#define FAIL(...) do { snprintf(why, why_len, __VA_ARGS__); goto fail; } while (0)

int virtio_net_create(struct vm *vm, const struct net_cfg *cfg, struct virtio_net **out,
		      char *why, size_t why_len)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	char name[VIRTIO_NAME_MAX], seed[CONFIG_ID_MAX + 40];
	uint8_t mac[6];
	int err;

	*out = n;
	if (!n) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	n->tap_fd = n->rx_timer_fd = n->tx_timer_fd = -1;
	snprintf(n->id, sizeof(n->id), "%s", cfg->id);
	snprintf(n->tap_name, sizeof(n->tap_name), "%s", cfg->host_dev_name);
	n->mtu = cfg->mtu ? cfg->mtu : NET_DEFAULT_MTU;
	if (cfg->has_mac) {
		memcpy(mac, cfg->mac, 6);
	} else {
		snprintf(seed, sizeof(seed), "%s/%s", cfg->id, cfg->host_dev_name);
		net_mac_generate(seed, mac);
	}
	build_config(n, mac);
	n->rx_buf = malloc(RX_BUF_SIZE);
	if (!n->rx_buf) {
		err = -ENOMEM;
		FAIL("out of memory");
	}
	err = tap_open(n, why, why_len);
	if (err)
		goto fail;
	rl_init(&n->rx_rl, &cfg->rx_rate_limiter, now_ns());
	rl_init(&n->tx_rl, &cfg->tx_rate_limiter, now_ns());
	n->rx_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	n->tx_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->rx_timer_fd < 0 || n->tx_timer_fd < 0) {
		err = -errno;
		FAIL("net '%s': timerfd: %s", cfg->id, strerror(errno));
	}
	snprintf(name, sizeof(name), "net:%s", cfg->id);
	err = virtio_dev_init(&n->vdev, &net_ops, n, name, &vm->mem, &vm->loop, vm->vm_fd);
	if (err)
		FAIL("net '%s': %s", cfg->id, strerror(-err));
	/* Edge-triggered: rx_process reads until EAGAIN or until the guest has
	 * no buffer, and then waits for the rx kick instead of spinning. */
	err = loop_add_fd(&vm->loop, n->tap_fd, EPOLLIN | EPOLLET, on_tap, n);
	if (err)
		FAIL("net '%s': event loop: %s", cfg->id, strerror(-err));
	n->tap_on_loop = true;
	err = loop_add_fd(&vm->loop, n->rx_timer_fd, EPOLLIN, on_rx_timer, n);
	if (err)
		FAIL("net '%s': event loop: %s", cfg->id, strerror(-err));
	n->rx_timer_on_loop = true;
	err = loop_add_fd(&vm->loop, n->tx_timer_fd, EPOLLIN, on_tx_timer, n);
	if (err)
		FAIL("net '%s': event loop: %s", cfg->id, strerror(-err));
	n->tx_timer_on_loop = true;
	return 0;
fail:
	return err ? err : -EIO;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	if (n->tap_on_loop)
		loop_del_fd(n->vdev.loop, n->tap_fd);
	if (n->rx_timer_on_loop)
		loop_del_fd(n->vdev.loop, n->rx_timer_fd);
	if (n->tx_timer_on_loop)
		loop_del_fd(n->vdev.loop, n->tx_timer_fd);
	virtio_dev_destroy(&n->vdev);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	if (n->rx_timer_fd >= 0)
		close(n->rx_timer_fd);
	if (n->tx_timer_fd >= 0)
		close(n->tx_timer_fd);
	free(n->rx_buf);
	free(n);
}
