/* SPDX-License-Identifier: MIT */
/* virtio/blk/blk.c: virtio-blk device: config space, request flow, sync and io_uring engines. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "core/vm.h"
#include "snapshot/format.h"
#include "virtio/blk/blk.h"

static void put_le32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void put_le64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

static uint64_t blk_features(void *dev)
{
	struct virtio_blk *b = dev;
	uint64_t f = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX);

	if (b->read_only)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		f |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	if (b->flush)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	return f;
}

static void build_config(struct virtio_blk *b)
{
	uint8_t *c = b->config;

	memset(c, 0, sizeof(b->config));
	put_le64(c + 0, b->capacity);
	put_le32(c + 12, BLK_MAX_SEGS);			/* seg_max */
	put_le32(c + 36, BLK_MAX_DWZ_SECTORS);		/* max_discard_sectors */
	put_le32(c + 40, 1);				/* max_discard_seg */
	put_le32(c + 44, 8);				/* discard_sector_alignment: 4 KiB */
	put_le32(c + 48, BLK_MAX_DWZ_SECTORS);		/* max_write_zeroes_sectors */
	put_le32(c + 52, 1);				/* max_write_zeroes_seg */
	c[56] = 1;					/* write_zeroes_may_unmap */
}

static void blk_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_blk *b = dev;

	memcpy(buf, b->config + off, len);
}

static int blk_activate(void *dev, uint64_t acked)
{
	struct virtio_blk *b = dev;

	b->lim.capacity = b->capacity;
	b->lim.read_only = b->read_only;
	b->lim.discard = acked & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD);
	b->lim.write_zeroes = acked & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	b->lim.max_discard_sectors = BLK_MAX_DWZ_SECTORS;
	b->lim.max_write_zeroes_sectors = BLK_MAX_DWZ_SECTORS;
	b->throttled = false;
	b->slots_full = false;
	return 0;
}

/* --- sync engine ------------------------------------------------------- */

/* preadv/pwritev the whole iovec at `off`, looping on short transfers. */
static int rw_full(int fd, const struct iovec *iov_in, uint32_t niov, uint64_t off, bool write)
{
	struct iovec iov[BLK_MAX_SEGS];
	uint32_t first = 0;

	memcpy(iov, iov_in, niov * sizeof(iov[0]));
	while (first < niov) {
		ssize_t n = write ? pwritev(fd, iov + first, (int)(niov - first), (off_t)off)
				  : preadv(fd, iov + first, (int)(niov - first), (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;	/* the image shrank under us */
		off += (uint64_t)n;
		while (first < niov && (size_t)n >= iov[first].iov_len) {
			n -= (ssize_t)iov[first].iov_len;
			first++;
		}
		if (first < niov) {
			iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
			iov[first].iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int write_zeroes_slow(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[65536];

	while (len) {
		size_t n = (size_t)MIN(len, sizeof(zero));
		ssize_t w = pwrite(fd, zero, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* Result of a discard/write-zeroes fallocate, with the fallbacks applied. */
static int dwz_result(struct virtio_blk *b, uint32_t type, uint64_t off, uint64_t len, int err)
{
	if (!err)
		return 0;
	if (type == VIRTIO_BLK_T_DISCARD && (err == -EOPNOTSUPP || err == -ENOSYS))
		return 0;	/* discard is a hint */
	if (type == VIRTIO_BLK_T_WRITE_ZEROES && (err == -EOPNOTSUPP || err == -ENOSYS))
		return write_zeroes_slow(b->fd, off, len);
	return err;
}

static int dwz_mode(const struct blk_req *r)
{
	if (r->type == VIRTIO_BLK_T_DISCARD || r->unmap)
		return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

static int exec_sync(struct virtio_blk *b, const struct blk_req *r)
{
	int err;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		return rw_full(b->fd, r->iov, r->niov, r->offset, false);
	case VIRTIO_BLK_T_OUT:
		return rw_full(b->fd, r->iov, r->niov, r->offset, true);
	case VIRTIO_BLK_T_FLUSH:
		/* Completes only once the data is durable. */
		if (b->flush && fdatasync(b->fd) < 0)
			return -errno;
		return 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		err = fallocate(b->fd, dwz_mode(r), (off_t)r->offset, (off_t)r->len) < 0 ? -errno : 0;
		return dwz_result(b, r->type, r->offset, r->len, err);
	default:
		return -EINVAL;
	}
}

static void count_done(struct virtio_blk *b, uint32_t type, uint64_t len, int err)
{
	if (err) {
		b->m.execute_fails++;
		return;
	}
	switch (type) {
	case VIRTIO_BLK_T_IN: b->m.read_count++; b->m.read_bytes += len; break;
	case VIRTIO_BLK_T_OUT: b->m.write_count++; b->m.write_bytes += len; break;
	case VIRTIO_BLK_T_FLUSH: b->m.flush_count++; break;
	case VIRTIO_BLK_T_DISCARD: b->m.discard_count++; break;
	case VIRTIO_BLK_T_WRITE_ZEROES: b->m.write_zeroes_count++; break;
	default: break;
	}
}

/* Write the status byte and return the chain; `written` counts it. */
static void complete(struct virtio_blk *b, uint16_t head, uint8_t *status_hva, uint8_t status,
		     uint32_t written)
{
	if (status_hva)
		*(volatile uint8_t *)status_hva = status;
	if (vq_push(&b->vdev.vqs[0], head, written))
		log_error("%s: vq_push of head %u failed", b->vdev.name, head);
}

/* --- io_uring engine --------------------------------------------------- */

static int submit_async(struct virtio_blk *b, uint16_t head, const struct blk_req *r)
{
	struct blk_inflight *s = &b->inflight[head];
	struct io_uring_sqe *sqe;

	sqe = io_uring_get_sqe(&b->ring);
	if (!sqe) {
		io_uring_submit(&b->ring);
		sqe = io_uring_get_sqe(&b->ring);
		if (!sqe)
			return -EBUSY;
	}
	s->busy = true;
	s->type = r->type;
	s->status_hva = r->status_hva;
	s->offset = r->offset;
	s->len = r->len;
	s->niov = r->niov;
	memcpy(s->iov, r->iov, r->niov * sizeof(s->iov[0]));
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		io_uring_prep_readv(sqe, b->fd, s->iov, s->niov, r->offset);
		break;
	case VIRTIO_BLK_T_OUT:
		io_uring_prep_writev(sqe, b->fd, s->iov, s->niov, r->offset);
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (b->flush)
			io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
		else
			io_uring_prep_nop(sqe);
		break;
	default:	/* DISCARD, WRITE_ZEROES */
		io_uring_prep_fallocate(sqe, b->fd, dwz_mode(r), r->offset, r->len);
		break;
	}
	io_uring_sqe_set_data64(sqe, head);
	b->n_inflight++;
	return 0;
}

/* Reap completions; returns how many chains went back to the guest. */
static unsigned int reap(struct virtio_blk *b, bool push)
{
	struct io_uring_cqe *cqe;
	unsigned int n = 0;

	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		uint64_t head = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		struct blk_inflight *s;
		int err = 0;

		io_uring_cqe_seen(&b->ring, cqe);
		if (head >= BLK_QUEUE_SIZE || !b->inflight[head].busy)
			continue;	/* not ours: cannot happen */
		s = &b->inflight[head];
		s->busy = false;
		b->n_inflight--;
		if (s->type == VIRTIO_BLK_T_IN || s->type == VIRTIO_BLK_T_OUT)
			err = res < 0 ? res : ((uint64_t)res != s->len ? -EIO : 0);
		else if (s->type == VIRTIO_BLK_T_DISCARD || s->type == VIRTIO_BLK_T_WRITE_ZEROES)
			err = dwz_result(b, s->type, s->offset, s->len,
					 res < 0 ? res : 0);
		else
			err = res < 0 ? res : 0;
		count_done(b, s->type, s->len, err);
		if (push)
			complete(b, (uint16_t)head, s->status_hva,
				 err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK,
				 1 + (s->type == VIRTIO_BLK_T_IN && !err ? (uint32_t)s->len : 0));
		n++;
	}
	return n;
}

/* --- request flow ------------------------------------------------------ */

static void throttle(struct virtio_blk *b, uint64_t ns)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
						.tv_nsec = (long)(ns % 1000000000u) } };

	b->throttled = true;
	b->m.rate_limiter_throttled_events++;
	if (timerfd_settime(b->timer_fd, 0, &its, NULL) < 0)
		log_error("%s: timerfd: %s", b->vdev.name, strerror(errno));
}

static void process_queue(struct virtio_blk *b)
{
	struct vq *q = &b->vdev.vqs[0];
	struct blk_req *r = &b->req;
	bool async = b->engine == IO_ENGINE_ASYNC;
	unsigned int pushed = 0, submitted = 0;
	int err;

	if (b->throttled || !virtio_dev_queue_live(&b->vdev, 0))
		return;
	for (;;) {
		uint16_t head;

		if (async && b->n_inflight >= q->size) {
			b->slots_full = true;
			b->m.io_engine_throttled_events++;
			break;
		}
		err = vq_pop(q, &b->chain);
		if (err == -EAGAIN)
			break;
		if (err) {
			b->m.event_fails++;
			virtio_dev_queue_error(&b->vdev, 0);
			break;
		}
		head = b->chain.head;
		if (blk_req_parse(&b->chain, &b->lim, r)) {
			/* No status byte to report through: give the chain back empty. */
			b->m.invalid_reqs_count++;
			log_warn_ratelimited(&b->vdev.rl, "%s: request without header or status "
					     "byte (head %u)", b->vdev.name, head);
			complete(b, head, NULL, 0, 0);
			pushed++;
			continue;
		}
		if (r->status != VIRTIO_BLK_S_OK) {
			b->m.invalid_reqs_count++;
			complete(b, head, r->status_hva, r->status, 1);
			pushed++;
			continue;
		}
		if (rl_enabled(&b->rl)) {
			uint64_t bytes = (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT)
						 ? r->len : 0;
			uint64_t now = now_ns();

			if (!rl_consume(&b->rl, bytes, 1, now)) {
				vq_unpop(q);
				throttle(b, rl_wait_ns(&b->rl, bytes, 1, now));
				break;
			}
		}
		if (r->type == VIRTIO_BLK_T_GET_ID) {
			uint32_t n = 0;

			for (uint32_t i = 0; i < r->niov && n < r->len; i++) {
				uint32_t k = (uint32_t)MIN(r->iov[i].iov_len, r->len - n);

				memcpy(r->iov[i].iov_base, b->serial + n, k);
				n += k;
			}
			complete(b, head, r->status_hva, VIRTIO_BLK_S_OK, n + 1);
			pushed++;
			continue;
		}
		if (async) {
			if (b->inflight[head].busy) {
				/* The driver reused a descriptor we have not returned. */
				b->m.event_fails++;
				virtio_dev_needs_reset(&b->vdev, "descriptor head reused while in flight");
				break;
			}
			err = submit_async(b, head, r);
			if (!err) {
				submitted++;
				continue;
			}
			/* Ring full despite the slot cap: run it synchronously. */
		}
		err = exec_sync(b, r);
		count_done(b, r->type, r->len, err);
		if (err)
			log_warn_ratelimited(&b->vdev.rl, "%s: I/O error at offset %llu: %s",
					     b->vdev.name, (unsigned long long)r->offset,
					     strerror(-err));
		complete(b, head, r->status_hva, err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK,
			 1 + (r->type == VIRTIO_BLK_T_IN && !err ? (uint32_t)r->len : 0));
		pushed++;
	}
	if (submitted) {
		int n = io_uring_submit(&b->ring);

		if (n < 0)
			log_error("%s: io_uring_submit: %s", b->vdev.name, strerror(-n));
	}
	if (pushed)
		virtio_dev_notify_queue(&b->vdev, 0);
}

static void blk_queue_notify(void *dev, uint16_t qidx)
{
	struct virtio_blk *b = dev;

	(void)qidx;
	b->m.queue_event_count++;
	process_queue(b);
}

static void on_timer(void *opaque, uint32_t events)
{
	struct virtio_blk *b = opaque;
	uint64_t v;

	(void)events;
	if (read(b->timer_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&b->vdev.lock);
	if (b->throttled) {
		b->throttled = false;
		b->m.rate_limiter_event_count++;
		process_queue(b);
	}
	pthread_mutex_unlock(&b->vdev.lock);
}

static void on_uring(void *opaque, uint32_t events)
{
	struct virtio_blk *b = opaque;
	uint64_t v;

	(void)events;
	if (read(b->ring_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&b->vdev.lock);
	if (reap(b, true))
		virtio_dev_notify_queue(&b->vdev, 0);
	if (b->slots_full && b->n_inflight < b->vdev.vqs[0].size) {
		b->slots_full = false;
		process_queue(b);
	}
	pthread_mutex_unlock(&b->vdev.lock);
}

static void blk_reset(void *dev)
{
	struct virtio_blk *b = dev;
	struct itimerspec off = { 0 };

	/* In-flight I/O still targets the old buffers: wait for it, return nothing. */
	while (b->ring_init && b->n_inflight) {
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe(&b->ring, &cqe) < 0)
			break;
		reap(b, false);
	}
	b->throttled = false;
	b->slots_full = false;
	if (b->timer_fd >= 0)
		timerfd_settime(b->timer_fd, 0, &off, NULL);
}

/* Snapshot: complete every in-flight io_uring request to the guest, so the
 * captured rings and memory hold its results (the VM is paused). */
static void blk_quiesce(void *dev)
{
	struct virtio_blk *b = dev;
	unsigned int n = 0;

	while (b->ring_init && b->n_inflight) {
		struct io_uring_cqe *cqe;
		int err = io_uring_wait_cqe(&b->ring, &cqe);

		if (err == -EINTR)
			continue;
		if (err < 0) {
			log_error("%s: waiting for in-flight I/O: %s", b->vdev.name, strerror(-err));
			break;
		}
		n += reap(b, true);
	}
	if (n)
		virtio_dev_notify_queue(&b->vdev, 0);
}

enum { BLK_SNAP_CAPACITY = 1 };

static void blk_save(void *dev, struct snap_writer *w)
{
	struct virtio_blk *b = dev;

	snap_put_u64(w, BLK_SNAP_CAPACITY, b->capacity);
}

static int blk_restore(void *dev, struct snap_reader *r)
{
	struct virtio_blk *b = dev;
	uint64_t cap;

	if (snap_require(r, BLK_SNAP_CAPACITY) || snap_get_u64(r, BLK_SNAP_CAPACITY, &cap))
		return -EINVAL;
	/* The guest sized its disk from the config space: a resized image would
	 * silently cut off or expose blocks. */
	if (cap != b->capacity)
		return snap_fail(r, "%s: the image has %llu sectors, the snapshot's had %llu",
				 b->vdev.name, (unsigned long long)b->capacity,
				 (unsigned long long)cap);
	return 0;
}

static const struct virtio_dev_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.max_queue_size = BLK_QUEUE_SIZE,
	.config_size = BLK_CONFIG_SIZE,
	.features = blk_features,
	.config_read = blk_config_read,
	.activate = blk_activate,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.quiesce = blk_quiesce,
	.save = blk_save,
	.restore = blk_restore,
};

/* --- updates from the API (PATCH /drives/{id}) -------------------------- */

/* Open `path` as a backing file of this drive: same access mode, regular
 * file or block device.  The fd and its size in bytes, or -errno with *why. */
static int open_backing(const char *id, const char *path, bool read_only, int *fd_out,
			uint64_t *size_out, char *why, size_t why_len)
{
	struct stat st;
	off_t size;
	int fd, err;

	/* Look before opening: opening a FIFO for reading would block the
	 * event loop until some writer came along. */
	if (stat(path, &st) == 0 && !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		snprintf(why, why_len, "drive '%s': '%s' is not a regular file or block device",
			 id, path);
		return -EINVAL;
	}
	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "drive '%s': cannot open '%s': %s", id, path,
			 strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		close(fd);
		snprintf(why, why_len, "drive '%s': '%s' is not a regular file or block device",
			 id, path);
		return -EINVAL;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		err = -errno;
		close(fd);
		snprintf(why, why_len, "drive '%s': cannot size '%s': %s", id, path,
			 strerror(-err));
		return err;
	}
	if (size % VIRTIO_BLK_SECTOR)
		log_warn("drive '%s': size %lld is not a multiple of 512; the last %lld bytes "
			 "are not visible to the guest", id, (long long)size,
			 (long long)(size % VIRTIO_BLK_SECTOR));
	*fd_out = fd;
	*size_out = (uint64_t)size;
	return 0;
}

int virtio_blk_update(struct virtio_blk *b, const char *path, const struct rate_limiter_cfg *rl,
		      char *why, size_t why_len)
{
	uint64_t size = 0;
	int fd = -1, err;

	/* Everything that can fail comes before anything changes. */
	if (path) {
		err = open_backing(b->id, path, b->read_only, &fd, &size, why, why_len);
		if (err)
			return err;
	}
	pthread_mutex_lock(&b->vdev.lock);
	if (path) {
		/* Requests on the old file finish there: reap io_uring completions
		 * (they go back to the guest as usual) before the fd changes.  The
		 * sync engine has nothing in flight between two loop events. */
		while (b->ring_init && b->n_inflight) {
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(&b->ring, &cqe) < 0)
				break;
			if (reap(b, true))
				virtio_dev_notify_queue(&b->vdev, 0);
		}
		/* Whatever the guest wrote reaches the old file before we let go. */
		if (!b->read_only && fdatasync(b->fd) < 0)
			log_warn("%s: fdatasync of the old backing file: %s", b->vdev.name,
				 strerror(errno));
		close(b->fd);
		b->fd = fd;
		b->capacity = size / VIRTIO_BLK_SECTOR;
		b->lim.capacity = b->capacity;
		build_config(b);
		/* ConfigGeneration moves and, once the driver runs, a configuration
		 * interrupt tells it to re-read the capacity. */
		virtio_dev_config_changed(&b->vdev);
		log_info("%s: backing file is now '%s' (%llu sectors)", b->vdev.name, path,
			 (unsigned long long)b->capacity);
	}
	if (rl) {
		struct itimerspec off = { 0 };

		/* New buckets, full; a parked queue is re-checked against them now. */
		rl_init(&b->rl, rl, now_ns());
		if (b->timer_fd >= 0)
			timerfd_settime(b->timer_fd, 0, &off, NULL);
		if (b->throttled) {
			b->throttled = false;
			process_queue(b);
		}
	}
	if (b->slots_full && b->n_inflight < b->vdev.vqs[0].size) {
		b->slots_full = false;
		process_queue(b);
	}
	pthread_mutex_unlock(&b->vdev.lock);
	return 0;
}

#define FAIL(...) do { snprintf(why, why_len, __VA_ARGS__); goto fail; } while (0)

int virtio_blk_create(struct vm *vm, const struct drive_cfg *cfg, struct virtio_blk **out,
		      char *why, size_t why_len)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	char name[VIRTIO_NAME_MAX];
	struct stat st;
	off_t size;
	int err;

	*out = b;
	if (!b) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	b->fd = b->timer_fd = b->ring_efd = -1;
	snprintf(b->id, sizeof(b->id), "%s", cfg->id);
	/* GET_ID: the drive id, NUL-padded to 20 bytes (not NUL-terminated when full). */
	memcpy(b->serial, b->id, MIN(strlen(b->id), sizeof(b->serial)));
	b->read_only = cfg->read_only;
	b->flush = cfg->cache_type == CACHE_WRITEBACK;
	b->engine = cfg->io_engine;
	b->fd = open(cfg->path, (cfg->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		err = -errno;
		FAIL("drive '%s': cannot open '%s': %s", cfg->id, cfg->path, strerror(errno));
	}
	if (fstat(b->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		err = -EINVAL;
		FAIL("drive '%s': '%s' is not a regular file or block device", cfg->id, cfg->path);
	}
	size = lseek(b->fd, 0, SEEK_END);
	if (size < 0) {
		err = -errno;
		FAIL("drive '%s': cannot size '%s': %s", cfg->id, cfg->path, strerror(errno));
	}
	if (size % VIRTIO_BLK_SECTOR)
		log_warn("drive '%s': size %lld is not a multiple of 512; the last %lld bytes "
			 "are not visible to the guest", cfg->id, (long long)size,
			 (long long)(size % VIRTIO_BLK_SECTOR));
	b->capacity = (uint64_t)size / VIRTIO_BLK_SECTOR;
	build_config(b);
	rl_init(&b->rl, &cfg->rate_limiter, now_ns());
	b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->timer_fd < 0) {
		err = -errno;
		FAIL("drive '%s': timerfd: %s", cfg->id, strerror(errno));
	}
	if (b->engine == IO_ENGINE_ASYNC) {
		b->inflight = calloc(BLK_QUEUE_SIZE, sizeof(*b->inflight));
		if (!b->inflight) {
			err = -ENOMEM;
			FAIL("out of memory");
		}
		err = io_uring_queue_init(BLK_QUEUE_SIZE, &b->ring, 0);
		if (err)
			FAIL("drive '%s': io_uring setup failed: %s (use io_engine Sync)", cfg->id,
			     strerror(-err));
		b->ring_init = true;
		b->ring_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (b->ring_efd < 0) {
			err = -errno;
			FAIL("drive '%s': eventfd: %s", cfg->id, strerror(errno));
		}
		/* Completions come back on the event loop through this eventfd. */
		err = io_uring_register_eventfd(&b->ring, b->ring_efd);
		if (err)
			FAIL("drive '%s': io_uring eventfd: %s", cfg->id, strerror(-err));
	}
	snprintf(name, sizeof(name), "blk:%s", cfg->id);
	err = virtio_dev_init(&b->vdev, &blk_ops, b, name, &vm->mem, &vm->loop, vm->vm_fd);
	if (err)
		FAIL("drive '%s': %s", cfg->id, strerror(-err));
	err = loop_add_fd(&vm->loop, b->timer_fd, EPOLLIN, on_timer, b);
	if (err)
		FAIL("drive '%s': event loop: %s", cfg->id, strerror(-err));
	b->timer_on_loop = true;
	if (b->ring_init) {
		err = loop_add_fd(&vm->loop, b->ring_efd, EPOLLIN, on_uring, b);
		if (err)
			FAIL("drive '%s': event loop: %s", cfg->id, strerror(-err));
		b->ring_efd_on_loop = true;
	}
	return 0;
fail:
	return err ? err : -EIO;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	if (b->vdev.lock_init) {
		pthread_mutex_lock(&b->vdev.lock);
		blk_reset(b);
		pthread_mutex_unlock(&b->vdev.lock);
	}
	if (b->timer_on_loop)
		loop_del_fd(b->vdev.loop, b->timer_fd);
	if (b->ring_efd_on_loop)
		loop_del_fd(b->vdev.loop, b->ring_efd);
	virtio_dev_destroy(&b->vdev);
	if (b->ring_init)
		io_uring_queue_exit(&b->ring);
	if (b->ring_efd >= 0)
		close(b->ring_efd);
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	if (b->fd >= 0)
		close(b->fd);
	free(b->inflight);
	free(b);
}
