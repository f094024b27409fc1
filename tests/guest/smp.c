// SPDX-License-Identifier: MIT
/* tests/guest/smp.c: starts every AP with INIT-SIPI-SIPI through the xAPIC; each checks in with its APIC ID. */
#include "guest.h"

#define ICR_INIT		0x00000500u
#define ICR_STARTUP		0x00000600u
#define ICR_LEVEL_ASSERT	0x00004000u
#define ICR_BUSY		0x00001000u

struct ap_record {
	volatile u32 seen;
	u32 slot;
	u32 lapic_id;		/* xAPIC ID register */
	u32 cpuid_id;		/* CPUID.1:EBX[31:24] */
	u32 x2apic_id;		/* CPUID.0xB:EDX, ~0 without leaf 0xB */
	u32 leaf1_ecx;		/* CPUID.1:ECX (hypervisor bit 31) */
	u32 kvm_max;		/* CPUID.0x40000000:EAX */
	u32 tsc_khz;		/* CPUID.0x40000010:EAX */
	u32 lapic_khz;		/* CPUID.0x40000010:EBX */
};

static struct ap_record rec[MAX_CPUS];
static volatile u32 checked_in;
static volatile u32 stray;	/* APs with an APIC ID out of range */

extern const u8 ap_trampoline[], ap_trampoline_end[];

static u32 x2apic_id(void)
{
	u32 a, b, c, d;

	cpuid(0, &a, &b, &c, &d);
	if (a < 0xb)
		return ~0u;
	cpuid_count(0xb, 0, &a, &b, &c, &d);
	return d;
}

static void record_cpuid(struct ap_record *r)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	r->cpuid_id = b >> 24;
	r->leaf1_ecx = c;
	cpuid(0x40000000, &a, &b, &c, &d);
	r->kvm_max = a;
	cpuid(0x40000010, &a, &b, &c, &d);
	r->tsc_khz = a;
	r->lapic_khz = b;
	r->x2apic_id = x2apic_id();
}

void ap_main(u32 slot)
{
	u32 id;

	idt_load();
	id = lapic_read(LAPIC_ID) >> 24;
	if (id >= MAX_CPUS) {
		__atomic_fetch_add(&stray, 1, __ATOMIC_SEQ_CST);
		halt_forever();
	}
	rec[id].slot = slot;
	rec[id].lapic_id = id;
	record_cpuid(&rec[id]);
	__atomic_store_n(&rec[id].seen, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&checked_in, 1, __ATOMIC_SEQ_CST);
	halt_forever();
}

static void icr_wait_idle(void)
{
	u64 deadline = tsc_deadline_ms(100);

	while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY) {
		if (tsc_expired(deadline))
			GUEST_ABORT("ICR delivery status stuck busy: 0x%x", lapic_read(LAPIC_ICR_LO));
		cpu_relax();
	}
}

static void send_ipi(u32 apic_id, u32 lo)
{
	icr_wait_idle();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	icr_wait_idle();
}

void guest_main(void)
{
	u32 cpus = (u32)cmdline_uint("cpus", 0);
	u32 wait_ms = (u32)cmdline_uint("wait_ms", 20000);
	u32 bsp = lapic_read(LAPIC_ID) >> 24;
	u32 a, b, c, d, id, n;
	u64 deadline;

	GUEST_ASSERT_MSG(cpus >= 1 && cpus <= MAX_CPUS, "cpus=%u (1..%u)", cpus, MAX_CPUS);
	cpuid(1, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(bsp, 0);
	GUEST_ASSERT_EQ(b >> 24, bsp);
	GUEST_ASSERT(x2apic_id() == bsp || x2apic_id() == ~0u);
	record_cpuid(&rec[0]);

	/* Software-enable the LAPIC (spurious vector 0xff) and place the trampoline. */
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1ff);
	memcpy((void *)AP_TRAMPOLINE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));

	for (id = 1; id < cpus; id++) {
		send_ipi(id, ICR_INIT | ICR_LEVEL_ASSERT);
		udelay(10000);
		send_ipi(id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
		udelay(200);
		send_ipi(id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
		udelay(200);
	}

	deadline = tsc_deadline_ms(wait_ms);
	while (checked_in < cpus - 1 && !tsc_expired(deadline))
		cpu_relax();
	udelay(20000);	/* let a CPU that should not exist show itself */
	n = __atomic_load_n(&checked_in, __ATOMIC_ACQUIRE);
	GUEST_PRINTF("smp: %u of %u APs checked in", n, cpus - 1);

	for (id = 1; id < cpus; id++) {
		struct ap_record *r = &rec[id];

		__GUEST_ASSERT(r->seen, id, 0, "AP with APIC ID %u did not check in", id);
		GUEST_ASSERT_EQ(r->lapic_id, id);
		GUEST_ASSERT_EQ(r->cpuid_id, id);
		GUEST_ASSERT(r->x2apic_id == id || r->x2apic_id == ~0u);
		/* Every vCPU sees the same hypervisor leaves as the BSP. */
		GUEST_ASSERT_EQ(r->leaf1_ecx, rec[0].leaf1_ecx);
		GUEST_ASSERT_EQ(r->kvm_max, rec[0].kvm_max);
		GUEST_ASSERT_EQ(r->tsc_khz, rec[0].tsc_khz);
		GUEST_ASSERT_EQ(r->lapic_khz, rec[0].lapic_khz);
	}
	GUEST_ASSERT_EQ(stray, 0);
	GUEST_ASSERT_EQ(n, cpus - 1);
}
