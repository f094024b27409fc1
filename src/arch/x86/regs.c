/* SPDX-License-Identifier: MIT */
/* arch/x86/regs.c: builds the boot GDT, page tables and entry registers (PVH 32-bit, Linux 64-bit). */
#include <errno.h>
#include <string.h>

#include "arch/x86/regs.h"
#include "mem/layout.h"

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PAE	(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PS		(1ull << 7)

/* Descriptor from (flags, base, limit) in the usual packed layout. */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0x000f0000u) << 32) | ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (uint64_t)(limit & 0x0000ffffu);
}

static uint16_t code_flags(enum boot_proto proto)
{
	return proto == BOOT_PVH ? 0xc09b : 0xa09b;	/* 32-bit D=1, or 64-bit L=1 */
}

int x86_write_boot_tables(struct gmem *m, enum boot_proto proto)
{
	uint64_t gdt[5] = {
		0, 0,
		gdt_entry(code_flags(proto), 0, 0xfffff),
		gdt_entry(0xc093, 0, 0xfffff),
		gdt_entry(0x808b, 0, 0xfffff),
	};
	uint64_t *pml4, *pdpt, *pd;
	int err;

	err = gmem_write(m, LAYOUT_GDT, gdt, sizeof(gdt));
	if (err || proto == BOOT_PVH)
		return err;
	pml4 = gmem_ptr(m, LAYOUT_PML4, 4096);
	pdpt = gmem_ptr(m, LAYOUT_PDPT, 4096);
	pd = gmem_ptr(m, LAYOUT_PD, 4 * 4096);
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint16_t flags)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = flags & 0xf;
	s->s = (flags >> 4) & 1;
	s->dpl = (flags >> 5) & 3;
	s->present = (flags >> 7) & 1;
	s->avl = (flags >> 12) & 1;
	s->l = (flags >> 13) & 1;
	s->db = (flags >> 14) & 1;
	s->g = (flags >> 15) & 1;
}

void x86_boot_sregs(enum boot_proto proto, struct kvm_sregs *s)
{
	set_seg(&s->cs, BOOT_CS, code_flags(proto));
	set_seg(&s->ds, BOOT_DS, 0xc093);
	s->es = s->fs = s->gs = s->ss = s->ds;
	set_seg(&s->tr, BOOT_TSS, 0x808b);
	s->tr.limit = 0xfffff;
	s->gdt.base = LAYOUT_GDT;
	s->gdt.limit = 5 * 8 - 1;
	s->idt.base = LAYOUT_IDT;
	s->idt.limit = 0;
	s->cr0 = X86_CR0_PE | X86_CR0_ET;
	s->cr4 = 0;
	s->efer = 0;
	if (proto == BOOT_LINUX64) {
		s->cr0 |= X86_CR0_NE | X86_CR0_PG;
		s->cr3 = LAYOUT_PML4;
		s->cr4 = X86_CR4_PAE;
		s->efer = EFER_LME | EFER_LMA;
	}
}

void x86_boot_regs(const struct boot_plan *plan, struct kvm_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rflags = 0x2;
	r->rip = plan->entry;
	if (plan->proto == BOOT_PVH) {
		r->rbx = LAYOUT_PVH_INFO;
	} else {
		r->rsi = LAYOUT_ZERO_PAGE;
		r->rsp = BOOT_STACK;
		r->rbp = BOOT_STACK;
	}
}
