/* SPDX-License-Identifier: MIT */
/* virtio/rng.h: virtio-rng entropy device backed by getrandom(2) (spec 5.4). */
#ifndef EMBER_VIRTIO_RNG_H
#define EMBER_VIRTIO_RNG_H

#include "core/config.h"
#include "util/ratelimiter.h"
#include "virtio/device.h"

#define RNG_QUEUE_SIZE		256
#define RNG_MAX_REQUEST		65536u	/* bytes filled per request (Firecracker's cap) */

/* Counters; names follow Firecracker's EntropyDeviceMetrics. */
struct rng_metrics {
	uint64_t entropy_event_count;
	uint64_t entropy_bytes;
	uint64_t host_rng_fails;
	uint64_t entropy_rate_limiter_throttled;
	uint64_t rate_limiter_event_count;
	uint64_t event_fails;
};

struct virtio_rng {
	struct virtio_dev vdev;
	struct rate_limiter rl;
	int timer_fd;
	bool timer_on_loop;
	bool throttled;
	struct rng_metrics m;
	struct vq_chain chain;
};

/* Build the device (attach with virtio_dev_attach).  *out may be partial on error. */
int virtio_rng_create(struct vm *vm, const struct entropy_cfg *cfg, struct virtio_rng **out,
		      char *why, size_t why_len) __must_check;
void virtio_rng_destroy(struct virtio_rng *r);

#endif
