/* SPDX-License-Identifier: MIT */
/* dev/rtc.c: MC146818 CMOS RTC: time registers read from the host clock, 128 bytes of CMOS RAM. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vm.h"
#include "dev/legacy.h"
#include "kvm/coalesced.h"
#include "snapshot/format.h"

#define RTC_INDEX	RTC_INDEX_PORT
#define RTC_DATA	0x71

#define REG_SEC		0x00
#define REG_MIN		0x02
#define REG_HOUR	0x04
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d
#define REG_CENTURY	0x32

#define B_24H		0x02
#define B_BINARY	0x04
#define D_VRT		0x80

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};

static uint8_t to_bcd(unsigned int v) { return (uint8_t)(((v / 10) << 4) | (v % 10)); }

static uint8_t time_reg(const struct rtc *r, uint8_t reg)
{
	struct timespec ts;
	struct tm tm;
	unsigned int v;
	bool binary = r->cmos[REG_B] & B_BINARY;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	switch (reg) {
	case REG_SEC: v = (unsigned int)tm.tm_sec; break;
	case REG_MIN: v = (unsigned int)tm.tm_min; break;
	case REG_HOUR:
		v = (unsigned int)tm.tm_hour;
		if (!(r->cmos[REG_B] & B_24H)) {
			bool pm = v >= 12;

			v = v % 12 ? v % 12 : 12;
			return (uint8_t)((binary ? v : to_bcd(v)) | (pm ? 0x80 : 0));
		}
		break;
	case REG_WDAY: v = (unsigned int)tm.tm_wday + 1; break;
	case REG_MDAY: v = (unsigned int)tm.tm_mday; break;
	case REG_MON: v = (unsigned int)tm.tm_mon + 1; break;
	case REG_YEAR: v = (unsigned int)tm.tm_year % 100; break;
	case REG_CENTURY: v = (unsigned int)(tm.tm_year + 1900) / 100; break;
	default: return r->cmos[reg];
	}
	return binary ? (uint8_t)v : to_bcd(v);
}

static void rtc_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write)
{
	struct rtc *r = opaque;

	if (len != 1)
		return;
	pthread_mutex_lock(&r->lock);
	if (off == 0) {
		if (is_write)
			r->index = data[0] & 0x7f;	/* bit 7 is the NMI mask */
		else
			data[0] = 0xff;
	} else if (is_write) {
		/* Time writes are dropped: the clock follows the host. */
		if (r->index == REG_B)
			r->cmos[REG_B] = data[0] & (B_24H | B_BINARY);
		else if (r->index > REG_D && r->index != REG_CENTURY)
			r->cmos[r->index] = data[0];
	} else {
		switch (r->index) {
		case REG_A: data[0] = 0x26; break;	/* 32.768 kHz, UIP clear */
		case REG_C: data[0] = 0; break;
		case REG_D: data[0] = D_VRT; break;
		default: data[0] = time_reg(r, r->index); break;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

enum { RTC_SNAP_INDEX = 1, RTC_SNAP_CMOS };

void rtc_save(struct rtc *r, struct snap_writer *w)
{
	pthread_mutex_lock(&r->lock);
	snap_put_u32(w, RTC_SNAP_INDEX, r->index);
	snap_put_bytes(w, RTC_SNAP_CMOS, r->cmos, sizeof(r->cmos));
	pthread_mutex_unlock(&r->lock);
}

int rtc_restore(struct rtc *rtc, struct snap_reader *r)
{
	uint8_t cmos[sizeof(rtc->cmos)];
	uint32_t index = 0;

	if (snap_get_u32_range(r, RTC_SNAP_INDEX, 0, 0x7f, &index) ||
	    snap_require(r, RTC_SNAP_CMOS) || snap_get_bytes(r, RTC_SNAP_CMOS, cmos, sizeof(cmos)))
		return -EINVAL;
	pthread_mutex_lock(&rtc->lock);
	rtc->index = (uint8_t)index;
	memcpy(rtc->cmos, cmos, sizeof(cmos));
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

int rtc_create(struct vm *vm, struct rtc **out)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->cmos[REG_B] = B_24H;
	err = bus_register(&vm->pio, RTC_INDEX, 2, rtc_access, r, "rtc");
	if (err) {
		rtc_destroy(r);
		return err;
	}
	/* The index write needs no exit: the data access that follows exits
	 * and delivers it first (QEMU coalesces this port too).  Without KVM
	 * support it simply exits. */
	(void)coalesced_add_zone(vm->coalesced, RTC_INDEX, 1, true);
	*out = r;
	return 0;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}
