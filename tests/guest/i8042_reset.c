// SPDX-License-Identifier: MIT
/* tests/guest/i8042_reset.c: probes the i8042 like Linux, then asks it for a CPU reset (0xfe to port 0x64): exit 0. */
#include "guest.h"

#define I8042_STATUS		0x64
#define I8042_COMMAND		0x64
#define I8042_STR_IBF		0x02
#define I8042_CMD_RESET		0xfe

#define I8042_DATA		0x60
#define I8042_STR_OBF		0x01
#define I8042_CMD_CTL_RCTR	0x20
#define I8042_CMD_CTL_TEST	0xaa

static void wait_write(void)
{
	u64 deadline = tsc_deadline_ms(100);

	/* Like Linux's i8042_wait_write(): the input buffer must be empty. */
	while (inb(I8042_STATUS) & I8042_STR_IBF) {
		if (tsc_expired(deadline))
			GUEST_ABORT("i8042 input buffer stays full: status 0x%02x", inb(I8042_STATUS));
		cpu_relax();
	}
}

static u8 read_data(const char *what)
{
	u64 deadline = tsc_deadline_ms(100);

	while (!(inb(I8042_STATUS) & I8042_STR_OBF)) {
		if (tsc_expired(deadline))
			GUEST_ABORT("i8042: no reply to %s (status 0x%02x)", what, inb(I8042_STATUS));
		cpu_relax();
	}
	return inb(I8042_DATA);
}

/* What Linux's i8042 driver does before it trusts the controller. */
static void linux_probe(void)
{
	u8 ctr;

	/* i8042_controller_check(): 0xff means no controller; flush. */
	GUEST_ASSERT_NE(inb(I8042_STATUS), 0xff);
	while (inb(I8042_STATUS) & I8042_STR_OBF)
		(void)inb(I8042_DATA);
	/* i8042_controller_selftest(). */
	wait_write();
	outb(I8042_COMMAND, I8042_CMD_CTL_TEST);
	GUEST_ASSERT_EQ(read_data("self test"), 0x55);
	/* i8042_controller_init(): read the CTR. */
	wait_write();
	outb(I8042_COMMAND, I8042_CMD_CTL_RCTR);
	ctr = read_data("read CTR");
	GUEST_PRINTF("i8042_reset: CTR 0x%02x", ctr);
	GUEST_ASSERT_EQ(inb(I8042_STATUS) & I8042_STR_OBF, 0);
}

void guest_main(void)
{

	linux_probe();
	wait_write();
	GUEST_PRINTF("i8042_reset: status 0x%02x, writing 0xfe to port 0x64", inb(I8042_STATUS));
	outb(I8042_COMMAND, I8042_CMD_RESET);
	udelay(1000000);
	GUEST_ABORT("still running a second after the i8042 reset command");
}
