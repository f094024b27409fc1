/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_bzimage.c: bytes -> bzimage_parse invariants, then kernel_load and boot_params. */
#include <string.h>

#include "boot/kernel.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_bzimage(const uint8_t *data, size_t size)
{
	struct bzimage_info bi;

	if (bzimage_parse(data, size, &bi))
		return;
	FUZZ_ASSERT(bi.version >= 0x20c);
	FUZZ_ASSERT(bi.setup_size >= 1024 && bi.setup_size < size);
	FUZZ_ASSERT(bi.kernel_offset == bi.setup_size);
	FUZZ_ASSERT(bi.kernel_offset + bi.kernel_size == size);
	FUZZ_ASSERT(bi.init_size >= bi.kernel_size);
	FUZZ_ASSERT(bi.hdr_end >= 0x268 && bi.hdr_end <= bi.setup_size);
	FUZZ_ASSERT(bi.load_addr >= LAYOUT_HIGH_RAM && bi.load_addr < LAYOUT_MMIO32_START);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 32 MiB of lazily mapped low RAM: room for pref_address 16 MiB kernels. */
	struct gmem *m = fuzz_gmem(MiB(32), 0);
	struct boot_plan plan;
	uint8_t *bp;
	uint64_t initrd;

	check_bzimage(data, size);
	if (kernel_load(m, data, size, &plan))
		return 0;
	FUZZ_ASSERT(plan.entry >= plan.kernel_start && plan.entry < plan.kernel_end);
	FUZZ_ASSERT(plan.cmdline_max >= 1 && plan.cmdline_max <= LAYOUT_CMDLINE_MAX);
	if (!plan.is_bzimage)
		return 0;
	FUZZ_ASSERT(plan.setup_hdr_len > 0 && 0x1f1 + plan.setup_hdr_len <= size);
	if (initrd_place(m, &plan, 8192, &initrd)) {
		initrd = 0;
	} else {
		FUZZ_ASSERT(initrd >= plan.kernel_end && initrd % 4096 == 0);
		/* initrd_addr_max 0 (malformed header) is taken as "no limit". */
		FUZZ_ASSERT(!plan.initrd_addr_max || initrd + 8192 - 1 <= plan.initrd_addr_max);
	}
	FUZZ_ASSERT(bootparams_write(m, &plan, LAYOUT_CMDLINE, 0, initrd, initrd ? 8192 : 0) == 0);
	bp = gmem_ptr(m, LAYOUT_ZERO_PAGE, 4096);
	FUZZ_ASSERT(bp && bp[0x210] == 0xff && bp[0x1e8] >= 1);
	return 0;
}
