/* SPDX-License-Identifier: MIT */
/*
 * error.h - how the boot library reports bad input: one sentence saying what
 * is wrong, and which input it is about, written into a struct boot_error;
 * and sizes printed the way people read them.
 */
#ifndef PVKIT_BOOT_ERROR_H
#define PVKIT_BOOT_ERROR_H

#include <stddef.h>
#include <stdint.h>

/* The input a load failed on: the caller names it ("pvkit: INPUT: ..."). */
enum boot_input {
	BOOT_INPUT_KERNEL, /* the kernel image (the default) */
	BOOT_INPUT_INITRD,
	BOOT_INPUT_CMDLINE,
};

/* "what is wrong" with an input, without the "pvkit: INPUT: " prefix. */
struct boot_error {
	char msg[256];
	enum boot_input input;
};

/* Fill err (may be NULL) from a printf format, about the kernel; always returns -1. */
int boot_fail(struct boot_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same about another input. */
int boot_fail_input(struct boot_error *err, enum boot_input input, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put `prefix` before err's message ("ELF in the bzImage payload: ..."); returns -1. */
int boot_fail_prefixed(struct boot_error *err, const char *prefix);

/*
 * "300 MiB", "41.2 MiB", "12 KiB", "100 bytes": whole units when exact, one
 * decimal otherwise.  Returns buf.
 */
const char *boot_format_size(char *buf, size_t len, uint64_t bytes);

#define BOOT_SIZE_STR_LEN 32

#endif
