// SPDX-License-Identifier: MIT
/* tests/guest/cpuid.c: the CPUID leaves ember promises (hypervisor bit, APIC ID, KVM leaves, TSC/LAPIC kHz). */
#include "guest.h"

#define LVT_MASKED		(1u << 16)

/*
 * The two frequencies must agree with each other: count the LAPIC timer
 * (divide by 1) across a TSC-timed interval.  Returns the measured LAPIC
 * kHz, assuming the TSC runs at the advertised rate.
 */
static u64 measure_lapic_khz(u64 tsc_khz_adv, u64 ms)
{
	u64 t0, t1;
	u32 c0, c1;

	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1ff);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | 0xef);
	lapic_write(LAPIC_TIMER_DIV, 0xb);	/* divide by 1 */
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	c0 = lapic_read(LAPIC_TIMER_CUR);
	t0 = rdtsc();
	do {
		t1 = rdtsc();
	} while (t1 - t0 < ms * tsc_khz_adv);
	c1 = lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	if (c1 > c0 || !c1)
		return 0;		/* wrapped or expired: too fast to tell */
	return (u64)(c0 - c1) * tsc_khz_adv / (t1 - t0);
}

static u64 dist(u64 a, u64 b)
{
	return a > b ? a - b : b - a;
}

void guest_main(void)
{
	u32 a, b, c, d, max_basic, max_hv, apic_id;
	char vendor[13], sig[13];
	u64 tsc, bus, measured;
	int i;

	cpuid(0, &max_basic, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	GUEST_PRINTF("cpuid: vendor %s, max basic leaf 0x%x", vendor, max_basic);
	GUEST_ASSERT(max_basic >= 1);

	/* Leaf 1: hypervisor bit; EBX[31:24] = initial APIC ID = vCPU index. */
	cpuid(1, &a, &b, &c, &d);
	GUEST_ASSERT_MSG(c & (1u << 31), "leaf 1 ECX 0x%x lacks the hypervisor bit", c);
	apic_id = lapic_read(LAPIC_ID) >> 24;
	GUEST_ASSERT_EQ(b >> 24, 0);		/* we run on the boot CPU */
	GUEST_ASSERT_EQ(b >> 24, apic_id);

	/* Leaf 0xB: x2APIC ID of this vCPU. */
	if (max_basic >= 0xb) {
		cpuid_count(0xb, 0, &a, &b, &c, &d);
		GUEST_ASSERT_EQ(d, apic_id);
	}

	/* Hypervisor leaves: KVM signature, timing leaf present. */
	cpuid(0x40000000, &max_hv, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	GUEST_PRINTF("cpuid: 0x40000000 max 0x%x signature \"%s\"", max_hv, sig);
	GUEST_ASSERT_EQ(memcmp(sig, "KVMKVMKVM\0\0\0", 12), 0);
	GUEST_ASSERT(max_hv >= 0x40000010);

	cpuid(0x40000010, &a, &b, &c, &d);
	tsc = a;
	bus = b;
	GUEST_PRINTF("cpuid: 0x40000010 TSC %lu kHz, LAPIC timer %lu kHz", tsc, bus);
	GUEST_ASSERT_NE(tsc, 0);
	GUEST_ASSERT_NE(bus, 0);
	GUEST_ASSERT(tsc >= 100000 && tsc <= 10000000);	/* 100 MHz .. 10 GHz */
	GUEST_ASSERT(bus >= 1000 && bus <= 10000000);

	if (cmdline_has("no_timer_check"))
		return;
	/* Best of three: an emulated or nested vCPU can be descheduled mid-way. */
	measured = 0;
	for (i = 0; i < 3; i++) {
		u64 m = measure_lapic_khz(tsc, 100);

		if (dist(m, bus) < dist(measured, bus))
			measured = m;
	}
	GUEST_PRINTF("cpuid: LAPIC timer measured against the TSC: %lu kHz", measured);
	__GUEST_ASSERT(measured > bus * 3 / 4 && measured < bus * 5 / 4, measured, bus,
		       "LAPIC timer runs at %lu kHz by the TSC, CPUID says %lu kHz", measured, bus);
}
