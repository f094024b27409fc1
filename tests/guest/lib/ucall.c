// SPDX-License-Identifier: MIT
/* tests/guest/lib/ucall.c: ucall to ember (PRINT, ASSERT, DONE, ABORT) through port EMBER_PORT_UCALL. */
#include "guest.h"

/*
 * Built with -DUCALL_SERIAL (for running the guests under another VMM that
 * has no ucall port), every ucall is also written to COM1 and DONE/ASSERT
 * end the VM through an isa-debug-exit device at port 0xf4.
 */
#define DEBUG_EXIT_PORT	0xf4

static const char *cmd_name(u32 cmd)
{
	switch (cmd) {
	case EMBER_UCALL_PRINT:
		return "PRINT";
	case EMBER_UCALL_ASSERT:
		return "ASSERT";
	case EMBER_UCALL_DONE:
		return "DONE";
	case EMBER_UCALL_ABORT:
		return "ABORT";
	}
	return "?";
}

static void serial_report(const struct ember_ucall *uc, const char *what)
{
	char line[384];

	if (uc->cmd == EMBER_UCALL_PRINT)
		snprintf(line, sizeof(line), "guest: %s\n", uc->msg);
	else
		snprintf(line, sizeof(line), "%s%s %s:%u: %s (0x%lx, 0x%lx)\n", what,
			 cmd_name(uc->cmd), uc->file, uc->line, uc->msg,
			 uc->args[0], uc->args[1]);
	serial_puts(line);
}

void ucall(struct ember_ucall *uc)
{
	outl(EMBER_PORT_UCALL, (u32)(uintptr_t)uc);
#ifdef UCALL_SERIAL
	serial_report(uc, "ucall ");
	if (uc->cmd != EMBER_UCALL_PRINT)
		outb(DEBUG_EXIT_PORT, uc->cmd == EMBER_UCALL_DONE ? 0 : 1);
#endif
}

static void ucall_fill(struct ember_ucall *uc, u32 cmd, const char *file, u32 line,
		       u64 a, u64 b, const char *fmt, va_list ap)
{
	memset(uc, 0, sizeof(*uc));
	uc->cmd = cmd;
	uc->line = line;
	uc->args[0] = a;
	uc->args[1] = b;
	if (file)
		snprintf(uc->file, sizeof(uc->file), "%s", file);
	if (fmt)
		vsnprintf(uc->msg, sizeof(uc->msg), fmt, ap);
}

/* ember ends the VM on DONE, ASSERT and ABORT: coming back means nobody listened. */
static void __noreturn ucall_final(struct ember_ucall *uc)
{
	ucall(uc);
	serial_report(uc, "ember-test: ucall not handled (is --ucall set?): ");
	halt_forever();
}

void guest_printf(const char *fmt, ...)
{
	struct ember_ucall uc;
	va_list ap;

	va_start(ap, fmt);
	ucall_fill(&uc, EMBER_UCALL_PRINT, NULL, 0, 0, 0, fmt, ap);
	va_end(ap);
	ucall(&uc);
}

void guest_done(void)
{
	struct ember_ucall uc;

	/*
	 * ember says nothing on DONE; this line lets the runner tell a test
	 * that finished from a guest that died (a triple fault also exits 0).
	 */
	guest_printf("DONE");
	memset(&uc, 0, sizeof(uc));
	uc.cmd = EMBER_UCALL_DONE;
	ucall_final(&uc);
}

void guest_abort(const char *file, u32 line, const char *fmt, ...)
{
	struct ember_ucall uc;
	va_list ap;

	va_start(ap, fmt);
	ucall_fill(&uc, EMBER_UCALL_ABORT, file, line, 0, 0, fmt, ap);
	va_end(ap);
	ucall_final(&uc);
}

void guest_assert_fail(const char *file, u32 line, u64 a, u64 b, const char *fmt, ...)
{
	struct ember_ucall uc;
	va_list ap;

	va_start(ap, fmt);
	ucall_fill(&uc, EMBER_UCALL_ASSERT, file, line, a, b, fmt, ap);
	va_end(ap);
	ucall_final(&uc);
}
