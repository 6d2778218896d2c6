// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "parse_size.h"

int parse_size(const char *text, uint64_t *bytes)
{
	/* Digits first: strtoull would also take blanks and a minus sign. */
	if (!text || *text < '0' || *text > '9')
		return -1;
	bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
	char *end;
	errno = 0;
	unsigned long long n = strtoull(text, &end, hex ? 16 : 10);
	if (errno || end == text)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (shift && *++end != '\0')
		return -1;
	if (n > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)n << shift;
	return 0;
}
