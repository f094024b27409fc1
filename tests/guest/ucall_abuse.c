// SPDX-License-Identifier: MIT
/* tests/guest/ucall_abuse.c: malformed ucalls (bad addresses, widths, commands, unterminated strings) must not hurt ember. */
#include "guest.h"

static struct ember_ucall uc;

void guest_main(void)
{
	static const char garbled[] = "ucall_abuse: unterminated\x1b[2J\n\r\x7f\x80 ";
	u64 mem = cmdline_uint("mem", 64) << 20;
	u32 i;

	/* Addresses outside guest RAM, and a struct that runs past its end. */
	for (i = 0; i < 500; i++) {
		outl(EMBER_PORT_UCALL, 0xfffff000u);
		outl(EMBER_PORT_UCALL, 0xfee00000u);	/* the LAPIC: not RAM */
		outl(EMBER_PORT_UCALL, (u32)(mem - 8));
	}
	/* Widths other than 32 bits, and reads, are ignored. */
	for (i = 0; i < 100; i++) {
		outb(EMBER_PORT_UCALL, 0x55);
		outw(EMBER_PORT_UCALL, 0x5555);
		(void)inl(EMBER_PORT_UCALL);
		(void)inb(EMBER_PORT_UCALL + 1);
	}
	/* Unknown commands. */
	memset(&uc, 0, sizeof(uc));
	for (i = 0; i < 500; i++) {
		uc.cmd = 99 + i;
		ucall(&uc);
	}
	uc.cmd = 0;
	ucall(&uc);

	/*
	 * ember rate-limits guest-driven lines (a burst, then a few a second)
	 * and PRINT shares the budget: let it refill before printing.
	 */
	udelay(2000000);

	/* PRINT whose file and msg fill their arrays with no NUL, and control bytes. */
	memset(&uc, 0, sizeof(uc));
	uc.cmd = EMBER_UCALL_PRINT;
	memset(uc.file, 'F', sizeof(uc.file));
	memset(uc.msg, 'x', sizeof(uc.msg));
	memcpy(uc.msg, garbled, sizeof(garbled) - 1);	/* without its NUL */
	ucall(&uc);

	GUEST_PRINTF("ucall_abuse: ember survived");
}
