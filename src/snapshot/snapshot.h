/* SPDX-License-Identifier: MIT */
/* snapshot/snapshot.h: create a snapshot of a paused VM, and restore one in a fresh process (docs/snapshots.md). */
#ifndef EMBER_SNAPSHOT_H
#define EMBER_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot/format.h"
#include "snapshot/state.h"

struct vm;
struct vm_config;
struct gmem;

struct snap_create_args {
	const char *snap_path;	/* state file: created or truncated */
	const char *mem_path;	/* memory file */
	bool diff;		/* only pages written since the last snapshot or restore */
};

struct snap_create_stats {
	uint64_t state_ns;	/* reading vCPU, VM and device state */
	uint64_t mem_ns;	/* writing the memory file */
	uint64_t total_ns;
	uint64_t state_bytes;
	uint64_t mem_bytes;	/* guest bytes written to the memory file */
};

/*
 * Write a snapshot of `vm`, which must be paused (vm_pause) and must stay so
 * until this returns; run it on the event-loop thread.  Full: every non-zero
 * page goes to mem_path, which is created or truncated (sparse).  Diff (needs
 * track_dirty_pages and an earlier full snapshot or a restore): only pages
 * written since then, into mem_path at their offsets; an existing file is
 * updated in place, a new one is sparse.  The memory file is complete before
 * the state file is written.  0 or -errno with one line in *why
 * (-EINVAL: the request cannot be honoured as asked).
 */
int snap_create(struct vm *vm, const struct snap_create_args *a, struct snap_create_stats *st,
		char *why, size_t why_len) __must_check;

/* A snapshot being restored: the validated state file and the memory file. */
struct snap_restore {
	uint8_t *buf;		/* the whole state file */
	size_t len;
	struct snap_ctx ctx;
	struct snap_reader top;
	struct snap_state *st;
	int mem_fd;
	uint64_t t_begin, t_validated;	/* CLOCK_MONOTONIC ns */
};

/*
 * Read the state file whole and check it (size, magic, version, CRC, every
 * machine/memory/vCPU/VM section), open the memory file and check it covers
 * every region; then set cfg's machine fields (vCPUs, memory, PIT, ACPI,
 * ucall) from the snapshot.  Nothing is applied.  0, or -EINVAL for a bad
 * snapshot or memory file (ember exits with status 2), -errno otherwise;
 * *why holds one line.
 */
int snap_restore_open(struct snap_restore *s, const char *snap_path, const char *mem_path,
		      struct vm_config *cfg, char *why, size_t why_len) __must_check;

/* Builder step 3: map guest RAM MAP_PRIVATE from the memory file. */
int snap_restore_memory(struct snap_restore *s, struct gmem *m, char *why,
			size_t why_len) __must_check;

/* Last builder step: load vCPU, interrupt controller, PIT, clock and device
 * state into the freshly built VM. */
int snap_restore_apply(struct snap_restore *s, struct vm *vm, char *why,
		       size_t why_len) __must_check;

void snap_restore_close(struct snap_restore *s);

/*
 * `ember run --snapshot-at-marker`: the first time the guest writes the boot
 * marker (port 0x440, value 123) the event loop pauses the VM, writes the
 * snapshot described by `a` (paths copied), prints one line with the times
 * on stderr, then stops the VM (exit status 0) or, with `cont`, resumes it.
 * Call after vm_create and before vm_run.  0 / -errno.
 */
int snap_at_marker_arm(struct vm *vm, const struct snap_create_args *a, bool cont) __must_check;
void snap_at_marker_disarm(struct vm *vm);

#endif
