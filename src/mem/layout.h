/* SPDX-License-Identifier: MIT */
/* mem/layout.h: the fixed x86-64 guest memory map (documented in docs/memory-map.md). */
#ifndef EMBER_LAYOUT_H
#define EMBER_LAYOUT_H

#include "util/compiler.h"

/* Boot structures in low memory, all below 1 MiB. */
#define LAYOUT_GDT		0x0500ull	/* boot GDT: null, null, code, data, tss */
#define LAYOUT_IDT		0x0520ull	/* empty IDT (limit 0) for 64-bit entry */
#define LAYOUT_PVH_INFO		0x6000ull	/* struct hvm_start_info */
#define LAYOUT_PVH_MODLIST	0x6040ull	/* hvm_modlist_entry[1] (initrd) */
#define LAYOUT_PVH_MEMMAP	0x6100ull	/* hvm_memmap_table_entry[], up to 0x7000 */
#define LAYOUT_ZERO_PAGE	0x7000ull	/* Linux struct boot_params */
#define LAYOUT_PML4		0x9000ull	/* identity page tables for 64-bit entry */
#define LAYOUT_PDPT		0xa000ull
#define LAYOUT_PD		0xb000ull	/* 4 pages: 0xb000-0xefff, 4 GiB in 2 MiB pages */
#define LAYOUT_CMDLINE		0x20000ull	/* kernel command line */
#define LAYOUT_CMDLINE_MAX	4096u		/* bytes including the NUL */
#define LAYOUT_EBDA_START	0x9fc00ull	/* MP table lives here (where Linux/NetBSD search) */
#define LAYOUT_EBDA_END		0xa0000ull
#define LAYOUT_BIOS_START	0xa0000ull	/* 640 KiB - 1 MiB: legacy, reserved in e820 */
#define LAYOUT_ACPI_START	0xe0000ull	/* RSDP (where guests scan for it) and tables */
#define LAYOUT_ACPI_END		0x100000ull
#define LAYOUT_HIGH_RAM		0x100000ull	/* 1 MiB: kernels load at or above this */

/* The 32-bit MMIO gap: RAM stops at 3 GiB and resumes at 4 GiB. */
#define LAYOUT_MMIO32_START	0xc0000000ull
#define LAYOUT_MMIO32_END	0x100000000ull
#define LAYOUT_VIRTIO_MMIO_BASE	0xd0000000ull	/* virtio-mmio slots, one 4 KiB page each */
#define LAYOUT_VIRTIO_MMIO_SLOT	0x1000ull
#define LAYOUT_VIRTIO_MMIO_SLOTS 32u
/*
 * virtio-mmio slot i raises GSI 5, 6, 7, then 9..23: GSI 8 is the CMOS RTC's
 * ISA interrupt, and a guest that finds a device on it loses either the
 * device or its RTC ("Flags mismatch irq 8").  At most 18 devices.
 */
#define LAYOUT_VIRTIO_MAX_DEVS	18u
static inline uint32_t layout_virtio_gsi(unsigned int slot)
{
	return slot < 3 ? 5 + slot : 6 + slot;
}
#define LAYOUT_IOAPIC		0xfec00000ull
#define LAYOUT_LAPIC		0xfee00000ull
#define LAYOUT_HIGH_START	0x100000000ull	/* RAM above the gap */

/* ACPI hardware-reduced sleep control/status register (poweroff). */
#define LAYOUT_ACPI_SLEEP_PORT	0x600u

/* Guest RAM bounds accepted by ember (MiB). */
#define LAYOUT_MIN_MEM_MIB	8ull
#define LAYOUT_MAX_MEM_MIB	(1024ull * 1024)	/* 1 TiB */

#endif
