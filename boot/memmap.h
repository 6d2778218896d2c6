/* SPDX-License-Identifier: MIT */
/*
 * memmap.h - the guest's physical memory map, one source for both the e820
 * table in boot_params and the PVH start_info memory map.
 *
 *	[0, LAYOUT_LOW_RAM_END)             RAM
 *	[LAYOUT_LOW_RAM_END, 1 MiB)          reserved: pvkit's hypercall and
 *	                                     time pages, the VGA/BIOS hole
 *	[1 MiB, end of low RAM)              RAM (at most 3 GiB)
 *	[4 GiB, 4 GiB + RAM above 3 GiB)     RAM, only for guests over 3 GiB
 *
 * The 32-bit MMIO hole [3 GiB, 4 GiB) is left out: it is not RAM.
 */
#ifndef PVKIT_BOOT_MEMMAP_H
#define PVKIT_BOOT_MEMMAP_H

#include <stdint.h>

#include "guest_memory.h"

#define BOOT_MEMMAP_MAX 4

struct boot_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820_TYPE_* */
};

/* Fill map (BOOT_MEMMAP_MAX entries); returns how many. */
int boot_memmap(const struct guest_memory *mem, struct boot_memmap_entry map[BOOT_MEMMAP_MAX]);

#endif
