// SPDX-License-Identifier: MIT
/*
 * Payload extraction: every format Linux builds, compressed here with the
 * system libraries, comes back byte for byte; bombs, truncation, corruption
 * and lying size trailers are errors with a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "boot/elf.h"
#include "boot/loader.h"
#include "boot/payload.h"
#include "tests/unit/test_boot_images.h"

static struct img sample_elf(void)
{
	static const uint32_t entry = 0x200040;
	struct elf_spec s = elf_spec_default();
	s.nnotes = 1;
	s.note[0] = (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4};
	return build_elf(&s);
}

/* Decompress as the loader does: the format comes from the magic, and must be c's. */
static int decompress(const struct compressor *c, const struct img *z, uint64_t max, uint8_t **out,
		      size_t *out_size, struct boot_error *err)
{
	assert_int_equal(payload_detect(z->data, z->size), c->format);
	return payload_decompress(c->format, z->data, z->size, max, out, out_size, err);
}

static void test_every_format_round_trips(void **state)
{
	(void)state;
	struct img elf = sample_elf();
	for (size_t i = 0; i < NCOMPRESSORS; i++) {
		const struct compressor *c = &compressors[i];
		struct img z = c->compress(elf.data, elf.size);
		assert_int_equal(payload_detect(z.data, z.size), c->format);
		assert_string_equal(payload_compression_name(c->format), c->name);
		uint8_t *out;
		size_t out_size;
		struct boot_error err = {0};
		int rc = decompress(c, &z, PAYLOAD_MAX_DEFAULT, &out, &out_size, &err);
		if (rc != 0)
			fail_msg("%s: %s", c->name, err.msg);
		assert_int_equal(out_size, elf.size);
		assert_memory_equal(out, elf.data, elf.size);
		struct elf_image parsed;
		assert_int_equal(elf_parse(out, out_size, &parsed, &err), 0);
		assert_true(parsed.has_pvh);
		free(out);
		img_free(&z);
	}
	img_free(&elf);
}

/* 9 MiB: more than one lz4 legacy block (8 MiB) and many lzop blocks (256 KiB). */
static void test_multi_block_formats(void **state)
{
	(void)state;
	size_t n = 9u << 20;
	uint8_t *data = malloc(n);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)((x >> 16) & 0x0f); /* compressible, not trivial */
	}
	const enum payload_compression formats[] = {PAYLOAD_LZ4, PAYLOAD_LZO, PAYLOAD_ZSTD,
						    PAYLOAD_GZIP};
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t i = 0; i < NCOMPRESSORS; i++) {
			const struct compressor *c = &compressors[i];
			if (c->format != formats[f])
				continue;
			struct img z = c->compress(data, n);
			uint8_t *out;
			size_t out_size;
			struct boot_error err = {0};
			if (decompress(c, &z, PAYLOAD_MAX_DEFAULT, &out, &out_size, &err) != 0)
				fail_msg("%s: %s", c->name, err.msg);
			assert_int_equal(out_size, n);
			assert_memory_equal(out, data, n);
			free(out);
			img_free(&z);
		}
	}
	free(data);
}

/* 4 MiB of (mostly) zeros against a 1 MiB bound, in every format; exactly 1 MiB is fine. */
static void test_bomb_every_format(void **state)
{
	(void)state;
	size_t big = 4u << 20, exact = 1u << 20;
	uint8_t *zeros = calloc(1, big);
	memcpy(zeros, ELFMAG, SELFMAG); /* so that the uncompressed case is recognised */
	for (size_t i = 0; i < NCOMPRESSORS; i++) {
		const struct compressor *c = &compressors[i];
		uint8_t *out = NULL;
		size_t out_size = 0;
		struct boot_error err = {0};

		struct img z = c->compress(zeros, big);
		int rc = decompress(c, &z, exact, &out, &out_size, &err);
		if (rc != -1)
			fail_msg("%s: a 4 MiB output passed a 1 MiB bound", c->name);
		assert_string_equal(err.msg, "payload decompresses to more than 1 MiB");
		assert_null(out);
		img_free(&z);

		z = c->compress(zeros, exact);
		if (decompress(c, &z, exact, &out, &out_size, &err) != 0)
			fail_msg("%s at exactly the bound: %s", c->name, err.msg);
		assert_int_equal(out_size, exact);
		free(out);
		img_free(&z);
	}
	free(zeros);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 GiB of zeros, compressed here by streaming, stopped at 64 MiB without a 1 GiB allocation. */
static void test_bomb_zstd_1gib(void **state)
{
	(void)state;
	const size_t chunk = 1u << 20;
	uint8_t *zeros = calloc(1, chunk);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
	struct img z = {0};
	uint8_t *buf = malloc(ZSTD_CStreamOutSize());
	for (int i = 0; i < 1024; i++) {
		ZSTD_inBuffer in = {zeros, chunk, 0};
		ZSTD_EndDirective mode = i == 1023 ? ZSTD_e_end : ZSTD_e_continue;
		size_t left;
		do {
			ZSTD_outBuffer out = {buf, ZSTD_CStreamOutSize(), 0};
			left = ZSTD_compressStream2(cctx, &out, &in, mode);
			assert_false(ZSTD_isError(left));
			img_append(&z, buf, out.pos);
		} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	}
	ZSTD_freeCCtx(cctx);
	free(buf);
	free(zeros);

	uint8_t *out = NULL;
	size_t out_size;
	struct boot_error err = {0};
	double t0 = now();
	assert_int_equal(
	    payload_decompress(PAYLOAD_ZSTD, z.data, z.size, 64u << 20, &out, &out_size, &err), -1);
	double t = now() - t0;
	assert_string_equal(err.msg, "payload decompresses to more than 64 MiB");
	print_message("# zstd bomb: 1 GiB of zeros in %zu bytes, refused in %.3f s\n", z.size, t);
	img_free(&z);
}

static void test_bomb_gzip_1gib(void **state)
{
	(void)state;
	const size_t chunk = 1u << 20;
	uint8_t *zeros = calloc(1, chunk);
	z_stream zs = {0};
	assert_int_equal(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	struct img z = {0};
	uint8_t buf[65536];
	for (int i = 0; i < 1024; i++) {
		zs.next_in = zeros;
		zs.avail_in = (uInt)chunk;
		int flush = i == 1023 ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof(buf);
			deflate(&zs, flush);
			img_append(&z, buf, sizeof(buf) - zs.avail_out);
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	free(zeros);

	uint8_t *out = NULL;
	size_t out_size;
	struct boot_error err = {0};
	assert_int_equal(
	    payload_decompress(PAYLOAD_GZIP, z.data, z.size, 16u << 20, &out, &out_size, &err), -1);
	assert_string_equal(err.msg, "payload decompresses to more than 16 MiB");
	img_free(&z);
}

static void test_truncated_every_format(void **state)
{
	(void)state;
	struct img elf = sample_elf();
	for (size_t i = 0; i < NCOMPRESSORS; i++) {
		const struct compressor *c = &compressors[i];
		if (c->format == PAYLOAD_NONE)
			continue; /* a raw ELF has no end marker; elf_parse catches it */
		struct img z = c->compress(elf.data, elf.size);
		z.size = z.size / 2;
		uint8_t *out = NULL;
		size_t out_size;
		struct boot_error err = {0};
		if (decompress(c, &z, PAYLOAD_MAX_DEFAULT, &out, &out_size, &err) != -1)
			fail_msg("%s: half a stream decompressed", c->name);
		char truncated[64], corrupt[64];
		snprintf(truncated, sizeof(truncated), "%s payload is truncated", c->name);
		snprintf(corrupt, sizeof(corrupt), "%s payload is corrupt (", c->name);
		if (strcmp(err.msg, truncated) != 0 &&
		    strncmp(err.msg, corrupt, strlen(corrupt)) != 0)
			fail_msg("%s: unexpected message: %s", c->name, err.msg);
		img_free(&z);
	}
	img_free(&elf);
}

static void test_corrupt_zstd(void **state)
{
	(void)state;
	struct img elf = sample_elf();
	struct img z = compress_zstd(elf.data, elf.size);
	memset(z.data + 6, 0xff, 8); /* the frame header: window and content size */
	uint8_t *out = NULL;
	size_t out_size;
	struct boot_error err = {0};
	assert_int_equal(payload_decompress(PAYLOAD_ZSTD, z.data, z.size, PAYLOAD_MAX_DEFAULT, &out,
					    &out_size, &err),
			 -1);
	assert_true(strncmp(err.msg, "zstd payload is corrupt (", 25) == 0);
	img_free(&z);
	img_free(&elf);
}

/* The size Linux appends is only a hint: a lie in either direction changes nothing. */
static void test_size_trailer_is_not_trusted(void **state)
{
	(void)state;
	struct img elf = sample_elf();
	const uint32_t lies[] = {0, 1, 0xffffffffu, 300u << 20};
	for (size_t l = 0; l < sizeof(lies) / sizeof(lies[0]); l++) {
		struct img z = compress_lz4(elf.data, elf.size);
		memcpy(z.data + z.size - 4, &lies[l], 4);
		assert_int_equal(payload_size_hint(PAYLOAD_LZ4, z.data, z.size), lies[l]);
		uint8_t *out;
		size_t out_size;
		struct boot_error err = {0};
		assert_int_equal(payload_decompress(PAYLOAD_LZ4, z.data, z.size, 1u << 20, &out,
						    &out_size, &err),
				 0);
		assert_int_equal(out_size, elf.size);
		assert_memory_equal(out, elf.data, elf.size);
		free(out);
		img_free(&z);
	}
	img_free(&elf);
}

static void test_unknown_format(void **state)
{
	(void)state;
	static const uint8_t junk[] = "ABCDEFGH";
	uint8_t *out = NULL;
	size_t out_size;
	struct boot_error err = {0};
	assert_int_equal(payload_detect(junk, 8), PAYLOAD_UNKNOWN);
	assert_int_equal(payload_decompress(PAYLOAD_UNKNOWN, junk, 8, PAYLOAD_MAX_DEFAULT, &out,
					    &out_size, &err),
			 -1);
	assert_string_equal(err.msg,
			    "payload compression not recognised (first bytes 41 42 43 44)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_format_round_trips),
	    cmocka_unit_test(test_multi_block_formats),
	    cmocka_unit_test(test_bomb_every_format),
	    cmocka_unit_test(test_bomb_zstd_1gib),
	    cmocka_unit_test(test_bomb_gzip_1gib),
	    cmocka_unit_test(test_truncated_every_format),
	    cmocka_unit_test(test_corrupt_zstd),
	    cmocka_unit_test(test_size_trailer_is_not_trusted),
	    cmocka_unit_test(test_unknown_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
