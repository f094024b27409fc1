/* SPDX-License-Identifier: MIT */
/* tests/unit/test_mptable.c: MP floating pointer and configuration table per the MP spec 1.4, chapter 4. */
#include <errno.h>

#include "arch/x86/mptable.h"
#include "harness.h"
#include "mem/layout.h"

#define GPA LAYOUT_EBDA_START
#define MPF_LEN 16
#define MPC_HDR 44

static uint8_t buf[1024];

static uint64_t rd(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	memcpy(&v, p, bytes);
	return v;
}

/* Entry `i` of the configuration table and its length (20 for processors, else 8). */
static const uint8_t *entry(unsigned int i)
{
	const uint8_t *p = buf + MPF_LEN + MPC_HDR;

	while (i--)
		p += p[0] == 0 ? 20 : 8;
	return p;
}

static long build(unsigned int ncpus)
{
	memset(buf, 0xee, sizeof(buf));
	return mptable_build(buf, sizeof(buf), GPA, ncpus);
}

/* MP spec 4.1/4.2: both structures sum to zero over their length. */
static void test_mptable_checksums_zero(void)
{
	for (unsigned int n = 1; n <= MPTABLE_MAX_CPUS; n++) {
		long len = build(n);

		CHECK(len > 0);
		CHECK_EQ(mptable_checksum(buf, MPF_LEN), 0);
		CHECK_EQ(mptable_checksum(buf + MPF_LEN, rd(buf + MPF_LEN + 4, 2)), 0);
	}
}

/* MP spec 4.1: "_MP_", PHYSICAL ADDRESS POINTER, LENGTH 1 (16 bytes), SPEC_REV 4. */
static void test_mptable_floating_pointer(void)
{
	CHECK(build(2) > 0);
	CHECK(!memcmp(buf, "_MP_", 4));
	CHECK_EQ(rd(buf + 4, 4), GPA + MPF_LEN);
	CHECK_EQ(buf[8], 1);
	CHECK_EQ(buf[9], 4);
	CHECK_EQ(buf[11], 0);			/* feature byte 1: a table is present */
	CHECK_EQ(GPA % 16, 0);			/* the spec wants 16-byte alignment */
}

/* MP spec 4.2: "PCMP", BASE TABLE LENGTH, SPEC_REV, ENTRY COUNT, local APIC address. */
static void test_mptable_header_and_count(void)
{
	long len = build(4);
	const uint8_t *h = buf + MPF_LEN;

	CHECK(!memcmp(h, "PCMP", 4));
	CHECK_EQ(rd(h + 4, 2), len - MPF_LEN);
	CHECK_EQ(h[6], 4);
	CHECK_EQ(rd(h + 34, 2), 4 + 1 + 1 + 24 + 2);	/* cpus, bus, ioapic, irqs, lints */
	CHECK_EQ(rd(h + 36, 4), LAYOUT_LAPIC);
	CHECK_EQ((size_t)len, mptable_size(4));
	CHECK_EQ(buf[len], 0xee);			/* nothing written past the end */
}

/* MP spec 4.3.1: processor entries, APIC IDs 0..n-1, CPU 0 the BSP, all enabled. */
static void test_mptable_processor_entries(void)
{
	CHECK(build(8) > 0);
	for (unsigned int i = 0; i < 8; i++) {
		const uint8_t *e = entry(i);

		CHECK_EQ(e[0], 0);
		CHECK_EQ(e[1], i);
		CHECK_EQ(e[3] & 1, 1);			/* EN */
		CHECK_EQ((e[3] >> 1) & 1, i == 0);	/* BP */
	}
	CHECK_EQ(entry(8)[0], 1);			/* then the bus */
	CHECK(!memcmp(entry(8) + 2, "ISA   ", 6));
}

/* MP spec 4.3.3: one enabled IOAPIC after the processors, at the usual address. */
static void test_mptable_ioapic_entry(void)
{
	const uint8_t *e;

	CHECK(build(3) > 0);
	e = entry(3 + 1);
	CHECK_EQ(e[0], 2);
	CHECK_EQ(e[1], 3);				/* id after the CPUs' */
	CHECK_EQ(e[3] & 1, 1);
	CHECK_EQ(rd(e + 4, 4), LAYOUT_IOAPIC);
}

/* MP spec 4.3.4: 24 INT entries mapping ISA IRQ n to IOAPIC pin n. */
static void test_mptable_io_interrupts_identity(void)
{
	CHECK(build(2) > 0);
	for (unsigned int irq = 0; irq < MPTABLE_IRQS; irq++) {
		const uint8_t *e = entry(2 + 2 + irq);

		CHECK_EQ(e[0], 3);
		CHECK_EQ(e[1], 0);			/* INT */
		CHECK_EQ(e[4], 0);			/* ISA bus */
		CHECK_EQ(e[5], irq);
		CHECK_EQ(e[6], 2);			/* the IOAPIC's id */
		CHECK_EQ(e[7], irq);
	}
}

/* MP spec 4.3.5 / 5.1 virtual wire: LINT0 ExtINT, LINT1 NMI, on all local APICs. */
static void test_mptable_local_interrupts(void)
{
	const uint8_t *l0, *l1;

	CHECK(build(2) > 0);
	l0 = entry(2 + 2 + MPTABLE_IRQS);
	l1 = entry(2 + 2 + MPTABLE_IRQS + 1);
	CHECK_EQ(l0[0], 4);
	CHECK_EQ(l0[1], 3);				/* ExtINT */
	CHECK_EQ(l0[6], 0xff);
	CHECK_EQ(l0[7], 0);				/* LINT0 */
	CHECK_EQ(l1[0], 4);
	CHECK_EQ(l1[1], 1);				/* NMI */
	CHECK_EQ(l1[6], 0xff);
	CHECK_EQ(l1[7], 1);				/* LINT1 */
}

/* docs/memory-map.md: the table lives in the 1 KiB EBDA; 32 CPUs is 924 bytes. */
static void test_mptable_32_cpus_fit_in_ebda(void)
{
	long len = build(MPTABLE_MAX_CPUS);

	CHECK_EQ(len, 924);
	CHECK((uint64_t)len <= LAYOUT_EBDA_END - LAYOUT_EBDA_START);
}

static void test_mptable_cpu_count_limits(void)
{
	CHECK_EQ(build(0), -EINVAL);
	CHECK_EQ(build(MPTABLE_MAX_CPUS + 1), -EINVAL);
	CHECK_EQ(mptable_build(buf, mptable_size(4) - 1, GPA, 4), -ENOSPC);
	CHECK_EQ(mptable_build(buf, mptable_size(4), GPA, 4), (long)mptable_size(4));
	CHECK_EQ(mptable_build(buf, sizeof(buf), UINT32_MAX - 100, 1), -EINVAL);
}

int main(void)
{
	RUN(test_mptable_checksums_zero);
	RUN(test_mptable_floating_pointer);
	RUN(test_mptable_header_and_count);
	RUN(test_mptable_processor_entries);
	RUN(test_mptable_ioapic_entry);
	RUN(test_mptable_io_interrupts_identity);
	RUN(test_mptable_local_interrupts);
	RUN(test_mptable_32_cpus_fit_in_ebda);
	RUN(test_mptable_cpu_count_limits);
	return harness_summary("mptable");
}
