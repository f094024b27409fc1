// SPDX-License-Identifier: MIT
/* tests/guest/cpu_template.c: the custom CPU template of run.sh took effect: CPUID bits set, cleared and kept, one MSR. */
#include "guest.h"

#define MSR_IA32_SYSENTER_CS	0x174

/*
 * run.sh starts this guest with `--cpu-config` and a template that
 *   - sets leaf 0x40000010 ECX to 0x12345678 (every bit given),
 *   - sets the low nibble of leaf 0x40000010 EDX to 0xa ('x' elsewhere),
 *   - clears leaf 1 ECX bit 31 (hypervisor present) and keeps the rest ('x'),
 *   - sets bits 7 and 5 of MSR IA32_SYSENTER_CS ("0b1010_0000" with 'x' above).
 */
void guest_main(void)
{
	u32 a, b, c, d, a1, b1, c1, d1;
	u64 msr;

	/* Everything is printed first, so that a failure shows the whole picture. */
	cpuid(0x40000010, &a, &b, &c, &d);
	GUEST_PRINTF("cpu_template: 0x40000010 eax 0x%x ecx 0x%x edx 0x%x", a, c, d);
	cpuid(1, &a1, &b1, &c1, &d1);
	GUEST_PRINTF("cpu_template: leaf 1 eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x", a1, b1, c1, d1);
	msr = rdmsr(MSR_IA32_SYSENTER_CS);
	GUEST_PRINTF("cpu_template: SYSENTER_CS 0x%lx", msr);

	GUEST_ASSERT_EQ(c, 0x12345678);
	GUEST_ASSERT_EQ(d, 0xa);
	GUEST_ASSERT_NE(a, 0);			/* TSC kHz: 'x' kept ember's value */
	GUEST_ASSERT_EQ(c1 >> 31, 0);		/* hypervisor bit cleared */
	GUEST_ASSERT_NE(c1, 0);			/* the feature bits are kept */
	GUEST_ASSERT_EQ(b1 >> 24, 0);		/* APIC ID (EBX) untouched */
	GUEST_ASSERT_EQ(msr & 0xff, 0xa0);
}
