// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int vfail(struct boot_error *err, enum boot_input input, const char *fmt, va_list ap)
{
	if (err) {
		err->input = input;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return -1;
}

int boot_fail(struct boot_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, BOOT_INPUT_KERNEL, fmt, ap);
	va_end(ap);
	return -1;
}

int boot_fail_input(struct boot_error *err, enum boot_input input, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, input, fmt, ap);
	va_end(ap);
	return -1;
}

int boot_fail_prefixed(struct boot_error *err, const char *prefix)
{
	if (!err)
		return -1;
	/* Shift the message right by the prefix, keeping the NUL inside the buffer. */
	size_t plen = strlen(prefix), cap = sizeof(err->msg);
	if (plen >= cap)
		plen = cap - 1;
	size_t mlen = strnlen(err->msg, cap - 1);
	if (mlen > cap - 1 - plen)
		mlen = cap - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	return -1;
}

const char *boot_format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (bytes < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
		return buf;
	}
	int unit = 0;
	uint64_t scale = 1024;
	while (unit < 3 && bytes >= scale * 1024) {
		scale *= 1024;
		unit++;
	}
	if (bytes % scale == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / scale), units[unit]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)scale, units[unit]);
	return buf;
}
