// SPDX-License-Identifier: MIT
/* tests/guest/serial.c: writes known lines to COM1 by polling THRE; the runner finds each once on ember's stdout. */
#include "guest.h"

#define COM1_LSR	(0x3f8 + 5)

void guest_main(void)
{
	u8 lsr;

	serial_init();
	lsr = inb(COM1_LSR);
	/* Idle transmitter: THRE and TEMT set, no error bits. */
	GUEST_ASSERT_EQ(lsr & 0x60, 0x60);
	GUEST_ASSERT_EQ(lsr & 0x8e, 0);

	serial_puts("ember-serial-test: hello from COM1\n");
	serial_puts("ember-serial-test: The quick brown fox jumps over the lazy dog 0123456789\n");
	serial_puts("ember-serial-test: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ end\n");
	GUEST_PRINTF("serial: 3 lines written");
}
