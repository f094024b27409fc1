/* SPDX-License-Identifier: MIT */
/* boot/loader.c: copies a kernel into guest memory and writes boot_params or hvm_start_info. */
#include <errno.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "boot/kernel.h"
#include "mem/layout.h"

#define ELF_INITRD_ADDR_MAX	0x7fffffffull	/* what 64-bit Linux advertises */
#define LINUX_CMDLINE_MAX	2048u		/* COMMAND_LINE_SIZE on x86 */

static int load_elf(struct gmem *m, const uint8_t *buf, const struct elf_info *ei,
		    struct boot_plan *plan)
{
	for (unsigned int i = 0; i < ei->nloads; i++) {
		const struct elf_load *l = &ei->loads[i];
		uint8_t *dst;

		if (l->paddr < LAYOUT_HIGH_RAM)
			return -EINVAL;	/* would overwrite the boot structures */
		dst = gmem_ptr(m, l->paddr, l->memsz);
		if (!dst)
			return -E2BIG;
		gmem_populate(m, l->paddr, l->memsz);
		memcpy(dst, buf + l->offset, l->filesz);
		memset(dst + l->filesz, 0, l->memsz - l->filesz);
	}
	plan->proto = ei->has_pvh ? BOOT_PVH : BOOT_LINUX64;
	plan->entry = ei->has_pvh ? ei->pvh_entry : ei->entry;
	plan->kernel_start = ei->lowest;
	plan->kernel_end = ei->highest;
	plan->initrd_addr_max = ELF_INITRD_ADDR_MAX;
	plan->cmdline_max = LAYOUT_CMDLINE_MAX;
	if (plan->proto == BOOT_LINUX64)
		plan->cmdline_max = LINUX_CMDLINE_MAX;
	/* The entry must be code we loaded, or the guest starts in zeroes. */
	if (plan->entry < ei->lowest || plan->entry >= ei->highest)
		return -EINVAL;
	/* PVH starts in 32-bit protected mode: a higher entry is unreachable. */
	if (plan->proto == BOOT_PVH && plan->entry > UINT32_MAX)
		return -EINVAL;
	return 0;
}

static int load_bzimage(struct gmem *m, const uint8_t *buf, const struct bzimage_info *bi,
			struct boot_plan *plan)
{
	uint8_t *dst = gmem_ptr(m, bi->load_addr, bi->init_size);

	if (!dst)
		return -E2BIG;
	gmem_populate(m, bi->load_addr, bi->kernel_size);
	memcpy(dst, buf + bi->kernel_offset, bi->kernel_size);
	plan->proto = BOOT_LINUX64;
	plan->entry = bi->load_addr + 0x200;	/* startup_64 */
	plan->kernel_start = bi->load_addr;
	plan->kernel_end = bi->load_addr + bi->init_size;
	plan->initrd_addr_max = bi->initrd_addr_max;
	/* 64-bit sum: cmdline_size 0xffffffff must not wrap to a limit of 0. */
	plan->cmdline_max = bi->cmdline_size ?
		(uint32_t)MIN((uint64_t)bi->cmdline_size + 1, LAYOUT_CMDLINE_MAX) : 256;
	plan->setup_hdr = buf + 0x1f1;
	plan->setup_hdr_len = bi->hdr_end - 0x1f1;
	plan->is_bzimage = 1;
	return 0;
}

int kernel_load(struct gmem *m, const uint8_t *buf, size_t len, struct boot_plan *plan)
{
	struct elf_info ei;
	struct bzimage_info bi;
	int err;

	memset(plan, 0, sizeof(*plan));
	err = elf_parse(buf, len, &ei);
	if (!err)
		return load_elf(m, buf, &ei, plan);
	if (err != -ENOEXEC)
		return err;
	err = bzimage_parse(buf, len, &bi);
	if (err)
		return err;
	return load_bzimage(m, buf, &bi, plan);
}

int kernel_check(const uint8_t *buf, size_t len, uint64_t ram_bytes)
{
	uint64_t low = MIN(ram_bytes, LAYOUT_MMIO32_START), end;
	struct bzimage_info bi;
	struct elf_info ei;
	int err;

	err = elf_parse(buf, len, &ei);
	if (!err)
		return ei.lowest < LAYOUT_HIGH_RAM ? -EINVAL : ei.highest > low ? -E2BIG : 0;
	if (err != -ENOEXEC)
		return err;
	err = bzimage_parse(buf, len, &bi);
	if (err)
		return err;
	if (__builtin_add_overflow(bi.load_addr, bi.init_size, &end) || end > low)
		return -E2BIG;
	return 0;
}

int initrd_place(const struct gmem *m, const struct boot_plan *plan, uint64_t size,
		 uint64_t *gpa)
{
	uint64_t top = gmem_low_end(m), addr;

	if (plan->initrd_addr_max && plan->initrd_addr_max < UINT64_MAX)
		top = MIN(top, plan->initrd_addr_max + 1);
	if (!size || size > top)
		return -E2BIG;
	addr = ALIGN_DOWN(top - size, 4096ull);
	if (addr < ALIGN_UP(plan->kernel_end, 4096ull) || addr < LAYOUT_HIGH_RAM)
		return -E2BIG;
	*gpa = addr;
	return 0;
}

static void put16(uint8_t *p, size_t o, uint16_t v) { memcpy(p + o, &v, 2); }
static void put32(uint8_t *p, size_t o, uint32_t v) { memcpy(p + o, &v, 4); }
static void put64(uint8_t *p, size_t o, uint64_t v) { memcpy(p + o, &v, 8); }

/* struct boot_params offsets (arch/x86/include/uapi/asm/bootparam.h). */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_BOOT_FLAG		0x1fe
#define BP_HEADER		0x202
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_HEAP_END_PTR		0x224
#define BP_CMD_LINE_PTR		0x228
#define BP_KERNEL_ALIGNMENT	0x230
#define BP_CMDLINE_SIZE		0x238
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128
#define LOADED_HIGH		0x01
#define CAN_USE_HEAP		0x80

int bootparams_write(struct gmem *m, const struct boot_plan *plan,
		     uint64_t cmdline_gpa, uint32_t cmdline_len,
		     uint64_t initrd_gpa, uint64_t initrd_size)
{
	uint8_t *bp = gmem_ptr(m, LAYOUT_ZERO_PAGE, 4096);
	struct e820_entry e820[E820_MAX_ENTRIES];
	int n;

	if (!bp)
		return -EFAULT;
	memset(bp, 0, 4096);
	if (plan->setup_hdr) {
		memcpy(bp + 0x1f1, plan->setup_hdr, plan->setup_hdr_len);
	} else {
		put16(bp, BP_BOOT_FLAG, 0xaa55);
		memcpy(bp + BP_HEADER, "HdrS", 4);
		put16(bp, BP_VERSION, 0x20f);
		put32(bp, BP_KERNEL_ALIGNMENT, 0x1000000);
		put32(bp, BP_CMDLINE_SIZE, LINUX_CMDLINE_MAX - 1);
	}
	bp[BP_TYPE_OF_LOADER] = 0xff;
	bp[BP_LOADFLAGS] |= LOADED_HIGH | CAN_USE_HEAP;
	put16(bp, BP_HEAP_END_PTR, 0xfe00);
	put32(bp, BP_CMD_LINE_PTR, (uint32_t)cmdline_gpa);
	put32(bp, BP_EXT_CMD_LINE_PTR, (uint32_t)(cmdline_gpa >> 32));
	(void)cmdline_len;
	if (initrd_size) {
		put32(bp, BP_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
		put32(bp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_gpa >> 32));
		put32(bp, BP_RAMDISK_SIZE, (uint32_t)initrd_size);
		put32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
	}
	n = e820_build(m, e820, E820_MAX_ENTRIES);
	if (n < 0)
		return n;
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + 20 * (size_t)i;

		put64(e, 0, e820[i].addr);
		put64(e, 8, e820[i].size);
		put32(e, 16, e820[i].type);
	}
	return 0;
}

#define BP_ACPI_RSDP_ADDR	0x070

int bootparams_set_rsdp(struct gmem *m, uint64_t rsdp_gpa)
{
	return gmem_write(m, LAYOUT_ZERO_PAGE + BP_ACPI_RSDP_ADDR, &rsdp_gpa, 8);
}

/* Xen public/arch-x86/hvm/start_info.h, version 1. */
#define HVM_START_MAGIC 0x336ec578u

int pvh_write(struct gmem *m, uint64_t cmdline_gpa, uint64_t initrd_gpa,
	      uint64_t initrd_size, uint64_t rsdp_gpa)
{
	uint8_t *si = gmem_ptr(m, LAYOUT_PVH_INFO, 56);
	uint8_t *mod = gmem_ptr(m, LAYOUT_PVH_MODLIST, 32);
	struct e820_entry e820[E820_MAX_ENTRIES];
	uint8_t *mm;
	int n;

	n = e820_build(m, e820, E820_MAX_ENTRIES);
	if (n < 0)
		return n;
	mm = gmem_ptr(m, LAYOUT_PVH_MEMMAP, 24 * (uint64_t)n);
	if (!si || !mod || !mm)
		return -EFAULT;
	memset(si, 0, 56);
	put32(si, 0, HVM_START_MAGIC);
	put32(si, 4, 1);			/* version */
	put32(si, 8, 0);			/* flags */
	put32(si, 12, initrd_size ? 1 : 0);	/* nr_modules */
	put64(si, 16, initrd_size ? LAYOUT_PVH_MODLIST : 0);
	put64(si, 24, cmdline_gpa);
	put64(si, 32, rsdp_gpa);
	put64(si, 40, LAYOUT_PVH_MEMMAP);
	put32(si, 48, (uint32_t)n);
	memset(mod, 0, 32);
	if (initrd_size) {
		put64(mod, 0, initrd_gpa);
		put64(mod, 8, initrd_size);
	}
	for (int i = 0; i < n; i++) {
		uint8_t *e = mm + 24 * (size_t)i;

		put64(e, 0, e820[i].addr);
		put64(e, 8, e820[i].size);
		put32(e, 16, e820[i].type);
		put32(e, 20, 0);
	}
	return 0;
}
