/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/guest.h: the test-guest library: ucall, GUEST_ASSERT, printf, serial, command line. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdarg.h>
#include <ember/guest_abi.h>
#include "x86.h"
#include "boot.h"

#ifndef __FILE_NAME__
#define __FILE_NAME__ __FILE__
#endif

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Every test defines this; guest_start() calls it on the boot CPU. */
void guest_main(void);

/* The smp test defines this; APs call it with their check-in slot (1..). */
void ap_main(u32 slot);

/* ucall: hand a struct ember_ucall to ember through EMBER_PORT_UCALL. */
void ucall(struct ember_ucall *uc);
void guest_printf(const char *fmt, ...) __printf(1, 2);
void guest_done(void) __noreturn;
void guest_abort(const char *file, u32 line, const char *fmt, ...) __printf(3, 4) __noreturn;
void guest_assert_fail(const char *file, u32 line, u64 a, u64 b,
		       const char *fmt, ...) __printf(5, 6) __noreturn;

#define GUEST_PRINTF(fmt, ...)	guest_printf(fmt, ##__VA_ARGS__)
#define GUEST_DONE()		guest_done()
#define GUEST_ABORT(fmt, ...)	guest_abort(__FILE_NAME__, __LINE__, fmt, ##__VA_ARGS__)

#define __GUEST_ASSERT(cond, a, b, fmt, ...)					\
do {										\
	if (!(cond))								\
		guest_assert_fail(__FILE_NAME__, __LINE__, (u64)(a), (u64)(b),	\
				  fmt, ##__VA_ARGS__);				\
} while (0)

#define GUEST_ASSERT(cond)	__GUEST_ASSERT(cond, 0, 0, "%s", #cond)
#define GUEST_ASSERT_MSG(cond, fmt, ...) \
	__GUEST_ASSERT(cond, 0, 0, "%s: " fmt, #cond, ##__VA_ARGS__)

#define GUEST_ASSERT_EQ(a, b)							\
do {										\
	u64 __a = (u64)(a), __b = (u64)(b);					\
	__GUEST_ASSERT(__a == __b, __a, __b, "%s == %s (0x%lx != 0x%lx)",	\
		       #a, #b, __a, __b);					\
} while (0)

#define GUEST_ASSERT_NE(a, b)							\
do {										\
	u64 __a = (u64)(a), __b = (u64)(b);					\
	__GUEST_ASSERT(__a != __b, __a, __b, "%s != %s (both 0x%lx)",		\
		       #a, #b, __a);						\
} while (0)

/* printf.c */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* string.c */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* serial.c: COM1, polling LSR.THRE */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);

/* lib.c */
bool cmdline_has(const char *word);
u64 cmdline_uint(const char *key, u64 dflt);	/* "key=123" or key=0x7b */
u64 tsc_khz(void);
u64 tsc_deadline_ms(u64 ms);
bool tsc_expired(u64 deadline);
void udelay(u64 us);
void idt_load(void);

/* Vectors 32..IDT_VECTORS-1: each interrupt is counted here, then EOI. */
#define IDT_VECTORS	64
extern volatile u32 irq_count[IDT_VECTORS];

#endif
