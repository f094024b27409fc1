/* SPDX-License-Identifier: MIT */
/* tests/unit/test_cpuid.c: per-vCPU CPUID from a synthetic KVM_GET_SUPPORTED_CPUID table. */
#include <errno.h>

#include "arch/x86/cpuid.h"
#include "harness.h"

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#define TSC_KHZ 2500000u

static struct cpuid_table sup, out;

static void add(uint32_t fn, uint32_t idx, uint32_t flags, uint32_t a, uint32_t b, uint32_t c,
		uint32_t d)
{
	sup.e[sup.nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = idx, .flags = flags,
		.eax = a, .ebx = b, .ecx = c, .edx = d,
	};
}

/* Roughly what KVM reports on an Intel host (or AMD with `amd`). */
static void supported(bool amd)
{
	memset(&sup, 0, sizeof(sup));
	add(0, 0, 0, 0x1f, amd ? 0x68747541 : 0x756e6547, 0, 0);
	add(1, 0, 0, 0x000906ea, 0x00000800, 0xfffa3203 | (1u << 3), 0x0f8bfbff);
	add(4, 0, SIG, 0x1c004121, 0x01c0003f, 0x3f, 0);	/* L1d */
	add(4, 1, SIG, 0x1c004122, 0x01c0003f, 0x3f, 0);	/* L1i */
	add(4, 2, SIG, 0x1c004143, 0x00c0003f, 0x3ff, 0);	/* L2 */
	add(4, 3, SIG, 0x1c03c163, 0x03c0003f, 0x2fff, 6);	/* L3 */
	add(4, 4, SIG, 0, 0, 0, 0);				/* end */
	add(0xa, 0, 0, 0x07300404, 0, 0, 0x603);
	add(0xb, 0, SIG, 1, 2, 0x100, 7);
	add(0xb, 1, SIG, 4, 12, 0x201, 7);
	add(0xb, 2, SIG, 0, 0, 2, 7);
	add(0x1f, 0, SIG, 1, 2, 0x100, 7);
	add(0x1f, 1, SIG, 4, 12, 0x201, 7);
	add(0x1f, 2, SIG, 0, 0, 2, 7);
	add(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	add(0x40000002, 0, 0, 0xdead, 0xdead, 0, 0);		/* must not survive */
	add(0x80000000, 0, 0, 0x80000008, 0, 0, 0);
	add(0x80000008, 0, 0, 0x3030, 0, 0xdead5007, 0);
}

static struct kvm_cpuid_entry2 *get(uint32_t fn, uint32_t idx)
{
	static struct kvm_cpuid_entry2 none;
	struct kvm_cpuid_entry2 *e = cpuid_find(&out, fn, idx);

	if (!e) {
		fprintf(stderr, "  leaf 0x%x.%u missing\n", fn, idx);
		harness_cur_failed++;
		memset(&none, 0, sizeof(none));
		return &none;
	}
	return e;
}

/* SDM CPUID.01H:EBX[31:24] initial APIC ID, [23:16] addressable IDs. */
static void test_cpuid_leaf1_apic_id(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 3, 4, TSC_KHZ, &out), 0);
	CHECK_EQ(get(1, 0)->ebx >> 24, 3);
	CHECK_EQ((get(1, 0)->ebx >> 16) & 0xff, 4);
	CHECK_EQ(get(1, 0)->ebx & 0xffff, 0x0800);		/* CLFLUSH size kept */
	CHECK_EQ(get(1, 0)->edx & (1u << 28), 1u << 28);	/* HTT with > 1 CPU */
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);
	CHECK_EQ(get(1, 0)->ebx >> 24, 0);
	CHECK_EQ(get(1, 0)->edx & (1u << 28), 0);
}

/* CPUID.01H:ECX[31] hypervisor present; ECX[3] MONITOR off so idle vCPUs HLT. */
static void test_cpuid_hypervisor_bit_and_no_monitor(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 0, 2, TSC_KHZ, &out), 0);
	CHECK_EQ(get(1, 0)->ecx >> 31, 1);
	CHECK_EQ(get(1, 0)->ecx & (1u << 3), 0);
	CHECK_EQ(get(1, 0)->ecx & ~((1u << 31) | (1u << 3)), 0xfffa3203 & ~(1u << 31));
}

/* SDM leaf 0BH / 1FH: SMT level (1 thread), core level (ncpus), then invalid; EDX = x2APIC ID. */
static void check_topology(uint32_t leaf, unsigned int index, unsigned int ncpus,
			   uint32_t shift)
{
	struct kvm_cpuid_entry2 *smt = get(leaf, 0), *core = get(leaf, 1), *end = get(leaf, 2);

	CHECK_EQ(smt->eax & 0x1f, 0);
	CHECK_EQ(smt->ebx & 0xffff, 1);
	CHECK_EQ((smt->ecx >> 8) & 0xff, 1);			/* level type SMT */
	CHECK_EQ(smt->ecx & 0xff, 0);
	CHECK_EQ(smt->edx, index);
	CHECK_EQ(core->eax & 0x1f, shift);
	CHECK_EQ(core->ebx & 0xffff, ncpus);
	CHECK_EQ((core->ecx >> 8) & 0xff, 2);			/* level type Core */
	CHECK_EQ(core->ecx & 0xff, 1);
	CHECK_EQ(core->edx, index);
	CHECK_EQ(end->ebx, 0);
	CHECK_EQ((end->ecx >> 8) & 0xff, 0);			/* invalid: stop */
	CHECK_EQ(end->ecx & 0xff, 2);
	CHECK_EQ(end->edx, index);
}

static void test_cpuid_topology_leaves(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 5, 6, TSC_KHZ, &out), 0);
	check_topology(0xb, 5, 6, 3);
	check_topology(0x1f, 5, 6, 3);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);
	check_topology(0xb, 0, 1, 0);
	CHECK_EQ(cpuid_build(&sup, 31, 32, TSC_KHZ, &out), 0);
	check_topology(0xb, 31, 32, 5);
}

/* SDM leaf 04H: EAX[31:26] cores per package - 1; EAX[25:14] sharing, L3 only. */
static void test_cpuid_cache_leaf_sharing(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 0, 4, TSC_KHZ, &out), 0);
	CHECK_EQ(get(4, 0)->eax >> 26, 3);
	CHECK_EQ((get(4, 0)->eax >> 14) & 0xfff, 0);
	CHECK_EQ(get(4, 0)->eax & 0x3ff, 0x121);
	CHECK_EQ(get(4, 3)->eax >> 26, 3);
	CHECK_EQ((get(4, 3)->eax >> 14) & 0xfff, 3);
	CHECK_EQ(get(4, 4)->eax, 0);				/* terminator untouched */
}

/* No vPMU: leaf 0AH all zero. */
static void test_cpuid_pmu_leaf_zeroed(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);
	CHECK_EQ(get(0xa, 0)->eax | get(0xa, 0)->ebx | get(0xa, 0)->ecx | get(0xa, 0)->edx, 0);
}

/* KVM's hypervisor leaves are rebuilt: signature "KVMKVMKVM", max leaf 0x40000010. */
static void test_cpuid_hypervisor_leaves(void)
{
	unsigned int base = 0;

	supported(false);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);
	CHECK_EQ(get(0x40000000, 0)->eax, 0x40000010);
	CHECK_EQ(get(0x40000000, 0)->ebx, 0x4b4d564b);
	CHECK_EQ(get(0x40000000, 0)->ecx, 0x564b4d56);
	CHECK_EQ(get(0x40000000, 0)->edx, 0x4d);
	CHECK_EQ(get(0x40000001, 0)->eax, 0x01007afb);		/* KVM features kept */
	CHECK(cpuid_find(&out, 0x40000002, 0) == NULL);	/* the rest dropped */
	for (uint32_t i = 0; i < out.nent; i++)
		base += out.e[i].function == 0x40000000;
	CHECK_EQ(base, 1);
}

/* 0x40000010 (VMware/QEMU timing leaf): EAX TSC kHz, EBX LAPIC bus kHz (1 GHz under KVM). */
static void test_cpuid_timing_leaf(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);
	CHECK_EQ(get(0x40000010, 0)->eax, TSC_KHZ);
	CHECK_EQ(get(0x40000010, 0)->ebx, 1000000);
	CHECK_EQ(get(0x40000010, 0)->ecx, 0);
	CHECK_EQ(get(0x40000010, 0)->edx, 0);
}

/* AMD APM CPUID 8000_0008h ECX: NC[7:0] = cores - 1, ApicIdSize[15:12]. */
static void test_cpuid_amd_core_count(void)
{
	supported(true);
	CHECK_EQ(cpuid_build(&sup, 2, 6, TSC_KHZ, &out), 0);
	CHECK_EQ(get(0x80000008, 0)->ecx & 0xff, 5);
	CHECK_EQ((get(0x80000008, 0)->ecx >> 12) & 0xf, 3);
	CHECK_EQ(get(0x80000008, 0)->ecx & ~0xf0ffu, 0xdead5007 & ~0xf0ffu);
	supported(false);					/* Intel: left alone */
	CHECK_EQ(cpuid_build(&sup, 2, 6, TSC_KHZ, &out), 0);
	CHECK_EQ(get(0x80000008, 0)->ecx, 0xdead5007);
}

static void test_cpuid_bad_index_refused(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 4, 4, TSC_KHZ, &out), -EINVAL);
	CHECK_EQ(cpuid_build(&sup, 0, 0, TSC_KHZ, &out), -EINVAL);
	CHECK_EQ(cpuid_build(&sup, 0, 256, TSC_KHZ, &out), -EINVAL);
}

static void test_cpuid_missing_basic_leaves_refused(void)
{
	supported(false);
	sup.e[1].function = 2;					/* no leaf 1 */
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), -EINVAL);
	supported(false);
	sup.e[0].function = 2;					/* no leaf 0 */
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), -EINVAL);
}

/* A full table leaves no room for the hypervisor leaves: -ENOSPC, not an overflow. */
static void test_cpuid_full_table_enospc(void)
{
	uint32_t keep = 0;

	supported(false);
	for (uint32_t i = 0; i < sup.nent; i++)		/* drop KVM's 0x4000000x leaves */
		if (sup.e[i].function >> 28 != 4)
			sup.e[keep++] = sup.e[i];
	sup.nent = keep;
	while (sup.nent < CPUID_MAX_ENTRIES - 3)
		add(0x80000100 + sup.nent, 0, 0, 0, 0, 0, 0);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);	/* exactly full */
	CHECK_EQ(out.nent, CPUID_MAX_ENTRIES - 1);		/* no 0x40000001 to copy */
	add(0x80000100 + sup.nent, 0, 0, 0, 0, 0, 0);
	add(0x80000100 + sup.nent, 0, 0, 0, 0, 0, 0);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), -ENOSPC);
	CHECK(out.nent <= CPUID_MAX_ENTRIES);
	sup.nent = CPUID_MAX_ENTRIES + 1;
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), -EINVAL);
}

/* cpuid_find honours KVM_CPUID_FLAG_SIGNIFCANT_INDEX only where it is set. */
static void test_cpuid_find_index_significance(void)
{
	supported(false);
	CHECK_EQ(cpuid_build(&sup, 0, 1, TSC_KHZ, &out), 0);
	CHECK(cpuid_find(&out, 4, 2) != NULL && cpuid_find(&out, 4, 2)->index == 2);
	CHECK(cpuid_find(&out, 4, 9) == NULL);
	CHECK(cpuid_find(&out, 1, 7) == cpuid_find(&out, 1, 0));
	CHECK(cpuid_find(&out, 0x12345678, 0) == NULL);
}

int main(void)
{
	RUN(test_cpuid_leaf1_apic_id);
	RUN(test_cpuid_hypervisor_bit_and_no_monitor);
	RUN(test_cpuid_topology_leaves);
	RUN(test_cpuid_cache_leaf_sharing);
	RUN(test_cpuid_pmu_leaf_zeroed);
	RUN(test_cpuid_hypervisor_leaves);
	RUN(test_cpuid_timing_leaf);
	RUN(test_cpuid_amd_core_count);
	RUN(test_cpuid_bad_index_refused);
	RUN(test_cpuid_missing_basic_leaves_refused);
	RUN(test_cpuid_full_table_enospc);
	RUN(test_cpuid_find_index_significance);
	return harness_summary("cpuid");
}
