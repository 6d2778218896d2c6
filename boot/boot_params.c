// SPDX-License-Identifier: MIT
#include <string.h>

#include "abi/pvkit_abi.h"
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

struct setup_entry {
	uint32_t type;
	const void *data;
	size_t len;
	const char *what; /* for messages */
};

/*L:260 boot_params_build() below fills the zero page as boot.rst asks of a
 * loader (the setup header, the image's own or one made for an ELF; the
 * loader's fields; the e820 map of boot/memmap.c) and ends here, with the
 * setup_data chain: the entries one after the other from
 * LAYOUT_SETUP_DATA, each 8-byte aligned, linked in order.  An RNG seed,
 * and in pvm mode the PVKIT_SETUP_PVM entry: all a deprivileged kernel
 * learns about pvkit (trampoline, GDT selectors, hypercall and time pages,
 * ABI version), as CPUID cannot tell it there.
 * Next: boot/loader.c. :*/
static int write_setup_data(struct boot_params *bp, const struct boot_params_args *a,
			    const struct guest_memory *mem, struct boot_error *err)
{
	struct setup_entry list[2];
	int n = 0;
	if (a->rng_seed && a->rng_seed_size)
		list[n++] =
		    (struct setup_entry){SETUP_RNG_SEED, a->rng_seed, a->rng_seed_size, "RNG seed"};
	if (a->pvm)
		list[n++] = (struct setup_entry){PVKIT_SETUP_PVM, a->pvm, sizeof(*a->pvm),
						 "pvm mode's PVKIT_SETUP_PVM entry"};
	if (n == 0)
		return 0;
	uint16_t version = a->bz ? a->bz->version : BOOT_ELF_PROTOCOL;
	if (version < 0x0209) {
		/* setup_data came with protocol 2.09: a seed is optional, pvm's entry is not. */
		if (a->pvm)
			return boot_fail(err, "boot protocol %u.%02u has no setup_data for the %s",
					 version >> 8, version & 0xff, list[n - 1].what);
		return 0;
	}
	uint64_t at = LAYOUT_SETUP_DATA, prev = 0;
	for (int i = 0; i < n; i++) {
		uint64_t room = at + sizeof(struct setup_data) <= LAYOUT_SETUP_DATA_END
				    ? LAYOUT_SETUP_DATA_END - at - sizeof(struct setup_data)
				    : 0;
		if (list[i].len > room)
			return boot_fail(
			    err, "%s (%zu bytes) does not fit in the setup_data area (%llu bytes)",
			    list[i].what, list[i].len, (unsigned long long)room);
		struct setup_data *sd = guest_memory_ptr(mem, at, sizeof(*sd) + list[i].len);
		if (!sd)
			return boot_fail(err, "guest RAM does not cover the setup_data area");
		sd->next = 0;
		sd->type = list[i].type;
		sd->len = (uint32_t)list[i].len;
		memcpy(sd->data, list[i].data, list[i].len);
		if (prev)
			((struct setup_data *)guest_memory_ptr(mem, prev, sizeof(*sd)))->next = at;
		else
			bp->hdr.setup_data = at;
		prev = at;
		at = (at + sizeof(*sd) + list[i].len + 7) & ~7ull;
	}
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
