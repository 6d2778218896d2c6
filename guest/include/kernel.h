/* SPDX-License-Identifier: MIT */
/* kernel.h - the few things every file of pvkernel uses. */
#ifndef PVKERNEL_KERNEL_H
#define PVKERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exit_status.h"

#define ARRAY_SIZE(a)	  (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	  (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a)  ((x) & ~((uint64_t)(a)-1))
#define MIN(a, b)	  ((a) < (b) ? (a) : (b))
#define MAX(a, b)	  ((a) > (b) ? (a) : (b))
#define NORETURN	  __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Formats one message and hands it to the console op in one call. */
void printk(const char *fmt, ...) PRINTF_LIKE(1, 2);
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Kernel command line: "key=value" lookups on the saved copy. */
const char *cmdline_get(const char *key, size_t *len);
bool cmdline_has(const char *key);
uint64_t cmdline_get_u64(const char *key, uint64_t dflt);

/* A self-test returns the number of failures, or SELFTEST_SKIP. */
#define SELFTEST_SKIP (-1)
struct selftest {
	const char *name;
	int (*run)(void);
};
int run_selftests(void);
void console_bench(uint64_t bytes);
/* pvkernel.bench=1: kernel/bench.c's measurements, before the self-tests. */
void run_bench(void);

#endif
