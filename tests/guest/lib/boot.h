/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/boot.h: boot structures (PVH start info, Linux zero page) and the recorded entry state. */
#ifndef GUEST_BOOT_H
#define GUEST_BOOT_H

/*
 * The entry code stores the CPU state it found into `entry_state` before it
 * changes anything.  Every field is 64 bits wide; the 32-bit PVH entry only
 * fills the low half.  The offsets are shared with the assembly.
 */
#define ES_RAX		0x00
#define ES_RBX		0x08
#define ES_RCX		0x10
#define ES_RDX		0x18
#define ES_RSI		0x20
#define ES_RDI		0x28
#define ES_RSP		0x30
#define ES_RBP		0x38
#define ES_RFLAGS	0x40
#define ES_CR0		0x48
#define ES_CR3		0x50
#define ES_CR4		0x58
#define ES_EFER		0x60
#define ES_CS		0x68
#define ES_DS		0x70
#define ES_ES		0x78
#define ES_SS		0x80
#define ES_FS		0x88
#define ES_GS		0x90
#define ES_RESERVED	0x98	/* 6 quadwords, unused */
#define ES_GDTR		0xc8	/* SGDT: 2 bytes limit, then base */
#define ES_IDTR		0xd8	/* SIDT */
#define ES_EIP_SEEN	0xe8	/* address a CALL pushed ... */
#define ES_EIP_LINK	0xf0	/* ... and the address it was linked at */
#define ES_PROTOCOL	0xf8	/* BOOT_PVH or BOOT_LINUX64 */
#define ES_SIZE		0x100

#define BOOT_PVH	1
#define BOOT_LINUX64	2

/* Our GDT: the same selectors ember uses at entry. */
#define SEL_CODE32	0x08
#define SEL_CODE64	0x10
#define SEL_DATA	0x18

#define MAX_CPUS	32
#define STACK_SIZE	8192

/* SIPI target: the real-mode AP trampoline is copied here. */
#define AP_TRAMPOLINE	0x10000

#ifndef __ASSEMBLER__
#include "x86.h"

struct entry_state {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	u64 rflags, cr0, cr3, cr4, efer;
	u64 cs, ds, es, ss, fs, gs;
	u64 reserved[6];
	u8 gdtr[16];
	u8 idtr[16];
	u64 eip_seen, eip_link;
	u64 protocol;
};
_Static_assert(sizeof(struct entry_state) == ES_SIZE, "entry_state layout");

extern struct entry_state entry_state;

/*
 * A segment descriptor of the GDT that was loaded at entry, decoded the way
 * LAR and LSL report it (read from memory: PVM cannot emulate LAR/LSL).
 * ar: bits 8-11 type, 12 S, 13-14 DPL, 15 P, 20 AVL, 21 L, 22 D/B, 23 G.
 */
struct seg_desc {
	bool ok;	/* selector inside the GDT limit */
	u32 ar;
	u32 limit;	/* scaled by G */
	u32 base;
};

struct seg_desc entry_gdt_desc(u16 sel);

/* Xen public arch-x86/hvm/start_info.h */
#define XEN_HVM_START_MAGIC_VALUE	0x336ec578

struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr;
	u32 memmap_entries;
	u32 reserved;
};

struct hvm_modlist_entry {
	u64 paddr;
	u64 size;
	u64 cmdline_paddr;
	u64 reserved;
};

struct hvm_memmap_table_entry {
	u64 addr;
	u64 size;
	u32 type;
	u32 reserved;
};

#define E820_RAM	1
#define E820_RESERVED	2

/* Linux zero page (struct boot_params), the offsets ember fills. */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128

struct boot_e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __attribute__((packed));

/* A memory map entry, whichever protocol delivered it. */
struct mem_range {
	u64 addr;
	u64 size;
	u32 type;
};

#define MAX_MEM_RANGES	128

/* What guest_start() found, for the tests. */
struct boot_info {
	int protocol;
	const char *cmdline;	/* "" when there is none */
	int nr_ranges;
	struct mem_range ranges[MAX_MEM_RANGES];
	u64 initrd_addr;
	u64 initrd_size;
	const struct hvm_start_info *pvh;	/* PVH only */
	const u8 *zero_page;			/* Linux 64-bit only */
};

extern struct boot_info boot;
#endif

#endif
