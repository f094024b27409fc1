/* SPDX-License-Identifier: MIT */
/* tests/unit/fake_image.h: builders for small synthetic ELF64 vmlinux and bzImage files. */
#ifndef EMBER_TEST_FAKE_IMAGE_H
#define EMBER_TEST_FAKE_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_ELF_MAX_SEGS 4

struct fake_seg {
	uint64_t paddr;
	uint64_t filesz;	/* bytes in the file, filled with 0xa0 + segment index */
	uint64_t memsz;
};

struct fake_elf {
	uint64_t entry;		/* e_entry */
	unsigned int nsegs;
	struct fake_seg segs[FAKE_ELF_MAX_SEGS];
	unsigned int pvh_descsz;	/* 0: no PVH note; else 4 or 8 (or anything, to break it) */
	uint64_t pvh_entry;
};

/*
 * Lay out an ELF64 x86-64 ET_EXEC: Ehdr at 0, the program headers at 64
 * (PT_LOADs, then one PT_NOTE when pvh_descsz is set), the note, then the
 * segment contents.  Returns the file length, or 0 if cap is too small.
 * buf must be 8-byte aligned; fake_elf_ehdr/phdr then give typed pointers.
 */
size_t fake_elf_build(uint8_t *buf, size_t cap, const struct fake_elf *e);
Elf64_Ehdr *fake_elf_ehdr(uint8_t *buf);
Elf64_Phdr *fake_elf_phdr(uint8_t *buf, unsigned int i);
/* Offset of the PVH note header (Elf64_Nhdr) in a file built with a note. */
size_t fake_elf_note_offset(const struct fake_elf *e);

/* A minimal PVH ELF: one 4 KiB segment at 1 MiB, PVH entry 1 MiB + 0x10. */
struct fake_elf fake_elf_pvh_default(void);

struct fake_bz {
	uint8_t setup_sects;	/* 0 means 4, as in the boot protocol */
	uint16_t version;	/* e.g. 0x20f */
	uint16_t xloadflags;
	uint8_t jump_disp;	/* hdr_end = 0x202 + jump_disp */
	uint8_t relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint64_t kernel_size;	/* protected-mode part, filled with 0x5a */
};

/* Protocol 2.15, XLF_KERNEL_64, 8 KiB kernel, pref_address 16 MiB. */
struct fake_bz fake_bz_default(void);

/* Build the bzImage; returns its length or 0 if cap is too small. */
size_t fake_bz_build(uint8_t *buf, size_t cap, const struct fake_bz *b);
/* Setup size in bytes of a built image: (setup_sects or 4, + 1) * 512. */
size_t fake_bz_setup_size(const struct fake_bz *b);

#endif
