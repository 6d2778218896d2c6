// SPDX-License-Identifier: MIT
/*L:200 boot_image_parse(), called by cmd_run(): the one parse of a
 * kernel image.  A bzImage's header is read (boot/bzimage.c) and its
 * payload is always opened, decompressed (boot/payload.c) and parsed as an
 * ELF (boot/elf.c), because that ELF's notes decide the entry, the default
 * hardware_subarch and pvm mode, and `pvkit inspect` shows them.  An ELF
 * kernel is parsed as it is.  Nothing is written to guest RAM yet.
 * Next: host/pvm_mode.c. :*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "payload_libs.h"

static uint64_t payload_bound(uint64_t guest_ram)
{
	return guest_ram && guest_ram < PAYLOAD_MAX_DEFAULT ? guest_ram : PAYLOAD_MAX_DEFAULT;
}

/* Take the ELF out of the bzImage payload. */
static int open_payload(struct boot_image *img, uint64_t guest_ram, struct boot_error *err)
{
	const struct bzimage_info *bz = &img->bz;
	uint64_t bound = payload_bound(guest_ram);
	img->compression = payload_detect(bz->payload, bz->payload_size);
	if (payload_decompress(img->compression, bz->payload, bz->payload_size, bound,
			       &img->payload_elf, &img->payload_elf_size, err) < 0) {
		if (bound < PAYLOAD_MAX_DEFAULT && strstr(err->msg, "decompresses to more than")) {
			size_t len = strlen(err->msg);
			snprintf(err->msg + len, sizeof(err->msg) - len, " (the guest RAM)");
		}
		return -1;
	}
	if (elf_parse(img->payload_elf, img->payload_elf_size, &img->elf, err) < 0)
		return boot_fail_prefixed(err, "ELF in the bzImage payload: ");
	img->has_elf = true;
	img->elf_size = img->payload_elf_size;
	return 0;
}

static int parse(struct boot_image *img, uint64_t guest_ram, struct boot_error *err)
{
	const uint8_t *k = img->data;
	size_t n = img->size;
	if (n == 0)
		return boot_fail(err, "file is empty");
	if (bzimage_detect(k, n)) {
		img->format = BOOT_IMAGE_BZIMAGE;
		if (bzimage_parse(k, n, &img->bz, err) < 0)
			return -1;
		return img->bz.payload_size ? open_payload(img, guest_ram, err) : 0;
	}
	if (elf_detect(k, n)) {
		img->format = BOOT_IMAGE_ELF;
		if (elf_parse(k, n, &img->elf, err) < 0)
			return -1;
		img->has_elf = true;
		img->elf_size = n;
		return 0;
	}
	return boot_fail(err,
			 "not a bzImage (no \"HdrS\" at 0x202) nor an ELF (first bytes %02x %02x "
			 "%02x %02x)",
			 k[0], n > 1 ? k[1] : 0, n > 2 ? k[2] : 0, n > 3 ? k[3] : 0);
}

struct boot_image *boot_image_parse(const uint8_t *data, size_t size, uint64_t guest_ram,
				    struct boot_error *err)
{
	/* Large (the note and segment tables): on the heap, off the callers' stacks. */
	struct boot_image *img = calloc(1, sizeof(*img));
	if (!img) {
		boot_fail(err, "out of memory");
		return NULL;
	}
	img->data = data;
	img->size = size;
	img->compression = PAYLOAD_UNKNOWN;
	if (parse(img, guest_ram, err) < 0) {
		boot_image_free(img);
		return NULL;
	}
	return img;
}

void boot_image_free(struct boot_image *img)
{
	if (!img)
		return;
	free(img->payload_elf);
	free(img);
}

void boot_image_prepare(const uint8_t *data, size_t size)
{
	struct bzimage_info bz;
	struct boot_error err;
	if (bzimage_detect(data, size) && bzimage_parse(data, size, &bz, &err) == 0 &&
	    bz.payload_size)
		payload_libs_load(payload_detect(bz.payload, bz.payload_size), &err);
}
