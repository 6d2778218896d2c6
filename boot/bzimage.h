/* SPDX-License-Identifier: MIT */
/*
 * bzimage.h - read and check the setup header of a Linux bzImage
 * (Documentation/arch/x86/boot.rst).
 *
 * A bzImage is: the real-mode setup code ((setup_sects + 1) * 512 bytes,
 * with the setup header at 0x1f1), then the protected-mode part, which
 * holds the kernel's own decompressor and the compressed kernel (the
 * "payload", an ELF image).
 */
#ifndef PVKIT_BOOT_BZIMAGE_H
#define PVKIT_BOOT_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootparam.h"

struct boot_error;

/* The oldest boot protocol pvkit loads: 2.06 brought cmdline_size. */
#define BZIMAGE_MIN_PROTOCOL 0x0206

/* Where the kernel goes when the header names no preferred address (< 2.10). */
#define BZIMAGE_DEFAULT_LOAD 0x100000ull

/* The 64-bit entry point is this far into the protected-mode part. */
#define BZIMAGE_ENTRY64_OFFSET 0x200

struct bzimage_info {
	struct setup_header hdr; /* as found in the file, fields of newer protocols zeroed */
	uint16_t version;	 /* boot protocol, e.g. 0x020f */
	unsigned setup_sects;	 /* after "0 means 4" */
	size_t setup_size;	 /* (setup_sects + 1) * 512: file offset of the kernel */
	const uint8_t *kernel;	 /* protected-mode part: the rest of the file */
	size_t kernel_size;
	size_t header_len;	/* bytes of setup header from 0x1f1 the kernel defines */
	const uint8_t *payload; /* compressed kernel, inside the protected-mode part; may be NULL */
	size_t payload_size;
	uint64_t load_address;	  /* pref_address, or 1 MiB before protocol 2.10 */
	uint64_t init_size;	  /* bytes the kernel needs at load_address (>= kernel_size) */
	char version_string[128]; /* "6.1.0-... (debian-kernel@...) #1 SMP ..." or "" */
};

/* Does this look like a bzImage at all ("HdrS" at 0x202)?  For format detection. */
bool bzimage_detect(const uint8_t *image, size_t size);

/* Parse and check everything; on error, -1 with err filled. */
int bzimage_parse(const uint8_t *image, size_t size, struct bzimage_info *info,
		  struct boot_error *err);

#endif
