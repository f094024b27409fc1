/* SPDX-License-Identifier: MIT */
/* virtio/device.h: the contract every virtio device implements, and the virtio-mmio transport. */
#ifndef EMBER_VIRTIO_DEVICE_H
#define EMBER_VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "event/loop.h"
#include "mem/gmem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "virtio/queue.h"

#define VIRTIO_MAX_QUEUES	4
#define VIRTIO_NAME_MAX		80

struct vm;
struct snap_writer;
struct snap_reader;

/*
 * One device kind.  Callbacks run with the device lock held (see struct
 * virtio_dev): config_* and activate/reset on a vCPU thread, queue_notify on
 * the event-loop thread.  The transport has already checked every selector,
 * offset and length; config_read/config_write get off + len <= config_size.
 */
struct virtio_dev_ops {
	uint32_t device_id;		/* VIRTIO_ID_* */
	uint16_t num_queues;		/* <= VIRTIO_MAX_QUEUES */
	uint16_t max_queue_size;	/* QueueNumMax, power of two <= VQ_MAX_SIZE */
	uint32_t config_size;		/* bytes of device config space */
	uint64_t (*features)(void *dev);
	void (*config_read)(void *dev, uint32_t off, void *buf, uint32_t len);
	/* NULL: config space is read-only (writes are ignored and counted). */
	void (*config_write)(void *dev, uint32_t off, const void *buf, uint32_t len);
	/* DRIVER_OK with every ready queue mapped; non-zero → NEEDS_RESET. */
	int (*activate)(void *dev, uint64_t acked_features);
	/* A kick for queue qidx (< num_queues) of an activated device. */
	void (*queue_notify)(void *dev, uint16_t qidx);
	/* The driver wrote 0 to Status: drop all queue state and in-flight work. */
	void (*reset)(void *dev);

	/* Snapshots (docs/snapshots.md); each may be NULL. */
	/* Finish in-flight backend work and complete it to the guest (the VM is
	 * paused; the state is read right after). */
	void (*quiesce)(void *dev);
	/* Device-specific state as tagged records (snapshot/format.h). */
	void (*save)(void *dev, struct snap_writer *w);
	/* Check every value, then apply it.  Runs after the transport state
	 * and, for a running device, activate().  0 / -EINVAL (snap_fail). */
	int (*restore)(void *dev, struct snap_reader *r);
};

/* Transport counters (Firecracker-like names where meanings match). */
struct virtio_counters {
	uint64_t activate_fails;
	uint64_t queue_event_count;	/* kicks handled */
	uint64_t event_fails;		/* malformed chains and impossible indices */
	uint64_t bad_register;		/* wrong width, unknown offset, read-only reg */
	uint64_t bad_state;		/* write not allowed in the current status */
	uint64_t bad_notify;		/* QueueNotify for a queue that does not exist/ready */
	uint64_t config_oob;		/* config access outside config space */
	uint64_t interrupts;
	uint64_t needs_reset;
};

/*
 * Common device state and the virtio-mmio v2 register file (spec 4.2.2).
 * All guest-visible selectors are checked here, once.  `lock` serialises
 * vCPU register accesses with the event-loop queue handlers.
 */
struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *opaque;			/* the device object */
	char name[VIRTIO_NAME_MAX];
	pthread_mutex_t lock;
	bool lock_init;

	/* Environment, borrowed from the VM. */
	const struct gmem *mem;
	struct loop *loop;
	int vm_fd;			/* -1: no KVM (tests): no ioeventfd/irqfd */

	/* Slot. */
	uint64_t base;
	uint32_t gsi;
	bool attached;

	/* Register state. */
	uint64_t offered;
	uint64_t acked;
	uint32_t status;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint32_t queue_sel;		/* raw guest value; checked at each use */
	_Atomic uint32_t isr;		/* InterruptStatus */
	uint32_t config_generation;
	bool activated;
	struct vq vqs[VIRTIO_MAX_QUEUES];

	/* Event plumbing. */
	struct virtio_kick {
		struct virtio_dev *d;
		uint16_t qidx;
	} kick_ctx[VIRTIO_MAX_QUEUES];
	int kick_fd[VIRTIO_MAX_QUEUES];	/* ioeventfds (plain eventfds in tests) */
	bool kick_registered[VIRTIO_MAX_QUEUES];
	bool kick_on_loop[VIRTIO_MAX_QUEUES];
	int irq_fd;			/* irqfd */
	bool irq_registered;

	struct virtio_counters counters;
	struct ratelimit rl;		/* guest-triggerable warnings */
};

/*
 * Prepare `d` for device `opaque` with `ops`: eventfds for kicks and the
 * interrupt, the lock.  Nothing is visible to the guest yet.
 * `mem`/`loop` are borrowed for the device's lifetime; vm_fd may be -1.
 * 0 or -errno; on error virtio_dev_destroy() cleans up.
 */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *opaque,
		    const char *name, const struct gmem *mem, struct loop *loop,
		    int vm_fd) __must_check;

/*
 * Put the device at MMIO `base` (one 4 KiB page) with interrupt `gsi`:
 * register the range on `mmio`, the kick eventfds on the event loop and,
 * with KVM, one ioeventfd per queue (QueueNotify, datamatch on the index)
 * and an irqfd on gsi.  0 or -errno.
 */
int virtio_dev_attach(struct virtio_dev *d, struct bus *mmio, uint64_t base,
		      uint32_t gsi) __must_check;

/* Undo init/attach; accepts a partially set-up or zeroed object. */
void virtio_dev_destroy(struct virtio_dev *d);

/* The bus handler for the device's page (exported for tests and fuzzers). */
void virtio_mmio_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write);

/* Raise `bits` in InterruptStatus, then signal the irqfd.  Lock held. */
void virtio_dev_interrupt(struct virtio_dev *d, uint32_t bits);

/* Interrupt for queue q when vq_should_notify() says the driver wants it. */
void virtio_dev_notify_queue(struct virtio_dev *d, uint16_t qidx);

/*
 * The guest broke the protocol: set NEEDS_RESET and raise a configuration
 * interrupt (spec 2.1.2); the device processes nothing until reset.
 * `why` goes to a rate-limited warning.  Lock held.
 */
void virtio_dev_needs_reset(struct virtio_dev *d, const char *why);

/* A guest error reported by vq_pop() on queue qidx: count it, then NEEDS_RESET. */
void virtio_dev_queue_error(struct virtio_dev *d, uint16_t qidx);

/* Config space changed: bump ConfigGeneration and raise a config interrupt. */
void virtio_dev_config_changed(struct virtio_dev *d);

/* True when queue qidx exists, is ready and the device is running. */
bool virtio_dev_queue_live(const struct virtio_dev *d, uint16_t qidx);

/* Schedule queue_notify for qidx on the event loop, as a guest kick would (any thread). */
void virtio_dev_kick(struct virtio_dev *d, uint16_t qidx);

/*
 * Snapshots (the event-loop thread, VM paused).  quiesce completes in-flight
 * backend I/O; save writes the transport state (tag 5, a SECTION) and the
 * device's own (tag 6) into the open section of w; restore reads them back
 * from r into a device freshly built from the same configuration and
 * attached: every value is checked (queue sizes, ring addresses through
 * gmem_ptr, indices, features against what this device offers), the device
 * is re-activated when it was running, ready queues are kicked once and a
 * pending interrupt is raised again.  0 / -EINVAL (reason in r's context).
 */
void virtio_dev_quiesce(struct virtio_dev *d);
void virtio_dev_save(struct virtio_dev *d, struct snap_writer *w);
int virtio_dev_restore(struct virtio_dev *d, struct snap_reader *r) __must_check;

/* Tags of a device's element in the DEVICES array (docs/snapshot-format.md). */
enum {
	VIRTIO_SNAP_DEVICE_ID = 1,	/* U32 VIRTIO_ID_* */
	VIRTIO_SNAP_CONFIG_ID = 2,	/* BYTES drive/iface id, or the kind's name */
	VIRTIO_SNAP_BASE = 3,		/* U64 MMIO base */
	VIRTIO_SNAP_GSI = 4,		/* U32 */
	VIRTIO_SNAP_TRANSPORT = 5,	/* SECTION */
	VIRTIO_SNAP_STATE = 6,		/* SECTION: ops->save */
	VIRTIO_SNAP_CONFIG = 7,		/* SECTION: the configuration it is built from */
};

#endif
