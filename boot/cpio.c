// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "cpio.h"
#include "error.h"

#define NEWC_HEADER_LEN 110
#define TRAILER_NAME	"TRAILER!!!"

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

size_t cpio_entry_size(size_t name_len, uint64_t data_size)
{
	/* The name counts its NUL; header + name are padded together. */
	return pad4(NEWC_HEADER_LEN + name_len + 1) + pad4((size_t)data_size);
}

size_t cpio_trailer_size(void)
{
	return cpio_entry_size(strlen(TRAILER_NAME), 0);
}

static void put_hex8(uint8_t *p, uint32_t value)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)digits[value & 0xf];
		value >>= 4;
	}
}

int cpio_add(struct cpio_writer *w, const struct cpio_entry *e, struct boot_error *err)
{
	size_t name_len = strlen(e->name);
	if (name_len + 1 > UINT32_MAX)
		return boot_fail(err, "%.64s...: name too long for a cpio archive", e->name);
	size_t need = cpio_entry_size(name_len, e->size);
	if (w->len > w->cap || need > w->cap - w->len)
		return boot_fail(err, "%s: archive buffer too small (bug in its sizing)", e->name);

	/* Directories have "." and their own name; the kernel ignores nlink
	 * for everything else, 1 keeps it from looking for hard links. */
	uint32_t nlink = (e->mode & 0170000) == 0040000 ? 2 : 1;
	uint32_t fields[13] = {
	    w->next_ino++,
	    e->mode,
	    0 /* uid */,
	    0 /* gid */,
	    nlink,
	    e->mtime,
	    e->size,
	    0,
	    0, /* the device the file was on: meaningless here */
	    e->rdev_major,
	    e->rdev_minor,
	    (uint32_t)(name_len + 1),
	    0 /* no checksum */
	};
	uint8_t *p = w->buf + w->len;
	memset(p, 0, need);
	memcpy(p, "070701", 6);
	for (int i = 0; i < 13; i++)
		put_hex8(p + 6 + 8 * i, fields[i]);
	memcpy(p + NEWC_HEADER_LEN, e->name, name_len);
	if (e->size)
		memcpy(p + pad4(NEWC_HEADER_LEN + name_len + 1), e->data, e->size);
	w->len += need;
	return 0;
}

int cpio_finish(struct cpio_writer *w, struct boot_error *err)
{
	struct cpio_entry trailer = {.name = TRAILER_NAME};
	return cpio_add(w, &trailer, err);
}
