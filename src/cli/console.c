/* SPDX-License-Identifier: MIT */
/* cli/console.c: stdin → COM1, raw tty handling with Ctrl-A x to quit, SIGINT/SIGTERM to stop. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/console.h"
#include "core/vm.h"
#include "dev/serial.h"

static void on_input(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	uint8_t buf[256], out[256];
	size_t n_out = 0;
	ssize_t n;

	n = read(c->in_fd, buf, sizeof(buf));
	if (n <= 0) {
		/* EOF or error on stdin: stop reading, the guest keeps running. */
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			loop_del_fd(&c->vm->loop, c->in_fd);
		(void)events;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t ch = buf[i];

		if (c->is_tty && c->escape_pending) {
			c->escape_pending = false;
			if (ch == 'x' || ch == 'X') {
				vm_request_stop(c->vm, VM_STOP_USER);
				return;
			}
			if (ch != CONSOLE_ESCAPE)
				out[n_out++] = CONSOLE_ESCAPE;
		} else if (c->is_tty && ch == CONSOLE_ESCAPE) {
			c->escape_pending = true;
			continue;
		}
		out[n_out++] = ch;
	}
	if (n_out)
		serial_input(c->vm->serial, out, n_out);
}

static void on_signal(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(c->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("signal %u: stopping the VM", si.ssi_signo);
	vm_request_stop(c->vm, VM_STOP_USER);
}

int console_attach(struct console *c, struct vm *vm, bool raw)
{
	sigset_t set;
	int err;

	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->in_fd = STDIN_FILENO;
	c->sig_fd = -1;
	c->is_tty = isatty(c->in_fd);
	if (c->is_tty && raw && tcgetattr(c->in_fd, &c->saved) == 0) {
		struct termios t = c->saved;

		cfmakeraw(&t);
		t.c_oflag |= OPOST | ONLCR;	/* keep host-side newlines sane */
		if (tcsetattr(c->in_fd, TCSANOW, &t) == 0)
			c->raw = true;
	}
	err = loop_add_fd(&vm->loop, c->in_fd, EPOLLIN, on_input, c);
	if (err && err != -EPERM)	/* EPERM: stdin is a regular file; no input */
		return err;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	c->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sig_fd < 0)
		return -errno;
	return loop_add_fd(&vm->loop, c->sig_fd, EPOLLIN, on_signal, c);
}

void console_detach(struct console *c)
{
	if (c->raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		c->raw = false;
	}
	if (c->sig_fd >= 0) {
		close(c->sig_fd);
		c->sig_fd = -1;
	}
}
