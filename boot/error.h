/* SPDX-License-Identifier: MIT */
/*
 * error.h - how the boot library reports bad input: one sentence saying what
 * is wrong, written into a struct boot_error (loader.h), and sizes printed the
 * way people read them.
 */
#ifndef PVKIT_BOOT_ERROR_H
#define PVKIT_BOOT_ERROR_H

#include <stddef.h>
#include <stdint.h>

struct boot_error;

/* Fill err (may be NULL) from a printf format; always returns -1. */
int boot_fail(struct boot_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * "300 MiB", "41.2 MiB", "12 KiB", "100 bytes": whole units when exact, one
 * decimal otherwise.  Returns buf.
 */
const char *boot_format_size(char *buf, size_t len, uint64_t bytes);

#define BOOT_SIZE_STR_LEN 32

#endif
