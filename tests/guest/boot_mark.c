// SPDX-License-Identifier: MIT
/* tests/guest/boot_mark.c: writes the "/init reached" marker (123) to port 0x440; ember --boot-time reports it. */
#include "guest.h"

void guest_main(void)
{
	/* Other values are ignored; only 123 marks /init. */
	outb(EMBER_PORT_BOOT_MARK, 1);
	outb(EMBER_PORT_BOOT_MARK, EMBER_BOOT_MARK_INIT - 1);
	outb(EMBER_PORT_BOOT_MARK, EMBER_BOOT_MARK_INIT);
	outb(EMBER_PORT_BOOT_MARK, EMBER_BOOT_MARK_INIT);
	GUEST_PRINTF("boot_mark: wrote %u to port 0x%x", EMBER_BOOT_MARK_INIT, EMBER_PORT_BOOT_MARK);
}
