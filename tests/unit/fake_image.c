/* SPDX-License-Identifier: MIT */
/* tests/unit/fake_image.c: builds synthetic ELF64 and bzImage files for loader tests and fuzz seeds. */
#include <string.h>

#include "fake_image.h"

#define NOTE_NAME_LEN 4		/* "Xen\0" */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

Elf64_Ehdr *fake_elf_ehdr(uint8_t *buf)
{
	return (Elf64_Ehdr *)(void *)buf;
}

Elf64_Phdr *fake_elf_phdr(uint8_t *buf, unsigned int i)
{
	return (Elf64_Phdr *)(void *)(buf + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static unsigned int nphdrs(const struct fake_elf *e)
{
	return e->nsegs + (e->pvh_descsz ? 1 : 0);
}

size_t fake_elf_note_offset(const struct fake_elf *e)
{
	return sizeof(Elf64_Ehdr) + nphdrs(e) * sizeof(Elf64_Phdr);
}

static size_t note_size(const struct fake_elf *e)
{
	if (!e->pvh_descsz)
		return 0;
	return sizeof(Elf64_Nhdr) + NOTE_NAME_LEN + ((e->pvh_descsz + 3u) & ~3u);
}

size_t fake_elf_build(uint8_t *buf, size_t cap, const struct fake_elf *e)
{
	/* Segment contents start 8-byte aligned after the headers and the note. */
	size_t off = (fake_elf_note_offset(e) + note_size(e) + 7) & ~(size_t)7;
	size_t total = off;
	Elf64_Ehdr *eh;

	if (e->nsegs > FAKE_ELF_MAX_SEGS)
		return 0;
	for (unsigned int i = 0; i < e->nsegs; i++)
		total += e->segs[i].filesz;
	if (total > cap)
		return 0;
	memset(buf, 0, total);

	eh = fake_elf_ehdr(buf);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = e->entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)nphdrs(e);

	for (unsigned int i = 0; i < e->nsegs; i++) {
		Elf64_Phdr *ph = fake_elf_phdr(buf, i);

		ph->p_type = PT_LOAD;
		ph->p_flags = PF_R | PF_W | PF_X;
		ph->p_offset = off;
		ph->p_vaddr = e->segs[i].paddr;
		ph->p_paddr = e->segs[i].paddr;
		ph->p_filesz = e->segs[i].filesz;
		ph->p_memsz = e->segs[i].memsz;
		ph->p_align = 0x1000;
		memset(buf + off, 0xa0 + (int)i, e->segs[i].filesz);
		off += e->segs[i].filesz;
	}
	if (e->pvh_descsz) {
		Elf64_Phdr *ph = fake_elf_phdr(buf, e->nsegs);
		size_t noff = fake_elf_note_offset(e);
		Elf64_Nhdr nh = {
			.n_namesz = NOTE_NAME_LEN,
			.n_descsz = e->pvh_descsz,
			.n_type = XEN_ELFNOTE_PHYS32_ENTRY,
		};

		ph->p_type = PT_NOTE;
		ph->p_offset = noff;
		ph->p_filesz = note_size(e);
		ph->p_align = 4;
		memcpy(buf + noff, &nh, sizeof(nh));
		memcpy(buf + noff + sizeof(nh), "Xen", NOTE_NAME_LEN);
		if (e->pvh_descsz == 4) {
			uint32_t v = (uint32_t)e->pvh_entry;

			memcpy(buf + noff + sizeof(nh) + NOTE_NAME_LEN, &v, 4);
		} else if (e->pvh_descsz >= 8) {
			memcpy(buf + noff + sizeof(nh) + NOTE_NAME_LEN, &e->pvh_entry, 8);
		}
	}
	return total;
}

struct fake_elf fake_elf_pvh_default(void)
{
	struct fake_elf e = {
		.entry = 0xffffffff81000000ull,
		.nsegs = 1,
		.segs = { { .paddr = 0x100000, .filesz = 0x1000, .memsz = 0x1000 } },
		.pvh_descsz = 4,
		.pvh_entry = 0x100010,
	};
	return e;
}

struct fake_bz fake_bz_default(void)
{
	struct fake_bz b = {
		.setup_sects = 4,
		.version = 0x20f,
		.xloadflags = 0x1,		/* XLF_KERNEL_64 */
		.jump_disp = 0x6a,		/* hdr_end 0x26c, as Linux 6.x */
		.relocatable = 1,
		.kernel_alignment = 0x200000,
		.pref_address = 0x1000000,
		.init_size = 0x10000,
		.initrd_addr_max = 0x7fffffff,
		.cmdline_size = 2047,
		.kernel_size = 0x2000,
	};
	return b;
}

size_t fake_bz_setup_size(const struct fake_bz *b)
{
	return ((size_t)(b->setup_sects ? b->setup_sects : 4) + 1) * 512;
}

static void put16(uint8_t *p, size_t o, uint16_t v) { memcpy(p + o, &v, 2); }
static void put32(uint8_t *p, size_t o, uint32_t v) { memcpy(p + o, &v, 4); }
static void put64(uint8_t *p, size_t o, uint64_t v) { memcpy(p + o, &v, 8); }

size_t fake_bz_build(uint8_t *buf, size_t cap, const struct fake_bz *b)
{
	size_t setup = fake_bz_setup_size(b), total = setup + b->kernel_size;

	if (total > cap)
		return 0;
	memset(buf, 0, setup);
	buf[0x1f1] = b->setup_sects;
	put16(buf, 0x1fe, 0xaa55);
	buf[0x200] = 0xeb;			/* jmp short start_of_setup */
	buf[0x201] = b->jump_disp;
	memcpy(buf + 0x202, "HdrS", 4);
	put16(buf, 0x206, b->version);
	buf[0x211] = 0x01;			/* loadflags: LOADED_HIGH */
	put32(buf, 0x22c, b->initrd_addr_max);
	put32(buf, 0x230, b->kernel_alignment);
	buf[0x234] = b->relocatable;
	put16(buf, 0x236, b->xloadflags);
	put32(buf, 0x238, b->cmdline_size);
	put64(buf, 0x258, b->pref_address);
	put32(buf, 0x260, b->init_size);
	memset(buf + setup, 0x5a, b->kernel_size);
	return total;
}
