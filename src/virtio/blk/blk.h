/* SPDX-License-Identifier: MIT */
/* virtio/blk/blk.h: virtio-blk over a raw image file, sync or io_uring engine (spec 5.2). */
#ifndef EMBER_VIRTIO_BLK_H
#define EMBER_VIRTIO_BLK_H

#include <liburing.h>
#include "core/config.h"
#include "util/ratelimiter.h"
#include "virtio/blk/blk_req.h"
#include "virtio/device.h"

#define BLK_QUEUE_SIZE		256
#define BLK_CONFIG_SIZE		60	/* through write_zeroes_may_unmap + padding */
#define BLK_MAX_DWZ_SECTORS	0x400000u	/* 2 GiB per discard/write-zeroes */

/* Per-device counters; names follow Firecracker's BlockDeviceMetrics. */
struct blk_metrics {
	uint64_t activate_fails;
	uint64_t event_fails;		/* malformed chains (device then needs reset) */
	uint64_t execute_fails;		/* backend errors → IOERR */
	uint64_t invalid_reqs_count;	/* rejected by the parser (IOERR/UNSUPP/no status) */
	uint64_t flush_count;
	uint64_t queue_event_count;
	uint64_t rate_limiter_event_count;	/* timer resumed a throttled queue */
	uint64_t rate_limiter_throttled_events;
	uint64_t read_bytes, write_bytes;
	uint64_t read_count, write_count;
	uint64_t discard_count, write_zeroes_count;
	uint64_t io_engine_throttled_events;	/* every io_uring slot busy */
};

/* A request handed to io_uring; slot index == descriptor head. */
struct blk_inflight {
	bool busy;
	uint32_t type;
	uint8_t *status_hva;
	uint64_t offset;
	uint64_t len;
	uint32_t niov;
	struct iovec iov[BLK_MAX_SEGS];
};

struct virtio_blk {
	struct virtio_dev vdev;
	char id[CONFIG_ID_MAX + 1];
	char serial[VIRTIO_BLK_ID_BYTES];
	int fd;
	uint64_t capacity;		/* sectors */
	bool read_only;
	bool flush;			/* VIRTIO_BLK_F_FLUSH offered (cache=writeback) */
	enum io_engine engine;
	uint8_t config[BLK_CONFIG_SIZE];
	struct blk_limits lim;

	struct rate_limiter rl;
	int timer_fd;
	bool timer_on_loop;
	bool throttled;			/* queue parked until the timer fires */

	struct io_uring ring;
	bool ring_init;
	int ring_efd;
	bool ring_efd_on_loop;
	struct blk_inflight *inflight;	/* BLK_QUEUE_SIZE slots */
	uint32_t n_inflight;
	bool slots_full;		/* stopped popping: wait for completions */

	struct blk_metrics m;
	struct vq_chain chain;		/* scratch, too big for the stack */
	struct blk_req req;
};

/*
 * Open cfg->path (read-only when cfg->read_only) and build the device; the
 * caller attaches it to a slot with virtio_dev_attach(&(*out)->vdev, ...).
 * Uses vm->mem, vm->loop and vm->vm_fd only.  On error *out may hold a
 * partial object for virtio_blk_destroy(); *why gets one line.
 */
int virtio_blk_create(struct vm *vm, const struct drive_cfg *cfg, struct virtio_blk **out,
		      char *why, size_t why_len) __must_check;
void virtio_blk_destroy(struct virtio_blk *b);

/*
 * PATCH /drives/{id} after boot, on the event-loop thread.  `path` (or NULL)
 * replaces the backing file: it is opened with the drive's access mode and
 * must be a regular file or block device; requests in flight on the old file
 * complete first, then the capacity in config space changes and a
 * configuration interrupt tells the driver.  `rl` (or NULL) replaces the
 * rate limiter: full buckets, and a throttled queue is re-checked at once.
 * On error nothing has changed: -errno and one line in *why.
 */
int virtio_blk_update(struct virtio_blk *b, const char *path, const struct rate_limiter_cfg *rl,
		      char *why, size_t why_len) __must_check;

#endif
