// SPDX-License-Identifier: MIT
#include <string.h>

#include "boot_params.h"
#include "bzimage.h"
#include "error.h"
#include "layout.h"
#include "memmap.h"

/* The setup header: the image's own (it is how the kernel learns its protocol). */
static void copy_setup_header(struct boot_params *bp, const struct bzimage_info *bz)
{
	if (bz) {
		/* Only the bytes the kernel's header defines; the rest of the zero page stays 0. */
		memcpy(&bp->hdr, &bz->hdr, bz->header_len);
		return;
	}
	bp->hdr.boot_flag = SETUP_BOOT_FLAG;
	bp->hdr.header = SETUP_HDRS_MAGIC;
	bp->hdr.version = BOOT_ELF_PROTOCOL;
	bp->hdr.loadflags = LOADED_HIGH;
	bp->hdr.cmdline_size = LAYOUT_CMDLINE_MAX - 1;
	bp->hdr.xloadflags = XLF_KERNEL_64;
}

/* One SETUP_RNG_SEED entry, the only one of the chain so far. */
static int write_setup_data(struct boot_params *bp, const struct boot_params_args *a,
			    const struct guest_memory *mem, struct boot_error *err)
{
	if (!a->rng_seed || a->rng_seed_size == 0)
		return 0;
	uint16_t version = a->bz ? a->bz->version : BOOT_ELF_PROTOCOL;
	if (version < 0x0209)
		return 0; /* setup_data came with protocol 2.09 */
	uint64_t room = LAYOUT_SETUP_DATA_END - LAYOUT_SETUP_DATA - sizeof(struct setup_data);
	if (a->rng_seed_size > room)
		return boot_fail(
		    err, "RNG seed (%zu bytes) does not fit in the setup_data area (%llu bytes)",
		    a->rng_seed_size, (unsigned long long)room);
	struct setup_data *sd =
	    guest_memory_ptr(mem, LAYOUT_SETUP_DATA, sizeof(*sd) + a->rng_seed_size);
	if (!sd)
		return boot_fail(err, "guest RAM does not cover the setup_data area");
	sd->next = 0;
	sd->type = SETUP_RNG_SEED;
	sd->len = (uint32_t)a->rng_seed_size;
	memcpy(sd->data, a->rng_seed, a->rng_seed_size);
	bp->hdr.setup_data = LAYOUT_SETUP_DATA;
	return 0;
}

int boot_params_build(const struct boot_params_args *a, const struct guest_memory *mem,
		      struct boot_error *err)
{
	struct boot_params *bp = guest_memory_ptr(mem, LAYOUT_BOOT_PARAMS, sizeof(*bp));
	if (!bp)
		return boot_fail(err, "guest RAM does not cover boot_params");
	memset(bp, 0, sizeof(*bp));
	copy_setup_header(bp, a->bz);

	/* The fields boot.rst marks "write" or "modify" for the boot loader. */
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags =
	    (uint8_t)((bp->hdr.loadflags & ~KASLR_FLAG) | LOADED_HIGH | CAN_USE_HEAP);
	bp->hdr.heap_end_ptr = BOOT_HEAP_END_PTR;
	bp->hdr.cmd_line_ptr = (uint32_t)a->cmdline_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(a->cmdline_addr >> 32);
	bp->hdr.ramdisk_image = (uint32_t)a->initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(a->initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)a->initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(a->initrd_size >> 32);
	bp->hdr.hardware_subarch = a->hardware_subarch;
	bp->hdr.setup_data = 0;

	struct boot_memmap_entry map[BOOT_MEMMAP_MAX];
	int n = boot_memmap(mem, map);
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;

	return write_setup_data(bp, a, mem, err);
}
