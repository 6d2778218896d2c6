/* SPDX-License-Identifier: MIT */
/* report.c - value/check/note lines; see report.h. */
#include "tests/pvm/report.h"

#include <stdarg.h>
#include <stdio.h>

static int failures;

void report_value(const char *name, double value, const char *unit, const char *comment)
{
	printf(value < 10 ? "value %s %.3f %s%s%s\n" : "value %s %.1f %s%s%s\n", name, value, unit,
	       comment ? " " : "", comment ? comment : "");
	fflush(stdout);
}

bool report_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("check %s ", cond ? "ok" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
	return cond;
}

void report_note(const char *fmt, ...)
{
	va_list ap;

	printf("note ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int report_failures(void)
{
	return failures;
}
