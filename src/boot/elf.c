/* SPDX-License-Identifier: MIT */
/* boot/elf.c: bounds-checked ELF64 parsing for vmlinux, including the Xen PVH entry note. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "boot/kernel.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define ELF_MAX_PHDRS 64

static int parse_notes(const uint8_t *buf, size_t len, uint64_t off, uint64_t size,
		       struct elf_info *out)
{
	if (!range_ok(off, size, len))
		return -EINVAL;
	while (size >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, namesz, descsz, total;

		memcpy(&nh, buf + off, sizeof(nh));
		namesz = ALIGN_UP((uint64_t)nh.n_namesz, 4);
		descsz = ALIGN_UP((uint64_t)nh.n_descsz, 4);
		total = sizeof(nh) + namesz + descsz;	/* no overflow: 32-bit fields */
		if (total > size)
			return -EINVAL;
		name_off = off + sizeof(nh);
		desc_off = name_off + namesz;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(buf + name_off, "Xen", 4)) {
			if (nh.n_descsz == 4) {
				uint32_t v;

				memcpy(&v, buf + desc_off, 4);
				out->pvh_entry = v;
			} else if (nh.n_descsz == 8) {
				memcpy(&out->pvh_entry, buf + desc_off, 8);
			} else {
				return -EINVAL;
			}
			out->has_pvh = 1;
		}
		off += total;
		size -= total;
	}
	return 0;
}

int elf_parse(const uint8_t *buf, size_t len, struct elf_info *out)
{
	Elf64_Ehdr eh;
	int err;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG))
		return -ENOEXEC;
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return -ENOEXEC;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > ELF_MAX_PHDRS ||
	    !range_ok(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		return -EINVAL;

	out->entry = eh.e_entry;
	out->lowest = UINT64_MAX;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t end;

		memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE) {
			err = parse_notes(buf, len, ph.p_offset, ph.p_filesz, out);
			if (err)
				return err;
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (out->nloads == ELF_MAX_LOADS || ph.p_filesz > ph.p_memsz ||
		    !range_ok(ph.p_offset, ph.p_filesz, len) ||
		    __builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end))
			return -EINVAL;
		out->loads[out->nloads++] = (struct elf_load){
			.offset = ph.p_offset, .filesz = ph.p_filesz,
			.paddr = ph.p_paddr, .memsz = ph.p_memsz,
		};
		out->lowest = MIN(out->lowest, ph.p_paddr);
		out->highest = MAX(out->highest, end);
	}
	if (!out->nloads)
		return -EINVAL;
	return 0;
}
