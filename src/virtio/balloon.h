/* SPDX-License-Identifier: MIT */
/* virtio/balloon.h: virtio-balloon: inflate/deflate, statistics queue, deflate-on-OOM (spec 5.5). */
#ifndef EMBER_VIRTIO_BALLOON_H
#define EMBER_VIRTIO_BALLOON_H

#include "core/config.h"
#include "virtio/device.h"

#define VIRTIO_BALLOON_F_STATS_VQ	1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM	2
#define BALLOON_QUEUE_SIZE		256
#define BALLOON_CONFIG_SIZE		8	/* num_pages, actual */
#define BALLOON_PAGE			4096u
#define BALLOON_NR_STATS		16	/* tags 0..15 kept */

enum { BALLOON_Q_INFLATE = 0, BALLOON_Q_DEFLATE, BALLOON_Q_STATS };

/* Counters; names follow Firecracker's BalloonDeviceMetrics. */
struct balloon_metrics {
	uint64_t activate_fails;
	uint64_t inflate_count;		/* pages given up by the guest */
	uint64_t deflate_count;
	uint64_t stats_updates_count;
	uint64_t stats_update_fails;
	uint64_t invalid_pfns;		/* PFNs outside guest RAM, ignored */
	uint64_t event_fails;
};

struct virtio_balloon {
	struct virtio_dev vdev;
	uint32_t num_pages;		/* target, in 4 KiB pages */
	uint32_t actual;		/* written by the driver */
	bool deflate_on_oom;
	uint32_t stats_interval_s;
	int stats_timer_fd;
	bool timer_on_loop;
	bool stats_held;		/* a stats buffer is held until the next poll */
	uint16_t stats_head;
	bool stats_valid[BALLOON_NR_STATS];
	uint64_t stats[BALLOON_NR_STATS];	/* by VIRTIO_BALLOON_S_* tag */
	struct balloon_metrics m;
	struct vq_chain chain;
};

int virtio_balloon_create(struct vm *vm, const struct balloon_cfg *cfg,
			  struct virtio_balloon **out, char *why, size_t why_len) __must_check;
void virtio_balloon_destroy(struct virtio_balloon *b);

/* Change the target size (API thread → event loop); raises a config interrupt. */
void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t amount_mib);

/* Change the statistics polling period (seconds, > 0) of a balloon created
 * with statistics; a running statistics queue is re-armed at once. */
void virtio_balloon_set_stats_interval(struct virtio_balloon *b, uint32_t seconds);

/* What GET /balloon/statistics reports: the target and the driver's actual
 * size in 4 KiB pages, and the last values the guest sent, by tag
 * (VIRTIO_BALLOON_S_SWAP_IN = 0 ... VIRTIO_BALLOON_S_DIRECT_RECLAIM = 15). */
struct balloon_stats {
	uint32_t target_pages, actual_pages;
	bool valid[BALLOON_NR_STATS];
	uint64_t stats[BALLOON_NR_STATS];
};
void virtio_balloon_get_stats(struct virtio_balloon *b, struct balloon_stats *out);

/* Parse a stats buffer of 10-byte {le16 tag, le64 val} entries (pure).
 * Returns the number of entries taken; unknown tags are skipped. */
unsigned int balloon_parse_stats(const uint8_t *buf, uint32_t len, uint64_t *stats,
				 bool *valid, unsigned int nstats);

#endif
