// SPDX-License-Identifier: MIT
/* tests/guest/serial_idle.c: first instructions write a line to COM1 blindly (no LSR poll), then halt for good: the line must still appear. */
#include "guest.h"

/*
 * ember takes THR writes without an exit and delivers them at the next exit
 * or from a flush timer.  This guest gives it no next exit: it never reads
 * the UART and halts with interrupts off, which KVM handles in the kernel.
 * The host test checks the line reaches stdout while the VM still runs.
 */
void guest_main(void)
{
	static const char line[] = "ember-serial-idle: written blindly, now halting\n";

	for (unsigned int i = 0; i < sizeof(line) - 1; i++)
		outb(0x3f8, (u8)line[i]);
	for (;;)
		asm volatile("cli; hlt");
}
