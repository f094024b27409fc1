// SPDX-License-Identifier: MIT
/* tests/guest/serial_idle.c: write COM1 blindly (no LSR poll) more than KVM's coalesced ring holds, then halt for good: every byte must appear, in order. */
#include "guest.h"

/*
 * Were THR writes held back until a later exit (coalesced, as they once
 * were), this guest would give them none: it never reads the UART and
 * halts with interrupts off, which KVM handles in the kernel.  The host
 * test checks the line reaches stdout while the VM still runs.
 */
static void put_blind(const char *s)
{
	while (*s)
		outb(0x3f8, (u8)*s++);
}

void guest_main(void)
{
	/* 16 + 26 * 24 + 32 bytes: more than the ring's ~170 entries, so KVM
	 * also has to fall back to ordinary exits when the ring is full. */
	put_blind("ember-serial-idle");
	for (unsigned int i = 0; i < 24; i++)
		put_blind(" abcdefghijklmnopqrstuvwxy");
	put_blind(" written blindly, now halting\n");
	for (;;)
		asm volatile("cli; hlt");
}
