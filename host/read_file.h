/* SPDX-License-Identifier: MIT */
/* read_file.h - read a whole input file (kernel, initrd, image to inspect). */
#ifndef PVKIT_HOST_READ_FILE_H
#define PVKIT_HOST_READ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Files are read whole; nothing bootable is this large. */
#define READ_FILE_MAX (2ull << 30)

/*
 * Read the regular file at `path` into a new malloc'd buffer: *data, *size.
 * On failure print the one line "pvkit: PATH: why" and return -1.
 */
int read_file(const char *path, uint8_t **data, size_t *size);

#endif
