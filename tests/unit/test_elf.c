/* SPDX-License-Identifier: MIT */
/* tests/unit/test_elf.c: elf_parse accepts x86-64 executables and refuses every malformed header. */
#include <errno.h>

#include "boot/kernel.h"
#include "fake_image.h"
#include "harness.h"

static uint8_t img[64 * 1024] __attribute__((aligned(8)));

static size_t build(const struct fake_elf *e)
{
	size_t n = fake_elf_build(img, sizeof(img), e);

	if (!n)
		fprintf(stderr, "  fake_elf_build failed\n");
	return n;
}

static int parse(size_t len, struct elf_info *ei)
{
	return elf_parse(img, len, ei);
}

static void test_elf_pvh_note_4_byte_desc(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	CHECK_EQ(parse(n, &ei), 0);
	CHECK_EQ(ei.has_pvh, 1);
	CHECK_EQ(ei.pvh_entry, 0x100010);
	CHECK_EQ(ei.entry, e.entry);
	CHECK_EQ(ei.nloads, 1);
	CHECK_EQ(ei.loads[0].paddr, 0x100000);
	CHECK_EQ(ei.loads[0].filesz, 0x1000);
	CHECK_EQ(ei.lowest, 0x100000);
	CHECK_EQ(ei.highest, 0x101000);
}

/* Linux emits the PHYS32_ENTRY note as an _ASM_PTR: 8 bytes on x86-64. */
static void test_elf_pvh_note_8_byte_desc(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;

	e.pvh_descsz = 8;
	e.pvh_entry = 0x1000123;
	CHECK_EQ(parse(build(&e), &ei), 0);
	CHECK_EQ(ei.has_pvh, 1);
	CHECK_EQ(ei.pvh_entry, 0x1000123);
}

static void test_elf_pvh_note_bad_desc_size_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;

	e.pvh_descsz = 6;
	CHECK_EQ(parse(build(&e), &ei), -EINVAL);
	e.pvh_descsz = 12;
	CHECK_EQ(parse(build(&e), &ei), -EINVAL);
}

/* A note whose descriptor runs past the PT_NOTE segment is malformed. */
static void test_elf_note_desc_beyond_segment_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(void *)(img + fake_elf_note_offset(&e));

	nh->n_descsz = 0xfffffff0u;
	CHECK_EQ(parse(n, &ei), -EINVAL);
	n = build(&e);
	nh->n_namesz = 0xffffffffu;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_note_segment_outside_file_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);
	Elf64_Phdr *note = fake_elf_phdr(img, 1);

	note->p_offset = n;
	CHECK_EQ(parse(n, &ei), -EINVAL);
	note->p_offset = UINT64_MAX - 4;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

/* Notes of other owners or types are skipped, not mistaken for PVH. */
static void test_elf_other_notes_ignored(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);
	uint8_t *name = img + fake_elf_note_offset(&e) + sizeof(Elf64_Nhdr);

	memcpy(name, "GNU", 4);
	CHECK_EQ(parse(n, &ei), 0);
	CHECK_EQ(ei.has_pvh, 0);
	n = build(&e);
	((Elf64_Nhdr *)(void *)(img + fake_elf_note_offset(&e)))->n_type = 1;
	CHECK_EQ(parse(n, &ei), 0);
	CHECK_EQ(ei.has_pvh, 0);
}

static void test_elf_without_note_has_no_pvh(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;

	e.pvh_descsz = 0;
	e.entry = 0x100000;
	CHECK_EQ(parse(build(&e), &ei), 0);
	CHECK_EQ(ei.has_pvh, 0);
	CHECK_EQ(ei.entry, 0x100000);
}

static void test_elf_not_elf_is_enoexec(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	CHECK_EQ(parse(sizeof(Elf64_Ehdr) - 1, &ei), -ENOEXEC);
	CHECK_EQ(parse(0, &ei), -ENOEXEC);
	img[1] = 'X';
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
}

static void test_elf_32bit_is_enoexec(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	img[EI_CLASS] = ELFCLASS32;
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
}

static void test_elf_big_endian_is_enoexec(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	img[EI_DATA] = ELFDATA2MSB;
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
}

static void test_elf_wrong_machine_is_enoexec(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	fake_elf_ehdr(img)->e_machine = EM_AARCH64;
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
	fake_elf_ehdr(img)->e_machine = EM_386;
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
}

/* A relocatable object or shared library is not a kernel image. */
static void test_elf_not_executable_is_enoexec(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	fake_elf_ehdr(img)->e_type = ET_DYN;
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
	fake_elf_ehdr(img)->e_type = ET_REL;
	CHECK_EQ(parse(n, &ei), -ENOEXEC);
}

static void test_elf_phdrs_outside_file_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);
	Elf64_Ehdr *eh = fake_elf_ehdr(img);

	eh->e_phoff = n - sizeof(Elf64_Phdr) + 1;	/* second phdr runs off the end */
	CHECK_EQ(parse(n, &ei), -EINVAL);
	eh->e_phoff = UINT64_MAX - 8;			/* offset + size overflows */
	CHECK_EQ(parse(n, &ei), -EINVAL);
	eh->e_phoff = sizeof(Elf64_Ehdr);
	CHECK_EQ(parse(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), &ei), -EINVAL);
}

static void test_elf_phnum_zero_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	fake_elf_ehdr(img)->e_phnum = 0;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_phnum_huge_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	fake_elf_ehdr(img)->e_phnum = 65;
	CHECK_EQ(parse(sizeof(img), &ei), -EINVAL);
	fake_elf_ehdr(img)->e_phnum = 0xffff;		/* PN_XNUM: not supported */
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_phentsize_mismatch_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	fake_elf_ehdr(img)->e_phentsize = sizeof(Elf32_Phdr);
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_filesz_above_memsz_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;

	e.segs[0].memsz = e.segs[0].filesz - 1;
	CHECK_EQ(parse(build(&e), &ei), -EINVAL);
}

static void test_elf_segment_beyond_file_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	CHECK_EQ(parse(n - 1, &ei), -EINVAL);		/* truncated by one byte */
	fake_elf_phdr(img, 0)->p_filesz = n;
	fake_elf_phdr(img, 0)->p_memsz = n;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_segment_offset_size_overflow_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);
	Elf64_Phdr *ph = fake_elf_phdr(img, 0);

	ph->p_offset = UINT64_MAX - 0x10;
	CHECK_EQ(parse(n, &ei), -EINVAL);
	ph->p_offset = 0x100;
	ph->p_filesz = UINT64_MAX;
	ph->p_memsz = UINT64_MAX;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_paddr_memsz_overflow_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);
	Elf64_Phdr *ph = fake_elf_phdr(img, 0);

	ph->p_paddr = UINT64_MAX - 0x800;
	CHECK_EQ(parse(n, &ei), -EINVAL);
	ph->p_paddr = UINT64_MAX - 0x1000 + 1;		/* end == 2^64 exactly */
	CHECK_EQ(parse(n, &ei), -EINVAL);
	ph->p_paddr = UINT64_MAX - 0x1000;		/* end == UINT64_MAX: representable */
	CHECK_EQ(parse(n, &ei), 0);
}

static void test_elf_no_load_segment_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	size_t n = build(&e);

	fake_elf_phdr(img, 0)->p_type = PT_GNU_STACK;
	CHECK_EQ(parse(n, &ei), -EINVAL);
	n = build(&e);
	fake_elf_phdr(img, 0)->p_memsz = 0;		/* empty loads are skipped */
	fake_elf_phdr(img, 0)->p_filesz = 0;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

static void test_elf_too_many_loads_refused(void)
{
	struct fake_elf e = fake_elf_pvh_default();
	struct elf_info ei;
	Elf64_Phdr first;
	size_t n;

	e.pvh_descsz = 0;
	n = build(&e);
	first = *fake_elf_phdr(img, 0);
	memmove(img + 4096, img + first.p_offset, first.p_filesz);
	first.p_offset = 4096;
	for (unsigned int i = 0; i <= ELF_MAX_LOADS; i++) {
		*fake_elf_phdr(img, i) = first;
		fake_elf_phdr(img, i)->p_paddr += i * 0x1000ull;
	}
	n = 4096 + first.p_filesz;
	fake_elf_ehdr(img)->e_phnum = ELF_MAX_LOADS;
	CHECK_EQ(parse(n, &ei), 0);
	CHECK_EQ(ei.nloads, ELF_MAX_LOADS);
	CHECK_EQ(ei.highest, 0x100000 + ELF_MAX_LOADS * 0x1000ull);
	fake_elf_ehdr(img)->e_phnum = ELF_MAX_LOADS + 1;
	CHECK_EQ(parse(n, &ei), -EINVAL);
}

/* lowest/highest span all PT_LOADs whatever their order in the file. */
static void test_elf_extent_covers_all_loads(void)
{
	struct fake_elf e = {
		.entry = 0x200000, .nsegs = 3,
		.segs = {
			{ .paddr = 0x400000, .filesz = 0x100, .memsz = 0x3000 },
			{ .paddr = 0x200000, .filesz = 0x200, .memsz = 0x200 },
			{ .paddr = 0x300000, .filesz = 0x0, .memsz = 0x10 },
		},
	};
	struct elf_info ei;

	CHECK_EQ(parse(build(&e), &ei), 0);
	CHECK_EQ(ei.nloads, 3);
	CHECK_EQ(ei.lowest, 0x200000);
	CHECK_EQ(ei.highest, 0x403000);
	CHECK_EQ(ei.loads[2].filesz, 0);
	CHECK_EQ(ei.loads[2].memsz, 0x10);
}

int main(void)
{
	RUN(test_elf_pvh_note_4_byte_desc);
	RUN(test_elf_pvh_note_8_byte_desc);
	RUN(test_elf_pvh_note_bad_desc_size_refused);
	RUN(test_elf_note_desc_beyond_segment_refused);
	RUN(test_elf_note_segment_outside_file_refused);
	RUN(test_elf_other_notes_ignored);
	RUN(test_elf_without_note_has_no_pvh);
	RUN(test_elf_not_elf_is_enoexec);
	RUN(test_elf_32bit_is_enoexec);
	RUN(test_elf_big_endian_is_enoexec);
	RUN(test_elf_wrong_machine_is_enoexec);
	RUN(test_elf_not_executable_is_enoexec);
	RUN(test_elf_phdrs_outside_file_refused);
	RUN(test_elf_phnum_zero_refused);
	RUN(test_elf_phnum_huge_refused);
	RUN(test_elf_phentsize_mismatch_refused);
	RUN(test_elf_filesz_above_memsz_refused);
	RUN(test_elf_segment_beyond_file_refused);
	RUN(test_elf_segment_offset_size_overflow_refused);
	RUN(test_elf_paddr_memsz_overflow_refused);
	RUN(test_elf_no_load_segment_refused);
	RUN(test_elf_too_many_loads_refused);
	RUN(test_elf_extent_covers_all_loads);
	return harness_summary("elf");
}
