/* SPDX-License-Identifier: MIT */
/* arch/x86/cpuid.h: per-vCPU CPUID table assembly from KVM's supported leaves (pure). */
#ifndef EMBER_CPUID_H
#define EMBER_CPUID_H

#include <stdint.h>
#include <linux/kvm.h>
#include "core/config.h"
#include "util/compiler.h"

#define CPUID_MAX_ENTRIES 256

struct cpuid_table {
	uint32_t nent;
	struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
};

#define KVM_LAPIC_KHZ 1000000u	/* KVM's emulated APIC bus runs at 1 GHz */

/*
 * Turn KVM's supported CPUID (`supported`, as KVM_GET_SUPPORTED_CPUID returned
 * it) into the table for vCPU `index` of `ncpus`: APIC IDs and topology
 * (leaves 1, 4, 0xB, 0x1F, 0x80000008), the hypervisor bit, the KVM leaves
 * with 0x40000010 (TSC and LAPIC kHz, so guests skip calibration), and no
 * PMU or MONITOR/MWAIT.  0, -EINVAL or -ENOSPC.
 */
int cpuid_build(const struct cpuid_table *supported, unsigned int index,
		unsigned int ncpus, uint32_t tsc_khz, struct cpuid_table *out) __must_check;

/* Entry for (function, index) or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index);

/*
 * Apply a custom CPU template's CPUID modifiers to a built table, as
 * Firecracker does: each modifier names an entry by exact (leaf, subleaf),
 * which must exist (it changes what KVM supports, it cannot invent leaves);
 * the entry's flags become the modifier's, and each register keeps the bits
 * its bitmap marks 'x' and takes the others.  Modifiers apply in order.
 * 0, or -ENOENT with *bad = the index of the modifier whose entry is missing
 * (the table is then partly modified).
 */
int cpuid_apply_modifiers(struct cpuid_table *t, const struct cpuid_modifier_cfg *mods,
			  unsigned int n, unsigned int *bad) __must_check;

#endif
