/* SPDX-License-Identifier: MIT */
/*
 * cpio.h - write an initramfs: the "newc" cpio format Linux unpacks at boot
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Each entry is a 110-byte ASCII header ("070701" and thirteen 8-digit hex
 * fields), the NUL-terminated name, padding to 4 bytes, the data, padding to
 * 4 bytes; the archive ends with an entry named "TRAILER!!!".  The writer
 * fills a buffer the caller sized with cpio_entry_size(), so it never
 * allocates and a bug in the sizing is an error, not an overflow.
 */
#ifndef PVKIT_BOOT_CPIO_H
#define PVKIT_BOOT_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct boot_error;

struct cpio_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint32_t next_ino; /* every entry gets its own inode number */
};

/* What one entry takes in the archive (header, name, data, padding). */
size_t cpio_entry_size(size_t name_len, uint64_t data_size);

/* What the closing "TRAILER!!!" entry takes. */
size_t cpio_trailer_size(void);

struct cpio_entry {
	const char *name;		 /* path inside the archive, no leading '/' */
	uint32_t mode;			 /* file type and permission bits (S_IFREG | 0755, ...) */
	uint32_t mtime;			 /* seconds since the epoch */
	uint32_t rdev_major, rdev_minor; /* device nodes only */
	const void *data;		 /* file contents or a symlink's target */
	uint32_t size;			 /* bytes of data (newc sizes are 32-bit) */
};

/* Append an entry; -1 with err filled if it does not fit or a field is too large. */
int cpio_add(struct cpio_writer *w, const struct cpio_entry *e, struct boot_error *err);

/* Append the trailer; -1 with err filled if it does not fit. */
int cpio_finish(struct cpio_writer *w, struct boot_error *err);

#endif
