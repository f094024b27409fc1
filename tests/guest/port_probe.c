// SPDX-License-Identifier: MIT
/* tests/guest/port_probe.c: hammers unclaimed I/O ports (reads and writes of every width); ember must not flood its log. */
#include "guest.h"

/* Ports no device of ember claims (the ucall and boot-mark ports, 0x440/0x444, are not in the list). */
static const u16 singles[] = {
	0x80,			/* POST code: ignored */
	0x2f8, 0x2f9, 0x2fd,	/* COM2 */
	0x3e8, 0x2e8,		/* COM3, COM4 */
	0x378, 0x379,		/* LPT1 */
	0x1f0, 0x1f7, 0x3f6,	/* IDE */
	0xcf8, 0xcfc,		/* PCI configuration mechanism 1 */
	0x510, 0x511,		/* fw_cfg on other VMMs */
	0xb004, 0x604,		/* ACPI shutdown ports on other VMMs: written with 0, no effect */
};

void guest_main(void)
{
	u32 ops = 0, pass, i;
	u16 port;

	for (pass = 0; pass < 4; pass++) {
		for (port = 0x500; port < 0x600; port++) {
			(void)inb(port);
			outb(port, (u8)port);
			ops += 2;
			if (!(port & 1)) {
				(void)inw(port);
				outw(port, port);
				ops += 2;
			}
			if (!(port & 3)) {
				(void)inl(port);
				outl(port, 0x5a5a0000u | port);
				ops += 2;
			}
		}
	}
	for (pass = 0; pass < 100; pass++) {
		for (i = 0; i < ARRAY_SIZE(singles); i++) {
			(void)inb(singles[i]);
			outb(singles[i], singles[i] == 0x80 ? (u8)pass : 0);
			ops += 2;
		}
	}
	for (i = 0; i < 1000; i++) {
		outb(0x80, (u8)i);
		ops++;
	}
	GUEST_PRINTF("port_probe: %u port accesses, COM2 LSR reads 0x%02x, 0xcfc reads 0x%08x",
		     ops, inb(0x2fd), inl(0xcfc));
}
