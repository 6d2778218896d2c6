/* SPDX-License-Identifier: MIT */
/* parse_size.h - sizes on the command line ("256M"). */
#ifndef PVKIT_HOST_PARSE_SIZE_H
#define PVKIT_HOST_PARSE_SIZE_H

#include <stdint.h>

/*
 * "256M", "1G", "65536K", "16777216", "0x1000000": bytes, or -1 if not a
 * size (empty, signed, trailing garbage, or more than 64 bits).
 */
int parse_size(const char *text, uint64_t *bytes);

#endif
