/* SPDX-License-Identifier: MIT */
/*
 * rtc.c - the CMOS real-time clock (MC146818): date and time in BCD or
 * binary, read twice until two reads agree (an update may be in progress).
 * Assumes UTC, as QEMU's default.  Where no RTC answers (pvkit has none:
 * reads return all-ones) the result is 0, "wall clock unknown".
 */
#include "drivers.h"
#include "x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

struct rtc_time {
	unsigned sec, min, hour, day, mon, year;
};

static void read_raw(struct rtc_time *t)
{
	for (unsigned n = 0; n < 1000 && (cmos(0x0a) & 0x80); n++)
		; /* update in progress */
	t->sec = cmos(0x00);
	t->min = cmos(0x02);
	t->hour = cmos(0x04);
	t->day = cmos(0x07);
	t->mon = cmos(0x08);
	t->year = cmos(0x09);
}

static unsigned bcd(unsigned v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_read_unix_ns(void)
{
	struct rtc_time a, b;
	unsigned tries = 0;
	do {
		read_raw(&a);
		read_raw(&b);
	} while (memcmp(&a, &b, sizeof(a)) && ++tries < 5);
	if (a.sec == 0xff || a.mon == 0xff)
		return 0;
	uint8_t status_b = cmos(0x0b);
	bool pm = a.hour & 0x80;
	a.hour &= 0x7f;
	if (!(status_b & 0x04)) { /* BCD */
		a.sec = bcd(a.sec);
		a.min = bcd(a.min);
		a.hour = bcd(a.hour);
		a.day = bcd(a.day);
		a.mon = bcd(a.mon);
		a.year = bcd(a.year);
	}
	if (!(status_b & 0x02) && pm) /* 12-hour mode */
		a.hour = (a.hour % 12) + 12;
	if (a.sec > 59 || a.min > 59 || a.hour > 23 || a.day < 1 || a.day > 31 || a.mon < 1 ||
	    a.mon > 12 || a.year > 99)
		return 0;
	int64_t days = days_from_civil(2000 + a.year, a.mon, a.day);
	uint64_t secs = (uint64_t)days * 86400 + a.hour * 3600 + a.min * 60 + a.sec;
	return secs * 1000000000ull;
}
