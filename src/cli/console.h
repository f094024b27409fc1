/* SPDX-License-Identifier: MIT */
/* cli/console.h: the foreground console: stdin to the guest UART, raw tty mode, escape key. */
#ifndef EMBER_CONSOLE_H
#define EMBER_CONSOLE_H

#include <stdbool.h>
#include <termios.h>
#include "util/compiler.h"

struct vm;

#define CONSOLE_ESCAPE 0x01	/* Ctrl-A; then 'x' quits, Ctrl-A sends a literal Ctrl-A */

struct console {
	struct vm *vm;
	int in_fd;
	bool is_tty;
	bool raw;		/* termios changed, restore on exit */
	bool escape_pending;
	struct termios saved;
	int sig_fd;		/* signalfd for SIGINT/SIGTERM/SIGHUP */
};

/* Attach stdin (raw mode if a tty and raw is wanted) and signals to vm's loop. */
int console_attach(struct console *c, struct vm *vm, bool raw) __must_check;
/* Restore the terminal. Safe to call twice. */
void console_detach(struct console *c);

#endif
