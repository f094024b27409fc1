// SPDX-License-Identifier: MIT
/* tests/snapshot/counter.c: counts forever-ish, printing the count on COM1 and writing the boot marker periodically, for snapshot/restore tests. */
#include "guest.h"

/*
 * Command line (all optional):
 *   cpus=N    vCPUs to start (APs count too, in ap_count[])      default 1
 *   print=N   print "count=C ap=A" every N iterations            default 500
 *   mark=N    write the boot marker (123 to port 0x440) every N   default 2000
 *   end=N     ucall DONE when the count reaches N (0: never)      default 6000
 *
 * Every iteration writes port 0x80, so the vCPU exits once per count: after
 * a restore the first KVM exit comes within one iteration, which is what the
 * restore-latency measurement times.
 */

#define ICR_INIT		0x00000500u
#define ICR_STARTUP		0x00000600u
#define ICR_LEVEL_ASSERT	0x00004000u
#define ICR_BUSY		0x00001000u

static volatile u64 count;
static volatile u64 ap_count[MAX_CPUS];

extern const u8 ap_trampoline[], ap_trampoline_end[];

void ap_main(u32 slot)
{
	for (;;) {
		ap_count[slot]++;
		outb(0x80, 1);
	}
}

static void send_ipi(u32 apic_id, u32 lo)
{
	while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
		cpu_relax();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
		cpu_relax();
}

void guest_main(void)
{
	u64 cpus = cmdline_uint("cpus", 1), print = cmdline_uint("print", 500);
	u64 mark = cmdline_uint("mark", 2000), end = cmdline_uint("end", 6000);
	char line[96];

	if (cpus > 1) {
		lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1ff);
		memcpy((void *)AP_TRAMPOLINE, ap_trampoline,
		       (size_t)(ap_trampoline_end - ap_trampoline));
		for (u32 id = 1; id < cpus && id < MAX_CPUS; id++) {
			send_ipi(id, ICR_INIT | ICR_LEVEL_ASSERT);
			send_ipi(id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
			send_ipi(id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
		}
	}
	for (;;) {
		u64 c = ++count;

		outb(0x80, 0);
		if (print && c % print == 0) {
			snprintf(line, sizeof(line), "count=%lu ap=%lu\n", c, ap_count[1]);
			serial_puts(line);
		}
		if (mark && c % mark == 0)
			outb(EMBER_PORT_BOOT_MARK, EMBER_BOOT_MARK_INIT);
		if (end && c >= end) {
			snprintf(line, sizeof(line), "done count=%lu ap=%lu\n", c, ap_count[1]);
			serial_puts(line);
			GUEST_DONE();
		}
	}
}
