/* SPDX-License-Identifier: MIT */
/* tests/unit/test_loader_map.c: zero-copy kernel loading gives the same guest memory as copying. */
#include <elf.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/kernel.h"
#include "harness.h"

#define RAM (8u << 20)

struct ram {
	struct gmem m;
	uint8_t *hva;
};

static void ram_init(struct ram *r)
{
	struct gmem_region reg = { 0, RAM, NULL };

	r->hva = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.hva = r->hva;
	if (r->hva == MAP_FAILED || gmem_init_regions(&r->m, &reg, 1))
		abort();
}

/* Two PT_LOADs whose offsets share their page alignment with their
 * addresses: one page aligned, one starting 0x800 into a page, with bss. */
static size_t build_elf(uint8_t *f, size_t cap)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	size_t len = 0x6000;

	if (cap < len)
		abort();
	memset(f, 0x5a, len);	/* filler a sloppy mapping would leak into the guest */
	memset(f, 0, 0x1000);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x200010;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x200000,
			      .p_filesz = 0x1800, .p_memsz = 0x1800, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x3800, .p_paddr = 0x400800,
			      .p_filesz = 0x1000, .p_memsz = 0x3000, .p_align = 0x1000 };
	for (size_t i = 0x1000; i < 0x2800; i++)
		f[i] = (uint8_t)(i * 7);
	for (size_t i = 0x3800; i < 0x4800; i++)
		f[i] = (uint8_t)(i * 13);
	return len;
}

static int write_tmp(const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/ember-loader-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	unlink(path);
	return fd;
}

static void test_mapped_load_equals_copied_load(void)
{
	static uint8_t file[0x6000];
	size_t len = build_elf(file, sizeof(file));
	struct ram copied, mapped;
	struct boot_plan pc, pm;
	int fd = write_tmp(file, len);

	ram_init(&copied);
	ram_init(&mapped);
	CHECK_EQ(kernel_load(&copied.m, file, len, &pc), 0);
	CHECK_EQ(kernel_load_fd(&mapped.m, file, len, fd, &pm), 0);
	CHECK_EQ(pc.entry, pm.entry);
	CHECK_EQ(pc.kernel_end, pm.kernel_end);
	/* Every byte of the 8 MiB, including the head and tail pages around the
	 * unaligned segment and its bss, matches the copying loader. */
	CHECK(!memcmp(copied.hva, mapped.hva, RAM));
	CHECK_EQ(mapped.hva[0x400800], (uint8_t)(0x3800 * 13));
	CHECK_EQ(mapped.hva[0x4007ff], 0);	/* head of the page: not file filler */
	CHECK_EQ(mapped.hva[0x401800], 0);	/* bss */
	/* Guest writes stay private: the file is untouched. */
	mapped.hva[0x200000] ^= 0xff;
	{
		uint8_t b;

		CHECK_EQ(pread(fd, &b, 1, 0x1000), 1);
		CHECK_EQ(b, file[0x1000]);
	}
	close(fd);
	munmap(copied.hva, RAM);
	munmap(mapped.hva, RAM);
}

static void test_gmem_map_file_refusals(void)
{
	static uint8_t file[0x6000];
	size_t len = build_elf(file, sizeof(file));
	struct ram r;
	int fd = write_tmp(file, len);

	ram_init(&r);
	CHECK(gmem_map_file(&r.m, 0x1800, 0x1000, fd, 0) < 0);		/* gpa unaligned */
	CHECK(gmem_map_file(&r.m, 0x2000, 0x1000, fd, 0x10) < 0);	/* offset unaligned */
	CHECK(gmem_map_file(&r.m, RAM - 0x1000, 0x2000, fd, 0) < 0);	/* past RAM */
	CHECK(gmem_map_file(&r.m, 0x2000, 0, fd, 0) < 0);		/* empty */
	CHECK(gmem_map_file(&r.m, 0x2000, 0x1000, -1, 0) < 0);		/* no file */
	CHECK(gmem_map_file(&r.m, UINT64_MAX & ~0xfffull, 0x1000, fd, 0) < 0);
	CHECK_EQ(gmem_map_file(&r.m, 0x2000, 0x100, fd, 0x1000), 0);
	CHECK_EQ(r.hva[0x2000], file[0x1000]);
	CHECK_EQ(r.hva[0x2100], file[0x1100]);	/* rest of the page comes from the file too */
	close(fd);
	munmap(r.hva, RAM);
}

int main(void)
{
	RUN(test_mapped_load_equals_copied_load);
	RUN(test_gmem_map_file_refusals);
	return harness_summary("loader_map");
}
