/* SPDX-License-Identifier: MIT */
/* virtio/balloon.c: virtio-balloon: MADV_DONTNEED on inflated pages, stats polling by timerfd. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/vm.h"
#include "snapshot/format.h"
#include "virtio/balloon.h"

static uint64_t balloon_features(void *dev)
{
	struct virtio_balloon *b = dev;
	uint64_t f = 0;

	if (b->stats_interval_s)
		f |= VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ);
	if (b->deflate_on_oom)
		f |= VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
	return f;
}

static void balloon_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_balloon *b = dev;
	uint32_t cfg[2] = { htole32(b->num_pages), htole32(b->actual) };

	memcpy(buf, (uint8_t *)cfg + off, len);
}

/* Only `actual` (bytes 4..7) is driver-writable (spec 5.5.4). */
static void balloon_config_write(void *dev, uint32_t off, const void *buf, uint32_t len)
{
	struct virtio_balloon *b = dev;
	uint32_t cfg[2] = { htole32(b->num_pages), htole32(b->actual) };

	if (off < 4) {
		b->vdev.counters.bad_register++;
		return;
	}
	memcpy((uint8_t *)cfg + off, buf, len);
	b->actual = le32toh(cfg[1]);
}

static int balloon_activate(void *dev, uint64_t acked)
{
	struct virtio_balloon *b = dev;
	struct itimerspec its = { 0 };

	if ((acked & VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ)) && b->stats_interval_s) {
		its.it_value.tv_sec = b->stats_interval_s;
		its.it_interval.tv_sec = b->stats_interval_s;
	}
	b->stats_held = false;
	if (timerfd_settime(b->stats_timer_fd, 0, &its, NULL) < 0) {
		b->m.activate_fails++;
		return -errno;
	}
	return 0;
}

/* Give `n` contiguous guest pages from `pfn` back to the host. */
static void release(struct virtio_balloon *b, uint64_t pfn, uint64_t n)
{
	void *hva;

	if (pfn > UINT64_MAX / BALLOON_PAGE || n > UINT64_MAX / BALLOON_PAGE)
		goto bad;
	hva = gmem_ptr(b->vdev.mem, pfn * BALLOON_PAGE, n * BALLOON_PAGE);
	if (!hva)
		goto bad;
	/* Private anonymous memory: the pages read back as zero when touched. */
	if (madvise(hva, n * BALLOON_PAGE, MADV_DONTNEED) < 0)
		log_warn_ratelimited(&b->vdev.rl, "%s: madvise: %s", b->vdev.name, strerror(errno));
	/* The pages changed under the guest (zero, or the snapshot file's bytes):
	 * a diff snapshot must write them. */
	gmem_mark_dirty(b->vdev.mem, pfn * BALLOON_PAGE, n * BALLOON_PAGE);
	b->m.inflate_count += n;
	return;
bad:
	b->m.invalid_pfns += n;
	log_warn_ratelimited(&b->vdev.rl, "%s: PFN 0x%llx (+%llu) outside guest RAM ignored",
			     b->vdev.name, (unsigned long long)pfn, (unsigned long long)n);
}

static void inflate_chain(struct virtio_balloon *b, const struct vq_chain *c)
{
	uint64_t run_start = 0, run_len = 0;

	for (uint32_t off = 0; off + 4 <= c->rlen; off += 4) {
		uint32_t pfn;

		if (vq_chain_read(c, off, &pfn, 4) != 4)
			break;
		pfn = le32toh(pfn);
		if (run_len && pfn == run_start + run_len) {
			run_len++;
			continue;
		}
		if (run_len)
			release(b, run_start, run_len);
		run_start = pfn;
		run_len = 1;
	}
	if (run_len)
		release(b, run_start, run_len);
}

unsigned int balloon_parse_stats(const uint8_t *buf, uint32_t len, uint64_t *stats,
				 bool *valid, unsigned int nstats)
{
	unsigned int n = 0;

	for (uint32_t off = 0; len >= 10 && off <= len - 10; off += 10) {
		uint16_t tag;
		uint64_t v;

		memcpy(&tag, buf + off, 2);
		memcpy(&v, buf + off + 2, 8);
		tag = le16toh(tag);
		if (tag >= nstats)
			continue;
		stats[tag] = le64toh(v);
		valid[tag] = true;
		n++;
	}
	return n;
}

static void balloon_queue_notify(void *dev, uint16_t qidx)
{
	struct virtio_balloon *b = dev;
	struct vq *q = &b->vdev.vqs[qidx];
	unsigned int pushed = 0;
	int err;

	while ((err = vq_pop(q, &b->chain)) == 0) {
		if (qidx == BALLOON_Q_STATS) {
			uint8_t buf[10 * 32];
			uint32_t n = vq_chain_read(&b->chain, 0, buf,
						   (uint32_t)MIN(b->chain.rlen, sizeof(buf)));

			if (b->stats_held) {
				/* A second buffer while we hold one: return the old one. */
				if (!vq_push(q, b->stats_head, 0))
					pushed++;
				b->m.stats_update_fails++;
			}
			balloon_parse_stats(buf, n, b->stats, b->stats_valid, BALLOON_NR_STATS);
			b->m.stats_updates_count++;
			/* Hold it: returning it is how we ask for the next sample. */
			b->stats_head = b->chain.head;
			b->stats_held = true;
			continue;
		}
		if (qidx == BALLOON_Q_INFLATE)
			inflate_chain(b, &b->chain);
		else
			b->m.deflate_count += b->chain.rlen / 4;	/* pages fault back in */
		if (!vq_push(q, b->chain.head, 0))
			pushed++;
	}
	if (err == -EINVAL) {
		b->m.event_fails++;
		virtio_dev_queue_error(&b->vdev, qidx);
	}
	if (pushed)
		virtio_dev_notify_queue(&b->vdev, qidx);
}

static void on_stats_timer(void *opaque, uint32_t events)
{
	struct virtio_balloon *b = opaque;
	uint64_t v;

	(void)events;
	if (read(b->stats_timer_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&b->vdev.lock);
	if (b->stats_held && virtio_dev_queue_live(&b->vdev, BALLOON_Q_STATS)) {
		b->stats_held = false;
		if (!vq_push(&b->vdev.vqs[BALLOON_Q_STATS], b->stats_head, 0))
			virtio_dev_notify_queue(&b->vdev, BALLOON_Q_STATS);
	}
	pthread_mutex_unlock(&b->vdev.lock);
}

static void balloon_reset(void *dev)
{
	struct virtio_balloon *b = dev;
	struct itimerspec off = { 0 };

	b->stats_held = false;
	b->actual = 0;
	if (b->stats_timer_fd >= 0)
		timerfd_settime(b->stats_timer_fd, 0, &off, NULL);
}

enum {
	BAL_SNAP_NUM_PAGES = 1, BAL_SNAP_ACTUAL, BAL_SNAP_STATS_HELD, BAL_SNAP_STATS_HEAD,
	BAL_SNAP_STATS, BAL_SNAP_STATS_VALID,
};

static void balloon_save(void *dev, struct snap_writer *w)
{
	struct virtio_balloon *b = dev;
	uint32_t valid = 0;

	for (unsigned int i = 0; i < BALLOON_NR_STATS; i++)
		valid |= (uint32_t)b->stats_valid[i] << i;
	snap_put_u32(w, BAL_SNAP_NUM_PAGES, b->num_pages);
	snap_put_u32(w, BAL_SNAP_ACTUAL, b->actual);
	snap_put_u32(w, BAL_SNAP_STATS_HELD, b->stats_held);
	snap_put_u32(w, BAL_SNAP_STATS_HEAD, b->stats_head);
	snap_put_u64_array(w, BAL_SNAP_STATS, b->stats, BALLOON_NR_STATS);
	snap_put_u32(w, BAL_SNAP_STATS_VALID, valid);
}

static int balloon_restore(void *dev, struct snap_reader *r)
{
	struct virtio_balloon *b = dev;
	const struct vq *sq = &b->vdev.vqs[BALLOON_Q_STATS];
	uint64_t stats[BALLOON_NR_STATS];
	uint32_t pages = (uint32_t)MIN(b->vdev.mem->total / BALLOON_PAGE, UINT32_MAX);
	uint32_t num, actual, head, valid;
	bool held;

	if (snap_get_u32_range(r, BAL_SNAP_NUM_PAGES, 0, pages, &num) ||
	    snap_get_u32(r, BAL_SNAP_ACTUAL, &actual) ||
	    snap_get_bool(r, BAL_SNAP_STATS_HELD, &held) ||
	    snap_get_u32_range(r, BAL_SNAP_STATS_HEAD, 0, 0xffff, &head) ||
	    snap_require(r, BAL_SNAP_STATS) ||
	    snap_get_u64_array(r, BAL_SNAP_STATS, stats, BALLOON_NR_STATS) ||
	    snap_get_u32_range(r, BAL_SNAP_STATS_VALID, 0, (1u << BALLOON_NR_STATS) - 1, &valid))
		return -EINVAL;
	/* A held statistics buffer is a chain of a live stats queue. */
	if (held && (!b->vdev.activated || !sq->ready || head >= sq->size ||
		     !(b->vdev.acked & VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ))))
		return snap_fail(r, "%s: held statistics buffer %u is not on a live stats queue",
				 b->vdev.name, head);
	b->num_pages = num;
	b->actual = actual;
	b->stats_held = held;
	b->stats_head = (uint16_t)head;
	memcpy(b->stats, stats, sizeof(stats));
	for (unsigned int i = 0; i < BALLOON_NR_STATS; i++)
		b->stats_valid[i] = valid >> i & 1;
	return 0;
}

static const struct virtio_dev_ops balloon_ops = {
	.device_id = VIRTIO_ID_BALLOON,
	.num_queues = 3,
	.max_queue_size = BALLOON_QUEUE_SIZE,
	.config_size = BALLOON_CONFIG_SIZE,
	.features = balloon_features,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.activate = balloon_activate,
	.queue_notify = balloon_queue_notify,
	.reset = balloon_reset,
	.save = balloon_save,
	.restore = balloon_restore,
};

static uint32_t mib_to_pages(uint32_t mib)
{
	uint64_t p = (uint64_t)mib * (MiB(1) / BALLOON_PAGE);

	return p > UINT32_MAX ? UINT32_MAX : (uint32_t)p;
}

void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t amount_mib)
{
	pthread_mutex_lock(&b->vdev.lock);
	b->num_pages = mib_to_pages(amount_mib);
	virtio_dev_config_changed(&b->vdev);
	pthread_mutex_unlock(&b->vdev.lock);
}

void virtio_balloon_set_stats_interval(struct virtio_balloon *b, uint32_t seconds)
{
	pthread_mutex_lock(&b->vdev.lock);
	b->stats_interval_s = seconds;
	/* A running statistics queue polls at the new period from now on. */
	if (b->vdev.activated && (b->vdev.acked & VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ))) {
		struct itimerspec its = { .it_value = { .tv_sec = seconds },
					  .it_interval = { .tv_sec = seconds } };

		if (timerfd_settime(b->stats_timer_fd, 0, &its, NULL) < 0)
			log_warn("balloon: statistics timer: %s", strerror(errno));
	}
	pthread_mutex_unlock(&b->vdev.lock);
}

void virtio_balloon_get_stats(struct virtio_balloon *b, struct balloon_stats *out)
{
	pthread_mutex_lock(&b->vdev.lock);
	out->target_pages = b->num_pages;
	out->actual_pages = b->actual;
	memcpy(out->valid, b->stats_valid, sizeof(out->valid));
	memcpy(out->stats, b->stats, sizeof(out->stats));
	pthread_mutex_unlock(&b->vdev.lock);
}

int virtio_balloon_create(struct vm *vm, const struct balloon_cfg *cfg,
			  struct virtio_balloon **out, char *why, size_t why_len)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	int err;

	*out = b;
	if (!b) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	b->stats_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->stats_timer_fd < 0) {
		snprintf(why, why_len, "balloon: timerfd: %s", strerror(errno));
		return -errno;
	}
	if ((uint64_t)cfg->amount_mib > vm->mem.total / MiB(1)) {
		snprintf(why, why_len, "balloon: %u MiB is more than the guest's %llu MiB",
			 cfg->amount_mib, (unsigned long long)(vm->mem.total / MiB(1)));
		return -EINVAL;
	}
	b->num_pages = mib_to_pages(cfg->amount_mib);
	b->deflate_on_oom = cfg->deflate_on_oom;
	b->stats_interval_s = cfg->stats_polling_interval_s;
	err = virtio_dev_init(&b->vdev, &balloon_ops, b, "balloon", &vm->mem, &vm->loop,
			      vm->vm_fd);
	if (!err) {
		err = loop_add_fd(&vm->loop, b->stats_timer_fd, EPOLLIN, on_stats_timer, b);
		b->timer_on_loop = !err;
	}
	if (err)
		snprintf(why, why_len, "balloon: %s", strerror(-err));
	return err;
}

void virtio_balloon_destroy(struct virtio_balloon *b)
{
	if (!b)
		return;
	if (b->timer_on_loop)
		loop_del_fd(b->vdev.loop, b->stats_timer_fd);
	virtio_dev_destroy(&b->vdev);
	if (b->stats_timer_fd > 0)
		close(b->stats_timer_fd);
	free(b);
}
