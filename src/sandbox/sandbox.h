/* SPDX-License-Identifier: MIT */
/* sandbox/sandbox.h: per-thread seccomp filters (VMM event loop, API, vCPU) and their switch. */
#ifndef EMBER_SANDBOX_H
#define EMBER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

/* The three thread classes; each gets its own allow-list (docs/seccomp.md). */
enum sandbox_class {
	SANDBOX_VMM = 0,	/* main thread: event loop, teardown */
	SANDBOX_API,		/* API server thread */
	SANDBOX_VCPU,		/* one per vCPU, KVM_RUN and exit handling */
	SANDBOX_NR_CLASSES,
};

/*
 * Install the filter for `cls` on the calling thread only (no TSYNC).  Call it
 * after the thread has opened everything it will use and before it handles
 * anything the guest or an API client controls.  Threads created afterwards by
 * this thread inherit the filter.  Any syscall outside the list kills the
 * whole process with SIGSYS.
 * Returns 0 (also when filters are disabled) or -errno: callers must treat a
 * failure as fatal (fail closed).
 */
int sandbox_apply(enum sandbox_class cls) __must_check;

/*
 * Make glibc open what it opens lazily (time zone, overcommit setting) now,
 * and check the build-time programs (idempotent, thread-safe).  The filters
 * themselves are compiled to BPF when ember is built (bpf.h).
 * sandbox_apply() does it on first use; calling it early, off the critical
 * path, leaves each thread only a seccomp(2) call at start-up.
 */
int sandbox_prepare(void) __must_check;

/*
 * Turn the filters off for the whole process (--no-seccomp).  Prints a warning
 * on stderr the first time.  Call from the main thread before any thread
 * calls sandbox_apply().
 */
void sandbox_disable(void);
bool sandbox_enabled(void);

const char *sandbox_class_name(enum sandbox_class cls);

/* One allowed syscall, optionally with up to two argument checks. */
struct sandbox_rule {
	const char *name;	/* syscall name, resolved at build time (bpf_gen.c) */
	unsigned int nargs;
	struct {
		unsigned int arg;	/* argument index 0..5 */
		int op;			/* enum scmp_compare */
		unsigned long long a, b;	/* datum_a, datum_b */
	} cmp[2];
};

/* The allow-list of a class (filters.c); n receives its length.  Linked into
 * the generator and the test tools, not into ember. */
const struct sandbox_rule *sandbox_rules(enum sandbox_class cls, size_t *n);

#endif
