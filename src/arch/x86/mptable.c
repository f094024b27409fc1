/* SPDX-License-Identifier: MIT */
/* arch/x86/mptable.c: MP floating pointer + configuration table (MP spec 1.4) for Linux and NetBSD. */
#include <errno.h>
#include <string.h>

#include "arch/x86/mptable.h"
#include "mem/layout.h"

/* MP spec 1.4, tables 4-1 .. 4-12: byte-exact layouts, hence packed. */
struct mpf_intel {
	char signature[4];	/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature1;	/* 0: a configuration table is present */
	uint8_t feature2;
	uint8_t feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;	/* entry count */
	uint32_t lapic;
	uint16_t reserved_ext_len;
	uint8_t reserved_ext_sum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;		/* 0 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;		/* 1 */
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;		/* 2 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;		/* 3 = I/O interrupt, 4 = local interrupt */
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

BUILD_BUG_ON(sizeof(struct mpf_intel) != 16);
BUILD_BUG_ON(sizeof(struct mpc_table) != 44);
BUILD_BUG_ON(sizeof(struct mpc_cpu) != 20);
BUILD_BUG_ON(sizeof(struct mpc_bus) != 8);
BUILD_BUG_ON(sizeof(struct mpc_ioapic) != 8);
BUILD_BUG_ON(sizeof(struct mpc_intsrc) != 8);

#define MP_PROCESSOR	0
#define MP_BUS		1
#define MP_IOAPIC	2
#define MP_INTSRC	3
#define MP_LINTSRC	4
#define MP_INT		0
#define MP_NMI		1
#define MP_EXTINT	3
#define CPU_ENABLED	1
#define CPU_BOOTPROCESSOR 2
#define APIC_VERSION	0x14
#define ISA_BUS_ID	0

uint8_t mptable_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

size_t mptable_size(unsigned int ncpus)
{
	return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
	       ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) + (MPTABLE_IRQS + 2) * sizeof(struct mpc_intsrc);
}

long mptable_build(uint8_t *buf, size_t len, uint64_t gpa, unsigned int ncpus)
{
	size_t need = mptable_size(ncpus);
	struct mpf_intel *mpf = (struct mpf_intel *)buf;
	struct mpc_table *mpc = (struct mpc_table *)(buf + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint8_t ioapic_id = (uint8_t)ncpus;
	uint16_t count = 0;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS || gpa > UINT32_MAX - need)
		return -EINVAL;
	if (len < need)
		return -ENOSPC;
	memset(buf, 0, need);

	for (unsigned int i = 0; i < ncpus; i++, count++, p += sizeof(struct mpc_cpu)) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = 0x600,	/* family 6: only informational */
			.featureflag = (1u << 0) | (1u << 9),	/* FPU, APIC */
		};
		memcpy(p, &c, sizeof(c));
	}
	{
		struct mpc_bus b = { .type = MP_BUS, .busid = ISA_BUS_ID };

		memcpy(b.bustype, "ISA   ", 6);
		memcpy(p, &b, sizeof(b));
		p += sizeof(b);
		count++;
	}
	{
		struct mpc_ioapic io = {
			.type = MP_IOAPIC, .apicid = ioapic_id, .apicver = APIC_VERSION,
			.flags = 1, .apicaddr = (uint32_t)LAYOUT_IOAPIC,
		};
		memcpy(p, &io, sizeof(io));
		p += sizeof(io);
		count++;
	}
	for (unsigned int irq = 0; irq < MPTABLE_IRQS; irq++, count++) {
		struct mpc_intsrc s = {
			.type = MP_INTSRC, .irqtype = MP_INT, .irqflag = 0,
			.srcbus = ISA_BUS_ID, .srcbusirq = (uint8_t)irq,
			.dstapic = ioapic_id, .dstirq = (uint8_t)irq,
		};
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
	}
	{
		/* LINT0 is the 8259 (ExtINT), LINT1 the NMI line, on every LAPIC. */
		struct mpc_intsrc l0 = { .type = MP_LINTSRC, .irqtype = MP_EXTINT,
					 .srcbus = ISA_BUS_ID, .dstapic = 0xff, .dstirq = 0 };
		struct mpc_intsrc l1 = { .type = MP_LINTSRC, .irqtype = MP_NMI,
					 .srcbus = ISA_BUS_ID, .dstapic = 0xff, .dstirq = 1 };
		memcpy(p, &l0, sizeof(l0));
		p += sizeof(l0);
		memcpy(p, &l1, sizeof(l1));
		p += sizeof(l1);
		count += 2;
	}

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)(p - (uint8_t *)mpc);
	mpc->spec = 4;
	memcpy(mpc->oem, "EMBER   ", 8);
	memcpy(mpc->productid, "MICROVM     ", 12);
	mpc->oemcount = count;
	mpc->lapic = (uint32_t)LAYOUT_LAPIC;
	mpc->checksum = (uint8_t)(0 - mptable_checksum((uint8_t *)mpc, mpc->length));

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = (uint8_t)(0 - mptable_checksum((uint8_t *)mpf, sizeof(*mpf)));
	return (long)(p - buf);
}
