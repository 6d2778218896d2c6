/* SPDX-License-Identifier: MIT */
/*
 * pvh_start.h - build the hvm_start_info (boot/pvh.h) a PVH entry receives
 * in %ebx: command line, memory map (the same as the e820 map) and the
 * initrd as module 0.
 *
 * Where it goes, inside [LAYOUT_START_INFO, LAYOUT_START_INFO_END):
 *	+0x000 struct hvm_start_info
 *	+0x040 memory map (hvm_memmap_table_entry[])
 *	+0x100 module list (one hvm_modlist_entry)
 */
#ifndef PVKIT_BOOT_PVH_START_H
#define PVKIT_BOOT_PVH_START_H

#include <stdint.h>

#include "guest_memory.h"

struct boot_error;

#define PVH_MEMMAP_OFFSET  0x040
#define PVH_MODLIST_OFFSET 0x100

struct pvh_start_args {
	uint64_t cmdline_addr;
	uint64_t initrd_addr; /* initrd_size 0: no module */
	uint64_t initrd_size;
};

int pvh_start_info_build(const struct pvh_start_args *args, const struct guest_memory *mem,
			 struct boot_error *err);

#endif
