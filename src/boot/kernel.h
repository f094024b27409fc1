/* SPDX-License-Identifier: MIT */
/* boot/kernel.h: kernel image parsing (ELF vmlinux, PVH note, bzImage) and boot-structure builders. */
#ifndef EMBER_BOOT_KERNEL_H
#define EMBER_BOOT_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"
#include "mem/gmem.h"

enum boot_proto {
	BOOT_PVH,		/* 32-bit protected-mode entry with hvm_start_info in EBX */
	BOOT_LINUX64,		/* Linux 64-bit boot protocol, boot_params in RSI */
};

#define ELF_MAX_LOADS 16

struct elf_load {
	uint64_t offset;	/* in the file */
	uint64_t filesz;
	uint64_t paddr;		/* guest-physical destination */
	uint64_t memsz;
};

struct elf_info {
	uint64_t entry;		/* e_entry */
	uint64_t pvh_entry;	/* XEN_ELFNOTE_PHYS32_ENTRY value, if has_pvh */
	int has_pvh;
	unsigned int nloads;
	struct elf_load loads[ELF_MAX_LOADS];
	uint64_t lowest, highest;	/* guest-physical extent of all PT_LOADs */
};

/*
 * Parse an x86-64 ELF executable image held in buf[0..len).  Every header,
 * segment and note is bounds-checked against len.  0 on success; -ENOEXEC
 * if it is not an ELF64 x86-64 executable; -EINVAL if it is malformed.
 */
int elf_parse(const uint8_t *buf, size_t len, struct elf_info *out) __must_check;

/* Linux setup header facts used by the loader (boot protocol 2.12+). */
struct bzimage_info {
	uint16_t version;
	uint32_t setup_size;		/* (setup_sects + 1) * 512 */
	uint64_t kernel_offset;		/* protected-mode kernel in the file */
	uint64_t kernel_size;
	uint64_t load_addr;		/* guest-physical address chosen for it */
	uint64_t init_size;		/* bytes needed from load_addr */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;		/* max command line length, excluding NUL */
	uint32_t hdr_end;		/* end offset of the setup header in the file */
};

/*
 * Parse a bzImage: checks boot flag, "HdrS", protocol >= 2.12,
 * XLF_KERNEL_64, setup and kernel sizes within len.  0, -ENOEXEC (not a
 * bzImage), -EINVAL (malformed or unsupported).
 */
int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *out) __must_check;

/* Where a kernel ended up, what the boot-structure writers need. */
struct boot_plan {
	enum boot_proto proto;
	uint64_t entry;			/* guest-physical entry point */
	uint64_t kernel_start, kernel_end;	/* loaded guest-physical range */
	uint64_t initrd_addr_max;	/* highest byte address usable for the initrd */
	uint32_t cmdline_max;		/* bytes the kernel accepts, including NUL */
	const uint8_t *setup_hdr;	/* bzImage setup header (0x1f1..hdr_end) or NULL */
	uint32_t setup_hdr_len;
	int is_bzimage;
};

/*
 * Load a kernel image (ELF with or without PVH note, or bzImage) into guest
 * memory and describe its entry.  `buf` must stay valid while the plan is
 * used.  -ENOEXEC for an unknown format, -EINVAL for a malformed one,
 * -E2BIG when it does not fit guest RAM.
 */
int kernel_load(struct gmem *m, const uint8_t *buf, size_t len,
		struct boot_plan *plan) __must_check;

/*
 * Check a kernel image without loading it: 0 when kernel_load() into
 * `ram_bytes` of guest RAM would find a known format that fits; -ENOEXEC
 * (unknown format), -EINVAL (malformed), -E2BIG (too big for the RAM below
 * the 32-bit MMIO gap).  Lets the VMM refuse bad input before any KVM work.
 */
int kernel_check(const uint8_t *buf, size_t len, uint64_t ram_bytes) __must_check;

/*
 * Place the initrd as high as possible in low RAM below both the end of low
 * RAM and plan->initrd_addr_max, page aligned, above the kernel.
 * Returns 0 and the address in *gpa, or -E2BIG.
 */
int initrd_place(const struct gmem *m, const struct boot_plan *plan, uint64_t size,
		 uint64_t *gpa) __must_check;

/* Write the Linux zero page (boot_params) at LAYOUT_ZERO_PAGE. 0 / -errno. */
int bootparams_write(struct gmem *m, const struct boot_plan *plan,
		     uint64_t cmdline_gpa, uint32_t cmdline_len,
		     uint64_t initrd_gpa, uint64_t initrd_size) __must_check;

/* Record the RSDP address in an already written zero page (acpi_rsdp_addr). */
int bootparams_set_rsdp(struct gmem *m, uint64_t rsdp_gpa) __must_check;

/* Write hvm_start_info + memmap + module list for PVH entry. 0 / -errno. */
int pvh_write(struct gmem *m, uint64_t cmdline_gpa, uint64_t initrd_gpa,
	      uint64_t initrd_size, uint64_t rsdp_gpa) __must_check;

#endif
