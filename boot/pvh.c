// SPDX-License-Identifier: MIT
#include <string.h>

#include "error.h"
#include "layout.h"
#include "memmap.h"
#include "pvh.h"
#include "pvh_start.h"

_Static_assert(PVH_MEMMAP_OFFSET >= sizeof(struct hvm_start_info), "memmap after start_info");
_Static_assert(PVH_MEMMAP_OFFSET + BOOT_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry) <=
		   PVH_MODLIST_OFFSET,
	       "memmap fits before the module list");
_Static_assert(LAYOUT_START_INFO + PVH_MODLIST_OFFSET + sizeof(struct hvm_modlist_entry) <=
		   LAYOUT_START_INFO_END,
	       "start_info area");

int pvh_start_info_build(const struct pvh_start_args *a, const struct guest_memory *mem,
			 struct boot_error *err)
{
	uint64_t area = LAYOUT_START_INFO_END - LAYOUT_START_INFO;
	uint8_t *base = guest_memory_ptr(mem, LAYOUT_START_INFO, area);
	if (!base)
		return boot_fail(err, "guest RAM does not cover the PVH start_info area");
	memset(base, 0, area);

	struct boot_memmap_entry map[BOOT_MEMMAP_MAX];
	int n = boot_memmap(mem, map);
	struct hvm_memmap_table_entry *mm = (void *)(base + PVH_MEMMAP_OFFSET);
	for (int i = 0; i < n; i++) {
		mm[i].addr = map[i].addr;
		mm[i].size = map[i].size;
		mm[i].type = map[i].type;
	}

	struct hvm_start_info *si = (void *)base;
	si->magic = HVM_START_MAGIC_VALUE;
	si->version = 1;
	si->cmdline_paddr = a->cmdline_addr;
	si->memmap_paddr = LAYOUT_START_INFO + PVH_MEMMAP_OFFSET;
	si->memmap_entries = (uint32_t)n;
	if (a->initrd_size) {
		struct hvm_modlist_entry *mod = (void *)(base + PVH_MODLIST_OFFSET);
		mod->paddr = a->initrd_addr;
		mod->size = a->initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = LAYOUT_START_INFO + PVH_MODLIST_OFFSET;
	}
	return 0;
}
