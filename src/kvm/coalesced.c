/* SPDX-License-Identifier: MIT */
/* kvm/coalesced.c: write-only guest registers delivered through KVM's coalesced ring instead of exits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/vm.h"
#include "kvm/coalesced.h"
#include "kvm/coalesced_ring.h"
#include "util/log.h"

/*
 * Why a timer: a coalesced write does not exit, so it reaches its device at
 * the next exit of any vCPU.  For the CMOS index the data access that
 * follows always exits, but a guest may write and then idle in HLT, which
 * KVM handles without exiting, and a later zone may not be followed by an
 * exit at all.  So the ring is also drained by a timer: every 5 ms while
 * there is something to drain, backing off to once a second when there is
 * nothing, so an idle VM costs one wake-up a second and no queued write
 * waits longer than that.
 */
#define FLUSH_FAST_NS	5000000L
#define FLUSH_SLOW_NS	1000000000L

struct coalesced {
	struct vm *vm;
	int max_entries;	/* 0: KVM cannot coalesce */
	long ring_offset;	/* bytes into the vCPU mapping */
	bool pio;		/* KVM_CAP_COALESCED_PIO */
	unsigned int nzones;
	struct kvm_coalesced_mmio_ring *_Atomic ring;
	pthread_mutex_t lock;	/* one consumer at a time keeps the order */
	int timer_fd;
	long interval_ns;	/* the flush timer's period; event-loop thread only */
};

static void deliver(void *opaque, bool pio, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct coalesced *c = opaque;
	uint8_t buf[8];

	memcpy(buf, data, len);
	if (!bus_dispatch(pio ? &c->vm->pio : &c->vm->mmio, addr, buf, len, true))
		log_debug("coalesced write to unclaimed %s 0x%llx", pio ? "port" : "MMIO",
			  (unsigned long long)addr);
}

static int drain(struct coalesced *c)
{
	struct kvm_coalesced_mmio_ring *ring = atomic_load(&c->ring);
	int n;

	if (!ring)
		return 0;
	/* Fast path on every exit: nothing queued. */
	if (__atomic_load_n(&ring->first, __ATOMIC_RELAXED) ==
	    __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&c->lock);
	n = coalesced_ring_drain(ring, (uint32_t)c->max_entries, deliver, c);
	if (n < 0) {
		/* Only the kernel writes `last`; never expected.  Stop using the
		 * ring rather than read outside it; the zones then stay silent. */
		log_error("coalesced ring indices out of range; ring disabled");
		atomic_store(&c->ring, NULL);
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

void coalesced_drain(struct coalesced *c)
{
	if (c)
		(void)drain(c);
}

static void arm(struct coalesced *c, long ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L },
	};

	if (c->timer_fd >= 0)
		(void)timerfd_settime(c->timer_fd, 0, &its, NULL);
}

static void on_flush_timer(void *opaque, uint32_t events)
{
	struct coalesced *c = opaque;
	uint64_t ticks;

	(void)events;
	if (read(c->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	c->interval_ns = drain(c) > 0 ? FLUSH_FAST_NS : MIN(c->interval_ns * 2, FLUSH_SLOW_NS);
	arm(c, c->interval_ns);
}

int coalesced_create(struct vm *vm, struct coalesced **out)
{
	struct coalesced *c = calloc(1, sizeof(*c));
	int r, err;

	if (!c)
		return -ENOMEM;
	c->vm = vm;
	c->timer_fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->ring, NULL);
	c->interval_ns = FLUSH_FAST_NS;
	r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	/* The ring is page r of the vCPU mapping; the mapping must cover it. */
	if (r > 0 && (long)(r + 1) * sysconf(_SC_PAGESIZE) <= vm->run_size) {
		c->ring_offset = (long)r * sysconf(_SC_PAGESIZE);
		/* KVM_COALESCED_MMIO_MAX, whose PAGE_SIZE user space lacks */
		c->max_entries = (int)(((size_t)sysconf(_SC_PAGESIZE) -
					sizeof(struct kvm_coalesced_mmio_ring)) /
				       sizeof(struct kvm_coalesced_mmio));
		c->pio = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0;
		c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->timer_fd < 0) {
			err = -errno;
			goto fail;
		}
		err = loop_add_fd(&vm->loop, c->timer_fd, EPOLLIN, on_flush_timer, c);
		if (err)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	coalesced_destroy(c);
	return err;
}

int coalesced_add_zone(struct coalesced *c, uint64_t addr, uint32_t len, bool pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = len, .pio = pio };

	if (!c->max_entries || (pio && !c->pio))
		return -ENOTSUP;
	if (ioctl(c->vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &z) < 0)
		return -errno;
	c->nzones++;
	return 0;
}

void coalesced_attach_ring(struct coalesced *c, void *vcpu0_run)
{
	if (!c->nzones)
		return;	/* also when KVM cannot coalesce: no zone was taken */
	atomic_store(&c->ring, (struct kvm_coalesced_mmio_ring *)((uint8_t *)vcpu0_run +
								   c->ring_offset));
	arm(c, FLUSH_FAST_NS);	/* the guest may write before its first exit */
}

void coalesced_destroy(struct coalesced *c)
{
	if (!c)
		return;
	if (c->timer_fd >= 0) {
		loop_del_fd(&c->vm->loop, c->timer_fd);
		close(c->timer_fd);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}
