/* SPDX-License-Identifier: MIT */
/* tests/unit/test_regs.c: boot GDT, identity page tables and entry registers for PVH and Linux 64-bit. */
#include <errno.h>
#include <stdlib.h>

#include "arch/x86/regs.h"
#include "harness.h"
#include "mem/layout.h"

/* A descriptor decoded per SDM vol. 3 §3.4.5. */
struct desc {
	uint32_t base, limit;
	unsigned int type, s, dpl, p, avl, l, db, g;
};

static struct desc decode(uint64_t d)
{
	return (struct desc){
		.base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) << 24)),
		.limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16)),
		.type = (d >> 40) & 0xf, .s = (d >> 44) & 1, .dpl = (d >> 45) & 3,
		.p = (d >> 47) & 1, .avl = (d >> 52) & 1, .l = (d >> 53) & 1,
		.db = (d >> 54) & 1, .g = (d >> 55) & 1,
	};
}

static struct gmem mem(void)
{
	struct gmem m;

	if (gmem_create_x86(&m, MiB(16)))
		abort();
	return m;
}

static uint64_t q(struct gmem *m, uint64_t gpa)
{
	uint64_t v;

	if (gmem_read(m, gpa, &v, 8))
		abort();
	return v;
}

static struct desc gdt(struct gmem *m, uint16_t sel)
{
	return decode(q(m, LAYOUT_GDT + sel));
}

/* The GDT entry and the cached segment KVM gets must agree. */
static void check_seg_matches(const struct kvm_segment *s, struct desc d, uint16_t sel)
{
	CHECK_EQ(s->selector, sel);
	CHECK_EQ(s->base, d.base);
	CHECK_EQ(s->type, d.type);
	CHECK_EQ(s->s, d.s);
	CHECK_EQ(s->present, d.p);
	CHECK_EQ(s->l, d.l);
	CHECK_EQ(s->db, d.db);
	CHECK_EQ(s->g, d.g);
}

/* PVH (Xen pvh.html): flat 32-bit code and data, 4 GiB limits, paging off. */
static void test_regs_pvh_gdt_flat_32bit(void)
{
	struct gmem m = mem();
	struct kvm_sregs s;
	struct desc cs, ds, tr;

	memset(gmem_ptr(&m, LAYOUT_PML4, 4096), 0xcc, 4096);
	CHECK_EQ(x86_write_boot_tables(&m, BOOT_PVH), 0);
	CHECK_EQ(q(&m, LAYOUT_GDT), 0);
	CHECK_EQ(q(&m, LAYOUT_GDT + 8), 0);
	cs = gdt(&m, BOOT_CS);
	ds = gdt(&m, BOOT_DS);
	tr = gdt(&m, BOOT_TSS);
	CHECK_EQ(cs.base, 0);
	CHECK_EQ(cs.limit, 0xfffff);
	CHECK_EQ(cs.g, 1);					/* 4 GiB */
	CHECK_EQ(cs.type, 0xb);					/* execute/read, accessed */
	CHECK(cs.s && cs.p && cs.db && !cs.l && cs.dpl == 0);
	CHECK_EQ(ds.type, 0x3);					/* read/write, accessed */
	CHECK(ds.s && ds.p && ds.db && ds.g && ds.base == 0 && ds.limit == 0xfffff);
	CHECK_EQ(tr.type, 0xb);					/* busy 32-bit TSS */
	CHECK_EQ(tr.s, 0);
	CHECK_EQ(q(&m, LAYOUT_PML4), 0xcccccccccccccccc);	/* no page tables for PVH */

	memset(&s, 0xa5, sizeof(s));
	x86_boot_sregs(BOOT_PVH, &s);
	check_seg_matches(&s.cs, cs, BOOT_CS);
	check_seg_matches(&s.ds, ds, BOOT_DS);
	check_seg_matches(&s.ss, ds, BOOT_DS);
	check_seg_matches(&s.es, ds, BOOT_DS);
	check_seg_matches(&s.tr, tr, BOOT_TSS);
	CHECK_EQ(s.cs.limit, 0xffffffff);
	CHECK_EQ(s.gdt.base, LAYOUT_GDT);
	CHECK_EQ(s.gdt.limit, 5 * 8 - 1);
	CHECK_EQ(s.cr0 & 1, 1);					/* PE */
	CHECK_EQ(s.cr0 >> 31, 0);				/* PG off */
	CHECK_EQ(s.cr4, 0);
	CHECK_EQ(s.efer, 0);
	gmem_destroy(&m);
}

/* Linux 64-bit boot protocol: __BOOT_CS 64-bit (L=1, D=0), __BOOT_DS flat. */
static void test_regs_linux64_gdt_long_mode(void)
{
	struct gmem m = mem();
	struct kvm_sregs s;
	struct desc cs, ds;

	CHECK_EQ(x86_write_boot_tables(&m, BOOT_LINUX64), 0);
	cs = gdt(&m, BOOT_CS);
	ds = gdt(&m, BOOT_DS);
	CHECK(cs.l && !cs.db && cs.p && cs.s && cs.type == 0xb && cs.g);
	CHECK(ds.db && ds.p && ds.type == 0x3);
	memset(&s, 0, sizeof(s));
	x86_boot_sregs(BOOT_LINUX64, &s);
	check_seg_matches(&s.cs, cs, BOOT_CS);
	check_seg_matches(&s.ds, ds, BOOT_DS);
	CHECK_EQ(s.cr0 & 0x80000031ull, 0x80000031ull);	/* PG | NE | ET | PE */
	CHECK_EQ(s.cr3, LAYOUT_PML4);
	CHECK_EQ(s.cr4 & (1u << 5), 1u << 5);			/* PAE */
	CHECK_EQ(s.efer & 0x500, 0x500);			/* LME | LMA */
	gmem_destroy(&m);
}

/* Walk the 4-level tables for a linear address; returns the physical address or ~0. */
static uint64_t walk(struct gmem *m, uint64_t cr3, uint64_t va)
{
	uint64_t e = q(m, cr3 + ((va >> 39) & 511) * 8);

	if (!(e & 1))
		return ~0ull;
	e = q(m, (e & 0xffffffffff000ull) + ((va >> 30) & 511) * 8);
	if (!(e & 1) || (e & 0x80))
		return ~0ull;				/* no 1 GiB pages expected */
	e = q(m, (e & 0xffffffffff000ull) + ((va >> 21) & 511) * 8);
	if (!(e & 1) || !(e & 2) || !(e & 0x80))
		return ~0ull;				/* present, writable 2 MiB page */
	return (e & 0xfffffffe00000ull) | (va & 0x1fffff);
}

static void test_regs_identity_map_4gib_2mib_pages(void)
{
	struct gmem m = mem();
	static const uint64_t probes[] = {
		0, 0x1234, LAYOUT_ZERO_PAGE, 0x1000000, 0x3fffffff, 0x40000000,
		LAYOUT_MMIO32_START, LAYOUT_IOAPIC, LAYOUT_LAPIC + 0x30, 0xffffffff,
	};

	CHECK_EQ(x86_write_boot_tables(&m, BOOT_LINUX64), 0);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		CHECK_EQ(walk(&m, LAYOUT_PML4, probes[i]), probes[i]);
	for (uint64_t va = 0; va < GiB(4); va += MiB(2))
		if (walk(&m, LAYOUT_PML4, va) != va) {
			CHECK_EQ(walk(&m, LAYOUT_PML4, va), va);
			break;
		}
	CHECK_EQ(walk(&m, LAYOUT_PML4, GiB(4)), ~0ull);		/* nothing beyond 4 GiB */
	CHECK_EQ(walk(&m, LAYOUT_PML4, 1ull << 39), ~0ull);
	/* The tables sit where docs/memory-map.md says, below the cmdline. */
	CHECK(LAYOUT_PD + 4 * 4096 <= LAYOUT_CMDLINE);
	gmem_destroy(&m);
}

static void test_regs_entry_registers(void)
{
	struct boot_plan pvh = { .proto = BOOT_PVH, .entry = 0x1000010 };
	struct boot_plan l64 = { .proto = BOOT_LINUX64, .entry = 0x1000200 };
	struct kvm_regs r;

	memset(&r, 0xa5, sizeof(r));
	x86_boot_regs(&pvh, &r);
	CHECK_EQ(r.rip, 0x1000010);
	CHECK_EQ(r.rbx, LAYOUT_PVH_INFO);			/* hvm_start_info */
	CHECK_EQ(r.rflags, 2);
	CHECK_EQ(r.rsi, 0);
	memset(&r, 0xa5, sizeof(r));
	x86_boot_regs(&l64, &r);
	CHECK_EQ(r.rip, 0x1000200);
	CHECK_EQ(r.rsi, LAYOUT_ZERO_PAGE);			/* boot_params */
	CHECK_EQ(r.rflags, 2);
	CHECK_EQ(r.rsp, BOOT_STACK);
	CHECK(BOOT_STACK > LAYOUT_ZERO_PAGE + 4096 - 16 && BOOT_STACK < LAYOUT_PML4);
}

/* Without RAM at the boot structures the tables cannot be written. */
static void test_regs_tables_need_low_ram(void)
{
	static uint8_t ram[4096];
	struct gmem_region r = { MiB(1), sizeof(ram), ram };
	struct gmem m;

	CHECK_EQ(gmem_init_regions(&m, &r, 1), 0);
	CHECK_EQ(x86_write_boot_tables(&m, BOOT_PVH), -EFAULT);
	CHECK_EQ(x86_write_boot_tables(&m, BOOT_LINUX64), -EFAULT);
}

int main(void)
{
	RUN(test_regs_pvh_gdt_flat_32bit);
	RUN(test_regs_linux64_gdt_long_mode);
	RUN(test_regs_identity_map_4gib_2mib_pages);
	RUN(test_regs_entry_registers);
	RUN(test_regs_tables_need_low_ram);
	return harness_summary("regs");
}
