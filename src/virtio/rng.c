/* SPDX-License-Identifier: MIT */
/* virtio/rng.c: virtio-rng: fills device-writable buffers from getrandom(2), rate limited. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/vm.h"
#include "virtio/rng.h"

static void rng_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev; (void)off; (void)buf; (void)len;	/* no config space */
}

static int rng_activate(void *dev, uint64_t acked)
{
	struct virtio_rng *r = dev;

	(void)acked;
	r->throttled = false;
	return 0;
}

/* Fill the writable buffers of c with up to `max` random bytes. */
static int fill(struct virtio_rng *r, const struct vq_chain *c, uint32_t max, uint32_t *written)
{
	uint32_t done = 0;

	for (unsigned int i = c->nread; i < c->nbufs && done < max; i++) {
		uint32_t want = MIN(c->buf[i].len, max - done), got = 0;

		while (got < want) {
			ssize_t n = getrandom((uint8_t *)c->buf[i].hva + got, want - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r->m.host_rng_fails++;
				*written = done + got;
				return -EIO;
			}
			got += (uint32_t)n;
		}
		done += got;
	}
	*written = done;
	return 0;
}

static void process(struct virtio_rng *r)
{
	struct vq *q = &r->vdev.vqs[0];
	unsigned int pushed = 0;
	int err;

	if (r->throttled || !virtio_dev_queue_live(&r->vdev, 0))
		return;
	while ((err = vq_pop(q, &r->chain)) == 0) {
		uint32_t want = MIN(r->chain.wlen, RNG_MAX_REQUEST), written = 0;

		if (rl_enabled(&r->rl)) {
			uint64_t now = now_ns();

			if (!rl_consume(&r->rl, want, 1, now)) {
				struct itimerspec its = { 0 };
				uint64_t ns = rl_wait_ns(&r->rl, want, 1, now);

				vq_unpop(q);
				r->throttled = true;
				r->m.entropy_rate_limiter_throttled++;
				its.it_value.tv_sec = (time_t)(ns / 1000000000u);
				its.it_value.tv_nsec = (long)(ns % 1000000000u);
				timerfd_settime(r->timer_fd, 0, &its, NULL);
				break;
			}
		}
		if (fill(r, &r->chain, want, &written))
			log_warn_ratelimited(&r->vdev.rl, "%s: getrandom failed", r->vdev.name);
		r->m.entropy_bytes += written;
		if (vq_push(q, r->chain.head, written))
			break;
		pushed++;
	}
	if (err == -EINVAL) {
		r->m.event_fails++;
		virtio_dev_queue_error(&r->vdev, 0);
	}
	if (pushed)
		virtio_dev_notify_queue(&r->vdev, 0);
}

static void rng_queue_notify(void *dev, uint16_t qidx)
{
	struct virtio_rng *r = dev;

	(void)qidx;
	r->m.entropy_event_count++;
	process(r);
}

static void rng_reset(void *dev)
{
	struct virtio_rng *r = dev;
	struct itimerspec off = { 0 };

	r->throttled = false;
	if (r->timer_fd >= 0)
		timerfd_settime(r->timer_fd, 0, &off, NULL);
}

static void on_timer(void *opaque, uint32_t events)
{
	struct virtio_rng *r = opaque;
	uint64_t v;

	(void)events;
	if (read(r->timer_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&r->vdev.lock);
	if (r->throttled) {
		r->throttled = false;
		r->m.rate_limiter_event_count++;
		process(r);
	}
	pthread_mutex_unlock(&r->vdev.lock);
}

static const struct virtio_dev_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.max_queue_size = RNG_QUEUE_SIZE,
	.config_size = 0,
	.config_read = rng_config_read,
	.activate = rng_activate,
	.queue_notify = rng_queue_notify,
	.reset = rng_reset,
};

int virtio_rng_create(struct vm *vm, const struct entropy_cfg *cfg, struct virtio_rng **out,
		      char *why, size_t why_len)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int err;

	*out = r;
	if (!r) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer_fd < 0) {
		snprintf(why, why_len, "rng: timerfd: %s", strerror(errno));
		return -errno;
	}
	rl_init(&r->rl, &cfg->rate_limiter, now_ns());
	err = virtio_dev_init(&r->vdev, &rng_ops, r, "rng", &vm->mem, &vm->loop, vm->vm_fd);
	if (!err) {
		err = loop_add_fd(&vm->loop, r->timer_fd, EPOLLIN, on_timer, r);
		r->timer_on_loop = !err;
	}
	if (err)
		snprintf(why, why_len, "rng: %s", strerror(-err));
	return err;
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	if (!r)
		return;
	if (r->timer_on_loop)
		loop_del_fd(r->vdev.loop, r->timer_fd);
	virtio_dev_destroy(&r->vdev);
	if (r->timer_fd > 0)
		close(r->timer_fd);
	free(r);
}
