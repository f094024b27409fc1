/* SPDX-License-Identifier: MIT */
/* arch/x86/cpuid.c: assembles guest CPUID: topology, hypervisor leaves, timing leaf 0x40000010. */
#include <errno.h>
#include <string.h>

#include "arch/x86/cpu_template.h"
#include "arch/x86/cpuid.h"

#define CPUID_1_ECX_MONITOR	(1u << 3)
#define CPUID_1_ECX_HYPERVISOR	(1u << 31)
#define CPUID_1_EDX_HTT		(1u << 28)
#define KVM_SIGNATURE_EBX	0x4b4d564bu	/* "KVMK" */
#define KVM_SIGNATURE_ECX	0x564b4d56u	/* "VMKV" */
#define KVM_SIGNATURE_EDX	0x0000004du	/* "M\0\0\0" */
#define HV_BASE			0x40000000u
#define HV_TIMING		0x40000010u

struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->e[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *get_or_add(struct cpuid_table *t, uint32_t function,
					   uint32_t index, uint32_t flags)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(t, function, index);

	if (e)
		return e;
	if (t->nent >= CPUID_MAX_ENTRIES)
		return NULL;
	e = &t->e[t->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = flags;
	return e;
}

/* Bits needed to number n APIC IDs: the x2APIC shift for the core level. */
static uint32_t id_shift(unsigned int n)
{
	uint32_t s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void set_topology_leaf(struct kvm_cpuid_entry2 *e, unsigned int index,
			      unsigned int ncpus)
{
	/* One thread per core, ncpus cores in one package. */
	switch (e->index) {
	case 0:		/* SMT level */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1:		/* core level */
		e->eax = id_shift(ncpus);
		e->ebx = ncpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:	/* invalid level terminates enumeration */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index & 0xff;
		break;
	}
	e->edx = index;
}

int cpuid_build(const struct cpuid_table *supported, unsigned int index,
		unsigned int ncpus, uint32_t tsc_khz, struct cpuid_table *out)
{
	struct kvm_cpuid_entry2 *e;
	bool is_amd = false;

	if (!ncpus || index >= ncpus || ncpus > 255 || supported->nent > CPUID_MAX_ENTRIES)
		return -EINVAL;
	out->nent = 0;
	for (uint32_t i = 0; i < supported->nent; i++) {
		uint32_t f = supported->e[i].function;

		/* Drop KVM's own hypervisor leaves; rebuilt below. */
		if (f >= HV_BASE && f < HV_BASE + 0x100)
			continue;
		out->e[out->nent++] = supported->e[i];
	}

	e = cpuid_find(out, 0, 0);
	if (!e)
		return -EINVAL;
	is_amd = e->ebx == 0x68747541;	/* "Auth"enticAMD */

	e = cpuid_find(out, 1, 0);
	if (!e)
		return -EINVAL;
	e->ebx = (e->ebx & 0x0000ffffu) | (index << 24) | ((ncpus & 0xff) << 16);
	e->ecx |= CPUID_1_ECX_HYPERVISOR;
	/* No MONITOR/MWAIT: an idle guest must HLT so KVM can block the vCPU. */
	e->ecx &= ~CPUID_1_ECX_MONITOR;
	if (ncpus > 1)
		e->edx |= CPUID_1_EDX_HTT;

	/* Deterministic cache parameters: cores per package and sharing. */
	for (uint32_t i = 0; i < out->nent; i++) {
		e = &out->e[i];
		if (e->function == 4 && (e->eax & 0x1f)) {
			uint32_t level = (e->eax >> 5) & 0x7;

			e->eax &= 0x3ff;
			e->eax |= ((ncpus - 1) & 0x3f) << 26;
			if (level == 3)
				e->eax |= ((ncpus - 1) & 0xfff) << 14;
		} else if (e->function == 0xb || e->function == 0x1f) {
			set_topology_leaf(e, index, ncpus);
		} else if (e->function == 0xa) {
			/* No virtual PMU: keeps guests off the perf MSRs (and exits). */
			e->eax = e->ebx = e->ecx = e->edx = 0;
		} else if (e->function == 0x80000008 && is_amd) {
			e->ecx = (e->ecx & ~0xf0ffu) | ((ncpus - 1) & 0xff) |
				 (id_shift(ncpus) << 12);
		}
	}

	/* KVM signature leaf, advertising leaves up to the timing leaf. */
	e = get_or_add(out, HV_BASE, 0, 0);
	if (!e)
		return -ENOSPC;
	e->eax = HV_TIMING;
	e->ebx = KVM_SIGNATURE_EBX;
	e->ecx = KVM_SIGNATURE_ECX;
	e->edx = KVM_SIGNATURE_EDX;
	for (uint32_t i = 0; i < supported->nent; i++) {
		if (supported->e[i].function == HV_BASE + 1) {
			e = get_or_add(out, HV_BASE + 1, 0, 0);
			if (!e)
				return -ENOSPC;
			*e = supported->e[i];
		}
	}
	/* Timing leaf (VMware/QEMU convention): TSC and LAPIC bus in kHz. */
	e = get_or_add(out, HV_TIMING, 0, 0);
	if (!e)
		return -ENOSPC;
	e->eax = tsc_khz;
	e->ebx = KVM_LAPIC_KHZ;
	e->ecx = e->edx = 0;
	return 0;
}

int cpuid_apply_modifiers(struct cpuid_table *t, const struct cpuid_modifier_cfg *mods,
			  unsigned int n, unsigned int *bad)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct cpuid_modifier_cfg *m = &mods[i];
		struct kvm_cpuid_entry2 *e = NULL;

		for (uint32_t k = 0; k < t->nent && !e; k++)
			if (t->e[k].function == m->leaf && t->e[k].index == m->subleaf)
				e = &t->e[k];
		if (!e) {
			if (bad)
				*bad = i;
			return -ENOENT;
		}
		e->flags = m->flags;
		for (unsigned int r = 0; r < m->n_regs && r < 4; r++) {
			uint32_t *reg = m->regs[r].reg == CPUID_EAX ? &e->eax
				      : m->regs[r].reg == CPUID_EBX ? &e->ebx
				      : m->regs[r].reg == CPUID_ECX ? &e->ecx : &e->edx;

			*reg = (uint32_t)cpu_template_apply(*reg, m->regs[r].filter,
							    m->regs[r].value);
		}
	}
	return 0;
}
