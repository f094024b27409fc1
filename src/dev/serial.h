/* SPDX-License-Identifier: MIT */
/* dev/serial.h: 8250/16550A UART on COM1 with buffered output and a panic detector. */
#ifndef EMBER_SERIAL_H
#define EMBER_SERIAL_H

#include <stdint.h>
#include "util/compiler.h"

struct vm;
struct serial;

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ  4

/* Create the UART writing guest output to out_fd; registers its ports. */
int serial_create(struct vm *vm, int out_fd, struct serial **out) __must_check;
void serial_destroy(struct serial *s);
/* Queue host input bytes for the guest (event thread). Returns bytes taken. */
size_t serial_input(struct serial *s, const uint8_t *buf, size_t len);
/* Write buffered output now. */
void serial_flush(struct serial *s);

/* Snapshot (docs/snapshot-format.md, section SERIAL): registers, RX FIFO and
 * IRQ line level.  Save flushes pending output first.  Restore checks every
 * value; 0 or -EINVAL with the reason recorded in the reader. */
struct snap_writer;
struct snap_reader;
void serial_save(struct serial *s, struct snap_writer *w);
int serial_restore(struct serial *s, struct snap_reader *r) __must_check;

#endif
