/* SPDX-License-Identifier: MIT */
/* virtio/mmio.c: the virtio-mmio v2 transport: register file, status machine, kicks and interrupts. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "mem/layout.h"
#include "snapshot/format.h"
#include "virtio/device.h"

/* Feature bits the transport itself implements for every device. */
#define TRANSPORT_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *opaque,
		    const char *name, const struct gmem *mem, struct loop *loop, int vm_fd)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->irq_fd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->kick_fd[i] = -1;
	if (ops->num_queues == 0 || ops->num_queues > VIRTIO_MAX_QUEUES ||
	    !ops->max_queue_size || ops->max_queue_size > VQ_MAX_SIZE ||
	    (ops->max_queue_size & (ops->max_queue_size - 1)) ||
	    ops->config_size > LAYOUT_VIRTIO_MMIO_SLOT - VIRTIO_MMIO_CONFIG)
		return -EINVAL;
	d->ops = ops;
	d->opaque = opaque;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->mem = mem;
	d->loop = loop;
	d->vm_fd = vm_fd;
	d->rl = (struct ratelimit)RATELIMIT_INIT(10, 5000);
	err = pthread_mutex_init(&d->lock, NULL);
	if (err)
		return -err;
	d->lock_init = true;
	for (unsigned int i = 0; i < ops->num_queues; i++) {
		d->kick_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->kick_fd[i] < 0)
			return -errno;
		d->kick_ctx[i].d = d;
		d->kick_ctx[i].qidx = (uint16_t)i;
	}
	d->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->irq_fd < 0)
		return -errno;
	d->offered = (ops->features ? ops->features(opaque) : 0) | TRANSPORT_FEATURES;
	return 0;
}

static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_kick *k = opaque;
	struct virtio_dev *d = k->d;
	uint64_t v;

	(void)events;
	if (read(d->kick_fd[k->qidx], &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&d->lock);
	if (virtio_dev_queue_live(d, k->qidx)) {
		d->counters.queue_event_count++;
		d->ops->queue_notify(d->opaque, k->qidx);
	} else {
		/* Kick before DRIVER_OK or on an unready/broken queue: nothing to do
		 * (activation re-kicks every queue). */
		d->counters.bad_notify++;
	}
	pthread_mutex_unlock(&d->lock);
}

int virtio_dev_attach(struct virtio_dev *d, struct bus *mmio, uint64_t base, uint32_t gsi)
{
	int err;

	d->base = base;
	d->gsi = gsi;
	for (uint16_t i = 0; i < d->ops->num_queues; i++) {
		err = loop_add_fd(d->loop, d->kick_fd[i], EPOLLIN, on_kick, &d->kick_ctx[i]);
		if (err)
			return err;
		d->kick_on_loop[i] = true;
		if (d->vm_fd >= 0) {
			/* The guest's QueueNotify write of index i never leaves the
			 * kernel: it signals kick_fd[i] (the event loop wakes). */
			struct kvm_ioeventfd io = {
				.datamatch = i,
				.addr = base + VIRTIO_MMIO_QUEUE_NOTIFY,
				.len = 4,
				.fd = d->kick_fd[i],
				.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
			};
			if (ioctl(d->vm_fd, KVM_IOEVENTFD, &io) < 0)
				return -errno;
			d->kick_registered[i] = true;
		}
	}
	if (d->vm_fd >= 0) {
		struct kvm_irqfd irq = { .fd = (uint32_t)d->irq_fd, .gsi = gsi };

		if (ioctl(d->vm_fd, KVM_IRQFD, &irq) < 0)
			return -errno;
		d->irq_registered = true;
	}
	err = bus_register(mmio, base, LAYOUT_VIRTIO_MMIO_SLOT, virtio_mmio_access, d, d->name);
	if (err)
		return err;
	d->attached = true;
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	if (!d->ops && !d->lock_init)
		return;
	for (uint16_t i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (d->kick_registered[i]) {
			struct kvm_ioeventfd io = {
				.datamatch = i,
				.addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY,
				.len = 4,
				.fd = d->kick_fd[i],
				.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN,
			};
			if (ioctl(d->vm_fd, KVM_IOEVENTFD, &io) < 0)
				log_debug("%s: ioeventfd deassign: %s", d->name, strerror(errno));
		}
		if (d->kick_on_loop[i])
			loop_del_fd(d->loop, d->kick_fd[i]);
		if (d->kick_fd[i] >= 0)
			close(d->kick_fd[i]);
		d->kick_fd[i] = -1;
		d->kick_registered[i] = d->kick_on_loop[i] = false;
	}
	if (d->irq_registered) {
		struct kvm_irqfd irq = { .fd = (uint32_t)d->irq_fd, .gsi = d->gsi,
					 .flags = KVM_IRQFD_FLAG_DEASSIGN };
		if (ioctl(d->vm_fd, KVM_IRQFD, &irq) < 0)
			log_debug("%s: irqfd deassign: %s", d->name, strerror(errno));
	}
	if (d->irq_fd >= 0)
		close(d->irq_fd);
	d->irq_fd = -1;
	d->irq_registered = false;
	if (d->lock_init)
		pthread_mutex_destroy(&d->lock);
	d->lock_init = false;
	/* The bus range stays registered: buses live as long as the VM and no
	 * vCPU runs after devices are destroyed. */
}

void virtio_dev_interrupt(struct virtio_dev *d, uint32_t bits)
{
	uint64_t one = 1;

	/* InterruptStatus first: the guest's handler reads it after the IRQ. */
	atomic_fetch_or(&d->isr, bits);
	d->counters.interrupts++;
	if (write(d->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("%s: irqfd: %s", d->name, strerror(errno));
}

void virtio_dev_notify_queue(struct virtio_dev *d, uint16_t qidx)
{
	if (qidx < d->ops->num_queues && vq_should_notify(&d->vqs[qidx]))
		virtio_dev_interrupt(d, VIRTIO_MMIO_INT_VRING);
}

void virtio_dev_needs_reset(struct virtio_dev *d, const char *why)
{
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->counters.needs_reset++;
	log_warn_ratelimited(&d->rl, "%s: %s; device stopped until the driver resets it",
			     d->name, why);
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_dev_interrupt(d, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_queue_error(struct virtio_dev *d, uint16_t qidx)
{
	char why[96];

	d->counters.event_fails++;
	snprintf(why, sizeof(why), "queue %u: %s", qidx,
		 vq_error_str(qidx < VIRTIO_MAX_QUEUES ? d->vqs[qidx].last_error : VQ_OK));
	virtio_dev_needs_reset(d, why);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	d->config_generation++;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_dev_interrupt(d, VIRTIO_MMIO_INT_CONFIG);
}

bool virtio_dev_queue_live(const struct virtio_dev *d, uint16_t qidx)
{
	const struct vq *q;

	if (qidx >= d->ops->num_queues || !d->activated ||
	    (d->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)))
		return false;
	q = &d->vqs[qidx];
	return q->ready && q->active && !q->broken;
}

void virtio_dev_kick(struct virtio_dev *d, uint16_t qidx)
{
	uint64_t one = 1;

	if (qidx < d->ops->num_queues && write(d->kick_fd[qidx], &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		log_debug("%s: kick: %s", d->name, strerror(errno));
}

/* --- register file ---------------------------------------------------- */

/* The selected queue, or NULL when QueueSel is out of range (checked once, here). */
static struct vq *sel_vq(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->num_queues ? &d->vqs[d->queue_sel] : NULL;
}

static void reset_dev(struct virtio_dev *d)
{
	if (d->ops->reset)
		d->ops->reset(d->opaque);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&d->vqs[i]);
	d->acked = 0;
	d->status = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	atomic_store(&d->isr, 0);
	d->activated = false;
}

static void bad_state(struct virtio_dev *d, const char *what, uint32_t v)
{
	d->counters.bad_state++;
	log_warn_ratelimited(&d->rl, "%s: %s (0x%x) ignored in status 0x%x", d->name, what, v,
			     d->status);
}

/* Queue configuration may change only after FEATURES_OK and before DRIVER_OK
 * (spec 4.2.3.2; Firecracker's fix for CVE-2026-5747), and only while the
 * selected queue is not ready. */
static struct vq *writable_vq(struct virtio_dev *d, const char *what, uint32_t v)
{
	struct vq *q = sel_vq(d);

	if (!q) {
		d->counters.bad_register++;
		log_warn_ratelimited(&d->rl, "%s: %s for queue %u, which does not exist",
				     d->name, what, d->queue_sel);
		return NULL;
	}
	if ((d->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK |
			  VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET)) !=
	    VIRTIO_STATUS_FEATURES_OK || q->ready) {
		bad_state(d, what, v);
		return NULL;
	}
	return q;
}

static void set_lo(uint64_t *a, uint32_t v) { *a = (*a & ~0xffffffffull) | v; }
static void set_hi(uint64_t *a, uint32_t v) { *a = (*a & 0xffffffffull) | ((uint64_t)v << 32); }

static void queue_ready_write(struct virtio_dev *d, uint32_t v)
{
	struct vq *q;

	if (v == 0) {
		/* Drivers clear QueueReady while tearing down, sometimes after
		 * DRIVER_OK; that is harmless and not worth a warning. */
		q = sel_vq(d);
		if (q && q->ready && !(d->status & VIRTIO_STATUS_DRIVER_OK))
			q->ready = false;
		else
			d->counters.bad_state++;
		return;
	}
	q = writable_vq(d, "QueueReady", v);
	if (!q)
		return;
	if (vq_activate(q, d->mem, d->ops->max_queue_size,
			d->acked & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
			d->acked & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))) {
		char why[128];

		snprintf(why, sizeof(why), "queue %u: size %u or rings (desc 0x%llx avail 0x%llx "
			 "used 0x%llx) invalid", d->queue_sel, q->size,
			 (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
			 (unsigned long long)q->used_gpa);
		virtio_dev_needs_reset(d, why);
		return;
	}
	q->ready = true;
}

static void status_write(struct virtio_dev *d, uint32_t v)
{
	uint32_t old = d->status, added;

	if (v == 0) {
		reset_dev(d);
		return;
	}
	v &= 0xff;
	/* Only a reset clears bits (spec 2.1.2); NEEDS_RESET is the device's. */
	if (old & ~v & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) {
		bad_state(d, "Status write clearing bits", v);
		return;
	}
	added = v & ~old;
	if ((added & VIRTIO_STATUS_FEATURES_OK) &&
	    (!(v & VIRTIO_STATUS_DRIVER) || !(d->acked & VIRTIO_BIT(VIRTIO_F_VERSION_1)))) {
		/* Not setting it tells the driver the features are unacceptable
		 * (spec 3.1.1 step 6): ember has no legacy interface. */
		bad_state(d, "FEATURES_OK without DRIVER or VERSION_1", v);
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
		added &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)) {
		bad_state(d, "DRIVER_OK without FEATURES_OK", v);
		v &= ~(uint32_t)VIRTIO_STATUS_DRIVER_OK;
		added &= ~(uint32_t)VIRTIO_STATUS_DRIVER_OK;
	}
	d->status = v | (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_NEEDS_RESET)) {
		int err = d->ops->activate ? d->ops->activate(d->opaque, d->acked) : 0;

		if (err) {
			d->counters.activate_fails++;
			virtio_dev_needs_reset(d, "activation failed");
			return;
		}
		d->activated = true;
		/* Buffers made available (and kicked) before DRIVER_OK were
		 * ignored: look at every ready queue once now. */
		for (uint16_t i = 0; i < d->ops->num_queues; i++)
			if (d->vqs[i].ready)
				virtio_dev_kick(d, i);
	}
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct vq *q;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR_EMBER;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (d->dev_features_sel > 1)
			return 0;
		return (uint32_t)(d->offered >> (32 * d->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return sel_vq(d) ? d->ops->max_queue_size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		q = sel_vq(d);
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&d->isr);
	case VIRTIO_MMIO_STATUS: return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_generation;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu;	/* no shared memory regions */
	default:
		d->counters.bad_register++;
		log_warn_ratelimited(&d->rl, "%s: read of register 0x%llx", d->name,
				     (unsigned long long)off);
		return 0;
	}
}

static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct vq *q;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_features_sel = v; return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_features_sel = v; return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if ((d->status & (VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)) !=
		    VIRTIO_STATUS_DRIVER) {
			bad_state(d, "DriverFeatures", v);
			return;
		}
		if (d->drv_features_sel > 1) {
			if (v)
				bad_state(d, "DriverFeatures page > 1", v);
			return;
		}
		if (d->drv_features_sel == 0)
			set_lo(&d->acked, v);
		else
			set_hi(&d->acked, v);
		d->acked &= d->offered;	/* the driver cannot accept what was not offered */
		return;
	case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; return;
	case VIRTIO_MMIO_QUEUE_NUM:
		q = writable_vq(d, "QueueNum", v);
		if (q)	/* 0 marks an impossible size; QueueReady then fails */
			q->size = v <= d->ops->max_queue_size ? (uint16_t)v : 0;
		return;
	case VIRTIO_MMIO_QUEUE_READY: queue_ready_write(d, v); return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Valid indices normally stop in the kernel (ioeventfd); without
		 * one (tests, or a missed match) signal the same eventfd. */
		if (v < d->ops->num_queues) {
			virtio_dev_kick(d, (uint16_t)v);
		} else {
			d->counters.bad_notify++;
			log_warn_ratelimited(&d->rl, "%s: QueueNotify for queue %u, which does "
					     "not exist", d->name, v);
		}
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK: atomic_fetch_and(&d->isr, ~v); return;
	case VIRTIO_MMIO_STATUS: status_write(d, v); return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: {
		uint64_t *a;

		q = writable_vq(d, "queue address", v);
		if (!q)
			return;
		a = off < VIRTIO_MMIO_QUEUE_DRIVER_LOW ? &q->desc_gpa :
		    off < VIRTIO_MMIO_QUEUE_DEVICE_LOW ? &q->avail_gpa : &q->used_gpa;
		if (off & 4)
			set_hi(a, v);
		else
			set_lo(a, v);
		return;
	}
	case VIRTIO_MMIO_SHM_SEL:
		return;
	default:
		d->counters.bad_register++;
		log_warn_ratelimited(&d->rl, "%s: write 0x%x to register 0x%llx", d->name, v,
				     (unsigned long long)off);
		return;
	}
}

static void config_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	uint64_t c = off - VIRTIO_MMIO_CONFIG;

	if (!range_ok(c, len, d->ops->config_size)) {
		d->counters.config_oob++;
		log_warn_ratelimited(&d->rl, "%s: config %s at 0x%llx len %u outside %u bytes",
				     d->name, is_write ? "write" : "read",
				     (unsigned long long)c, len, d->ops->config_size);
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		d->ops->config_read(d->opaque, (uint32_t)c, data, len);
	} else if (d->ops->config_write) {
		d->ops->config_write(d->opaque, (uint32_t)c, data, len);
	} else {
		d->counters.bad_register++;
		log_warn_ratelimited(&d->rl, "%s: write to read-only config at 0x%llx",
				     d->name, (unsigned long long)c);
	}
}

void virtio_mmio_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write)
{
	struct virtio_dev *d = opaque;
	uint32_t v;

	if (len == 0 || len > 8 || off >= LAYOUT_VIRTIO_MMIO_SLOT)
		return;
	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		config_access(d, off, data, len, is_write);
	} else if (len != 4 || (off & 3)) {
		/* Spec 4.2.2.2: control registers are 32-bit aligned accesses. */
		d->counters.bad_register++;
		log_warn_ratelimited(&d->rl, "%s: %u-byte %s at register 0x%llx", d->name, len,
				     is_write ? "write" : "read", (unsigned long long)off);
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		memcpy(&v, data, 4);
		reg_write(d, off, le32toh(v));
	} else {
		v = htole32(reg_read(d, off));
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

/* --- snapshots ---------------------------------------------------------- */

/* Transport section (VIRTIO_SNAP_TRANSPORT), docs/snapshot-format.md. */
enum {
	TS_STATUS = 1, TS_OFFERED, TS_ACKED, TS_DEV_FEAT_SEL, TS_DRV_FEAT_SEL, TS_QUEUE_SEL,
	TS_ISR, TS_CONFIG_GEN, TS_ACTIVATED, TS_QUEUES,
};
/* One queue (element of TS_QUEUES). */
enum {
	TQ_SIZE = 1, TQ_READY, TQ_DESC, TQ_AVAIL, TQ_USED, TQ_LAST_AVAIL, TQ_USED_IDX,
	TQ_SIGNALLED_USED, TQ_SIGNALLED_VALID, TQ_BROKEN, TQ_LAST_ERROR,
};

#define KNOWN_STATUS (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | \
		      VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | \
		      VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

void virtio_dev_quiesce(struct virtio_dev *d)
{
	if (!d->ops->quiesce)
		return;
	pthread_mutex_lock(&d->lock);
	d->ops->quiesce(d->opaque);
	pthread_mutex_unlock(&d->lock);
}

void virtio_dev_save(struct virtio_dev *d, struct snap_writer *w)
{
	pthread_mutex_lock(&d->lock);
	snap_begin(w, VIRTIO_SNAP_TRANSPORT);
	snap_put_u32(w, TS_STATUS, d->status);
	snap_put_u64(w, TS_OFFERED, d->offered);
	snap_put_u64(w, TS_ACKED, d->acked);
	snap_put_u32(w, TS_DEV_FEAT_SEL, d->dev_features_sel);
	snap_put_u32(w, TS_DRV_FEAT_SEL, d->drv_features_sel);
	snap_put_u32(w, TS_QUEUE_SEL, d->queue_sel);
	snap_put_u32(w, TS_ISR, atomic_load(&d->isr));
	snap_put_u32(w, TS_CONFIG_GEN, d->config_generation);
	snap_put_u32(w, TS_ACTIVATED, d->activated);
	snap_begin(w, TS_QUEUES);
	for (uint16_t i = 0; i < d->ops->num_queues; i++) {
		const struct vq *q = &d->vqs[i];

		snap_begin(w, i);
		snap_put_u32(w, TQ_SIZE, q->size);
		snap_put_u32(w, TQ_READY, q->ready);
		snap_put_u64(w, TQ_DESC, q->desc_gpa);
		snap_put_u64(w, TQ_AVAIL, q->avail_gpa);
		snap_put_u64(w, TQ_USED, q->used_gpa);
		snap_put_u32(w, TQ_LAST_AVAIL, q->last_avail);
		snap_put_u32(w, TQ_USED_IDX, q->used_idx);
		snap_put_u32(w, TQ_SIGNALLED_USED, q->signalled_used);
		snap_put_u32(w, TQ_SIGNALLED_VALID, q->signalled_valid);
		snap_put_u32(w, TQ_BROKEN, q->broken);
		snap_put_u32(w, TQ_LAST_ERROR, q->last_error);
		snap_end(w);
	}
	snap_end(w);
	snap_end(w);
	snap_begin(w, VIRTIO_SNAP_STATE);
	if (d->ops->save)
		d->ops->save(d->opaque, w);
	snap_end(w);
	pthread_mutex_unlock(&d->lock);
}

/* Read and check queue i of a transport section into q (not applied yet). */
static int restore_queue(struct virtio_dev *d, struct snap_reader *qs, uint16_t i, uint32_t status,
			 struct vq *q)
{
	struct snap_reader r;
	uint32_t size, last_avail, used_idx, sig_used, err_code;
	bool ready, sig_valid, broken;
	int err;

	if (snap_require(qs, i) || snap_get_section(qs, i, &r))
		return -EINVAL;
	err = snap_require(&r, TQ_SIZE) || snap_require(&r, TQ_DESC) ||
	      snap_require(&r, TQ_AVAIL) || snap_require(&r, TQ_USED) ||
	      snap_get_u32_range(&r, TQ_SIZE, 0, d->ops->max_queue_size, &size) ||
	      snap_get_bool(&r, TQ_READY, &ready) ||
	      snap_get_u64(&r, TQ_DESC, &q->desc_gpa) ||
	      snap_get_u64(&r, TQ_AVAIL, &q->avail_gpa) ||
	      snap_get_u64(&r, TQ_USED, &q->used_gpa) ||
	      snap_get_u32_range(&r, TQ_LAST_AVAIL, 0, 0xffff, &last_avail) ||
	      snap_get_u32_range(&r, TQ_USED_IDX, 0, 0xffff, &used_idx) ||
	      snap_get_u32_range(&r, TQ_SIGNALLED_USED, 0, 0xffff, &sig_used) ||
	      snap_get_bool(&r, TQ_SIGNALLED_VALID, &sig_valid) ||
	      snap_get_bool(&r, TQ_BROKEN, &broken) ||
	      snap_get_u32_range(&r, TQ_LAST_ERROR, VQ_OK, VQ_ERR_OVERFLOW, &err_code);
	if (err)
		goto out;
	q->size = (uint16_t)size;
	if (ready) {
		/* The same checks as a guest's QueueReady write: size a power of
		 * two within the maximum, every ring inside RAM and aligned. */
		if (!(status & VIRTIO_STATUS_FEATURES_OK)) {
			snap_fail(&r, "queue %u is ready but features were never accepted", i);
			goto out;
		}
		if (vq_activate(q, d->mem, d->ops->max_queue_size,
				d->acked & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
				d->acked & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))) {
			snap_fail(&r, "queue %u: size %u or rings (desc 0x%llx avail 0x%llx used "
				  "0x%llx) invalid for this guest", i, size,
				  (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
				  (unsigned long long)q->used_gpa);
			goto out;
		}
		/* At most `size` chains can be outstanding between the two. */
		if ((uint16_t)(last_avail - used_idx) > size) {
			snap_fail(&r, "queue %u: %u chains in flight (last_avail %u, used %u) "
				  "exceed the queue size %u", i, (uint16_t)(last_avail - used_idx),
				  last_avail, used_idx, size);
			goto out;
		}
		q->ready = true;
		q->last_avail = (uint16_t)last_avail;
		q->used_idx = (uint16_t)used_idx;
		q->signalled_used = (uint16_t)sig_used;
		q->signalled_valid = sig_valid;
		q->broken = broken;
		q->last_error = (enum vq_error)err_code;
	} else if (broken) {
		snap_fail(&r, "queue %u is broken but not ready", i);
	}
out:
	return snap_close(&r);
}

static int restore_locked(struct virtio_dev *d, struct snap_reader *r)
{
	struct snap_reader t, qs, st;
	struct vq vqs[VIRTIO_MAX_QUEUES];
	uint32_t status, dsel, drsel, qsel, isr, gen;
	uint64_t offered, acked;
	bool activated;
	int err;

	memset(vqs, 0, sizeof(vqs));
	if (snap_require(r, VIRTIO_SNAP_TRANSPORT) || snap_require(r, VIRTIO_SNAP_STATE) ||
	    snap_get_section(r, VIRTIO_SNAP_TRANSPORT, &t))
		return -EINVAL;
	err = snap_require(&t, TS_OFFERED) || snap_require(&t, TS_ACKED) ||
	      snap_get_u32_range(&t, TS_STATUS, 0, KNOWN_STATUS, &status) ||
	      snap_get_u64(&t, TS_OFFERED, &offered) || snap_get_u64(&t, TS_ACKED, &acked) ||
	      snap_get_u32(&t, TS_DEV_FEAT_SEL, &dsel) || snap_get_u32(&t, TS_DRV_FEAT_SEL, &drsel) ||
	      snap_get_u32(&t, TS_QUEUE_SEL, &qsel) ||
	      snap_get_u32_range(&t, TS_ISR, 0, VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG, &isr) ||
	      snap_get_u32(&t, TS_CONFIG_GEN, &gen) || snap_get_bool(&t, TS_ACTIVATED, &activated);
	if (err)
		goto close_t;
	/* The status machine's invariants (status_write). */
	if (status & ~(uint32_t)KNOWN_STATUS) {
		snap_fail(&t, "%s: unknown device status bits 0x%x", d->name,
			  status & ~(uint32_t)KNOWN_STATUS);
		goto close_t;
	}
	if (((status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_FEATURES_OK)) ||
	    ((status & VIRTIO_STATUS_FEATURES_OK) &&
	     (!(status & VIRTIO_STATUS_DRIVER) || !(acked & VIRTIO_BIT(VIRTIO_F_VERSION_1)))) ||
	    (activated && !(status & VIRTIO_STATUS_DRIVER_OK))) {
		snap_fail(&t, "%s: inconsistent device status 0x%x (activated %d)", d->name, status,
			  activated);
		goto close_t;
	}
	if (acked & ~offered) {
		snap_fail(&t, "%s: features 0x%llx acknowledged but not offered", d->name,
			  (unsigned long long)(acked & ~offered));
		goto close_t;
	}
	if (acked & ~d->offered) {
		snap_fail(&t, "%s: the guest uses features 0x%llx this device no longer offers "
			  "(the backend differs from the snapshot's)", d->name,
			  (unsigned long long)(acked & ~d->offered));
		goto close_t;
	}
	if (snap_require(&t, TS_QUEUES) || snap_get_section(&t, TS_QUEUES, &qs))
		goto close_t;
	if (snap_count(&qs) != d->ops->num_queues) {
		snap_fail(&qs, "%s: %u queues in the snapshot, the device has %u", d->name,
			  snap_count(&qs), d->ops->num_queues);
	} else {
		d->acked = acked;	/* vq_activate reads the ring features from it */
		for (uint16_t i = 0; i < d->ops->num_queues; i++)
			if (restore_queue(d, &qs, i, status, &vqs[i]))
				break;
	}
	snap_close(&qs);
close_t:
	if (snap_close(&t))
		return -EINVAL;

	/* Everything checked: apply. */
	d->status = status;
	d->acked = acked;
	d->dev_features_sel = dsel;
	d->drv_features_sel = drsel;
	d->queue_sel = qsel;
	atomic_store(&d->isr, isr);
	d->config_generation = gen;
	memcpy(d->vqs, vqs, sizeof(vqs));
	if (activated) {
		/* Host-side set-up of a running device (offloads, timers, limits). */
		err = d->ops->activate ? d->ops->activate(d->opaque, acked) : 0;
		if (err) {
			snap_fail(r, "%s: cannot activate the restored device: %s", d->name,
				  strerror(-err));
			return -EINVAL;
		}
		d->activated = true;
	}
	if (snap_get_section(r, VIRTIO_SNAP_STATE, &st))
		return -EINVAL;
	err = d->ops->restore ? d->ops->restore(d->opaque, &st) : 0;
	if (err && !r->ctx->err)
		snap_fail(&st, "%s: device state rejected", d->name);
	if (snap_close(&st))
		return -EINVAL;
	/* Work the guest queued before the snapshot, and an interrupt it has
	 * not acknowledged yet, are not lost: look at every ready queue once and
	 * raise the line again (InterruptStatus tells the driver what it is). */
	for (uint16_t i = 0; d->activated && i < d->ops->num_queues; i++)
		if (d->vqs[i].ready)
			virtio_dev_kick(d, i);
	if (isr && (status & VIRTIO_STATUS_DRIVER_OK))
		virtio_dev_interrupt(d, 0);
	return 0;
}

int virtio_dev_restore(struct virtio_dev *d, struct snap_reader *r)
{
	int err;

	pthread_mutex_lock(&d->lock);
	err = restore_locked(d, r);
	pthread_mutex_unlock(&d->lock);
	return err;
}
