// SPDX-License-Identifier: MIT
/* tests/guest/lib/serial.c: COM1 (8250 at 0x3f8) output by polling LSR bit 5 (THRE). */
#include "guest.h"

#define COM1		0x3f8
#define UART_THR	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_LSR_THRE	0x20
#define UART_LCR_DLAB	0x80

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);		/* no interrupts */
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + 0, 0x01);			/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03);		/* 8n1 */
	outb(COM1 + UART_FCR, 0x07);		/* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);		/* DTR, RTS */
}

void serial_putc(char c)
{
	unsigned int spins;

	/* Bounded: a UART that never drains must not hang the guest forever. */
	for (spins = 0; spins < 1000000; spins++) {
		if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1 + UART_THR, (u8)c);
}

void serial_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s++);
	}
}
