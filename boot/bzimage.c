// SPDX-License-Identifier: MIT
/*
 * bzImage setup header: every field pvkit relies on is checked against the
 * file before anything else looks at the image, so the loaders and `pvkit
 * inspect` can trust struct bzimage_info.
 */
#include <stddef.h>
#include <string.h>

#include "bzimage.h"
#include "error.h"

/* Offsets in the file (boot.rst "THE REAL-MODE KERNEL HEADER"). */
#define OFF_JUMP   0x200
#define OFF_HEADER 0x202

/* The first byte after the fields each protocol version defines (boot.rst). */
static size_t header_end_for_version(uint16_t version)
{
	if (version >= 0x020f)
		return 0x26c; /* kernel_info_offset */
	if (version >= 0x020b)
		return 0x268; /* handover_offset */
	if (version >= 0x020a)
		return 0x264; /* pref_address, init_size */
	if (version >= 0x0209)
		return 0x258; /* setup_data */
	if (version >= 0x0208)
		return 0x250; /* payload_offset, payload_length */
	if (version >= 0x0207)
		return 0x248; /* hardware_subarch, hardware_subarch_data */
	return 0x23c;	      /* 2.06: cmdline_size */
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool bzimage_detect(const uint8_t *image, size_t size)
{
	return size >= OFF_HEADER + 4 && le32(image + OFF_HEADER) == SETUP_HDRS_MAGIC;
}

/* The version string is NUL-terminated inside the setup code; keep only printable bytes. */
static void read_version_string(const uint8_t *image, const struct bzimage_info *info, char *out,
				size_t out_len)
{
	out[0] = '\0';
	if (info->hdr.kernel_version == 0)
		return;
	size_t off = (size_t)info->hdr.kernel_version + 0x200;
	if (off >= info->setup_size)
		return;
	size_t n = 0;
	while (off + n < info->setup_size && n + 1 < out_len) {
		uint8_t c = image[off + n];
		if (c == '\0')
			break;
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
}

int bzimage_parse(const uint8_t *image, size_t size, struct bzimage_info *info,
		  struct boot_error *err)
{
	char a[BOOT_SIZE_STR_LEN], b[BOOT_SIZE_STR_LEN];

	memset(info, 0, sizeof(*info));
	if (size < OFF_HEADER + 4)
		return boot_fail(err, "file is too small for a bzImage (%s)",
				 boot_format_size(a, sizeof(a), size));
	uint32_t magic = le32(image + OFF_HEADER);
	if (magic != SETUP_HDRS_MAGIC)
		return boot_fail(err, "setup header magic is 0x%08x, not \"HdrS\"", magic);

	/* The header reaches at most 0x26c, well inside the smallest setup (5 sectors)... */
	uint8_t sects = image[SETUP_HEADER_OFFSET];
	info->setup_sects = sects ? sects : SETUP_DEFAULT_SECTS;
	info->setup_size = ((size_t)info->setup_sects + 1) * SETUP_SECT_SIZE;
	/* ...but only once we know the file really holds the whole setup. */
	if (info->setup_size > size)
		return boot_fail(err,
				 "setup code (%u sectors, %zu bytes) extends past the end of the "
				 "file (%zu bytes)",
				 info->setup_sects, info->setup_size, size);

	uint16_t boot_flag = (uint16_t)(image[0x1fe] | image[0x1ff] << 8);
	if (boot_flag != SETUP_BOOT_FLAG)
		return boot_fail(err, "boot_flag is 0x%04x, not 0xaa55", boot_flag);
	uint16_t version = (uint16_t)(image[0x206] | image[0x207] << 8);
	if (version < BZIMAGE_MIN_PROTOCOL)
		return boot_fail(err,
				 "boot protocol %u.%02u is too old (pvkit needs 2.06 or later)",
				 version >> 8, version & 0xff);
	info->version = version;

	/* Copy only the fields this protocol version defines; later ones stay zero. */
	size_t defined = header_end_for_version(version) - SETUP_HEADER_OFFSET;
	memcpy(&info->hdr, image + SETUP_HEADER_OFFSET, defined);
	/* Two later fields sit among older ones. */
	if (version < 0x020a)
		info->hdr.min_alignment = 0;
	if (version < 0x020c)
		info->hdr.xloadflags = 0;
	/* The kernel says how long its header is with the jump at 0x200 (boot.rst). */
	size_t jump_end = OFF_HEADER + image[OFF_JUMP + 1];
	info->header_len = jump_end > SETUP_HEADER_OFFSET ? jump_end - SETUP_HEADER_OFFSET : 0;
	if (info->header_len > sizeof(struct setup_header))
		info->header_len = sizeof(struct setup_header);

	if (!(info->hdr.loadflags & LOADED_HIGH))
		return boot_fail(err, "loadflags has LOADED_HIGH clear: a zImage, not a bzImage");

	info->kernel = image + info->setup_size;
	info->kernel_size = size - info->setup_size;
	uint64_t syssize_bytes = (uint64_t)info->hdr.syssize * 16;
	if (syssize_bytes == 0)
		return boot_fail(err, "syssize is 0: the image has no protected-mode kernel");
	if (syssize_bytes > info->kernel_size)
		return boot_fail(err,
				 "protected-mode kernel (syssize %u = %llu bytes) extends past the "
				 "end of the file (%zu bytes after the setup code)",
				 info->hdr.syssize, (unsigned long long)syssize_bytes,
				 info->kernel_size);

	if (version >= 0x0208 && info->hdr.payload_length != 0) {
		uint64_t end = (uint64_t)info->hdr.payload_offset + info->hdr.payload_length;
		if (end > info->kernel_size)
			return boot_fail(err,
					 "payload (offset 0x%x, length %u) extends past the "
					 "protected-mode kernel (%zu bytes)",
					 info->hdr.payload_offset, info->hdr.payload_length,
					 info->kernel_size);
		info->payload = info->kernel + info->hdr.payload_offset;
		info->payload_size = info->hdr.payload_length;
	}

	if (info->hdr.kernel_alignment != 0 &&
	    (info->hdr.kernel_alignment & (info->hdr.kernel_alignment - 1)) != 0)
		return boot_fail(err, "kernel_alignment 0x%x is not a power of two",
				 info->hdr.kernel_alignment);

	info->load_address = info->hdr.pref_address ? info->hdr.pref_address : BZIMAGE_DEFAULT_LOAD;
	info->init_size = info->hdr.init_size;
	if (info->init_size < info->kernel_size)
		info->init_size = info->kernel_size;
	if (info->load_address + info->init_size < info->load_address)
		return boot_fail(err, "pref_address 0x%llx + init_size %s wraps around",
				 (unsigned long long)info->load_address,
				 boot_format_size(b, sizeof(b), info->init_size));

	read_version_string(image, info, info->version_string, sizeof(info->version_string));
	return 0;
}
