/* SPDX-License-Identifier: MIT */
/*
 * payload_libs.h - the decompression libraries, loaded when a payload needs
 * one (dlopen), not linked into pvkit.
 *
 * Most kernels pvkit starts have no compressed payload to open (an ELF, the
 * bundled pvkernel): linking zlib, bzip2, liblzma, libzstd, liblz4 and
 * liblzo2 made every start map, relocate and initialise six libraries that
 * it did not use (docs/performance.md).  A library is loaded the first time
 * a payload of its format is decompressed, once per process.
 *
 * Loading maps code, which the loading seccomp filter forbids: `pvkit run`
 * loads what the image will need before it installs that filter
 * (boot_image_prepare(), boot/image.h).  A library that could not be loaded
 * is not tried again, so a run under the filter gets the same error
 * message instead of a forbidden mmap.
 */
#ifndef PVKIT_BOOT_PAYLOAD_LIBS_H
#define PVKIT_BOOT_PAYLOAD_LIBS_H

#include <bzlib.h>
#include <stdbool.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include "payload.h"

struct boot_error;

/* The functions boot/payload.c calls, by library; valid once loaded. */
struct payload_libs {
	struct {
		__typeof__(inflateInit2_) *inflateInit2_;
		__typeof__(inflate) *inflate;
		__typeof__(inflateEnd) *inflateEnd;
		__typeof__(adler32) *adler32;
	} zlib;
	struct {
		__typeof__(BZ2_bzDecompressInit) *BZ2_bzDecompressInit;
		__typeof__(BZ2_bzDecompress) *BZ2_bzDecompress;
		__typeof__(BZ2_bzDecompressEnd) *BZ2_bzDecompressEnd;
	} bzip2;
	struct {
		__typeof__(lzma_stream_decoder) *lzma_stream_decoder;
		__typeof__(lzma_alone_decoder) *lzma_alone_decoder;
		__typeof__(lzma_code) *lzma_code;
		__typeof__(lzma_end) *lzma_end;
	} lzma;
	struct {
		__typeof__(ZSTD_createDCtx) *ZSTD_createDCtx;
		__typeof__(ZSTD_decompressStream) *ZSTD_decompressStream;
		__typeof__(ZSTD_freeDCtx) *ZSTD_freeDCtx;
		__typeof__(ZSTD_isError) *ZSTD_isError;
		__typeof__(ZSTD_getErrorName) *ZSTD_getErrorName;
	} zstd;
	struct {
		__typeof__(LZ4_decompress_safe) *LZ4_decompress_safe;
	} lz4;
	struct {
		__typeof__(__lzo_init_v2) *__lzo_init_v2;
		__typeof__(lzo1x_decompress_safe) *lzo1x_decompress_safe;
	} lzo;
};

extern struct payload_libs payload_libs;

/*
 * Load the libraries format c needs (lzo also needs zlib's adler32); 0 when
 * they are loaded (or c needs none), -1 with err filled ("cannot load
 * liblzma.so.5: ...") when not, now or on an earlier try.
 */
int payload_libs_load(enum payload_compression c, struct boot_error *err);

/* Whether the library of format c is loaded (tests). */
bool payload_libs_loaded(enum payload_compression c);

#endif
