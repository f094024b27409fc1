// SPDX-License-Identifier: MIT
/* tests/guest/boot_linux64.c: Linux 64-bit boot protocol entry state (long mode, identity map) and boot_params. */
#include "guest.h"
#include "bootcheck.h"

/* Descriptor rights as LAR reports them: type 8-11, S 12, DPL 13-14, P 15, L 21, D/B 22, G 23. */
#define AR_CODE64_MASK	0x0060f800u
#define AR_CODE64	0x00209800u	/* L, P, S, code; DPL 0, not D */
#define AR_DATA_MASK	0x0000fa00u
#define AR_DATA		0x00009200u	/* P, S, writable data; DPL 0 */

#define PTE_P		(1ull << 0)
#define PTE_PS		(1ull << 7)
#define PTE_ADDR	0x000ffffffffff000ull

/* Walk the page tables at `cr3` (as ember left them); ~0 if `va` is not mapped. */
static u64 translate(u64 cr3, u64 va)
{
	const u64 *t = (const u64 *)(uintptr_t)(cr3 & PTE_ADDR);
	u64 e;

	e = t[(va >> 39) & 511];
	if (!(e & PTE_P))
		return ~0ull;
	t = (const u64 *)(uintptr_t)(e & PTE_ADDR);
	e = t[(va >> 30) & 511];
	if (!(e & PTE_P))
		return ~0ull;
	if (e & PTE_PS)
		return (e & PTE_ADDR & ~((1ull << 30) - 1)) | (va & ((1ull << 30) - 1));
	t = (const u64 *)(uintptr_t)(e & PTE_ADDR);
	e = t[(va >> 21) & 511];
	if (!(e & PTE_P))
		return ~0ull;
	if (e & PTE_PS)
		return (e & PTE_ADDR & ~((1ull << 21) - 1)) | (va & ((1ull << 21) - 1));
	t = (const u64 *)(uintptr_t)(e & PTE_ADDR);
	e = t[(va >> 12) & 511];
	if (!(e & PTE_P))
		return ~0ull;
	return (e & PTE_ADDR) | (va & 0xfff);
}

void guest_main(void)
{
	const struct entry_state *es = &entry_state;
	const u16 data_sels[] = { (u16)es->ds, (u16)es->es, (u16)es->ss };
	const u8 *zp = boot.zero_page;
	struct seg_desc cs;
	unsigned int i;
	u64 va;

	GUEST_ASSERT_EQ(es->protocol, BOOT_LINUX64);
	GUEST_PRINTF("entry: rflags 0x%lx cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx cs 0x%lx ds 0x%lx rsi 0x%lx",
		     es->rflags, es->cr0, es->cr3, es->cr4, es->efer, es->cs, es->ds, es->rsi);

	/* Long mode, paging on, interrupts off. */
	GUEST_ASSERT_EQ(es->rflags & X86_EFLAGS_IF, 0);
	GUEST_ASSERT(es->rflags & 0x2);
	GUEST_ASSERT(es->cr0 & X86_CR0_PE);
	GUEST_ASSERT(es->cr0 & X86_CR0_PG);
	GUEST_ASSERT(es->cr4 & X86_CR4_PAE);
	GUEST_ASSERT(es->efer & EFER_LME);
	GUEST_ASSERT(es->efer & EFER_LMA);

	/* CS 0x10: 64-bit code (L set, D clear); DS/ES/SS 0x18. */
	GUEST_ASSERT_EQ(es->cs, 0x10);
	GUEST_ASSERT_EQ(es->ds, 0x18);
	GUEST_ASSERT_EQ(es->es, 0x18);
	GUEST_ASSERT_EQ(es->ss, 0x18);
	GUEST_PRINTF("entry: GDT at 0x%lx, limit 0x%x", *(const u64 *)(es->gdtr + 2),
		     *(const u16 *)es->gdtr);
	cs = entry_gdt_desc((u16)es->cs);
	GUEST_ASSERT(cs.ok);
	GUEST_ASSERT_EQ(cs.ar & AR_CODE64_MASK, AR_CODE64);
	for (i = 0; i < ARRAY_SIZE(data_sels); i++) {
		struct seg_desc d = entry_gdt_desc(data_sels[i]);

		GUEST_ASSERT(d.ok);
		GUEST_ASSERT_EQ(d.ar & AR_DATA_MASK, AR_DATA);
	}
	GUEST_ASSERT_EQ(es->eip_seen, es->eip_link);

	/* The first 4 GiB are identity-mapped. */
	for (va = 0; va < (4ull << 30); va += 2ull << 20) {
		u64 pa = translate(es->cr3, va);

		__GUEST_ASSERT(pa == va, va, pa, "not identity-mapped: va 0x%lx -> pa 0x%lx", va, pa);
		pa = translate(es->cr3, va + 0x1ff000);
		__GUEST_ASSERT(pa == va + 0x1ff000, va + 0x1ff000, pa,
			       "not identity-mapped: va 0x%lx -> pa 0x%lx", va + 0x1ff000, pa);
	}

	/* RSI: the zero page. */
	GUEST_ASSERT_NE(es->rsi, 0);
	GUEST_ASSERT(!overlaps_image(es->rsi, 4096));
	GUEST_PRINTF("boot_params: e820_entries %u cmd_line_ptr 0x%x ramdisk 0x%x+0x%x",
		     zp[BP_E820_ENTRIES], *(const u32 *)(zp + BP_CMD_LINE_PTR),
		     *(const u32 *)(zp + BP_RAMDISK_IMAGE), *(const u32 *)(zp + BP_RAMDISK_SIZE));
	GUEST_ASSERT(zp[BP_E820_ENTRIES] > 0);
	GUEST_ASSERT(zp[BP_E820_ENTRIES] <= BP_E820_MAX);
	GUEST_ASSERT_NE(*(const u32 *)(zp + BP_CMD_LINE_PTR), 0);

	check_cmdline();
	check_memory_map();
	check_initrd();
}
