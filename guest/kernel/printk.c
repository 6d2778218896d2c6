/* SPDX-License-Identifier: MIT */
/*
 * printk.c - formatted output.  One printk is one console_write call, so
 * with the pvkit backend a whole message costs one VM exit.  The formatter
 * itself is format.c.
 */
#include "pv.h"

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	pv_ops.console_write(buf, (size_t)n);
}

void panic(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	pv_ops.console_write("panic: ", 7);
	pv_ops.console_write(buf, (size_t)n);
	pv_ops.console_write("\n", 1);
	pv_ops.power_off(PVKERNEL_EXIT_PANIC);
}
