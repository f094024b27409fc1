/* SPDX-License-Identifier: MIT */
/* tests/unit/test_gmem_layout.c: guest RAM mapping alignment and the virtio slot-to-GSI map. */
#include <stdint.h>

#include "harness.h"
#include "mem/gmem.h"
#include "mem/layout.h"

static void test_gmem_regions_are_2mib_aligned(void)
{
	static const uint64_t sizes_mib[] = { 8, 128, 3072, 3074 };

	for (unsigned int i = 0; i < sizeof(sizes_mib) / sizeof(sizes_mib[0]); i++) {
		struct gmem m;

		CHECK_EQ(gmem_create_x86(&m, MiB(sizes_mib[i])), 0);
		for (unsigned int r = 0; r < m.nr_regions; r++)
			CHECK_EQ((uintptr_t)m.regions[r].hva % MiB(2), 0);
		CHECK_EQ(m.total, MiB(sizes_mib[i]));
		CHECK_EQ(m.nr_regions, sizes_mib[i] > 3072 ? 2 : 1);
		gmem_destroy(&m);
	}
}

/* No slot lands on a legacy ISA interrupt ember emulates (RTC 8, COM1 4,
 * keyboard 1, PIT 0), all are distinct IOAPIC pins. */
static void test_virtio_gsis_avoid_legacy_irqs(void)
{
	uint32_t seen = 0;

	for (unsigned int slot = 0; slot < LAYOUT_VIRTIO_MAX_DEVS; slot++) {
		uint32_t gsi = layout_virtio_gsi(slot);

		CHECK(gsi >= 5 && gsi <= 23);
		CHECK(gsi != 8);
		CHECK(!(seen & (1u << gsi)));
		seen |= 1u << gsi;
	}
}

int main(void)
{
	RUN(test_virtio_gsis_avoid_legacy_irqs);
	RUN(test_gmem_regions_are_2mib_aligned);
	return harness_summary("gmem_layout");
}
