/* SPDX-License-Identifier: MIT */
/* core/vm.h: the VM object: KVM fds, guest memory, buses, vCPUs, devices and lifecycle. */
#ifndef EMBER_VM_H
#define EMBER_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "boot/kernel.h"
#include "bus/bus.h"
#include "core/config.h"
#include "event/loop.h"
#include "mem/gmem.h"
#include "util/log.h"

struct serial;
struct i8042;
struct rtc;
struct ember_ports;
struct devices;

/* Why the VM stopped; maps to ember's exit status (include/ember/guest_abi.h). */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_RESET,		/* i8042 reset, triple fault, KVM system event */
	VM_STOP_POWEROFF,
	VM_STOP_PANIC,		/* the guest reported a panic before resetting */
	VM_STOP_TEST_DONE,	/* ucall DONE */
	VM_STOP_TEST_FAILED,	/* ucall ASSERT/ABORT */
	VM_STOP_ERROR,		/* unrecoverable vCPU exit or VMM failure */
	VM_STOP_USER,		/* escape key or signal */
	VM_STOP_SNAPSHOT,	/* --snapshot-at-marker wrote its snapshot */
};

/* Boot-time breakdown, CLOCK_MONOTONIC ns; 0 = not reached. */
struct boot_times {
	uint64_t process_start;	/* approximated by main()'s first instruction */
	uint64_t config_done;
	uint64_t vm_created;	/* VM, memory, irqchip */
	uint64_t kernel_loaded;
	uint64_t vcpus_ready;
	_Atomic uint64_t first_exit;	/* first KVM exit of the BSP: guest code has run */
	_Atomic uint64_t init_marker;	/* guest wrote 123 to the boot marker port */
	uint64_t stopped;
};

struct vcpu {
	struct vm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	struct ratelimit unhandled_rl;	/* per vCPU: no shared mutable state */
	uint64_t exits;
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	bool pvm_backend;	/* software KVM: unmodified guests are emulated */
	struct gmem mem;
	struct bus pio;
	struct bus mmio;
	struct loop loop;
	unsigned int nvcpus;
	struct vcpu *vcpus;
	struct boot_plan plan;

	struct serial *serial;
	struct coalesced *coalesced;	/* write-only registers without exits */
	/* The kernel and initrd file mappings, unmapped once the vCPUs run:
	 * unmapping 18 MB of touched pages costs ~0.15 ms, which need not be
	 * on the way to the guest's first instruction. */
	struct { void *p; size_t len; } inputs[2];
	struct i8042 *i8042;
	struct rtc *rtc;
	struct ember_ports *ports;
	struct devices *devices;	/* virtio-mmio devices (core/devices.c) */

	int stop_efd;		/* eventfd: wakes the event loop on stop */
	_Atomic int stop_reason;	/* enum vm_stop_reason; first writer wins */
	atomic_bool guest_panicked;
	struct boot_times times;
	int serial_out_fd;	/* cfg->serial_out_path opened, or -1 (stdout) */

	/* Pause/resume (PATCH /vm): vCPU threads park in vm_vcpu_pause_point(). */
	atomic_bool pause_pending;	/* fast check on every vCPU loop turn */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;	/* parked vCPUs wait; vm_pause waits for them */
	unsigned int paused_vcpus;	/* under pause_lock */
	bool pause_sync_ready;		/* lock and cond initialised */

	/* Snapshots (src/snapshot/, docs/snapshots.md). */
	bool snap_have_base;	/* a full snapshot was written or restored: diffs allowed */
	void (*marker_hook)(struct vm *vm);	/* first boot marker, on a vCPU thread */
	void *marker_opaque;
};

/* Build the whole VM from a validated config, in the order in docs/boot.md.
 * On failure everything is undone and *why holds a one-line reason. */
int vm_create(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len) __must_check;
void vm_destroy(struct vm *vm);

/*
 * The same builder for a snapshot opened with snap_restore_open(): guest RAM
 * maps the snapshot's memory file, no kernel or boot tables are written, and
 * the saved vCPU, interrupt controller and device state is loaded last.
 * Returns -EINVAL when the snapshot's state is refused (ember exits 2).
 */
struct snap_restore;
int vm_create_restored(struct vm *vm, const struct vm_config *cfg, struct snap_restore *snap,
		       char *why, size_t why_len) __must_check;

/* Start vCPU threads and run the event loop until the VM stops.
 * Returns the stop reason. */
enum vm_stop_reason vm_run(struct vm *vm);

/* Ask the VM to stop (any thread; first reason wins). */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);

/*
 * Pause every running vCPU (the event-loop thread, while vm_run runs): kick
 * them out of KVM_RUN and wait until each is parked.  Devices keep running
 * on the event loop.  0, or -ESHUTDOWN if the VM is stopping.
 */
int vm_pause(struct vm *vm) __must_check;
/* Let parked vCPUs run again. */
void vm_resume(struct vm *vm);
bool vm_is_paused(const struct vm *vm);
/* Called by each vCPU thread after KVM_RUN returned -EINTR: parks while a
 * pause is on.  The vCPU loop enters KVM_RUN with immediate_exit set while a
 * pause is pending, so a parked vCPU has no half-done PIO/MMIO (snapshots). */
void vm_vcpu_pause_point(struct vcpu *v);

/* Drive a legacy interrupt line (ISA IRQ / GSI). Thread-safe. */
void vm_irq_line(struct vm *vm, uint32_t gsi, int level);

/* Exit status for a stop reason (0 OK, 1 VMM error, 3 panic, 4 test failure). */
int vm_exit_status(const struct vm *vm, enum vm_stop_reason r);

#endif
