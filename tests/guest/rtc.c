// SPDX-License-Identifier: MIT
/* tests/guest/rtc.c: reads the CMOS RTC (after UIP clears): BCD, 24-hour mode, UTC time near the host's, and ticking. */
#include "guest.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32
#define RTC_UIP		0x80
#define RTC_24H		0x02
#define RTC_DM_BINARY	0x04
#define RTC_VRT		0x80

struct rtc_time {
	u8 sec, min, hour, day, mon, year, century;
};

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);	/* bit 7 clear: NMI stays enabled */
	return inb(CMOS_DATA);
}

static void wait_uip_clear(void)
{
	u64 deadline = tsc_deadline_ms(1000);

	while (cmos_read(RTC_REG_A) & RTC_UIP) {
		if (tsc_expired(deadline))
			GUEST_ABORT("RTC update-in-progress for more than a second");
		cpu_relax();
	}
}

static void read_once(struct rtc_time *t)
{
	wait_uip_clear();
	t->sec = cmos_read(RTC_SECONDS);
	t->min = cmos_read(RTC_MINUTES);
	t->hour = cmos_read(RTC_HOURS);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
}

/* Read until two consecutive reads agree, as Linux's mc146818_get_time() does. */
static void read_time(struct rtc_time *t)
{
	struct rtc_time again;
	int tries;

	for (tries = 0; tries < 10; tries++) {
		read_once(t);
		read_once(&again);
		if (!memcmp(t, &again, sizeof(again)))
			return;
	}
	GUEST_ABORT("RTC never read the same twice in a row");
}

static bool bcd_ok(u8 v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static u32 bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static void check_bcd(const char *name, u8 v, u32 lo, u32 hi)
{
	__GUEST_ASSERT(bcd_ok(v) && bcd(v) >= lo && bcd(v) <= hi, v, hi,
		       "%s = 0x%02x: not BCD in %u..%u", name, v, lo, hi);
}

#define ASSERT_BCD_RANGE(v, lo, hi)	check_bcd(#v, v, lo, hi)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static s64 days_from_civil(s64 y, u32 m, u32 d)
{
	s64 era;
	u32 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (u32)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (s64)doe - 719468;
}

void guest_main(void)
{
	u8 b = cmos_read(RTC_REG_B), d = cmos_read(RTC_REG_D);
	u32 host_year = (u32)cmdline_uint("year", 0);
	s64 host_now = (s64)cmdline_uint("now", 0), rtc_now;
	struct rtc_time t, t2;
	u32 year;
	u64 deadline;

	GUEST_PRINTF("rtc: register A 0x%02x B 0x%02x D 0x%02x", cmos_read(RTC_REG_A), b, d);
	GUEST_ASSERT_MSG(b & RTC_24H, "status B 0x%02x: not 24-hour mode", b);
	GUEST_ASSERT_MSG(!(b & RTC_DM_BINARY), "status B 0x%02x: binary, not BCD", b);
	GUEST_ASSERT_MSG(d & RTC_VRT, "status D 0x%02x: RAM/time not valid", d);

	read_time(&t);
	GUEST_PRINTF("rtc: %02x%02x-%02x-%02x %02x:%02x:%02x", t.century, t.year, t.mon, t.day,
		     t.hour, t.min, t.sec);
	ASSERT_BCD_RANGE(t.sec, 0u, 59u);
	ASSERT_BCD_RANGE(t.min, 0u, 59u);
	ASSERT_BCD_RANGE(t.hour, 0u, 23u);
	ASSERT_BCD_RANGE(t.day, 1u, 31u);
	ASSERT_BCD_RANGE(t.mon, 1u, 12u);
	ASSERT_BCD_RANGE(t.year, 0u, 99u);
	year = 2000 + bcd(t.year);
	if (t.century)
		ASSERT_BCD_RANGE(t.century, 20u, 21u);
	GUEST_ASSERT_MSG(year >= 2024, "year %u", year);
	if (host_year)
		__GUEST_ASSERT(year + 1 >= host_year && year <= host_year + 1, year, host_year,
			       "RTC year %u, host year %u", year, host_year);

	/* UTC, whatever the host's time zone: Linux reads the RTC as UTC on x86. */
	rtc_now = days_from_civil(year, bcd(t.mon), bcd(t.day)) * 86400 +
		  bcd(t.hour) * 3600 + bcd(t.min) * 60 + bcd(t.sec);
	if (host_now) {
		s64 diff = rtc_now - host_now;

		GUEST_PRINTF("rtc: %ld s after the host's clock at launch", diff);
		__GUEST_ASSERT(diff > -60 && diff < 300, rtc_now, host_now,
			       "RTC is %ld s off the host's UTC time (local time instead of UTC?)", diff);
	}

	/* The clock ticks: the seconds change within a little over a second. */
	deadline = tsc_deadline_ms(2500);
	do {
		read_time(&t2);
	} while (t2.sec == t.sec && !tsc_expired(deadline));
	__GUEST_ASSERT(t2.sec != t.sec, t.sec, t2.sec, "RTC seconds stuck at %02x for 2.5 s", t.sec);
}
