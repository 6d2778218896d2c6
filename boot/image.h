/* SPDX-License-Identifier: MIT */
/*
 * image.h - everything pvkit knows about a kernel image, from one parse.
 *
 * boot_image_parse() recognises the format, checks the whole image and
 * returns what every caller needs: the bzImage setup header, its payload
 * (compressor, sizes, the ELF taken out of it), and the ELF (the file itself
 * or that payload ELF) with its segments, every note, and the notes pvkit
 * acts on decoded and range-checked (elf.h).  The loader (loader.h), pvm
 * mode, `pvkit inspect` and the Xen PV builder read this one result instead
 * of parsing the image again.  New facts about an image belong here.
 */
#ifndef PVKIT_BOOT_IMAGE_H
#define PVKIT_BOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bzimage.h"
#include "elf.h"
#include "error.h"
#include "payload.h"

enum boot_image_format {
	BOOT_IMAGE_BZIMAGE,
	BOOT_IMAGE_ELF,
};

struct boot_image {
	enum boot_image_format format;
	const uint8_t *data; /* the caller's bytes: must outlive this struct */
	size_t size;

	/* BOOT_IMAGE_BZIMAGE only. */
	struct bzimage_info bz;
	/* The payload (when bz.payload_size != 0), decompressed. */
	enum payload_compression compression;
	uint8_t *payload_elf; /* owned; the ELF below points into it */
	size_t payload_elf_size;

	/* The ELF: the file (BOOT_IMAGE_ELF) or the bzImage's payload. */
	bool has_elf; /* false only for a bzImage without a payload */
	struct elf_image elf;
	size_t elf_size; /* bytes of the ELF file (the file, or the decompressed payload) */
};

/*
 * Parse data[0, size).  guest_ram bounds the payload's decompression (a
 * kernel larger than guest RAM cannot boot by any entry); 0 when no guest
 * is involved (`pvkit inspect`): then PAYLOAD_MAX_DEFAULT.  Returns a new
 * image, or NULL with err filled (input BOOT_INPUT_KERNEL).
 */
struct boot_image *boot_image_parse(const uint8_t *data, size_t size, uint64_t guest_ram,
				    struct boot_error *err);

void boot_image_free(struct boot_image *img);

/*
 * Load what parsing data[0, size) will need and cannot load later under the
 * loading seccomp filter: the decompression library of a bzImage's payload
 * (boot/payload_libs.h).  It reads the bzImage header (bzimage_parse(), the
 * parse boot_image_parse() makes) and the payload's magic, nothing more;
 * whatever is wrong is left for boot_image_parse() to report.
 */
void boot_image_prepare(const uint8_t *data, size_t size);

#endif
