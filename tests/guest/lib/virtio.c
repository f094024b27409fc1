// SPDX-License-Identifier: MIT
/* tests/guest/lib/virtio.c: a tiny polling virtio-mmio v2 driver: negotiation, one split queue, kicks, used-ring polling. */
#include "guest.h"
#include "virtio.h"

_Static_assert(sizeof(struct vring_mem) == 4096, "vring_mem layout");

bool virtio_find(struct vdev *d, u32 id, u32 nth, struct vring_mem *ring)
{
	u32 slot;

	for (slot = 0; slot < 19; slot++) {
		u64 base = VIO_MMIO_BASE + slot * VIO_MMIO_SLOT;

		if (mmio_read32(base + VIO_MAGIC) != 0x74726976u ||
		    mmio_read32(base + VIO_DEVICE_ID) != id)
			continue;
		if (nth--)
			continue;
		memset(d, 0, sizeof(*d));
		d->base = base;
		d->id = id;
		d->ring = ring;
		GUEST_ASSERT_EQ(vio_rd(d, VIO_VERSION), 2);
		return true;
	}
	return false;
}

void virtio_reset(struct vdev *d)
{
	vio_wr(d, VIO_STATUS, 0);
	GUEST_ASSERT_EQ(vio_rd(d, VIO_STATUS), 0);
}

bool virtio_negotiate(struct vdev *d, u64 want)
{
	u64 acked;

	virtio_reset(d);
	vio_wr(d, VIO_STATUS, VIO_S_ACK);
	vio_wr(d, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER);
	vio_wr(d, VIO_DEV_FEATURES_SEL, 0);
	d->features = vio_rd(d, VIO_DEV_FEATURES);
	vio_wr(d, VIO_DEV_FEATURES_SEL, 1);
	d->features |= (u64)vio_rd(d, VIO_DEV_FEATURES) << 32;
	acked = (want | VIO_F_VERSION_1) & d->features;
	vio_wr(d, VIO_DRV_FEATURES_SEL, 0);
	vio_wr(d, VIO_DRV_FEATURES, (u32)acked);
	vio_wr(d, VIO_DRV_FEATURES_SEL, 1);
	vio_wr(d, VIO_DRV_FEATURES, (u32)(acked >> 32));
	vio_wr(d, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK);
	return (vio_rd(d, VIO_STATUS) & VIO_S_FEATURES_OK) != 0;
}

void virtio_queue_setup_at(struct vdev *d, u32 q, u32 size, u64 desc, u64 avail, u64 used)
{
	vio_wr(d, VIO_QUEUE_SEL, q);
	vio_wr(d, VIO_QUEUE_NUM, size);
	vio_wr(d, VIO_QUEUE_DESC_LO, (u32)desc);
	vio_wr(d, VIO_QUEUE_DESC_HI, (u32)(desc >> 32));
	vio_wr(d, VIO_QUEUE_DRIVER_LO, (u32)avail);
	vio_wr(d, VIO_QUEUE_DRIVER_HI, (u32)(avail >> 32));
	vio_wr(d, VIO_QUEUE_DEVICE_LO, (u32)used);
	vio_wr(d, VIO_QUEUE_DEVICE_HI, (u32)(used >> 32));
	vio_wr(d, VIO_QUEUE_READY, 1);
}

void virtio_queue_setup(struct vdev *d, u32 q, u32 size)
{
	struct vring_mem *r = d->ring;

	memset(r, 0, sizeof(*r));
	d->avail_idx = 0;
	d->used_seen = 0;
	virtio_queue_setup_at(d, q, size, (u64)(uintptr_t)r->desc, (u64)(uintptr_t)&r->avail,
			      (u64)(uintptr_t)&r->used);
}

void virtio_init(struct vdev *d, u64 want)
{
	GUEST_ASSERT(virtio_negotiate(d, want));
	GUEST_ASSERT_EQ(vio_rd(d, VIO_QUEUE_NUM_MAX) >= VQ_SIZE, 1);
	virtio_queue_setup(d, 0, VQ_SIZE);
	GUEST_ASSERT_EQ(vio_rd(d, VIO_QUEUE_READY), 1);
	vio_wr(d, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
	GUEST_ASSERT_EQ(vio_rd(d, VIO_STATUS),
			VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
}

void vq_submit(struct vdev *d, u16 head)
{
	volatile u16 *idx = &d->ring->avail.idx;

	d->ring->avail.ring[d->avail_idx % VQ_SIZE] = head;
	d->avail_idx++;
	asm volatile("" ::: "memory");	/* x86: stores are not reordered */
	*idx = d->avail_idx;
	asm volatile("mfence" ::: "memory");
	vio_wr(d, VIO_QUEUE_NOTIFY, 0);
}

bool vq_wait_used(struct vdev *d, struct vused_elem *e, u32 ms)
{
	volatile u16 *idx = &d->ring->used.idx;
	u64 end = tsc_deadline_ms(ms);

	while (*idx == d->used_seen) {
		if (tsc_expired(end))
			return false;
		cpu_relax();
	}
	asm volatile("" ::: "memory");
	*e = ((volatile struct vused_elem *)d->ring->used.ring)[d->used_seen % VQ_SIZE];
	d->used_seen++;
	return true;
}

bool virtio_wait_status(const struct vdev *d, u32 bits, u32 ms)
{
	u64 end = tsc_deadline_ms(ms);

	while ((vio_rd(d, VIO_STATUS) & bits) != bits) {
		if (tsc_expired(end))
			return false;
		udelay(200);
	}
	return true;
}
