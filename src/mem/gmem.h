/* SPDX-License-Identifier: MIT */
/* mem/gmem.h: guest RAM regions and the one checked (gpa, len) gate to host pointers. */
#ifndef EMBER_GMEM_H
#define EMBER_GMEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;		/* bytes */
	uint8_t *hva;		/* host mapping of the region */
};

struct gmem {
	unsigned int nr_regions;
	struct gmem_region regions[GMEM_MAX_REGIONS];	/* sorted by gpa, non-overlapping */
	uint64_t total;		/* sum of region sizes */
	bool file_backed;	/* regions map `fd` MAP_PRIVATE (a restored snapshot) */
	int fd;			/* valid only when file_backed; owned */
	/*
	 * Pages the VMM itself wrote (gmem_write, used rings, device buffers,
	 * balloon releases), one bit per 4 KiB page of each region, or NULL when
	 * not tracked.  KVM's dirty log sees only guest writes; diff snapshots
	 * merge the two (docs/snapshots.md).
	 */
	_Atomic uint64_t *dirty[GMEM_MAX_REGIONS];
};

/*
 * Map anonymous guest RAM of `size` bytes laid out by the x86 memory map
 * (below the 32-bit MMIO gap, the rest above 4 GiB).  The mapping is lazy:
 * pages are touched only when the guest or a loader writes them.
 * Returns 0 or -errno.
 */
int gmem_create_x86(struct gmem *m, uint64_t size) __must_check;
void gmem_destroy(struct gmem *m);

/*
 * Like gmem_create_x86, but each region maps `fd` MAP_PRIVATE at its offset
 * in the file, regions packed back to back from offset 0 (a snapshot memory
 * file): pages load on demand and guest writes stay private to this process.
 * The file must be at least `size` bytes (checked: a shorter file would
 * fault with SIGBUS).  fd is duplicated.  0 or -errno (-EINVAL: too short).
 */
int gmem_create_x86_file(struct gmem *m, uint64_t size, int fd) __must_check;

/*
 * Describe an existing buffer as guest memory (unit tests, fuzzers):
 * regions must be sorted and disjoint.  Never fails for valid input.
 */
int gmem_init_regions(struct gmem *m, const struct gmem_region *regions,
		      unsigned int n) __must_check;

/*
 * The gate.  Host pointer for [gpa, gpa+len) when the whole range lies in one
 * RAM region (overflow-checked), otherwise NULL.  len == 0 is valid when gpa
 * lies inside a region or at its end.  The pointer stays valid for the VM's
 * lifetime; the guest may change the bytes behind it at any time, so copy
 * anything that is validated before use (gmem_read).
 */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/*
 * Fault in [gpa, gpa+len) for writing in one call (MADV_POPULATE_WRITE)
 * before the VMM fills it (kernel, initrd): one system call instead of a
 * page fault per 4 KiB page.  Best effort: older kernels, ranges outside
 * RAM and file-backed restores are left to fault lazily.
 */
void gmem_populate(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copy out of / into guest memory.  0 or -EFAULT. */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len) __must_check;
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len) __must_check;

/*
 * Start recording VMM writes into guest memory (diff snapshots): one bitmap
 * per region, all clear.  0 or -ENOMEM.  gmem_destroy() frees them.
 */
int gmem_dirty_enable(struct gmem *m) __must_check;

/* Mark the pages of [gpa, gpa+len) written, if tracking is on.  Any thread;
 * parts outside RAM are ignored.  len 0 marks nothing. */
void gmem_mark_dirty(const struct gmem *m, uint64_t gpa, uint64_t len);
/* The same for a host range inside guest RAM (a buffer from gmem_ptr). */
void gmem_mark_dirty_hva(const struct gmem *m, const void *hva, uint64_t len);

/*
 * OR region r's VMM-dirty bits into bm (one bit per page, bit p of word
 * p/64) and clear them, atomically word by word.  No-op when not tracking.
 */
void gmem_dirty_take(const struct gmem *m, unsigned int r, uint64_t *bm);

/* Largest gpa + 1 of RAM below 4 GiB (the top of the low region). */
uint64_t gmem_low_end(const struct gmem *m);

#endif
