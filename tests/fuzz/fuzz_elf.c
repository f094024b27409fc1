/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_elf.c: bytes -> elf_parse invariants, then kernel_load and boot structures in small fake RAM. */
#include <string.h>

#include "arch/x86/regs.h"
#include "boot/kernel.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_elf(const uint8_t *data, size_t size)
{
	struct elf_info ei;

	if (elf_parse(data, size, &ei))
		return;
	FUZZ_ASSERT(ei.nloads >= 1 && ei.nloads <= ELF_MAX_LOADS);
	for (unsigned int i = 0; i < ei.nloads; i++) {
		const struct elf_load *l = &ei.loads[i];

		FUZZ_ASSERT(l->offset <= size && l->filesz <= size - l->offset);
		FUZZ_ASSERT(l->filesz <= l->memsz && l->memsz);
		FUZZ_ASSERT(l->paddr >= ei.lowest);
		FUZZ_ASSERT(l->paddr + l->memsz >= l->paddr);
		FUZZ_ASSERT(l->paddr + l->memsz <= ei.highest);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2 MiB below the gap, 64 KiB above 4 GiB: loads may straddle or miss. */
	struct gmem *m = fuzz_gmem(MiB(2), KiB(64));
	struct boot_plan plan;
	uint64_t initrd;
	int err;

	check_elf(data, size);
	err = kernel_load(m, data, size, &plan);
	if (err)
		return 0;
	FUZZ_ASSERT(plan.entry >= plan.kernel_start && plan.entry < plan.kernel_end);
	FUZZ_ASSERT(plan.kernel_start >= LAYOUT_HIGH_RAM);
	FUZZ_ASSERT(plan.proto != BOOT_PVH || plan.entry <= UINT32_MAX);
	FUZZ_ASSERT(plan.cmdline_max >= 1 && plan.cmdline_max <= LAYOUT_CMDLINE_MAX);
	if (!initrd_place(m, &plan, 4096, &initrd)) {
		FUZZ_ASSERT(initrd % 4096 == 0 && initrd >= plan.kernel_end);
		FUZZ_ASSERT(initrd + 4096 <= gmem_low_end(m));
	} else {
		initrd = 0;
	}
	FUZZ_ASSERT(x86_write_boot_tables(m, plan.proto) == 0);
	if (plan.proto == BOOT_PVH)
		err = pvh_write(m, LAYOUT_CMDLINE, initrd, initrd ? 4096 : 0, 0);
	else
		err = bootparams_write(m, &plan, LAYOUT_CMDLINE, 0, initrd, initrd ? 4096 : 0);
	FUZZ_ASSERT(err == 0);
	return 0;
}
