/* SPDX-License-Identifier: MIT */
/* usage.h - pvkit's command-line help. */
#ifndef PVKIT_HOST_USAGE_H
#define PVKIT_HOST_USAGE_H

#include <stdio.h>

void usage(FILE *out);

#endif
