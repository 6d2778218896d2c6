// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_format.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/*
 * CRC-32 as zlib and gzip compute it (reflected polynomial 0xedb88320),
 * continued from `crc` (0 to start).  Bit by bit: a state file is tens of
 * KiB, and pvkit does not link zlib (boot/payload_libs.c loads it only for
 * a payload that needs it).
 */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

uint32_t snapshot_file_crc(const uint8_t *buf, size_t len)
{
	/* The crc field counts as 0: CRC of the bytes before it, four zeros,
	 * and the rest. */
	if (len < sizeof(struct snapshot_header))
		return 0;
	const size_t at = offsetof(struct snapshot_header, crc32);
	static const uint8_t zero[4];
	uint32_t crc = crc32_update(0, buf, at);
	crc = crc32_update(crc, zero, sizeof(zero));
	return crc32_update(crc, buf + at + 4, len - at - 4);
}

static int fail(char *why, size_t size, const char *fmt, unsigned long long a, unsigned long long b)
{
	snprintf(why, size, fmt, a, b);
	return -1;
}

int snapshot_parse(const uint8_t *buf, size_t len, struct snapshot_view *out, char *why,
		   size_t why_size)
{
	memset(out, 0, sizeof(*out));
	struct snapshot_header *h = &out->header;
	if (len < sizeof(SNAPSHOT_MAGIC) || memcmp(buf, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC)))
		return fail(why, why_size, "not a pvkit snapshot state file (no PVKSNAP magic)", 0,
			    0);
	if (len < sizeof(*h))
		return fail(why, why_size, "truncated: %llu bytes, less than the %llu-byte header",
			    len, sizeof(*h));
	memcpy(h, buf, sizeof(*h));
	if (h->version != SNAPSHOT_VERSION)
		return fail(why, why_size,
			    "snapshot format version %llu, this pvkit reads version %llu",
			    h->version, SNAPSHOT_VERSION);
	if (h->header_size != sizeof(*h))
		return fail(why, why_size, "header of %llu bytes, version 1 has %llu",
			    h->header_size, sizeof(*h));
	if (h->file_size > len)
		return fail(why, why_size, "truncated: %llu of %llu bytes", len, h->file_size);
	if (h->file_size < len)
		return fail(why, why_size, "%llu bytes, the header says %llu", len, h->file_size);
	if (snapshot_file_crc(buf, len) != h->crc32)
		return fail(why, why_size, "checksum mismatch (corrupt)", 0, 0);
	if (h->nsections > SNAPSHOT_MAX_SECTIONS)
		return fail(why, why_size, "%llu parts, at most %llu", h->nsections,
			    SNAPSHOT_MAX_SECTIONS);
	size_t at = sizeof(*h);
	for (uint32_t i = 0; i < h->nsections; i++) {
		struct snapshot_section s;
		if (len - at < sizeof(s))
			return fail(why, why_size, "part %llu starts past the end", i, 0);
		memcpy(&s, buf + at, sizeof(s));
		at += sizeof(s);
		if (s.length > len - at || ALIGN8(s.length) > len - at)
			return fail(why, why_size, "part %llu: %llu bytes past the end", i,
				    s.length);
		struct snapshot_part_view *p = &out->part[i];
		memcpy(p->name, s.name, SNAPSHOT_NAME_LEN);
		p->name[SNAPSHOT_NAME_LEN] = 0;
		if (!p->name[0])
			return fail(why, why_size, "part %llu has no name", i, 0);
		for (const char *c = p->name; *c; c++)
			if (*c < '0' || (*c > '9' && *c < 'a') || *c > 'z')
				if (*c != '_')
					return fail(why, why_size, "part %llu: bad name", i, 0);
		if (snapshot_find_part(out, p->name))
			return fail(why, why_size, "part %llu: a name seen before", i, 0);
		p->version = s.version;
		p->data = buf + at;
		p->length = (size_t)s.length;
		out->nparts = (int)i + 1;
		at += ALIGN8((size_t)s.length);
	}
	if (at != len)
		return fail(why, why_size, "%llu bytes after the last part", len - at, 0);
	return 0;
}

const struct snapshot_part_view *snapshot_find_part(const struct snapshot_view *v, const char *name)
{
	for (int i = 0; i < v->nparts; i++)
		if (strcmp(v->part[i].name, name) == 0)
			return &v->part[i];
	return NULL;
}

static void append(struct snapshot_builder *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	size_t need = b->len + ALIGN8(n);
	if (need > SNAPSHOT_MAX_FILE_SIZE) {
		b->failed = 1;
		return;
	}
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < need)
			cap *= 2;
		uint8_t *p = realloc(b->buf, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->buf = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->buf + b->len, data, n);
	memset(b->buf + b->len + n, 0, ALIGN8(n) - n);
	b->len = need;
}

void snapshot_builder_init(struct snapshot_builder *b, const struct snapshot_header *header)
{
	memset(b, 0, sizeof(*b));
	struct snapshot_header h = *header;
	memcpy(h.magic, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC));
	h.version = SNAPSHOT_VERSION;
	h.header_size = sizeof(h);
	append(b, &h, sizeof(h));
}

void snapshot_builder_add(struct snapshot_builder *b, const char *name, uint32_t version,
			  const void *data, size_t length)
{
	struct snapshot_section s = {.version = version, .length = length};
	if (strlen(name) > SNAPSHOT_NAME_LEN || b->nsections == SNAPSHOT_MAX_SECTIONS) {
		b->failed = 1;
		return;
	}
	memcpy(s.name, name, strlen(name));
	append(b, &s, sizeof(s));
	append(b, data, length);
	b->nsections++;
}

int snapshot_builder_finish(struct snapshot_builder *b)
{
	if (b->failed)
		return -1;
	struct snapshot_header *h = (struct snapshot_header *)b->buf;
	h->file_size = b->len;
	h->nsections = b->nsections;
	h->crc32 = 0;
	h->crc32 = snapshot_file_crc(b->buf, b->len);
	return 0;
}

void snapshot_builder_free(struct snapshot_builder *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
