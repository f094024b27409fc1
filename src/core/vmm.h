/* SPDX-License-Identifier: MIT */
/* core/vmm.h: the process-level VMM: configuration before boot, the action queue from the API thread, the VM after InstanceStart. */
#ifndef EMBER_VMM_H
#define EMBER_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/routes.h"
#include "cli/console.h"
#include "core/config.h"
#include "core/vm.h"
#include "event/loop.h"

#define VMM_METRICS_PERIOD_S	60

/*
 * One API request on its way to the VMM thread and back (Firecracker's
 * rpc_interface.rs): the API thread fills `call`, posts it and sleeps; the
 * VMM thread runs it against the configuration or the VM and fills the reply.
 */
struct vmm_action {
	struct api_call call;
	int status;		/* 200, 204 or 400 */
	char *body;		/* malloc'd JSON text, or NULL */
	bool done;		/* under vmm.lock */
	struct vmm_action *next;
};

struct vmm {
	char id[CONFIG_ID_MAX + 1];
	struct vm_config cfg;	/* the configuration being built; frozen at InstanceStart */
	struct vm *vm;		/* NULL until InstanceStart succeeds */

	/*
	 * The VMM thread's event loop before the VM exists.  At InstanceStart its
	 * fds (action queue, signals, metrics timer) move into vm->loop, which the
	 * same thread then runs in vm_run(): one thread, one epoll set at a time.
	 */
	struct loop preboot;
	int action_efd;		/* the API thread's "queue not empty" doorbell */
	int sig_fd;		/* SIGINT, SIGTERM, SIGHUP */
	int timer_fd;		/* periodic metrics */
	bool start_requested;	/* InstanceStart done: leave the pre-boot loop */
	bool exit_requested;	/* a signal before boot */
	bool resources_set;	/* a pre-boot resource was configured: no snapshot load */
	bool restored;		/* the VM came from PUT /snapshot/load */

	pthread_mutex_t lock;	/* queue and shutting_down */
	pthread_cond_t cond;	/* action done */
	struct vmm_action *head, *tail;
	bool shutting_down;

	struct console con;
	bool con_attached;
	uint64_t process_start_ns;	/* CLOCK_MONOTONIC */
	uint64_t instance_start_ns;	/* InstanceStart received */
};

/*
 * Set up the pre-boot loop, queue and signal handling.  Blocks SIGINT,
 * SIGTERM and SIGHUP in the calling thread, so call it before creating any
 * other thread.  cfg is moved into the vmm (the caller's copy is zeroed).
 */
int vmm_init(struct vmm *v, const char *id, struct vm_config *cfg, uint64_t process_start_ns,
	     char *why, size_t why_len) __must_check;
void vmm_destroy(struct vmm *v);

/* Apply cfg->logger and cfg->metrics (open files, levels).  0 / -EINVAL with *why. */
int vmm_apply_logging(const struct vm_config *cfg, char *why, size_t why_len) __must_check;

/* From the API thread: run `a` on the VMM thread and wait for the reply.
 * -ESHUTDOWN (a not run) once the VMM is shutting down. */
int vmm_post(struct vmm *v, struct vmm_action *a) __must_check;

/* Start the VM now (the --config-file path), on the VMM thread.  0 / -errno with *why. */
int vmm_start_now(struct vmm *v, char *why, size_t why_len) __must_check;

/*
 * Run the VMM thread until the process should end: serve actions before
 * boot, then the VM until it stops.  Returns ember's exit status.
 */
int vmm_run(struct vmm *v);

/* Refuse further actions and answer the queued ones (after vmm_run). */
void vmm_shutdown(struct vmm *v);

#endif
