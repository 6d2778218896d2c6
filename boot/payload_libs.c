// SPDX-License-Identifier: MIT
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "payload_libs.h"

struct payload_libs payload_libs;

struct symbol {
	const char *name;
	size_t offset; /* of its pointer in struct payload_libs */
};

#define SYMBOL(lib, fn)                                                                            \
	{                                                                                          \
#fn, offsetof(struct payload_libs, lib.fn)                                         \
	}

static const struct symbol zlib_symbols[] = {
    SYMBOL(zlib, inflateInit2_),
    SYMBOL(zlib, inflate),
    SYMBOL(zlib, inflateEnd),
    SYMBOL(zlib, adler32),
};
static const struct symbol bzip2_symbols[] = {
    SYMBOL(bzip2, BZ2_bzDecompressInit),
    SYMBOL(bzip2, BZ2_bzDecompress),
    SYMBOL(bzip2, BZ2_bzDecompressEnd),
};
static const struct symbol lzma_symbols[] = {
    SYMBOL(lzma, lzma_stream_decoder),
    SYMBOL(lzma, lzma_alone_decoder),
    SYMBOL(lzma, lzma_code),
    SYMBOL(lzma, lzma_end),
};
static const struct symbol zstd_symbols[] = {
    SYMBOL(zstd, ZSTD_createDCtx), SYMBOL(zstd, ZSTD_decompressStream), SYMBOL(zstd, ZSTD_freeDCtx),
    SYMBOL(zstd, ZSTD_isError),	   SYMBOL(zstd, ZSTD_getErrorName),
};
static const struct symbol lz4_symbols[] = {
    SYMBOL(lz4, LZ4_decompress_safe),
};
static const struct symbol lzo_symbols[] = {
    SYMBOL(lzo, __lzo_init_v2),
    SYMBOL(lzo, lzo1x_decompress_safe),
};

/* One library: its soname (the one the -dev package links against) and
 * what came of loading it. */
struct library {
	const char *soname;
	const struct symbol *symbols;
	size_t nsymbols;
	enum { NOT_TRIED, LOADED, FAILED } state;
	char why[160]; /* FAILED: the message, kept for every later try */
};

#define LIBRARY(so, syms)                                                                          \
	{                                                                                          \
		so, syms, sizeof(syms) / sizeof(syms[0]), NOT_TRIED, ""                            \
	}

enum { ZLIB, BZIP2, LZMA, ZSTD, LZ4, LZO, NLIBRARIES };

static struct library libraries[NLIBRARIES] = {
    [ZLIB] = LIBRARY("libz.so.1", zlib_symbols),
    [BZIP2] = LIBRARY("libbz2.so.1.0", bzip2_symbols),
    [LZMA] = LIBRARY("liblzma.so.5", lzma_symbols),
    [ZSTD] = LIBRARY("libzstd.so.1", zstd_symbols),
    [LZ4] = LIBRARY("liblz4.so.1", lz4_symbols),
    [LZO] = LIBRARY("liblzo2.so.2", lzo_symbols),
};

static int load(struct library *lib, struct boot_error *err)
{
	if (lib->state == NOT_TRIED) {
		void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		lib->state = handle ? LOADED : FAILED;
		if (!handle)
			snprintf(lib->why, sizeof(lib->why), "cannot load %s: %s", lib->soname,
				 dlerror());
		for (size_t i = 0; handle && i < lib->nsymbols; i++) {
			void *fn = dlsym(handle, lib->symbols[i].name);
			if (!fn) {
				snprintf(lib->why, sizeof(lib->why), "%s has no %s", lib->soname,
					 lib->symbols[i].name);
				lib->state = FAILED;
				break;
			}
			memcpy((char *)&payload_libs + lib->symbols[i].offset, &fn, sizeof(fn));
		}
	}
	if (lib->state == FAILED)
		return boot_fail(err, "%s", lib->why);
	return 0;
}

/* The libraries of format c, as a bit set of enum library. */
static unsigned needed(enum payload_compression c)
{
	switch (c) {
	case PAYLOAD_GZIP:
		return 1u << ZLIB;
	case PAYLOAD_BZIP2:
		return 1u << BZIP2;
	case PAYLOAD_LZMA:
	case PAYLOAD_XZ:
		return 1u << LZMA;
	case PAYLOAD_ZSTD:
		return 1u << ZSTD;
	case PAYLOAD_LZ4:
		return 1u << LZ4;
	case PAYLOAD_LZO:
		return 1u << LZO | 1u << ZLIB; /* zlib's adler32 checks lzop blocks */
	case PAYLOAD_NONE:
	case PAYLOAD_UNKNOWN:
		break;
	}
	return 0;
}

int payload_libs_load(enum payload_compression c, struct boot_error *err)
{
	unsigned want = needed(c);
	for (int i = 0; i < NLIBRARIES; i++)
		if ((want & 1u << i) && load(&libraries[i], err) < 0)
			return -1;
	return 0;
}

bool payload_libs_loaded(enum payload_compression c)
{
	unsigned want = needed(c);
	for (int i = 0; i < NLIBRARIES; i++)
		if ((want & 1u << i) && libraries[i].state != LOADED)
			return false;
	return want != 0;
}
