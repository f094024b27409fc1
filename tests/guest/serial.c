// SPDX-License-Identifier: MIT
/* tests/guest/serial.c: Linux's 8250 probe, loopback, then known lines by polling THRE; each must appear once on stdout. */
#include "guest.h"

#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define UART_RX		0
#define UART_TX		0
#define UART_IER	1
#define UART_IIR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_MSR	6
#define UART_SCR	7
#define UART_LSR_DR	0x01
#define UART_MCR_LOOP	0x10

/*
 * What Linux's 8250 autoconfig() probes before it uses the port: IER
 * holds what is written (or "there's nothing here"), the scratch register,
 * the loopback MSR pattern, and the 16550A FIFO bits in IIR.  In loopback
 * mode transmitted bytes come back as received ones and must not reach
 * the console.
 */
static void linux_probe(void)
{
	static const char loop[] = "@loopback@";
	u8 iir, msr, c;
	unsigned int i;
	u64 deadline;

	outb(COM1 + UART_IER, 0);
	GUEST_ASSERT_EQ(inb(COM1 + UART_IER) & 0x0f, 0);
	outb(COM1 + UART_IER, 0x0f);
	GUEST_ASSERT_EQ(inb(COM1 + UART_IER) & 0x0f, 0x0f);
	outb(COM1 + UART_IER, 0);

	outb(COM1 + UART_SCR, 0xa5);
	GUEST_ASSERT_EQ(inb(COM1 + UART_SCR), 0xa5);
	outb(COM1 + UART_SCR, 0x5a);
	GUEST_ASSERT_EQ(inb(COM1 + UART_SCR), 0x5a);

	iir = inb(COM1 + UART_IIR);
	GUEST_PRINTF("serial: IIR 0x%02x with FIFOs enabled (0xc0: 16550A)", iir);
	GUEST_ASSERT_EQ(iir & 0x0f, 0x01);	/* no interrupt pending */

	outb(COM1 + UART_MCR, UART_MCR_LOOP | 0x0a);	/* RTS, OUT2 */
	msr = inb(COM1 + UART_MSR) & 0xf0;
	GUEST_ASSERT_EQ(msr, 0x90);			/* CTS, DCD */

	for (i = 0; i < sizeof(loop) - 1; i++) {
		outb(COM1 + UART_TX, (u8)loop[i]);
		deadline = tsc_deadline_ms(1000);
		while (!(inb(COM1_LSR) & UART_LSR_DR)) {
			if (tsc_expired(deadline))
				GUEST_ABORT("loopback: byte %u not received", i);
			cpu_relax();
		}
		c = inb(COM1 + UART_RX);
		GUEST_ASSERT_EQ(c, (u8)loop[i]);
	}
	GUEST_ASSERT_EQ(inb(COM1_LSR) & UART_LSR_DR, 0);
	outb(COM1 + UART_MCR, 0x03);

	/* With DLAB set, port 0 is the divisor latch: a write there (which
	 * ember takes without an exit, like THR writes) must land in DLL, not
	 * on the console, and read back. */
	outb(COM1 + UART_LCR, 0x83);
	outb(COM1 + UART_TX, 0x0c);
	outb(COM1 + UART_IER, 0x00);
	GUEST_ASSERT_EQ(inb(COM1 + UART_RX), 0x0c);
	outb(COM1 + UART_TX, 0x01);
	outb(COM1 + UART_LCR, 0x03);
}

void guest_main(void)
{
	u8 lsr;

	serial_init();
	linux_probe();
	lsr = inb(COM1_LSR);
	/* Idle transmitter: THRE and TEMT set, no error bits. */
	GUEST_ASSERT_EQ(lsr & 0x60, 0x60);
	GUEST_ASSERT_EQ(lsr & 0x8e, 0);

	serial_puts("ember-serial-test: hello from COM1\n");
	serial_puts("ember-serial-test: The quick brown fox jumps over the lazy dog 0123456789\n");
	serial_puts("ember-serial-test: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ end\n");
	GUEST_PRINTF("serial: 3 lines written");
}
