/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/virtio.h: a tiny polling virtio-mmio v2 driver for the test guests (one split queue per device). */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include "x86.h"

/* virtio-mmio registers (spec 4.2.2). */
#define VIO_MAGIC		0x000
#define VIO_VERSION		0x004
#define VIO_DEVICE_ID		0x008
#define VIO_DEV_FEATURES	0x010
#define VIO_DEV_FEATURES_SEL	0x014
#define VIO_DRV_FEATURES	0x020
#define VIO_DRV_FEATURES_SEL	0x024
#define VIO_QUEUE_SEL		0x030
#define VIO_QUEUE_NUM_MAX	0x034
#define VIO_QUEUE_NUM		0x038
#define VIO_QUEUE_READY		0x044
#define VIO_QUEUE_NOTIFY	0x050
#define VIO_INT_STATUS		0x060
#define VIO_INT_ACK		0x064
#define VIO_STATUS		0x070
#define VIO_QUEUE_DESC_LO	0x080
#define VIO_QUEUE_DESC_HI	0x084
#define VIO_QUEUE_DRIVER_LO	0x090
#define VIO_QUEUE_DRIVER_HI	0x094
#define VIO_QUEUE_DEVICE_LO	0x0a0
#define VIO_QUEUE_DEVICE_HI	0x0a4
#define VIO_CONFIG		0x100

#define VIO_S_ACK		0x01
#define VIO_S_DRIVER		0x02
#define VIO_S_DRIVER_OK		0x04
#define VIO_S_FEATURES_OK	0x08
#define VIO_S_NEEDS_RESET	0x40
#define VIO_S_FAILED		0x80

#define VIO_INT_VRING		0x1
#define VIO_INT_CONFIG		0x2

#define VIO_F_INDIRECT		(1ull << 28)
#define VIO_F_VERSION_1		(1ull << 32)

#define VIO_ID_BLOCK		2
#define VIO_ID_RNG		4

#define VIO_MMIO_BASE		0xd0000000ull
#define VIO_MMIO_SLOT		0x1000ull

#define VRING_F_NEXT		1
#define VRING_F_WRITE		2
#define VRING_F_INDIRECT	4

#define VQ_SIZE			16	/* what the guests use (QueueNumMax is larger) */

struct vdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vused_elem {
	u32 id;
	u32 len;
};

/* One queue's rings, in one page-aligned block of guest memory. */
struct vring_mem {
	struct vdesc desc[VQ_SIZE];			/* 256 bytes */
	u8 pad0[1024 - 16 * VQ_SIZE];
	struct {
		u16 flags, idx, ring[VQ_SIZE], used_event;
	} avail;					/* at 1024 */
	u8 pad1[1024 - (6 + 2 * VQ_SIZE)];
	struct {
		u16 flags, idx;
		struct vused_elem ring[VQ_SIZE];
		u16 avail_event;
	} used;						/* at 2048 */
	u8 pad2[2048 - (8 + 8 * VQ_SIZE)];
} __attribute__((aligned(4096)));

struct vdev {
	u64 base;		/* MMIO page */
	u32 id;			/* VIO_ID_* */
	u64 features;		/* what the device offers */
	struct vring_mem *ring;
	u16 avail_idx;		/* next avail index we publish */
	u16 used_seen;		/* used entries we have consumed */
};

static inline u32 vio_rd(const struct vdev *d, u32 off)
{
	return mmio_read32(d->base + off);
}

static inline void vio_wr(const struct vdev *d, u32 off, u32 v)
{
	mmio_write32(d->base + off, v);
}

/* The `nth` (0-based) device of type `id` among the first 19 slots. */
bool virtio_find(struct vdev *d, u32 id, u32 nth, struct vring_mem *ring);

/* Reset, ACKNOWLEDGE, DRIVER, accept `want` & offered (VERSION_1 always),
 * FEATURES_OK; true when the device kept FEATURES_OK. */
bool virtio_negotiate(struct vdev *d, u64 want);

/* Program queue `q` with d->ring (or the given addresses) and `size`, then
 * QueueReady = 1.  Resets the driver-side ring state. */
void virtio_queue_setup(struct vdev *d, u32 q, u32 size);
void virtio_queue_setup_at(struct vdev *d, u32 q, u32 size, u64 desc, u64 avail, u64 used);

/* Everything above and DRIVER_OK; asserts the device accepted it. */
void virtio_init(struct vdev *d, u64 want);

/* Publish descriptor chain `head` in the avail ring and kick queue 0. */
void vq_submit(struct vdev *d, u16 head);

/* Wait up to `ms` for a new used element; true and *e filled when one came. */
bool vq_wait_used(struct vdev *d, struct vused_elem *e, u32 ms);

/* Wait up to `ms` for all of `bits` in Status. */
bool virtio_wait_status(const struct vdev *d, u32 bits, u32 ms);

/* Write 0 to Status and check it reads back 0. */
void virtio_reset(struct vdev *d);

#endif
