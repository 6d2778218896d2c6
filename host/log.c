// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

bool log_debug_enabled;

/* The calling thread's last log_msg() line (without "pvkit: "). */
static __thread char last_line[1024];

const char *log_last_msg(void)
{
	return last_line;
}

static void log_vline(const char *fmt, va_list ap)
{
	/* One fprintf per line so that lines from two threads never interleave. */
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "pvkit: %s\n", line);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_line, sizeof(last_line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pvkit: %s\n", last_line);
}

void log_debug(const char *fmt, ...)
{
	if (!log_debug_enabled)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}
