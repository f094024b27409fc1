/* SPDX-License-Identifier: MIT */
/* tests/unit/test_loader.c: kernel_load, initrd placement, boot_params and PVH start_info in guest memory. */
#include <errno.h>
#include <stdlib.h>

#include "arch/x86/e820.h"
#include "boot/kernel.h"
#include "fake_image.h"
#include "harness.h"
#include "mem/layout.h"

static uint8_t img[256 * 1024] __attribute__((aligned(8)));

static struct gmem mem(uint64_t mib)
{
	struct gmem m;

	if (gmem_create_x86(&m, MiB(mib)))
		abort();
	return m;
}

static uint8_t *at(struct gmem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(m, gpa, len);

	if (!p)
		abort();
	return p;
}

static uint64_t get(struct gmem *m, uint64_t gpa, unsigned int bytes)
{
	uint64_t v = 0;

	memcpy(&v, at(m, gpa, bytes), bytes);
	return v;
}

static int load_elf(struct gmem *m, const struct fake_elf *e, struct boot_plan *p)
{
	return kernel_load(m, img, fake_elf_build(img, sizeof(img), e), p);
}

static int load_bz(struct gmem *m, const struct fake_bz *b, struct boot_plan *p)
{
	return kernel_load(m, img, fake_bz_build(img, sizeof(img), b), p);
}

/* PT_LOAD: copy p_filesz bytes, zero the rest up to p_memsz (ELF gABI, bss). */
static void test_load_elf_copies_and_zero_fills(void)
{
	struct gmem m = mem(64);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.segs[0].memsz = 0x3000;
	memset(at(&m, 0x100000, 0x4000), 0xcc, 0x4000);
	CHECK_EQ(load_elf(&m, &e, &p), 0);
	CHECK_EQ(get(&m, 0x100000, 1), 0xa0);
	CHECK_EQ(get(&m, 0x100fff, 1), 0xa0);
	CHECK_EQ(get(&m, 0x101000, 8), 0);
	CHECK_EQ(get(&m, 0x102ff8, 8), 0);
	CHECK_EQ(get(&m, 0x103000, 1), 0xcc);		/* past memsz: untouched */
	CHECK_EQ(p.proto, BOOT_PVH);
	CHECK_EQ(p.entry, 0x100010);
	CHECK_EQ(p.kernel_start, 0x100000);
	CHECK_EQ(p.kernel_end, 0x103000);
	CHECK_EQ(p.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(p.cmdline_max, LAYOUT_CMDLINE_MAX);
	CHECK(p.setup_hdr == NULL);
	CHECK_EQ(p.is_bzimage, 0);
	gmem_destroy(&m);
}

/* Without the PVH note an ELF vmlinux is entered at e_entry with the 64-bit protocol. */
static void test_load_elf_without_note_is_linux64(void)
{
	struct gmem m = mem(64);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.pvh_descsz = 0;
	e.entry = 0x100200;
	CHECK_EQ(load_elf(&m, &e, &p), 0);
	CHECK_EQ(p.proto, BOOT_LINUX64);
	CHECK_EQ(p.entry, 0x100200);
	CHECK_EQ(p.cmdline_max, 2048);			/* x86 COMMAND_LINE_SIZE */
	gmem_destroy(&m);
}

static void test_load_elf_entry_outside_loaded_range_refused(void)
{
	struct gmem m = mem(64);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.pvh_entry = 0x101000;				/* one past the segment */
	CHECK_EQ(load_elf(&m, &e, &p), -EINVAL);
	e.pvh_entry = 0xfffff;
	CHECK_EQ(load_elf(&m, &e, &p), -EINVAL);
	e.pvh_descsz = 0;
	e.entry = 0xffffffff81000000ull;		/* a virtual address */
	CHECK_EQ(load_elf(&m, &e, &p), -EINVAL);
	gmem_destroy(&m);
}

/* PVH enters in 32-bit protected mode: an entry above 4 GiB cannot be reached. */
static void test_load_elf_pvh_entry_above_4gib_refused(void)
{
	struct gmem m = mem(5000);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.segs[0].paddr = LAYOUT_HIGH_START;
	e.pvh_descsz = 8;
	e.pvh_entry = LAYOUT_HIGH_START + 0x10;
	CHECK_EQ(load_elf(&m, &e, &p), -EINVAL);
	e.pvh_descsz = 0;				/* the 64-bit entry may be high */
	e.entry = LAYOUT_HIGH_START + 0x10;
	CHECK_EQ(load_elf(&m, &e, &p), 0);
	gmem_destroy(&m);
}

/* Below 1 MiB live the boot structures (docs/memory-map.md): no kernel may load there. */
static void test_load_elf_segment_below_1mib_refused(void)
{
	struct gmem m = mem(64);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.segs[0].paddr = 0xff000;
	e.pvh_entry = 0xff000;
	CHECK_EQ(load_elf(&m, &e, &p), -EINVAL);
	e.segs[0].paddr = 0;
	e.pvh_entry = 0;
	CHECK_EQ(load_elf(&m, &e, &p), -EINVAL);
	gmem_destroy(&m);
}

static void test_load_elf_too_big_for_memory_is_e2big(void)
{
	struct gmem m = mem(64);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.segs[0].memsz = MiB(64);			/* runs past the end of RAM */
	CHECK_EQ(load_elf(&m, &e, &p), -E2BIG);
	e.segs[0].memsz = 0x1000;
	e.segs[0].paddr = MiB(64);			/* starts at the end of RAM */
	e.pvh_entry = MiB(64);
	CHECK_EQ(load_elf(&m, &e, &p), -E2BIG);
	gmem_destroy(&m);
}

static void test_load_elf_into_mmio_gap_is_e2big(void)
{
	struct gmem m = mem(5000);
	struct fake_elf e = fake_elf_pvh_default();
	struct boot_plan p;

	e.segs[0].paddr = LAYOUT_MMIO32_START - 0x800;	/* straddles the gap */
	e.pvh_entry = e.segs[0].paddr;
	CHECK_EQ(load_elf(&m, &e, &p), -E2BIG);
	e.segs[0].paddr = LAYOUT_HIGH_START;		/* RAM above 4 GiB is fine */
	e.pvh_descsz = 0;
	e.entry = LAYOUT_HIGH_START;
	CHECK_EQ(load_elf(&m, &e, &p), 0);
	CHECK_EQ(get(&m, LAYOUT_HIGH_START, 1), 0xa0);
	gmem_destroy(&m);
}

static void test_load_unknown_format_is_enoexec(void)
{
	struct gmem m = mem(64);
	struct boot_plan p;

	memset(img, 0x90, 8192);
	CHECK_EQ(kernel_load(&m, img, 8192, &p), -ENOEXEC);
	CHECK_EQ(kernel_load(&m, img, 0, &p), -ENOEXEC);
	gmem_destroy(&m);
}

/* boot.rst: the protected-mode kernel goes at the load address; 64-bit entry is +0x200. */
static void test_load_bzimage_at_load_addr(void)
{
	struct gmem m = mem(64);
	struct fake_bz b = fake_bz_default();
	struct boot_plan p;

	CHECK_EQ(load_bz(&m, &b, &p), 0);
	CHECK_EQ(p.proto, BOOT_LINUX64);
	CHECK_EQ(p.is_bzimage, 1);
	CHECK_EQ(p.entry, 0x1000000 + 0x200);
	CHECK_EQ(p.kernel_start, 0x1000000);
	CHECK_EQ(p.kernel_end, 0x1000000 + b.init_size);
	CHECK_EQ(get(&m, 0x1000000, 1), 0x5a);
	CHECK_EQ(get(&m, 0x1000000 + b.kernel_size - 1, 1), 0x5a);
	CHECK(p.setup_hdr == img + 0x1f1);
	CHECK_EQ(p.setup_hdr_len, 0x26c - 0x1f1);
	CHECK_EQ(p.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(p.cmdline_max, 2048);			/* cmdline_size + NUL */
	gmem_destroy(&m);
}

static void test_load_bzimage_init_size_beyond_ram_is_e2big(void)
{
	struct gmem m = mem(64);
	struct fake_bz b = fake_bz_default();
	struct boot_plan p;

	b.init_size = MiB(64);				/* from 16 MiB: past the end of RAM */
	CHECK_EQ(load_bz(&m, &b, &p), -E2BIG);
	gmem_destroy(&m);
}

/* cmdline_size counts bytes without the NUL; 0 is taken as the old 255-byte limit. */
static void test_load_bzimage_cmdline_size_limits(void)
{
	struct gmem m = mem(64);
	struct fake_bz b = fake_bz_default();
	struct boot_plan p;

	b.cmdline_size = 0;
	CHECK_EQ(load_bz(&m, &b, &p), 0);
	CHECK_EQ(p.cmdline_max, 256);
	b.cmdline_size = 100000;
	CHECK_EQ(load_bz(&m, &b, &p), 0);
	CHECK_EQ(p.cmdline_max, LAYOUT_CMDLINE_MAX);
	gmem_destroy(&m);
}

/*
 * cmdline_size 0xffffffff ("anything goes") must cap at ember's buffer, not
 * wrap to 0 in 32-bit arithmetic, which refused every command line.
 */
static void test_load_bzimage_cmdline_size_max_no_wrap(void)
{
	struct gmem m = mem(64);
	struct fake_bz b = fake_bz_default();
	struct boot_plan p;

	b.cmdline_size = UINT32_MAX;
	CHECK_EQ(load_bz(&m, &b, &p), 0);
	CHECK_EQ(p.cmdline_max, LAYOUT_CMDLINE_MAX);
	gmem_destroy(&m);
}

/* initrd: highest page-aligned spot below low-RAM end and initrd_addr_max, above the kernel. */
static void test_initrd_placed_high_page_aligned(void)
{
	struct gmem m = mem(128);
	struct boot_plan p = { .kernel_end = MiB(8), .initrd_addr_max = 0x7fffffff };
	uint64_t gpa = 0;

	CHECK_EQ(initrd_place(&m, &p, 10000, &gpa), 0);
	CHECK_EQ(gpa % 4096, 0);
	CHECK(gpa + 10000 <= MiB(128));
	CHECK_EQ(gpa, (MiB(128) - 10000) & ~0xfffull);
	gmem_destroy(&m);
}

static void test_initrd_below_initrd_addr_max(void)
{
	struct gmem m = mem(128);
	struct boot_plan p = { .kernel_end = MiB(8), .initrd_addr_max = MiB(64) - 1 };
	uint64_t gpa = 0;

	CHECK_EQ(initrd_place(&m, &p, MiB(1), &gpa), 0);
	CHECK_EQ(gpa, MiB(63));				/* last byte at initrd_addr_max */
	p.initrd_addr_max = MiB(32) + 100;		/* unaligned limit */
	CHECK_EQ(initrd_place(&m, &p, 4096, &gpa), 0);
	CHECK_EQ(gpa, MiB(32) - 4096);
	CHECK(gpa + 4096 - 1 <= p.initrd_addr_max);
	gmem_destroy(&m);
}

/* With RAM above 4 GiB the initrd still goes in low RAM, below the gap. */
static void test_initrd_stays_below_mmio_gap(void)
{
	struct gmem m = mem(5000);
	struct boot_plan p = { .kernel_end = MiB(8), .initrd_addr_max = UINT32_MAX };
	uint64_t gpa = 0;

	CHECK_EQ(initrd_place(&m, &p, MiB(16), &gpa), 0);
	CHECK_EQ(gpa, LAYOUT_MMIO32_START - MiB(16));
	gmem_destroy(&m);
}

static void test_initrd_too_big_is_e2big(void)
{
	struct gmem m = mem(128);
	struct boot_plan p = { .kernel_end = MiB(8), .initrd_addr_max = 0x7fffffff };
	uint64_t gpa = 0;

	CHECK_EQ(initrd_place(&m, &p, MiB(120) + 1, &gpa), -E2BIG);	/* would overlap the kernel */
	CHECK_EQ(initrd_place(&m, &p, MiB(120), &gpa), 0);
	CHECK_EQ(gpa, MiB(8));
	CHECK_EQ(initrd_place(&m, &p, MiB(129), &gpa), -E2BIG);
	CHECK_EQ(initrd_place(&m, &p, UINT64_MAX, &gpa), -E2BIG);
	CHECK_EQ(initrd_place(&m, &p, 0, &gpa), -E2BIG);
	p.initrd_addr_max = MiB(4);			/* limit below the kernel's end */
	CHECK_EQ(initrd_place(&m, &p, 4096, &gpa), -E2BIG);
	gmem_destroy(&m);
}

/* Linux boot_params (zero page) offsets from arch/x86/include/uapi/asm/bootparam.h. */
#define ZP(off) (LAYOUT_ZERO_PAGE + (off))

static void test_bootparams_from_bzimage_header(void)
{
	struct gmem m = mem(128);
	struct fake_bz b = fake_bz_default();
	struct boot_plan p;
	struct e820_entry e[E820_MAX_ENTRIES];
	int n = e820_build(&m, e, E820_MAX_ENTRIES);

	CHECK_EQ(load_bz(&m, &b, &p), 0);
	memset(at(&m, LAYOUT_ZERO_PAGE, 4096), 0xee, 4096);
	CHECK_EQ(bootparams_write(&m, &p, LAYOUT_CMDLINE, 20, MiB(100), 12345), 0);
	/* The setup header is the image's, from 0x1f1 to its end. */
	CHECK(!memcmp(at(&m, ZP(0x1f1), p.setup_hdr_len), img + 0x1f1, 0x210 - 0x1f1));
	CHECK_EQ(get(&m, ZP(0x1fe), 2), 0xaa55);
	CHECK(!memcmp(at(&m, ZP(0x202), 4), "HdrS", 4));
	CHECK_EQ(get(&m, ZP(0x206), 2), 0x20f);
	CHECK_EQ(get(&m, ZP(0x238), 4), 2047);		/* cmdline_size from the image */
	CHECK_EQ(get(&m, ZP(0x258), 8), 0x1000000);	/* pref_address from the image */
	/* Fields the loader owns. */
	CHECK_EQ(get(&m, ZP(0x210), 1), 0xff);		/* type_of_loader: undefined */
	CHECK_EQ(get(&m, ZP(0x211), 1) & 0x81, 0x81);	/* LOADED_HIGH | CAN_USE_HEAP */
	CHECK_EQ(get(&m, ZP(0x224), 2), 0xfe00);	/* heap_end_ptr */
	CHECK_EQ(get(&m, ZP(0x228), 4), LAYOUT_CMDLINE);	/* cmd_line_ptr */
	CHECK_EQ(get(&m, ZP(0x0c8), 4), 0);		/* ext_cmd_line_ptr */
	CHECK_EQ(get(&m, ZP(0x218), 4), MiB(100));	/* ramdisk_image */
	CHECK_EQ(get(&m, ZP(0x21c), 4), 12345);		/* ramdisk_size */
	CHECK_EQ(get(&m, ZP(0x0c0), 4), 0);
	CHECK_EQ(get(&m, ZP(0x0c4), 4), 0);
	/* e820_entries at 0x1e8, the table at 0x2d0 in 20-byte entries. */
	CHECK(n > 0);
	CHECK_EQ(get(&m, ZP(0x1e8), 1), n);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(get(&m, ZP(0x2d0 + 20 * i), 8), e[i].addr);
		CHECK_EQ(get(&m, ZP(0x2d0 + 20 * i + 8), 8), e[i].size);
		CHECK_EQ(get(&m, ZP(0x2d0 + 20 * i + 16), 4), e[i].type);
	}
	CHECK_EQ(get(&m, ZP(0x2d0 + 20 * n), 8), 0);	/* the rest was zeroed */
	CHECK_EQ(get(&m, ZP(0x000), 8), 0);
	gmem_destroy(&m);
}

/* An ELF kernel brings no header: the loader writes a minimal 2.15 one. */
static void test_bootparams_for_elf_synthesises_header(void)
{
	struct gmem m = mem(128);
	struct boot_plan p = { .proto = BOOT_LINUX64 };

	CHECK_EQ(bootparams_write(&m, &p, 0x123456789ull, 20, 0, 0), 0);
	CHECK_EQ(get(&m, ZP(0x1fe), 2), 0xaa55);
	CHECK(!memcmp(at(&m, ZP(0x202), 4), "HdrS", 4));
	CHECK_EQ(get(&m, ZP(0x206), 2), 0x20f);
	CHECK_EQ(get(&m, ZP(0x210), 1), 0xff);
	CHECK_EQ(get(&m, ZP(0x228), 4), 0x23456789);	/* cmd_line_ptr, low half */
	CHECK_EQ(get(&m, ZP(0x0c8), 4), 0x1);		/* ext_cmd_line_ptr, high half */
	CHECK_EQ(get(&m, ZP(0x218), 4), 0);		/* no initrd */
	CHECK_EQ(get(&m, ZP(0x21c), 4), 0);
	CHECK_EQ(get(&m, ZP(0x1e8), 1), 3);
	gmem_destroy(&m);
}

/* Xen public/arch-x86/hvm/start_info.h, version 1. */
static void test_pvh_start_info_fields(void)
{
	struct gmem m = mem(5000);
	struct e820_entry e[E820_MAX_ENTRIES];
	int n = e820_build(&m, e, E820_MAX_ENTRIES);
	uint64_t si = LAYOUT_PVH_INFO, mm = LAYOUT_PVH_MEMMAP;

	memset(at(&m, si, 56), 0xee, 56);
	CHECK_EQ(pvh_write(&m, LAYOUT_CMDLINE, MiB(200), 4096, 0xe0000), 0);
	CHECK_EQ(get(&m, si + 0, 4), 0x336ec578);	/* magic */
	CHECK_EQ(get(&m, si + 4, 4), 1);		/* version */
	CHECK_EQ(get(&m, si + 8, 4), 0);		/* flags */
	CHECK_EQ(get(&m, si + 12, 4), 1);		/* nr_modules */
	CHECK_EQ(get(&m, si + 16, 8), LAYOUT_PVH_MODLIST);
	CHECK_EQ(get(&m, si + 24, 8), LAYOUT_CMDLINE);
	CHECK_EQ(get(&m, si + 32, 8), 0xe0000);		/* rsdp_paddr */
	CHECK_EQ(get(&m, si + 40, 8), mm);		/* memmap_paddr */
	CHECK_EQ(get(&m, si + 48, 4), n);		/* memmap_entries */
	CHECK_EQ(get(&m, si + 52, 4), 0);		/* reserved */
	CHECK_EQ(get(&m, LAYOUT_PVH_MODLIST + 0, 8), MiB(200));
	CHECK_EQ(get(&m, LAYOUT_PVH_MODLIST + 8, 8), 4096);
	CHECK_EQ(get(&m, LAYOUT_PVH_MODLIST + 16, 8), 0);	/* module cmdline */
	CHECK_EQ(n, 4);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(get(&m, mm + 24 * i, 8), e[i].addr);
		CHECK_EQ(get(&m, mm + 24 * i + 8, 8), e[i].size);
		CHECK_EQ(get(&m, mm + 24 * i + 16, 4), e[i].type);
		CHECK_EQ(get(&m, mm + 24 * i + 20, 4), 0);
	}
	CHECK(mm + 24 * n <= LAYOUT_ZERO_PAGE);
	gmem_destroy(&m);
}

static void test_pvh_without_initrd_has_no_modules(void)
{
	struct gmem m = mem(64);

	CHECK_EQ(pvh_write(&m, LAYOUT_CMDLINE, 0, 0, 0), 0);
	CHECK_EQ(get(&m, LAYOUT_PVH_INFO + 12, 4), 0);
	CHECK_EQ(get(&m, LAYOUT_PVH_INFO + 16, 8), 0);
	CHECK_EQ(get(&m, LAYOUT_PVH_MODLIST + 8, 8), 0);
	gmem_destroy(&m);
}

int main(void)
{
	RUN(test_load_elf_copies_and_zero_fills);
	RUN(test_load_elf_without_note_is_linux64);
	RUN(test_load_elf_entry_outside_loaded_range_refused);
	RUN(test_load_elf_pvh_entry_above_4gib_refused);
	RUN(test_load_elf_segment_below_1mib_refused);
	RUN(test_load_elf_too_big_for_memory_is_e2big);
	RUN(test_load_elf_into_mmio_gap_is_e2big);
	RUN(test_load_unknown_format_is_enoexec);
	RUN(test_load_bzimage_at_load_addr);
	RUN(test_load_bzimage_init_size_beyond_ram_is_e2big);
	RUN(test_load_bzimage_cmdline_size_limits);
	RUN(test_load_bzimage_cmdline_size_max_no_wrap);
	RUN(test_initrd_placed_high_page_aligned);
	RUN(test_initrd_below_initrd_addr_max);
	RUN(test_initrd_stays_below_mmio_gap);
	RUN(test_initrd_too_big_is_e2big);
	RUN(test_bootparams_from_bzimage_header);
	RUN(test_bootparams_for_elf_synthesises_header);
	RUN(test_pvh_start_info_fields);
	RUN(test_pvh_without_initrd_has_no_modules);
	return harness_summary("loader");
}
