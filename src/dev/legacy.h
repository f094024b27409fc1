/* SPDX-License-Identifier: MIT */
/* dev/legacy.h: the small legacy devices: i8042 (reset, Ctrl-Alt-Del), CMOS RTC, ember's own ports. */
#ifndef EMBER_LEGACY_H
#define EMBER_LEGACY_H

#include "util/compiler.h"

struct vm;
struct i8042;
struct rtc;
struct ember_ports;

/* i8042 at 0x60/0x64, keyboard IRQ 1: reset command ends the VM. */
int i8042_create(struct vm *vm, struct i8042 **out) __must_check;
void i8042_destroy(struct i8042 *k);
/* Queue the Ctrl-Alt-Del scancodes and raise IRQ 1 (any thread). */
void i8042_send_ctrl_alt_del(struct i8042 *k);

/* Snapshot state (docs/snapshot-format.md, sections I8042 and RTC).
 * Restore checks every value: 0 or -EINVAL, reason recorded in the reader. */
struct snap_writer;
struct snap_reader;
void i8042_save(struct i8042 *k, struct snap_writer *w);
int i8042_restore(struct i8042 *k, struct snap_reader *r) __must_check;
void rtc_save(struct rtc *r, struct snap_writer *w);
int rtc_restore(struct rtc *rtc, struct snap_reader *r) __must_check;

/* MC146818 CMOS RTC at 0x70/0x71, time from the host's realtime clock. */
#define RTC_INDEX_PORT 0x70
int rtc_create(struct vm *vm, struct rtc **out) __must_check;
void rtc_destroy(struct rtc *r);

/* Boot marker (0x440), ucall (0x444) and the ignored probe ports (0x80, ...). */
int ember_ports_create(struct vm *vm, struct ember_ports **out) __must_check;
void ember_ports_destroy(struct ember_ports *p);

#endif
