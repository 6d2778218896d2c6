/* SPDX-License-Identifier: MIT */
/*
 * string.c - the memory and string functions the compiler may call.
 * Word-sized rep instructions where possible: under pvkit on a host without
 * VT-x every ring-0 instruction is emulated, so fewer iterations matter.
 */
#include "kernel.h"

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	if ((((uintptr_t)dst | n) & 7) == 0) {
		uint64_t v = 0x0101010101010101ull * (uint8_t)c;
		size_t q = n / 8;
		asm volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
	} else {
		asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	}
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	if ((((uintptr_t)dst | (uintptr_t)src | n) & 7) == 0) {
		size_t q = n / 8;
		asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
	} else {
		asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	}
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
		if (!a[i])
			return 0;
	}
	return 0;
}
