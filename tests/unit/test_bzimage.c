/* SPDX-License-Identifier: MIT */
/* tests/unit/test_bzimage.c: bzimage_parse against the x86 boot protocol (Documentation/arch/x86/boot.rst). */
#include <errno.h>

#include "boot/kernel.h"
#include "fake_image.h"
#include "harness.h"
#include "mem/layout.h"

static uint8_t img[128 * 1024] __attribute__((aligned(8)));

static int parse(const struct fake_bz *b, struct bzimage_info *bi)
{
	size_t n = fake_bz_build(img, sizeof(img), b);

	return bzimage_parse(img, n, bi);
}

static void test_bz_valid_header_fields(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.version, 0x20f);
	CHECK_EQ(bi.setup_size, 5 * 512);
	CHECK_EQ(bi.kernel_offset, 5 * 512);
	CHECK_EQ(bi.kernel_size, 0x2000);
	CHECK_EQ(bi.init_size, 0x10000);
	CHECK_EQ(bi.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(bi.cmdline_size, 2047);
	CHECK_EQ(bi.hdr_end, 0x26c);
	CHECK_EQ(bi.load_addr, 0x1000000);
}

/* boot.rst: boot_flag at 0x1fe must be 0xAA55. */
static void test_bz_bad_boot_flag_is_enoexec(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;
	size_t n = fake_bz_build(img, sizeof(img), &b);

	img[0x1fe] = 0xaa;		/* byte-swapped */
	img[0x1ff] = 0x55;
	CHECK_EQ(bzimage_parse(img, n, &bi), -ENOEXEC);
}

/* boot.rst: header magic "HdrS" at 0x202 (protocol 2.00+). */
static void test_bz_missing_hdrs_is_enoexec(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;
	size_t n = fake_bz_build(img, sizeof(img), &b);

	memcpy(img + 0x202, "HdrZ", 4);
	CHECK_EQ(bzimage_parse(img, n, &bi), -ENOEXEC);
}

static void test_bz_shorter_than_header_is_enoexec(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	(void)fake_bz_build(img, sizeof(img), &b);
	CHECK_EQ(bzimage_parse(img, 0x267, &bi), -ENOEXEC);
	CHECK_EQ(bzimage_parse(img, 0, &bi), -ENOEXEC);
}

/* The 64-bit entry point (and xloadflags) exist from protocol 2.12. */
static void test_bz_protocol_below_2_12_refused(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.version = 0x20b;
	CHECK_EQ(parse(&b, &bi), -EINVAL);
	b.version = 0x20c;
	CHECK_EQ(parse(&b, &bi), 0);
}

/* boot.rst: XLF_KERNEL_64 (xloadflags bit 0) says startup_64 is at +0x200. */
static void test_bz_without_xlf_kernel_64_refused(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.xloadflags = 0x2;
	CHECK_EQ(parse(&b, &bi), -EINVAL);
}

/* boot.rst: "If this field is 0, the real value is 4." */
static void test_bz_setup_sects_zero_means_four(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.setup_sects = 0;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.setup_size, 5 * 512);
	b.setup_sects = 1;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.setup_size, 2 * 512);
	CHECK_EQ(bi.kernel_offset, 2 * 512);
}

/* boot.rst: the header ends at 0x202 + the jump's displacement byte. */
static void test_bz_header_end_before_init_size_refused(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.jump_disp = 0x65;		/* hdr_end 0x267: does not cover init_size */
	CHECK_EQ(parse(&b, &bi), -EINVAL);
	b.jump_disp = 0x66;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.hdr_end, 0x268);
}

/* The largest header (0x202 + 0xff) still ends inside the smallest setup (2 sectors). */
static void test_bz_header_end_within_setup(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.setup_sects = 1;
	b.jump_disp = 0xff;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK(bi.hdr_end <= bi.setup_size);
}

static void test_bz_setup_reaching_file_end_refused(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;
	size_t n;

	b.kernel_size = 0;
	b.init_size = 0;
	CHECK_EQ(parse(&b, &bi), -EINVAL);		/* setup == file length */
	b = fake_bz_default();
	b.setup_sects = 200;
	n = fake_bz_build(img, sizeof(img), &b);
	CHECK_EQ(bzimage_parse(img, 4096, &bi), -EINVAL);	/* setup beyond the file */
	CHECK_EQ(bzimage_parse(img, n, &bi), 0);
}

/* init_size is the memory the kernel needs from its load address: at least the file part. */
static void test_bz_init_size_below_kernel_size_refused(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.init_size = (uint32_t)b.kernel_size - 1;
	CHECK_EQ(parse(&b, &bi), -EINVAL);
	b.init_size = (uint32_t)b.kernel_size;
	CHECK_EQ(parse(&b, &bi), 0);
}

/*
 * The 64-bit entry (startup_64) is at +0x200 in the protected-mode kernel, so a
 * kernel part of 0x200 bytes or less would start the vCPU outside the image.
 */
static void test_bz_kernel_must_hold_startup_64(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.kernel_size = 0x200;
	CHECK_EQ(parse(&b, &bi), -EINVAL);
	b.kernel_size = 1;
	CHECK_EQ(parse(&b, &bi), -EINVAL);
	b.kernel_size = 0x201;
	CHECK_EQ(parse(&b, &bi), 0);
}

/* pref_address in low RAM is used as is: the kernel then need not relocate itself. */
static void test_bz_load_addr_prefers_pref_address(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.pref_address = LAYOUT_HIGH_RAM;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, LAYOUT_HIGH_RAM);
}

/* Otherwise a relocatable kernel goes at 1 MiB rounded up to kernel_alignment. */
static void test_bz_load_addr_relocatable_aligned(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.pref_address = 0x1000;			/* below 1 MiB */
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, 0x200000);
	b.pref_address = LAYOUT_MMIO32_START;		/* in the MMIO gap */
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, 0x200000);
	b.pref_address = 0x200000000ull;		/* above 4 GiB */
	b.kernel_alignment = 0x1000000;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, 0x1000000);
}

static void test_bz_load_addr_fallback_1mib(void)
{
	struct fake_bz b = fake_bz_default();
	struct bzimage_info bi;

	b.pref_address = 0;
	b.relocatable = 0;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, LAYOUT_HIGH_RAM);
	b.relocatable = 1;
	b.kernel_alignment = 0x300000;			/* not a power of two */
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, LAYOUT_HIGH_RAM);
	b.kernel_alignment = 0;
	CHECK_EQ(parse(&b, &bi), 0);
	CHECK_EQ(bi.load_addr, LAYOUT_HIGH_RAM);
}

int main(void)
{
	RUN(test_bz_valid_header_fields);
	RUN(test_bz_bad_boot_flag_is_enoexec);
	RUN(test_bz_missing_hdrs_is_enoexec);
	RUN(test_bz_shorter_than_header_is_enoexec);
	RUN(test_bz_protocol_below_2_12_refused);
	RUN(test_bz_without_xlf_kernel_64_refused);
	RUN(test_bz_setup_sects_zero_means_four);
	RUN(test_bz_header_end_before_init_size_refused);
	RUN(test_bz_header_end_within_setup);
	RUN(test_bz_setup_reaching_file_end_refused);
	RUN(test_bz_init_size_below_kernel_size_refused);
	RUN(test_bz_kernel_must_hold_startup_64);
	RUN(test_bz_load_addr_prefers_pref_address);
	RUN(test_bz_load_addr_relocatable_aligned);
	RUN(test_bz_load_addr_fallback_1mib);
	return harness_summary("bzimage");
}
