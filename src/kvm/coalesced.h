/* SPDX-License-Identifier: MIT */
/* kvm/coalesced.h: write-only guest registers delivered through KVM's coalesced ring instead of exits. */
#ifndef EMBER_COALESCED_H
#define EMBER_COALESCED_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

struct vm;
struct coalesced;

/*
 * Create the VM's coalescing state.
 * Without KVM support (no KVM_CAP_COALESCED_MMIO / _PIO) every call below
 * is a no-op and the registers exit as before.  0 / -errno.
 */
int coalesced_create(struct vm *vm, struct coalesced **out) __must_check;
void coalesced_destroy(struct coalesced *c);

/*
 * Let guest writes to [addr, addr+len) (ports when `pio`) collect in the
 * ring; they reach the bus, in order, before the next exit of any vCPU is
 * handled or when the VM pauses or stops; nothing drains it otherwise.  So
 * only for registers whose writes nothing can observe before some vCPU
 * exits again, such as an index register read back only through a data
 * port that exits (docs/performance.md).
 * 0, or -errno (not fatal: the writes then simply exit).
 */
int coalesced_add_zone(struct coalesced *c, uint64_t addr, uint32_t len, bool pio);

/* Point at the ring (in vCPU 0's kvm_run mapping) once vCPU 0 exists. */
void coalesced_attach_ring(struct coalesced *c, void *vcpu0_run);

/* Deliver everything in the ring now (any thread). */
void coalesced_drain(struct coalesced *c);

#endif
