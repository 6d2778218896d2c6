// SPDX-License-Identifier: MIT
#include "bootparam.h"
#include "layout.h"
#include "memmap.h"

int boot_memmap(const struct guest_memory *mem, struct boot_memmap_entry map[BOOT_MEMMAP_MAX])
{
	int n = 0;
	uint64_t low_end = guest_memory_low_end(mem);

	map[n++] = (struct boot_memmap_entry){0, LAYOUT_LOW_RAM_END, E820_TYPE_RAM};
	map[n++] = (struct boot_memmap_entry){
	    LAYOUT_LOW_RAM_END, LAYOUT_HIGH_RAM - LAYOUT_LOW_RAM_END, E820_TYPE_RESERVED};
	if (low_end > LAYOUT_HIGH_RAM)
		map[n++] = (struct boot_memmap_entry){LAYOUT_HIGH_RAM, low_end - LAYOUT_HIGH_RAM,
						      E820_TYPE_RAM};
	for (int i = 1; i < mem->nregions; i++)
		map[n++] = (struct boot_memmap_entry){mem->region[i].gpa, mem->region[i].size,
						      E820_TYPE_RAM};
	return n;
}
