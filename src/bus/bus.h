/* SPDX-License-Identifier: MIT */
/* bus/bus.h: registry of port-I/O and MMIO ranges and dispatch of guest accesses to devices. */
#ifndef EMBER_BUS_H
#define EMBER_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

/*
 * A device's access handler.  `off` is relative to the registered base,
 * `data` holds `len` bytes (1, 2, 4 or 8) in guest byte order (little
 * endian).  For reads the handler fills `data`; the bus pre-fills it with
 * 0xff so an unhandled width reads as all ones.  Handlers run on vCPU
 * threads and must only touch register state (no blocking I/O).
 */
typedef void (*bus_access_fn)(void *opaque, uint64_t off, uint8_t *data,
			      uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn fn;
	void *opaque;
	const char *name;
};

#define BUS_MAX_RANGES 64

struct bus {
	unsigned int n;
	struct bus_range ranges[BUS_MAX_RANGES];	/* sorted by base, disjoint */
};

/* Add a range; -EEXIST if it overlaps one already there, -ENOSPC, -EINVAL. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn fn,
		 void *opaque, const char *name) __must_check;

/* The range holding [addr, addr+len), or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr, uint32_t len);

/* Dispatch; returns false when nothing is registered there (reads then get 0xff). */
bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		  bool is_write);

#endif
