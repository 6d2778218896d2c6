/* SPDX-License-Identifier: MIT */
/*
 * payload.h - the compressed kernel inside a bzImage (payload_offset,
 * payload_length): which compressor made it, and the ELF it holds.
 *
 * Decompression uses the system libraries with a hard bound on the output,
 * so a small file that inflates to gigabytes is an error, not an OOM.
 */
#ifndef PVKIT_BOOT_PAYLOAD_H
#define PVKIT_BOOT_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

struct boot_error;

enum payload_compression {
	PAYLOAD_UNKNOWN,
	PAYLOAD_NONE, /* a raw ELF */
	PAYLOAD_GZIP,
	PAYLOAD_BZIP2,
	PAYLOAD_LZMA,
	PAYLOAD_XZ,
	PAYLOAD_LZO, /* lzop container, as Linux's */
	PAYLOAD_LZ4, /* lz4 legacy frames (magic 0x184c2102), as Linux's */
	PAYLOAD_ZSTD,
};

/* No kernel pvkit boots is larger than this once decompressed. */
#define PAYLOAD_MAX_DEFAULT (512ull << 20)

/* Recognise the compressor by the payload's first bytes. */
enum payload_compression payload_detect(const uint8_t *data, size_t size);

/* "gzip", "lz4", ..., "none", "unknown". */
const char *payload_compression_name(enum payload_compression c);

/*
 * The size Linux's build appends to most compressed payloads (last 4 bytes,
 * little endian); 0 when there is none.  A hint for the first allocation,
 * never trusted.
 */
uint32_t payload_size_hint(enum payload_compression c, const uint8_t *data, size_t size);

/*
 * Decompress `size` bytes of `data` (format c) into a new malloc'd buffer
 * of at most max_out bytes: *out, *out_size.  PAYLOAD_NONE copies.  On
 * error, -1 with err filled ("payload decompresses to more than 512 MiB").
 */
int payload_decompress(enum payload_compression c, const uint8_t *data, size_t size,
		       uint64_t max_out, uint8_t **out, size_t *out_size, struct boot_error *err);

#endif
