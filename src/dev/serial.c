/* SPDX-License-Identifier: MIT */
/* dev/serial.c: 16550A UART register file (COM1) driving KVM's IRQ line, output line-buffered. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vm.h"
#include "dev/serial.h"
#include "snapshot/format.h"

#define UART_RBR 0	/* read: receive buffer; write: THR */
#define UART_IER 1
#define UART_IIR 2	/* read: interrupt id; write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI  0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08
#define MSR_DCD  0x80
#define MSR_DSR  0x20
#define MSR_CTS  0x10

#define RX_FIFO 1024	/* larger than a 16550 FIFO so pasted input is not dropped */
#define TX_BUF  4096

static const char panic_pattern[] = "Kernel panic - not syncing";

struct serial {
	struct vm *vm;
	int out_fd;
	pthread_mutex_t lock;	/* vCPU threads (registers) vs event thread (input) */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_ipending;	/* THR-empty interrupt pending until IIR read/THR write */
	uint8_t rx[RX_FIFO];
	unsigned int rx_head, rx_count;
	uint8_t tx[TX_BUF];
	size_t tx_len;
	unsigned int panic_match;
	int irq_level;
};

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;	/* output gone (closed pipe): drop, the guest must not stall */
		}
		p += w;
		n -= (size_t)w;
	}
}

static void flush_locked(struct serial *s)
{
	if (s->tx_len)
		write_all(s->out_fd, s->tx, s->tx_len);
	s->tx_len = 0;
}

static uint8_t iir_locked(const struct serial *s)
{
	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void update_irq_locked(struct serial *s)
{
	int level = iir_locked(s) != IIR_NO_INT;

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, SERIAL_COM1_IRQ, level);
	}
}

static void tx_byte_locked(struct serial *s, uint8_t c)
{
	if (c == (uint8_t)panic_pattern[s->panic_match]) {
		if (++s->panic_match == sizeof(panic_pattern) - 1) {
			atomic_store(&s->vm->guest_panicked, true);
			s->panic_match = 0;
		}
	} else {
		s->panic_match = c == (uint8_t)panic_pattern[0];
	}
	s->tx[s->tx_len++] = c;
	/* Line-buffered: one write per line instead of one per character. */
	if (c == '\n' || s->tx_len == TX_BUF)
		flush_locked(s);
}

static void serial_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	struct serial *s = opaque;
	uint8_t v = data[0];

	if (len != 1)
		return;	/* 8250 registers are byte-wide; others read as 0xff */
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		switch (off) {
		case UART_RBR:
			if (s->lcr & LCR_DLAB) {
				s->dll = v;
			} else if (s->mcr & MCR_LOOP) {
				if (s->rx_count < RX_FIFO)
					s->rx[(s->rx_head + s->rx_count++) % RX_FIFO] = v;
			} else {
				tx_byte_locked(s, v);
				s->thr_ipending = true;	/* transmit is instantaneous */
			}
			break;
		case UART_IER:
			if (s->lcr & LCR_DLAB) {
				s->dlm = v;
			} else {
				if (!(s->ier & IER_THRI) && (v & IER_THRI))
					s->thr_ipending = true;
				s->ier = v & 0x0f;
				flush_locked(s);	/* the tty driver toggles IER per burst */
			}
			break;
		case UART_IIR:
			s->fcr = v;
			if (v & 0x02) {	/* clear RX FIFO */
				s->rx_head = 0;
				s->rx_count = 0;
			}
			break;
		case UART_LCR: s->lcr = v; break;
		case UART_MCR: s->mcr = v & 0x1f; break;
		case UART_SCR: s->scr = v; break;
		default: break;	/* LSR/MSR are read-only */
		}
	} else {
		switch (off) {
		case UART_RBR:
			if (s->lcr & LCR_DLAB) {
				v = s->dll;
			} else if (s->rx_count) {
				v = s->rx[s->rx_head];
				s->rx_head = (s->rx_head + 1) % RX_FIFO;
				s->rx_count--;
			} else {
				v = 0;
			}
			break;
		case UART_IER: v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier; break;
		case UART_IIR:
			v = iir_locked(s) | ((s->fcr & 1) ? IIR_FIFO : 0);
			if ((v & 0x0f) == IIR_THRI)
				s->thr_ipending = false;
			flush_locked(s);
			break;
		case UART_LCR: v = s->lcr; break;
		case UART_MCR: v = s->mcr; break;
		case UART_LSR:
			v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
			break;
		case UART_MSR:
			if (s->mcr & MCR_LOOP)	/* DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD */
				v = (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
					      ((s->mcr & 0x0c) << 4));
			else
				v = MSR_DCD | MSR_DSR | MSR_CTS;
			break;
		case UART_SCR: v = s->scr; break;
		default: v = 0xff; break;
		}
		data[0] = v;
	}
	update_irq_locked(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_input(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t taken = 0;

	pthread_mutex_lock(&s->lock);
	while (taken < len && s->rx_count < RX_FIFO) {
		s->rx[(s->rx_head + s->rx_count++) % RX_FIFO] = buf[taken++];
	}
	update_irq_locked(s);
	pthread_mutex_unlock(&s->lock);
	return taken;
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	flush_locked(s);
	pthread_mutex_unlock(&s->lock);
}

enum {
	SER_IER = 1, SER_LCR, SER_MCR, SER_SCR, SER_DLL, SER_DLM, SER_FCR, SER_THR_IPENDING,
	SER_RX, SER_IRQ_LEVEL,
};

void serial_save(struct serial *s, struct snap_writer *w)
{
	uint8_t rx[RX_FIFO];

	pthread_mutex_lock(&s->lock);
	flush_locked(s);
	snap_put_u32(w, SER_IER, s->ier);
	snap_put_u32(w, SER_LCR, s->lcr);
	snap_put_u32(w, SER_MCR, s->mcr);
	snap_put_u32(w, SER_SCR, s->scr);
	snap_put_u32(w, SER_DLL, s->dll);
	snap_put_u32(w, SER_DLM, s->dlm);
	snap_put_u32(w, SER_FCR, s->fcr);
	snap_put_u32(w, SER_THR_IPENDING, s->thr_ipending);
	for (unsigned int i = 0; i < s->rx_count; i++)
		rx[i] = s->rx[(s->rx_head + i) % RX_FIFO];
	snap_put_bytes(w, SER_RX, rx, s->rx_count);
	snap_put_u32(w, SER_IRQ_LEVEL, (uint32_t)s->irq_level);
	pthread_mutex_unlock(&s->lock);
}

int serial_restore(struct serial *s, struct snap_reader *r)
{
	uint32_t ier = 0, lcr = 0, mcr = 0, scr = 0, dll = 0, dlm = 0, fcr = 0, level = 0;
	bool thri = false;
	const uint8_t *rx = NULL;
	size_t n = 0;

	if (snap_get_u32_range(r, SER_IER, 0, 0x0f, &ier) ||
	    snap_get_u32_range(r, SER_LCR, 0, 0xff, &lcr) ||
	    snap_get_u32_range(r, SER_MCR, 0, 0x1f, &mcr) ||
	    snap_get_u32_range(r, SER_SCR, 0, 0xff, &scr) ||
	    snap_get_u32_range(r, SER_DLL, 0, 0xff, &dll) ||
	    snap_get_u32_range(r, SER_DLM, 0, 0xff, &dlm) ||
	    snap_get_u32_range(r, SER_FCR, 0, 0xff, &fcr) ||
	    snap_get_bool(r, SER_THR_IPENDING, &thri) ||
	    snap_require(r, SER_RX) || snap_get_blob(r, SER_RX, &rx, &n, RX_FIFO) ||
	    snap_get_u32_range(r, SER_IRQ_LEVEL, 0, 1, &level))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	s->ier = (uint8_t)ier;
	s->lcr = (uint8_t)lcr;
	s->mcr = (uint8_t)mcr;
	s->scr = (uint8_t)scr;
	s->dll = (uint8_t)dll;
	s->dlm = (uint8_t)dlm;
	s->fcr = (uint8_t)fcr;
	s->thr_ipending = thri;
	memcpy(s->rx, rx, n);
	s->rx_head = 0;
	s->rx_count = (unsigned int)n;
	/* The line level itself is restored with the interrupt controllers. */
	s->irq_level = (int)level;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int serial_create(struct vm *vm, int out_fd, struct serial **out)
{
	struct serial *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->vm = vm;
	s->out_fd = out_fd;
	s->lcr = 0x03;
	s->mcr = MCR_OUT2;
	pthread_mutex_init(&s->lock, NULL);
	err = bus_register(&vm->pio, SERIAL_COM1_BASE, 8, serial_access, s, "serial");
	if (err) {
		serial_destroy(s);
		return err;
	}
	/*
	 * THR is not coalesced: interrupt-driven transmission (Linux's tty,
	 * from the console's open on) writes a FIFO's worth and waits for the
	 * THR-empty interrupt with no further exit, so queued bytes and their
	 * interrupt waited for a flush timer (since removed) and a guest that
	 * rebooted right after `echo` lost its line.  Switching the zone off at the guest's
	 * first THR-empty enable fixed that, but unregistering a zone while
	 * the VM runs left restored clones hanging in the lab
	 * (docs/performance.md); each THR write exits, as on Firecracker or
	 * QEMU, and the interrupt follows it at once.
	 */
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	serial_flush(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
