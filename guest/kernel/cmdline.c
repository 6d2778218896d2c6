/* SPDX-License-Identifier: MIT */
/* cmdline.c - "key=value" options of the kernel command line. */
#include "boot_info.h"

/* The value of `key` (pointer into the saved command line, length in *len). */
const char *cmdline_get(const char *key, size_t *len)
{
	const char *p = boot_info.cmdline;
	size_t klen = strlen(key);
	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;
		while (*p && *p != ' ')
			p++;
		size_t wlen = (size_t)(p - word);
		if (wlen >= klen && strncmp(word, key, klen) == 0 &&
		    (wlen == klen || word[klen] == '=')) {
			const char *v = wlen == klen ? word + klen : word + klen + 1;
			*len = (size_t)(p - v);
			return v;
		}
	}
	return NULL;
}

bool cmdline_has(const char *key)
{
	size_t len;
	return cmdline_get(key, &len) != NULL;
}

/* Decimal with an optional K/M/G suffix. */
uint64_t cmdline_get_u64(const char *key, uint64_t dflt)
{
	size_t len;
	const char *v = cmdline_get(key, &len);
	if (!v || !len)
		return dflt;
	uint64_t n = 0;
	size_t i = 0;
	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		n = n * 10 + (uint64_t)(v[i] - '0');
	if (i < len) {
		switch (v[i]) {
		case 'K':
		case 'k':
			n <<= 10;
			break;
		case 'M':
		case 'm':
			n <<= 20;
			break;
		case 'G':
		case 'g':
			n <<= 30;
			break;
		default:
			return dflt;
		}
	}
	return n;
}
