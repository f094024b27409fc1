// SPDX-License-Identifier: MIT
/* tests/guest/mptable.c: finds and validates the MP table (floating pointer, PCMP, CPU/bus/IOAPIC/IRQ entries). */
#include "guest.h"

struct mpf {
	char signature[4];	/* "_MP_" */
	u32 physptr;
	u8 length;		/* in 16-byte units */
	u8 spec_rev;
	u8 checksum;
	u8 feature1;		/* 0: a configuration table is present */
	u8 feature2;
	u8 reserved[3];
} __attribute__((packed));

struct mpc_header {
	char signature[4];	/* "PCMP" */
	u16 length;
	u8 spec_rev;
	u8 checksum;
	char oem[8];
	char product[12];
	u32 oemptr;
	u16 oemsize;
	u16 count;
	u32 lapic;
	u16 ext_length;
	u8 ext_checksum;
	u8 reserved;
} __attribute__((packed));

struct mpc_cpu {
	u8 type, apicid, apicver, cpuflag;
	u32 cpufeature, featureflag, reserved[2];
} __attribute__((packed));

struct mpc_bus {
	u8 type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	u8 type, apicid, apicver, flags;
	u32 apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	u8 type, irqtype;
	u16 irqflag;
	u8 srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define CPU_ENABLED		1
#define CPU_BOOTPROCESSOR	2

static u8 sum(const void *p, size_t n)
{
	const u8 *b = p;
	u8 s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct mpf *scan(u64 base, u64 len)
{
	u64 a;

	for (a = base; a + sizeof(struct mpf) <= base + len; a += 16) {
		const struct mpf *m = phys_ptr(a);

		if (!memcmp(m->signature, "_MP_", 4) && m->length == 1 &&
		    !sum(m, sizeof(*m)) && (m->spec_rev == 1 || m->spec_rev == 4))
			return m;
	}
	return NULL;
}

static u32 ioapic_read(u32 reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

void guest_main(void)
{
	u32 cpus = (u32)cmdline_uint("cpus", 0);
	u32 ebda = (u32)*(volatile u16 *)phys_ptr(0x40e) << 4;
	u32 seen_cpu = 0, nr_cpu = 0, nr_bus = 0, nr_ioapic = 0, i;
	u32 irq_pin[16], extint_lint0 = 0, nmi_lint1 = 0;
	u32 ioapic_ver, ioapic_max_pin;
	const struct mpc_header *mpc;
	const struct mpf *mpf;
	int isa_bus = -1, ioapic_id = -1;
	const u8 *p, *end;

	GUEST_ASSERT_MSG(cpus, "the command line must say cpus=<N>, as passed to --cpus");

	/* Where Linux looks, in its order. */
	mpf = scan(0, 0x400);
	if (!mpf)
		mpf = scan(639 * 0x400, 0x400);
	if (!mpf)
		mpf = scan(0xf0000, 0x10000);
	if (!mpf && ebda >= 0x80000 && ebda < 0xa0000)
		mpf = scan(ebda, 0x400);
	GUEST_ASSERT_MSG(mpf, "no MP floating pointer (EBDA segment 0x%x)", ebda >> 4);
	GUEST_PRINTF("mptable: floating pointer at %p, spec 1.%u, config table at 0x%x",
		     mpf, mpf->spec_rev, mpf->physptr);
	GUEST_ASSERT_EQ(mpf->feature1, 0);
	GUEST_ASSERT_NE(mpf->physptr, 0);
	GUEST_ASSERT(mpf->physptr < 0x100000);

	mpc = phys_ptr(mpf->physptr);
	GUEST_ASSERT_EQ(memcmp(mpc->signature, "PCMP", 4), 0);
	GUEST_ASSERT_EQ(mpc->spec_rev, 4);
	GUEST_ASSERT(mpc->length > sizeof(*mpc));
	GUEST_ASSERT_EQ(sum(mpc, mpc->length), 0);
	GUEST_ASSERT_EQ(mpc->lapic, LAPIC_BASE);
	if (mpc->ext_length)
		GUEST_ASSERT_EQ((u8)(sum((const u8 *)mpc + mpc->length, mpc->ext_length) +
				     mpc->ext_checksum), 0);
	GUEST_PRINTF("mptable: PCMP %u bytes, %u entries, OEM \"%.8s\" product \"%.12s\"",
		     mpc->length, mpc->count, mpc->oem, mpc->product);

	for (i = 0; i < 16; i++)
		irq_pin[i] = ~0u;

	/* First pass: processors, buses, IOAPICs. */
	p = (const u8 *)(mpc + 1);
	end = (const u8 *)mpc + mpc->length;
	for (i = 0; i < mpc->count; i++) {
		GUEST_ASSERT_MSG(p < end, "entry %u past the table's length", i);
		switch (*p) {
		case MP_PROCESSOR: {
			const struct mpc_cpu *c = (const void *)p;

			GUEST_ASSERT(p + sizeof(*c) <= end);
			GUEST_ASSERT_MSG(c->apicid < cpus, "processor APIC ID %u, --cpus %u",
					 c->apicid, cpus);
			GUEST_ASSERT_MSG(!(seen_cpu & (1u << c->apicid)), "APIC ID %u twice", c->apicid);
			seen_cpu |= 1u << c->apicid;
			GUEST_ASSERT(c->cpuflag & CPU_ENABLED);
			GUEST_ASSERT_EQ(!!(c->cpuflag & CPU_BOOTPROCESSOR), c->apicid == 0);
			GUEST_ASSERT(c->apicver >= 0x10);	/* integrated APIC */
			nr_cpu++;
			p += sizeof(*c);
			break;
		}
		case MP_BUS: {
			const struct mpc_bus *b = (const void *)p;

			if (!memcmp(b->bustype, "ISA   ", 6))
				isa_bus = b->busid;
			nr_bus++;
			p += sizeof(*b);
			break;
		}
		case MP_IOAPIC: {
			const struct mpc_ioapic *io = (const void *)p;

			GUEST_ASSERT_EQ(io->apicaddr, IOAPIC_BASE);
			GUEST_ASSERT(io->flags & 1);
			ioapic_id = io->apicid;
			nr_ioapic++;
			p += sizeof(*io);
			break;
		}
		case MP_INTSRC:
		case MP_LINTSRC:
			p += 8;
			break;
		default:
			GUEST_ABORT("entry %u: unknown type %u", i, *p);
		}
	}
	GUEST_ASSERT_EQ(p, end);
	GUEST_ASSERT_EQ(nr_cpu, cpus);
	GUEST_ASSERT_EQ(seen_cpu, (cpus >= 32 ? ~0u : (1u << cpus) - 1));
	GUEST_ASSERT_MSG(isa_bus >= 0, "no ISA bus entry (%u buses)", nr_bus);
	GUEST_ASSERT_EQ(nr_ioapic, 1);

	/* The IOAPIC itself agrees. */
	ioapic_ver = ioapic_read(1);
	ioapic_max_pin = (ioapic_ver >> 16) & 0xff;
	GUEST_PRINTF("mptable: %u CPUs, ISA bus %d, IOAPIC id %d (register id %u, version 0x%x, %u pins)",
		     nr_cpu, isa_bus, ioapic_id, (ioapic_read(0) >> 24) & 0xf, ioapic_ver & 0xff,
		     ioapic_max_pin + 1);
	/*
	 * The IOAPIC's APIC ID must not be a processor's (MP spec: one APIC ID
	 * space).  It need not equal the ID register, which KVM resets to 0:
	 * 64-bit Linux keeps the table's ID, 32-bit Linux writes it to the chip.
	 */
	GUEST_ASSERT_MSG(ioapic_id >= (int)cpus || !(seen_cpu & (1u << ioapic_id)),
			 "IOAPIC APIC ID %d is also a processor's", ioapic_id);
	GUEST_ASSERT(ioapic_max_pin >= 15);

	/* Second pass: interrupt routing. */
	p = (const u8 *)(mpc + 1);
	for (i = 0; i < mpc->count; i++) {
		const struct mpc_intsrc *s = (const void *)p;

		switch (*p) {
		case MP_PROCESSOR:
			p += sizeof(struct mpc_cpu);
			continue;
		case MP_INTSRC:
			GUEST_ASSERT(s->irqtype == MP_INT || s->irqtype == MP_EXTINT);
			if (s->srcbus == isa_bus && s->srcbusirq < 16) {
				GUEST_ASSERT(s->dstapic == ioapic_id || s->dstapic == 0xff);
				GUEST_ASSERT(s->dstirq <= ioapic_max_pin);
				if (s->irqtype == MP_INT)
					irq_pin[s->srcbusirq] = s->dstirq;
				else if (irq_pin[s->srcbusirq] == ~0u)
					irq_pin[s->srcbusirq] = 0x100 | s->dstirq;
			}
			break;
		case MP_LINTSRC:
			if (s->irqtype == MP_EXTINT && s->dstirq == 0)
				extint_lint0++;
			if (s->irqtype == MP_NMI && s->dstirq == 1)
				nmi_lint1++;
			GUEST_ASSERT(s->dstapic == 0xff || s->dstapic < cpus);
			break;
		}
		p += 8;
	}
	/*
	 * With KVM's in-kernel irqchip, ISA IRQ n raises IOAPIC pin n: the
	 * table must say so, or Linux programs the wrong pin (COM1 is IRQ 4).
	 */
	GUEST_ASSERT_MSG(irq_pin[0] != ~0u, "no I/O interrupt entry for ISA IRQ 0");
	for (i = 1; i < 16; i++) {
		if (i == 2)
			continue;
		__GUEST_ASSERT(irq_pin[i] == i, i, irq_pin[i],
			       "ISA IRQ %u routed to IOAPIC pin 0x%x", i, irq_pin[i]);
	}
	GUEST_ASSERT_MSG(extint_lint0, "no ExtINT local interrupt on LINT0");
	GUEST_ASSERT_MSG(nmi_lint1, "no NMI local interrupt on LINT1");
}
