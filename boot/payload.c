// SPDX-License-Identifier: MIT
/*
 * Payload decompression.  Every decoder writes into one growing buffer
 * whose capacity never passes max_out + 1 (+ one lz4/lzo block): producing
 * byte max_out + 1 is how a decompression bomb is caught, without ever
 * allocating what the bomb asks for.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "payload.h"
#include "payload_libs.h"

/*
 * The decoders below are written against the libraries' own API; each call
 * goes through the function loaded on demand (boot/payload_libs.h), which
 * payload_decompress() loads before it starts.  (inflateInit2() and
 * lzo_init() are macros of the headers that end in the functions below.)
 */
#define inflateInit2_	      payload_libs.zlib.inflateInit2_
#define inflate		      payload_libs.zlib.inflate
#define inflateEnd	      payload_libs.zlib.inflateEnd
#define adler32		      payload_libs.zlib.adler32
#define BZ2_bzDecompressInit  payload_libs.bzip2.BZ2_bzDecompressInit
#define BZ2_bzDecompress      payload_libs.bzip2.BZ2_bzDecompress
#define BZ2_bzDecompressEnd   payload_libs.bzip2.BZ2_bzDecompressEnd
#define lzma_stream_decoder   payload_libs.lzma.lzma_stream_decoder
#define lzma_alone_decoder    payload_libs.lzma.lzma_alone_decoder
#define lzma_code	      payload_libs.lzma.lzma_code
#define lzma_end	      payload_libs.lzma.lzma_end
#define ZSTD_createDCtx	      payload_libs.zstd.ZSTD_createDCtx
#define ZSTD_decompressStream payload_libs.zstd.ZSTD_decompressStream
#define ZSTD_freeDCtx	      payload_libs.zstd.ZSTD_freeDCtx
#define ZSTD_isError	      payload_libs.zstd.ZSTD_isError
#define ZSTD_getErrorName     payload_libs.zstd.ZSTD_getErrorName
#define LZ4_decompress_safe   payload_libs.lz4.LZ4_decompress_safe
#define __lzo_init_v2	      payload_libs.lzo.__lzo_init_v2
#define lzo1x_decompress_safe payload_libs.lzo.lzo1x_decompress_safe

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20) /* every legacy block decompresses to at most this */
#define LZO_MAX_BLOCK	 (8u << 20) /* lzop writes 256 KiB blocks; allow more, bounded */
#define LZMA_MEMLIMIT	 (256ull << 20)
#define FIRST_ALLOC	 (1u << 20)

static const uint8_t lzop_magic[9] = {0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a};

enum payload_compression payload_detect(const uint8_t *d, size_t n)
{
	if (n >= 4 && memcmp(d,
			     "\x7f"
			     "ELF",
			     4) == 0)
		return PAYLOAD_NONE;
	if (n >= 2 && d[0] == 0x1f && (d[1] == 0x8b || d[1] == 0x9e))
		return PAYLOAD_GZIP;
	if (n >= 3 && memcmp(d, "BZh", 3) == 0)
		return PAYLOAD_BZIP2;
	if (n >= 6 && memcmp(d,
			     "\xfd"
			     "7zXZ\0",
			     6) == 0)
		return PAYLOAD_XZ;
	/* .lzma ("alone"): properties byte 0x5d (lc=3 lp=0 pb=2), then the dictionary size. */
	if (n >= 3 && d[0] == 0x5d && d[1] == 0x00 && d[2] == 0x00)
		return PAYLOAD_LZMA;
	if (n >= sizeof(lzop_magic) && memcmp(d, lzop_magic, sizeof(lzop_magic)) == 0)
		return PAYLOAD_LZO;
	if (n >= 4 && memcmp(d, "\x02\x21\x4c\x18", 4) == 0)
		return PAYLOAD_LZ4;
	if (n >= 4 && memcmp(d, "\x28\xb5\x2f\xfd", 4) == 0)
		return PAYLOAD_ZSTD;
	return PAYLOAD_UNKNOWN;
}

const char *payload_compression_name(enum payload_compression c)
{
	switch (c) {
	case PAYLOAD_NONE:
		return "none";
	case PAYLOAD_GZIP:
		return "gzip";
	case PAYLOAD_BZIP2:
		return "bzip2";
	case PAYLOAD_LZMA:
		return "lzma";
	case PAYLOAD_XZ:
		return "xz";
	case PAYLOAD_LZO:
		return "lzo";
	case PAYLOAD_LZ4:
		return "lz4";
	case PAYLOAD_ZSTD:
		return "zstd";
	case PAYLOAD_UNKNOWN:
		break;
	}
	return "unknown";
}

uint32_t payload_size_hint(enum payload_compression c, const uint8_t *d, size_t n)
{
	/* gzip's own trailer ends with ISIZE; Linux appends the size for the others. */
	if (c == PAYLOAD_NONE || c == PAYLOAD_UNKNOWN || n < 8)
		return 0;
	const uint8_t *p = d + n - 4;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct outbuf {
	uint8_t *buf;
	size_t len, cap;
	uint64_t max;	    /* the caller's bound */
	const char *format; /* for messages */
	struct boot_error *err;
};

static int bomb(struct outbuf *ob)
{
	char s[BOOT_SIZE_STR_LEN];
	return boot_fail(ob->err, "payload decompresses to more than %s",
			 boot_format_size(s, sizeof(s), ob->max));
}

/* Make room for at least `want` more bytes (want <= 8 MiB), never beyond max + 1 + want. */
static int reserve(struct outbuf *ob, size_t want)
{
	if (ob->len > ob->max)
		return bomb(ob);
	if (ob->cap - ob->len >= want)
		return 0;
	size_t limit = (size_t)ob->max + 1;
	size_t cap = ob->cap ? ob->cap * 2 : FIRST_ALLOC;
	if (cap > limit)
		cap = limit;
	if (cap < ob->len + want)
		cap = ob->len + want;
	uint8_t *nb = realloc(ob->buf, cap);
	if (!nb)
		return boot_fail(ob->err, "out of memory decompressing the %s payload (%zu bytes)",
				 ob->format, cap);
	ob->buf = nb;
	ob->cap = cap;
	return 0;
}

/* Room for the streaming decoders: at least one byte, as much as the buffer has. */
static int reserve_some(struct outbuf *ob)
{
	return reserve(ob, 1);
}

static int corrupt(struct outbuf *ob, const char *why)
{
	return boot_fail(ob->err, "%s payload is corrupt (%s)", ob->format, why);
}

static int truncated(struct outbuf *ob)
{
	return boot_fail(ob->err, "%s payload is truncated", ob->format);
}

static int inflate_gzip(struct outbuf *ob, const uint8_t *in, size_t n)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return boot_fail(ob->err, "zlib initialisation failed");
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	int rc = -1;
	for (;;) {
		if (reserve_some(ob) < 0)
			break;
		size_t room = ob->cap - ob->len;
		if (room > UINT_MAX)
			room = UINT_MAX;
		zs.next_out = ob->buf + ob->len;
		zs.avail_out = (uInt)room;
		int ret = inflate(&zs, Z_NO_FLUSH);
		ob->len += room - zs.avail_out;
		if (ret == Z_STREAM_END) {
			rc = ob->len > ob->max ? bomb(ob) : 0;
			break;
		}
		if (ret == Z_BUF_ERROR && zs.avail_out != 0) {
			truncated(ob);
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			corrupt(ob, zs.msg ? zs.msg : "inflate failed");
			break;
		}
		if (ret == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			truncated(ob);
			break;
		}
	}
	inflateEnd(&zs);
	return rc;
}

static int decompress_bzip2(struct outbuf *ob, const uint8_t *in, size_t n)
{
	bz_stream bs;
	memset(&bs, 0, sizeof(bs));
	if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK)
		return boot_fail(ob->err, "bzip2 initialisation failed");
	bs.next_in = (char *)in;
	bs.avail_in = (unsigned)n;
	int rc = -1;
	for (;;) {
		if (reserve_some(ob) < 0)
			break;
		size_t room = ob->cap - ob->len;
		if (room > UINT_MAX)
			room = UINT_MAX;
		bs.next_out = (char *)ob->buf + ob->len;
		bs.avail_out = (unsigned)room;
		int ret = BZ2_bzDecompress(&bs);
		ob->len += room - bs.avail_out;
		if (ret == BZ_STREAM_END) {
			rc = ob->len > ob->max ? bomb(ob) : 0;
			break;
		}
		if (ret != BZ_OK) {
			corrupt(ob, "bzip2 data error");
			break;
		}
		if (bs.avail_in == 0 && bs.avail_out != 0) {
			truncated(ob);
			break;
		}
	}
	BZ2_bzDecompressEnd(&bs);
	return rc;
}

static int decompress_lzma(struct outbuf *ob, const uint8_t *in, size_t n, bool xz)
{
	lzma_stream ls = LZMA_STREAM_INIT;
	lzma_ret ret = xz ? lzma_stream_decoder(&ls, LZMA_MEMLIMIT, 0)
			  : lzma_alone_decoder(&ls, LZMA_MEMLIMIT);
	if (ret != LZMA_OK)
		return boot_fail(ob->err, "liblzma initialisation failed (%d)", (int)ret);
	ls.next_in = in;
	ls.avail_in = n;
	int rc = -1;
	for (;;) {
		if (reserve_some(ob) < 0)
			break;
		size_t room = ob->cap - ob->len;
		ls.next_out = ob->buf + ob->len;
		ls.avail_out = room;
		ret = lzma_code(&ls, ls.avail_in ? LZMA_RUN : LZMA_FINISH);
		ob->len += room - ls.avail_out;
		if (ret == LZMA_STREAM_END) {
			rc = ob->len > ob->max ? bomb(ob) : 0;
			break;
		}
		if (ret == LZMA_MEMLIMIT_ERROR) {
			char s[BOOT_SIZE_STR_LEN];
			boot_fail(ob->err, "%s payload needs more than %s of memory to decompress",
				  ob->format, boot_format_size(s, sizeof(s), LZMA_MEMLIMIT));
			break;
		}
		if (ret == LZMA_BUF_ERROR) {
			truncated(ob);
			break;
		}
		if (ret != LZMA_OK) {
			corrupt(ob, ret == LZMA_DATA_ERROR	? "data error"
				    : ret == LZMA_FORMAT_ERROR	? "format error"
				    : ret == LZMA_OPTIONS_ERROR ? "unsupported options"
								: "liblzma error");
			break;
		}
	}
	lzma_end(&ls);
	return rc;
}

static int decompress_zstd(struct outbuf *ob, const uint8_t *in, size_t n)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (!dctx)
		return boot_fail(ob->err, "zstd initialisation failed");
	ZSTD_inBuffer zin = {in, n, 0};
	int rc = -1;
	for (;;) {
		if (reserve_some(ob) < 0)
			break;
		ZSTD_outBuffer zout = {ob->buf + ob->len, ob->cap - ob->len, 0};
		size_t ret = ZSTD_decompressStream(dctx, &zout, &zin);
		ob->len += zout.pos;
		if (ZSTD_isError(ret)) {
			corrupt(ob, ZSTD_getErrorName(ret));
			break;
		}
		if (ret == 0) {
			rc = ob->len > ob->max ? bomb(ob) : 0;
			break;
		}
		if (zin.pos == zin.size && zout.pos < zout.size) {
			truncated(ob);
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	return rc;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * LZ4 legacy format (what `lz4 -l` and Linux write): the magic, then blocks
 * of [le32 compressed size][data], each at most 8 MiB decompressed, until
 * the input ends.  Linux appends the decompressed size (4 bytes), so at most
 * 4 bytes left over mean the end.
 */
static int decompress_lz4(struct outbuf *ob, const uint8_t *in, size_t n)
{
	size_t pos = 4;
	if (n < pos)
		return truncated(ob);
	while (n - pos > 4) {
		uint32_t bsize = le32(in + pos);
		pos += 4;
		if (bsize == LZ4_LEGACY_MAGIC)
			continue; /* concatenated streams */
		if (bsize > (uint32_t)LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK))
			return corrupt(ob, "block larger than any legacy block");
		if (bsize > n - pos)
			return truncated(ob);
		if (reserve(ob, LZ4_LEGACY_BLOCK) < 0)
			return -1;
		int got = LZ4_decompress_safe((const char *)in + pos, (char *)ob->buf + ob->len,
					      (int)bsize, LZ4_LEGACY_BLOCK);
		if (got < 0)
			return corrupt(ob, "bad block");
		ob->len += (size_t)got;
		pos += bsize;
	}
	return ob->len > ob->max ? bomb(ob) : 0;
}

/* lzop header flags (lzop's conf.h) */
#define LZOP_ADLER32_D	 0x00000001u
#define LZOP_ADLER32_C	 0x00000002u
#define LZOP_EXTRA_FIELD 0x00000040u
#define LZOP_CRC32_D	 0x00000100u
#define LZOP_CRC32_C	 0x00000200u
#define LZOP_MULTIPART	 0x00000400u
#define LZOP_FILTER	 0x00000800u

/* A cursor over the input that fails instead of reading past the end. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	if (c->left < n)
		return NULL;
	const uint8_t *p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static int lzop_header(struct outbuf *ob, struct cursor *c, uint32_t *flags)
{
	const uint8_t *p;
	if (!take(c, sizeof(lzop_magic)) || !(p = take(c, 4)))
		return truncated(ob);
	uint16_t version = (uint16_t)(p[0] << 8 | p[1]); /* then the library version */
	if (version >= 0x0940 && !take(c, 2))		 /* version needed to extract */
		return truncated(ob);
	if (!(p = take(c, 1)))
		return truncated(ob);
	if (p[0] < 1 || p[0] > 3)
		return corrupt(ob, "not an LZO1X method");
	if (version >= 0x0940 && !take(c, 1)) /* level */
		return truncated(ob);
	if (!(p = take(c, 4)))
		return truncated(ob);
	*flags = be32(p);
	if (*flags & LZOP_MULTIPART)
		return corrupt(ob, "multipart archives are not supported");
	if ((*flags & LZOP_FILTER) && !take(c, 4))
		return truncated(ob);
	if (!take(c, 8) || (version >= 0x0940 && !take(c, 4))) /* mode, mtime */
		return truncated(ob);
	if (!(p = take(c, 1)) || !take(c, p[0]) || !take(c, 4)) /* name, header checksum */
		return truncated(ob);
	if (*flags & LZOP_EXTRA_FIELD) {
		if (!(p = take(c, 4)) || !take(c, be32(p)) || !take(c, 4))
			return truncated(ob);
	}
	return 0;
}

/* lzop: a header, then blocks of [be32 dst_len][be32 src_len][checksums][data], 0 ends. */
static int decompress_lzo(struct outbuf *ob, const uint8_t *in, size_t n)
{
	if (lzo_init() != LZO_E_OK)
		return boot_fail(ob->err, "liblzo2 initialisation failed");
	struct cursor c = {in, n};
	uint32_t flags = 0;
	if (lzop_header(ob, &c, &flags) < 0)
		return -1;
	for (;;) {
		const uint8_t *p = take(&c, 4);
		if (!p)
			return truncated(ob);
		uint32_t dst_len = be32(p);
		if (dst_len == 0)
			break;
		if (dst_len > LZO_MAX_BLOCK)
			return corrupt(ob, "block larger than 8 MiB");
		if (!(p = take(&c, 4)))
			return truncated(ob);
		uint32_t src_len = be32(p);
		if (src_len == 0 || src_len > dst_len)
			return corrupt(ob, "bad block sizes");
		const uint8_t *adler = NULL;
		if (flags & LZOP_ADLER32_D) {
			if (!(adler = take(&c, 4)))
				return truncated(ob);
		}
		size_t skip = (flags & LZOP_CRC32_D) ? 4 : 0;
		if (src_len < dst_len) /* checksums of compressed data exist only then */
			skip +=
			    ((flags & LZOP_ADLER32_C) ? 4 : 0) + ((flags & LZOP_CRC32_C) ? 4 : 0);
		const uint8_t *src;
		if (!take(&c, skip) || !(src = take(&c, src_len)))
			return truncated(ob);
		if (reserve(ob, dst_len) < 0)
			return -1;
		uint8_t *dst = ob->buf + ob->len;
		if (src_len == dst_len) {
			memcpy(dst, src, dst_len); /* stored: did not compress */
		} else {
			lzo_uint got = dst_len;
			int ret = lzo1x_decompress_safe(src, src_len, dst, &got, NULL);
			if (ret != LZO_E_OK || got != dst_len)
				return corrupt(ob, "bad block");
		}
		if (adler && adler32(1, dst, dst_len) != be32(adler))
			return corrupt(ob, "block checksum mismatch");
		ob->len += dst_len;
		if (ob->len > ob->max)
			return bomb(ob);
	}
	return 0;
}

int payload_decompress(enum payload_compression c, const uint8_t *data, size_t size,
		       uint64_t max_out, uint8_t **out, size_t *out_size, struct boot_error *err)
{
	char a[BOOT_SIZE_STR_LEN];
	struct outbuf ob = {.max = max_out, .format = payload_compression_name(c), .err = err};

	*out = NULL;
	*out_size = 0;
	if (payload_libs_load(c, err) < 0)
		return -1;
	if (size > UINT32_MAX)
		return boot_fail(err, "payload is larger than 4 GiB (%s)",
				 boot_format_size(a, sizeof(a), size));
	/* Start at the size the build recorded, when it is believable. */
	uint32_t hint = payload_size_hint(c, data, size);
	if (hint > FIRST_ALLOC && hint <= max_out) {
		ob.buf = malloc((size_t)hint + 1);
		if (ob.buf)
			ob.cap = (size_t)hint + 1;
	}

	int rc;
	switch (c) {
	case PAYLOAD_NONE:
		/* Reserve at least a byte: an empty payload still yields a buffer, never NULL. */
		rc = size > max_out ? bomb(&ob) : reserve(&ob, size ? size : 1);
		if (rc == 0) {
			memcpy(ob.buf, data, size);
			ob.len = size;
		}
		break;
	case PAYLOAD_GZIP:
		rc = inflate_gzip(&ob, data, size);
		break;
	case PAYLOAD_BZIP2:
		rc = decompress_bzip2(&ob, data, size);
		break;
	case PAYLOAD_LZMA:
		rc = decompress_lzma(&ob, data, size, false);
		break;
	case PAYLOAD_XZ:
		rc = decompress_lzma(&ob, data, size, true);
		break;
	case PAYLOAD_LZO:
		rc = decompress_lzo(&ob, data, size);
		break;
	case PAYLOAD_LZ4:
		rc = decompress_lz4(&ob, data, size);
		break;
	case PAYLOAD_ZSTD:
		rc = decompress_zstd(&ob, data, size);
		break;
	default:
		rc = boot_fail(
		    err, "payload compression not recognised (first bytes %02x %02x %02x %02x)",
		    size > 0 ? data[0] : 0, size > 1 ? data[1] : 0, size > 2 ? data[2] : 0,
		    size > 3 ? data[3] : 0);
		break;
	}
	if (rc < 0) {
		free(ob.buf);
		return -1;
	}
	*out = ob.buf;
	*out_size = ob.len;
	return 0;
}
