// SPDX-License-Identifier: MIT
/* tests/guest/irq.c: interrupt delivery: LAPIC timer, COM1 (IRQ 4) and PIT (IRQ 0) through the IOAPIC. */
#include "guest.h"

#define VEC_PIT		0x30
#define VEC_COM1	0x34
#define VEC_LAPIC_TIMER	0x38
#define VEC_SPURIOUS	0x3f

#define COM1		0x3f8
#define UART_IER	1
#define UART_IIR	2
#define UART_MCR	4
#define UART_IER_THRI	0x02
#define UART_MCR_OUT2	0x08

static u32 ioapic_read(u32 reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

static void ioapic_write(u32 reg, u32 v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}

/* Pin -> vector, fixed delivery, physical destination APIC 0, edge, active high. */
static void ioapic_route(u32 pin, u32 vector, bool masked)
{
	ioapic_write(0x11 + 2 * pin, 0);
	ioapic_write(0x10 + 2 * pin, vector | (masked ? 1u << 16 : 0));
}

/* Wait (interrupts on) until `vector` has been seen `n` times; false on timeout. */
static bool wait_irqs(u32 vector, u32 n, u64 ms)
{
	u64 deadline = tsc_deadline_ms(ms);

	while (irq_count[vector] < n) {
		if (tsc_expired(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

static void lapic_timer(void)
{
	u32 a, b, c, d, bus_khz = 1000000;

	cpuid(0x40000000, &a, &b, &c, &d);
	if (a >= 0x40000010) {
		cpuid(0x40000010, &a, &b, &c, &d);
		if (b)
			bus_khz = b;
	}
	lapic_write(LAPIC_TIMER_DIV, 0xb);		/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);	/* one-shot, unmasked */
	lapic_write(LAPIC_TIMER_INIT, bus_khz);		/* 1 ms */
	__GUEST_ASSERT(wait_irqs(VEC_LAPIC_TIMER, 1, 2000), irq_count[VEC_LAPIC_TIMER], 1,
		       "no LAPIC timer interrupt within 2 s (current count 0x%x)",
		       lapic_read(LAPIC_TIMER_CUR));
	lapic_write(LAPIC_LVT_TIMER, 1u << 16);
	GUEST_PRINTF("irq: LAPIC timer interrupt delivered");
}

/*
 * Interrupt-driven transmission, as a tty driver does it: each THR write
 * must raise the THR-empty interrupt before the guest runs on, as on real
 * hardware (the FIFO drains) and on Firecracker or QEMU.  A VMM that let
 * these writes collect without an exit would raise it only later, and a
 * guest that reboots right after writing would lose the bytes.  With
 * interrupts off, the LAPIC's IRR shows whether the interrupt is already
 * pending right after the write.
 */
static bool lapic_irr(u32 vector)
{
	return (lapic_read(LAPIC_IRR + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

static void com1_thre_after_each_write(void)
{
	static const char line[] = "irq: THR-empty interrupt after each write\n";
	u32 i, before;
	bool pending;

	for (i = 0; line[i]; i++) {
		asm volatile("cli" ::: "memory");
		(void)inb(COM1 + UART_IIR);	/* takes the pending THR-empty interrupt */
		before = irq_count[VEC_COM1];
		outb(COM1, (u8)line[i]);
		pending = lapic_irr(VEC_COM1);
		asm volatile("sti" ::: "memory");
		__GUEST_ASSERT(pending, irq_count[VEC_COM1], before,
			       "byte %u written to THR with the THR-empty interrupt on: "
			       "the interrupt was not pending when the guest ran on", i);
		__GUEST_ASSERT(wait_irqs(VEC_COM1, before + 1, 2000), irq_count[VEC_COM1],
			       before + 1, "byte %u: the pending interrupt never came", i);
	}
	GUEST_PRINTF("irq: COM1 THR-empty interrupt at once after each of %u writes", i);
}

static void com1(void)
{
	u8 iir;

	serial_init();
	ioapic_route(4, VEC_COM1, false);
	outb(COM1 + UART_MCR, 0x03 | UART_MCR_OUT2);	/* OUT2 gates the IRQ on a PC */
	outb(COM1 + UART_IER, UART_IER_THRI);		/* THR is empty: interrupt now */
	__GUEST_ASSERT(wait_irqs(VEC_COM1, 1, 2000), irq_count[VEC_COM1], 1,
		       "no COM1 THRE interrupt on IOAPIC pin 4 within 2 s (IIR 0x%02x, IER 0x%02x)",
		       inb(COM1 + UART_IIR), inb(COM1 + UART_IER));
	com1_thre_after_each_write();
	iir = inb(COM1 + UART_IIR);
	outb(COM1 + UART_IER, 0);
	ioapic_route(4, VEC_COM1, true);
	GUEST_PRINTF("irq: COM1 interrupt delivered on IOAPIC pin 4 (IIR then 0x%02x)", iir);
}

static void pit(void)
{
	u32 divisor = 11932;	/* 1193182 Hz / 100 */

	ioapic_route(0, VEC_PIT, false);
	outb(0x43, 0x34);	/* channel 0, lobyte/hibyte, mode 2, binary */
	outb(0x40, (u8)divisor);
	outb(0x40, (u8)(divisor >> 8));
	__GUEST_ASSERT(wait_irqs(VEC_PIT, 5, 3000), irq_count[VEC_PIT], 5,
		       "fewer than 5 PIT interrupts on IOAPIC pin 0 in 3 s: %u", irq_count[VEC_PIT]);
	outb(0x43, 0x30);	/* mode 0, no reload */
	outb(0x40, 0);
	outb(0x40, 0);
	ioapic_route(0, VEC_PIT, true);
	GUEST_PRINTF("irq: PIT interrupts delivered on IOAPIC pin 0");
}

void guest_main(void)
{
	u32 pin, pins = ((ioapic_read(1) >> 16) & 0xff) + 1;

	/* Legacy PICs masked: every interrupt goes through the IOAPIC. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	for (pin = 0; pin < pins; pin++)
		ioapic_route(pin, VEC_SPURIOUS, true);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	asm volatile("sti" ::: "memory");

	lapic_timer();
	com1();
	if (!cmdline_has("no_pit"))
		pit();

	asm volatile("cli" ::: "memory");
	GUEST_ASSERT_EQ(irq_count[VEC_SPURIOUS], 0);
}
