// SPDX-License-Identifier: MIT
/* tests/guest/boot_pvh.c: PVH entry state (32-bit protected mode, paging off) and hvm_start_info contents. */
#include "guest.h"
#include "bootcheck.h"

/* Descriptor rights as LAR reports them: type 8-11, S 12, DPL 13-14, P 15, L 21, D/B 22, G 23. */
#define AR_CODE32_MASK	0x00e0f800u
#define AR_CODE32	0x00c09800u	/* G, D, P, S, code; DPL 0, not L */
#define AR_DATA32_MASK	0x00c0fa00u
#define AR_DATA32	0x00c09200u	/* G, B, P, S, writable data; DPL 0 */

#define SIF_MOD_START_PFN	(1u << 3)
#define SIF_VIRT_P2M_4TOOLS	(1u << 4)
#define SIF_PM_MASK		(0xffu << 8)

void guest_main(void)
{
	const struct entry_state *es = &entry_state;
	const u16 data_sels[] = { (u16)es->ds, (u16)es->es, (u16)es->ss, (u16)es->fs, (u16)es->gs };
	const struct hvm_start_info *si;
	struct seg_desc cs;
	unsigned int i;

	GUEST_ASSERT_EQ(es->protocol, BOOT_PVH);
	GUEST_PRINTF("entry: eflags 0x%lx cr0 0x%lx cr4 0x%lx efer 0x%lx cs 0x%lx ds 0x%lx ebx 0x%lx",
		     es->rflags, es->cr0, es->cr4, es->efer, es->cs, es->ds, es->rbx);

	/* 32-bit protected mode, paging off, interrupts off, CR4 = 0. */
	GUEST_ASSERT_EQ(es->rflags, 0x2);
	GUEST_ASSERT(es->cr0 & X86_CR0_PE);
	GUEST_ASSERT(!(es->cr0 & X86_CR0_PG));
	GUEST_ASSERT_EQ(es->cr4, 0);
	GUEST_ASSERT_EQ(es->efer & (EFER_LME | EFER_LMA), 0);

	/* Flat segments: CS 0x10 (32-bit code), data 0x18, base 0, limit 4 GiB. */
	GUEST_ASSERT_EQ(es->cs, 0x10);
	GUEST_ASSERT_EQ(es->ds, 0x18);
	GUEST_ASSERT_EQ(es->es, 0x18);
	GUEST_ASSERT_EQ(es->ss, 0x18);
	GUEST_ASSERT_EQ(es->fs, 0x18);
	GUEST_ASSERT_EQ(es->gs, 0x18);
	GUEST_PRINTF("entry: GDT at 0x%lx, limit 0x%x", *(const u64 *)(es->gdtr + 2) & 0xffffffff,
		     *(const u16 *)es->gdtr);
	cs = entry_gdt_desc((u16)es->cs);
	GUEST_ASSERT(cs.ok);
	GUEST_ASSERT_EQ(cs.ar & AR_CODE32_MASK, AR_CODE32);
	GUEST_ASSERT_EQ(cs.limit, 0xffffffff);
	GUEST_ASSERT_EQ(cs.base, 0);
	for (i = 0; i < ARRAY_SIZE(data_sels); i++) {
		struct seg_desc d = entry_gdt_desc(data_sels[i]);

		GUEST_ASSERT(d.ok);
		GUEST_ASSERT_EQ(d.ar & AR_DATA32_MASK, AR_DATA32);
		GUEST_ASSERT_EQ(d.limit, 0xffffffff);
		GUEST_ASSERT_EQ(d.base, 0);
	}
	GUEST_ASSERT_EQ(es->eip_seen, es->eip_link);

	/* EBX: the start info. */
	si = boot.pvh;
	GUEST_ASSERT_NE(es->rbx, 0);
	GUEST_ASSERT(is_ram(es->rbx, sizeof(*si)));
	GUEST_ASSERT(!overlaps_image(es->rbx, sizeof(*si)));
	GUEST_ASSERT_EQ(si->magic, XEN_HVM_START_MAGIC_VALUE);
	GUEST_ASSERT_EQ(si->version, 1);
	GUEST_PRINTF("start_info: flags 0x%x nr_modules %u modlist 0x%lx cmdline 0x%lx rsdp 0x%lx memmap 0x%lx x %u",
		     si->flags, si->nr_modules, si->modlist_paddr, si->cmdline_paddr,
		     si->rsdp_paddr, si->memmap_paddr, si->memmap_entries);
	/* Nothing that would make a Linux guest look for Xen structures. */
	GUEST_ASSERT_EQ(si->flags & (SIF_MOD_START_PFN | SIF_VIRT_P2M_4TOOLS | SIF_PM_MASK), 0);
	GUEST_ASSERT_EQ(si->reserved, 0);
	GUEST_ASSERT_NE(si->memmap_paddr, 0);
	GUEST_ASSERT(si->memmap_entries > 0);
	GUEST_ASSERT(!overlaps_image(si->memmap_paddr,
				     si->memmap_entries * sizeof(struct hvm_memmap_table_entry)));
	GUEST_ASSERT_NE(si->cmdline_paddr, 0);
	if (cmdline_uint("initrd_size", 0)) {
		GUEST_ASSERT_EQ(si->nr_modules, 1);
		GUEST_ASSERT_NE(si->modlist_paddr, 0);
	} else {
		GUEST_ASSERT_EQ(si->nr_modules, 0);
	}

	check_cmdline();
	check_memory_map();
	check_initrd();
}
