/* SPDX-License-Identifier: MIT */
/* kvm/coalesced.c: write-only guest registers delivered through KVM's coalesced ring instead of exits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/vm.h"
#include "kvm/coalesced.h"
#include "kvm/coalesced_ring.h"
#include "util/log.h"

/*
 * No timer drains the ring: a coalesced write reaches its device when any
 * vCPU next exits (before that exit is handled) or when the VM pauses or
 * stops, so a zone may only cover a register whose writes nobody can
 * observe before such an exit.  The one zone, the CMOS index port, is only
 * ever read back through the data port, which always exits.  An earlier
 * zone on COM1's THR needed a flush timer on the event loop (a guest could
 * write a line and halt without exiting); that zone is gone
 * (docs/performance.md) and with it the timer, its file descriptor and the
 * once-a-second wake-up of every idle VM.
 */
struct coalesced {
	struct vm *vm;
	int max_entries;	/* 0: KVM cannot coalesce */
	long ring_offset;	/* bytes into the vCPU mapping */
	bool pio;		/* KVM_CAP_COALESCED_PIO */
	unsigned int nzones;
	struct kvm_coalesced_mmio_ring *_Atomic ring;
	pthread_mutex_t lock;	/* one consumer at a time keeps the order */
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

void coalesced_drain(struct coalesced *c)
{
	struct kvm_coalesced_mmio_ring *ring = c ? atomic_load(&c->ring) : NULL;

	if (!ring)
		return;
	/* Fast path on every exit: nothing queued. */
	if (__atomic_load_n(&ring->first, __ATOMIC_RELAXED) ==
	    __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&c->lock);
	if (coalesced_ring_drain(ring, (uint32_t)c->max_entries, deliver, c) < 0) {
		/* Only the kernel writes `last`; never expected.  Stop using the
		 * ring rather than read outside it; the zones then stay silent. */
		log_error("coalesced ring indices out of range; ring disabled");
		atomic_store(&c->ring, NULL);
	}
	pthread_mutex_unlock(&c->lock);
}

int coalesced_create(struct vm *vm, struct coalesced **out)
{
	struct coalesced *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->vm = vm;
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->ring, NULL);
	r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	/* The ring is page r of the vCPU mapping; the mapping must cover it. */
	if (r > 0 && (long)(r + 1) * sysconf(_SC_PAGESIZE) <= vm->run_size) {
		c->ring_offset = (long)r * sysconf(_SC_PAGESIZE);
		/* KVM_COALESCED_MMIO_MAX, whose PAGE_SIZE user space lacks */
		c->max_entries = (int)(((size_t)sysconf(_SC_PAGESIZE) -
					sizeof(struct kvm_coalesced_mmio_ring)) /
				       sizeof(struct kvm_coalesced_mmio));
		c->pio = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0;
	}
	*out = c;
	return 0;
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
}

void coalesced_destroy(struct coalesced *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}
