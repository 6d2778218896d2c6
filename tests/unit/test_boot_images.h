/* SPDX-License-Identifier: MIT */
/*
 * test_boot_images.h - build kernel images in memory for the boot tests and
 * the fuzz seed corpus: ELF64 executables with chosen segments and notes,
 * bzImages around a payload, and that payload compressed by each format
 * Linux uses (through the same system libraries, in the formats Linux's
 * build writes: size appended, lz4 legacy frames, lzop container).
 *
 * Header-only (static functions) so each test program includes what it uses.
 */
#ifndef PVKIT_TEST_BOOT_IMAGES_H
#define PVKIT_TEST_BOOT_IMAGES_H

#include <bzlib.h>
#include <elf.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "abi/pvkit_abi.h"
#include "boot/bootparam.h"
#include "boot/payload.h"
#include "boot/pvh.h"

struct img {
	uint8_t *data;
	size_t size;
};

static inline void img_append(struct img *im, const void *p, size_t n)
{
	im->data = realloc(im->data, im->size + n);
	if (!im->data)
		abort();
	if (n)
		memcpy(im->data + im->size, p, n);
	im->size += n;
}

static inline void img_pad_to(struct img *im, size_t size)
{
	if (im->size >= size)
		return;
	size_t n = size - im->size;
	uint8_t *z = calloc(1, n);
	img_append(im, z, n);
	free(z);
}

static inline void img_free(struct img *im)
{
	free(im->data);
	im->data = NULL;
	im->size = 0;
}

/* ---- ELF ---------------------------------------------------------------- */

#define SPEC_MAX_SEGS  4
#define SPEC_MAX_NOTES 8

struct spec_note {
	const char *name;
	uint32_t type;
	const void *desc;
	uint32_t descsz;
};

struct elf_spec {
	uint64_t entry;
	int nseg;
	struct {
		uint64_t paddr, vaddr, filesz, memsz;
		uint32_t flags;
		uint8_t fill; /* byte the file data is filled with */
	} seg[SPEC_MAX_SEGS];
	int nnotes;
	struct spec_note note[SPEC_MAX_NOTES];
};

/* A two-segment kernel at 2 MiB (text) and 3 MiB (data + bss), like a small vmlinux. */
static inline struct elf_spec elf_spec_default(void)
{
	struct elf_spec s = {0};
	s.entry = 0xffffffff80200000ull; /* virtual, as Linux's */
	s.nseg = 2;
	s.seg[0].paddr = 0x200000;
	s.seg[0].vaddr = 0xffffffff80200000ull;
	s.seg[0].filesz = s.seg[0].memsz = 0x1000;
	s.seg[0].flags = PF_R | PF_X;
	s.seg[0].fill = 0xc3;
	s.seg[1].paddr = 0x300000;
	s.seg[1].vaddr = 0xffffffff80300000ull;
	s.seg[1].filesz = 0x800;
	s.seg[1].memsz = 0x2000; /* bss after the file data */
	s.seg[1].flags = PF_R | PF_W;
	s.seg[1].fill = 0xd5;
	return s;
}

static inline uint32_t pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

/*
 * Layout: Ehdr, Phdrs (one PT_NOTE first when there are notes, then the
 * PT_LOADs), the note data, then each segment's file data.
 */
static inline struct img build_elf(const struct elf_spec *s)
{
	struct img im = {0};
	int nph = s->nseg + (s->nnotes ? 1 : 0);
	size_t notes_off = sizeof(Elf64_Ehdr) + (size_t)nph * sizeof(Elf64_Phdr);

	struct img notes = {0};
	for (int i = 0; i < s->nnotes; i++) {
		const struct spec_note *n = &s->note[i];
		uint32_t namesz = (uint32_t)strlen(n->name) + 1;
		uint32_t hdr[3] = {namesz, n->descsz, n->type};
		img_append(&notes, hdr, sizeof(hdr));
		img_append(&notes, n->name, namesz);
		img_pad_to(&notes, notes.size + (pad4(namesz) - namesz));
		img_append(&notes, n->desc, n->descsz);
		img_pad_to(&notes, notes.size + (pad4(n->descsz) - n->descsz));
	}
	size_t data_off = notes_off + notes.size;

	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = s->entry;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)nph;
	img_append(&im, &eh, sizeof(eh));

	if (s->nnotes) {
		Elf64_Phdr ph = {.p_type = PT_NOTE,
				 .p_flags = PF_R,
				 .p_offset = notes_off,
				 .p_filesz = notes.size,
				 .p_memsz = notes.size,
				 .p_align = 4};
		img_append(&im, &ph, sizeof(ph));
	}
	size_t off = data_off;
	for (int i = 0; i < s->nseg; i++) {
		Elf64_Phdr ph = {.p_type = PT_LOAD,
				 .p_flags = s->seg[i].flags,
				 .p_offset = off,
				 .p_vaddr = s->seg[i].vaddr,
				 .p_paddr = s->seg[i].paddr,
				 .p_filesz = s->seg[i].filesz,
				 .p_memsz = s->seg[i].memsz,
				 .p_align = 0x1000};
		img_append(&im, &ph, sizeof(ph));
		off += s->seg[i].filesz;
	}
	img_append(&im, notes.data, notes.size);
	img_free(&notes);
	for (int i = 0; i < s->nseg; i++) {
		size_t start = im.size;
		img_pad_to(&im, start + s->seg[i].filesz);
		memset(im.data + start, s->seg[i].fill, s->seg[i].filesz);
	}
	return im;
}

/* Offset of program header i in an image built by build_elf(). */
static inline Elf64_Phdr *elf_phdr(struct img *im, int i)
{
	return (Elf64_Phdr *)(im->data + sizeof(Elf64_Ehdr) + (size_t)i * sizeof(Elf64_Phdr));
}

static inline Elf64_Ehdr *elf_ehdr(struct img *im)
{
	return (Elf64_Ehdr *)im->data;
}

/* ---- bzImage -------------------------------------------------------------- */

#define TEST_SETUP_SECTS 4
#define TEST_SETUP_SIZE	 ((TEST_SETUP_SECTS + 1) * 512)
#define TEST_DECOMP_SIZE 0x400 /* stand-in for the kernel's own decompressor */
#define TEST_KVER_OFFSET 0x300 /* kernel_version field: string at +0x200 */
#define TEST_KVER	 "6.1.0-test (pvkit@tests) #1 SMP"

static inline struct setup_header *bz_hdr(struct img *im)
{
	return (struct setup_header *)(im->data + SETUP_HEADER_OFFSET);
}

/* A bzImage whose protected-mode part is a fake decompressor, then the payload. */
static inline struct img build_bzimage(const uint8_t *payload, size_t payload_len)
{
	struct img im = {0};
	img_pad_to(&im, TEST_SETUP_SIZE);
	struct setup_header *h = bz_hdr(&im);
	h->setup_sects = TEST_SETUP_SECTS;
	h->boot_flag = SETUP_BOOT_FLAG;
	h->jump = 0x6aeb; /* jmp short 0x26c: the header is 0x26c - 0x202 bytes */
	h->header = SETUP_HDRS_MAGIC;
	h->version = 0x020f;
	h->kernel_version = TEST_KVER_OFFSET;
	h->loadflags = LOADED_HIGH;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 2047;
	h->payload_offset = TEST_DECOMP_SIZE;
	h->payload_length = (uint32_t)payload_len;
	h->pref_address = 0x1000000;
	memcpy(im.data + 0x200 + TEST_KVER_OFFSET, TEST_KVER, sizeof(TEST_KVER));

	size_t pm_start = im.size;
	img_pad_to(&im, pm_start + TEST_DECOMP_SIZE);
	memset(im.data + pm_start, 0x90, TEST_DECOMP_SIZE);
	img_append(&im, payload, payload_len);
	img_pad_to(&im, (im.size + 15) & ~(size_t)15);
	h = bz_hdr(&im);
	h->syssize = (uint32_t)((im.size - pm_start) / 16);
	h->init_size = (uint32_t)(im.size - pm_start) + 0x100000;
	return im;
}

/* ---- compressors, in Linux's formats ---------------------------------------- */

static inline void append_le32(struct img *im, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	img_append(im, b, 4);
}

static inline void append_be32(struct img *im, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	img_append(im, b, 4);
}

static inline struct img compress_gzip(const uint8_t *in, size_t n)
{
	struct img out = {0};
	z_stream zs = {0};
	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	uLong bound = deflateBound(&zs, (uLong)n);
	out.data = malloc(bound);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out.data;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	out.size = zs.total_out;
	deflateEnd(&zs);
	return out; /* gzip's trailer already ends with the size */
}

static inline struct img compress_bzip2(const uint8_t *in, size_t n)
{
	struct img out = {0};
	unsigned len = (unsigned)(n + n / 100 + 600);
	out.data = malloc(len);
	if (BZ2_bzBuffToBuffCompress((char *)out.data, &len, (char *)in, (unsigned)n, 9, 0, 0) !=
	    BZ_OK)
		abort();
	out.size = len;
	append_le32(&out, (uint32_t)n);
	return out;
}

static inline struct img compress_lzma_fmt(const uint8_t *in, size_t n, int xz)
{
	struct img out = {0};
	lzma_stream ls = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	lzma_lzma_preset(&opt, 6);
	if (xz) {
		if (lzma_easy_encoder(&ls, 6, LZMA_CHECK_CRC32) != LZMA_OK)
			abort();
	} else if (lzma_alone_encoder(&ls, &opt) != LZMA_OK) {
		abort();
	}
	size_t cap = n + n / 2 + 4096;
	out.data = malloc(cap);
	ls.next_in = in;
	ls.avail_in = n;
	ls.next_out = out.data;
	ls.avail_out = cap;
	if (lzma_code(&ls, LZMA_FINISH) != LZMA_STREAM_END)
		abort();
	out.size = cap - ls.avail_out;
	lzma_end(&ls);
	append_le32(&out, (uint32_t)n);
	return out;
}

static inline struct img compress_lzma(const uint8_t *in, size_t n)
{
	return compress_lzma_fmt(in, n, 0);
}

static inline struct img compress_xz(const uint8_t *in, size_t n)
{
	return compress_lzma_fmt(in, n, 1);
}

/* lzop container (version 0x1030, LZO1X-1, Adler-32 of each block), as `lzop -9` writes it. */
static inline struct img compress_lzo(const uint8_t *in, size_t n)
{
	static const uint8_t magic[9] = {0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a};
	struct img out = {0};
	if (lzo_init() != LZO_E_OK)
		abort();
	img_append(&out, magic, sizeof(magic));
	size_t hstart = out.size;
	/* version 1.030, library 2.080, needs 0.940, method LZO1X-1, level 5 */
	uint8_t v[8] = {0x10, 0x30, 0x20, 0x80, 0x09, 0x40, 1, 5};
	img_append(&out, v, sizeof(v));
	append_be32(&out, 0x1u /* F_ADLER32_D */);
	append_be32(&out, 0x81a4); /* mode */
	append_be32(&out, 0);	   /* mtime, low and high */
	append_be32(&out, 0);
	uint8_t namelen = 0;
	img_append(&out, &namelen, 1);
	append_be32(&out, (uint32_t)adler32(1, out.data + hstart, (uInt)(out.size - hstart)));
	void *wrk = malloc(LZO1X_1_MEM_COMPRESS);
	const size_t block = 256 * 1024;
	uint8_t *buf = malloc(block + block / 16 + 64 + 3);
	for (size_t pos = 0; pos < n; pos += block) {
		size_t len = n - pos < block ? n - pos : block;
		lzo_uint clen = 0;
		lzo1x_1_compress(in + pos, len, buf, &clen, wrk);
		append_be32(&out, (uint32_t)len);
		int stored = clen >= len;
		append_be32(&out, (uint32_t)(stored ? len : clen));
		append_be32(&out, (uint32_t)adler32(1, in + pos, (uInt)len));
		img_append(&out, stored ? in + pos : buf, stored ? len : clen);
	}
	append_be32(&out, 0);
	free(buf);
	free(wrk);
	append_le32(&out, (uint32_t)n);
	return out;
}

static inline struct img compress_lz4(const uint8_t *in, size_t n)
{
	struct img out = {0};
	append_le32(&out, 0x184c2102u);
	const size_t block = 8u << 20;
	int cap = LZ4_compressBound((int)block);
	char *buf = malloc((size_t)cap);
	for (size_t pos = 0; pos < n; pos += block) {
		size_t len = n - pos < block ? n - pos : block;
		int clen = LZ4_compress_default((const char *)in + pos, buf, (int)len, cap);
		append_le32(&out, (uint32_t)clen);
		img_append(&out, buf, (size_t)clen);
	}
	free(buf);
	append_le32(&out, (uint32_t)n);
	return out;
}

static inline struct img compress_zstd(const uint8_t *in, size_t n)
{
	struct img out = {0};
	size_t cap = ZSTD_compressBound(n);
	out.data = malloc(cap);
	size_t len = ZSTD_compress(out.data, cap, in, n, 3);
	if (ZSTD_isError(len))
		abort();
	out.size = len;
	append_le32(&out, (uint32_t)n);
	return out;
}

static inline struct img compress_none(const uint8_t *in, size_t n)
{
	struct img out = {0};
	img_append(&out, in, n);
	return out;
}

struct compressor {
	enum payload_compression format;
	const char *name;
	struct img (*compress)(const uint8_t *in, size_t n);
};

static const struct compressor compressors[] __attribute__((unused)) = {
    {PAYLOAD_NONE, "none", compress_none},    {PAYLOAD_GZIP, "gzip", compress_gzip},
    {PAYLOAD_BZIP2, "bzip2", compress_bzip2}, {PAYLOAD_LZMA, "lzma", compress_lzma},
    {PAYLOAD_XZ, "xz", compress_xz},	      {PAYLOAD_LZO, "lzo", compress_lzo},
    {PAYLOAD_LZ4, "lz4", compress_lz4},	      {PAYLOAD_ZSTD, "zstd", compress_zstd},
};
#define NCOMPRESSORS (sizeof(compressors) / sizeof(compressors[0]))

#endif
