// SPDX-License-Identifier: MIT
/* tests/guest/i8042_reset.c: asks the i8042 for a CPU reset (0xfe to port 0x64); ember must end with status 0. */
#include "guest.h"

#define I8042_STATUS		0x64
#define I8042_COMMAND		0x64
#define I8042_STR_IBF		0x02
#define I8042_CMD_RESET		0xfe

void guest_main(void)
{
	u64 deadline = tsc_deadline_ms(100);

	/* Like Linux's kb_wait(): the input buffer must be empty. */
	while (inb(I8042_STATUS) & I8042_STR_IBF) {
		if (tsc_expired(deadline))
			GUEST_ABORT("i8042 input buffer stays full: status 0x%02x", inb(I8042_STATUS));
		cpu_relax();
	}
	GUEST_PRINTF("i8042_reset: status 0x%02x, writing 0xfe to port 0x64", inb(I8042_STATUS));
	outb(I8042_COMMAND, I8042_CMD_RESET);
	udelay(1000000);
	GUEST_ABORT("still running a second after the i8042 reset command");
}
