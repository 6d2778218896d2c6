// SPDX-License-Identifier: MIT
#include "guest_memory.h"
#include "layout.h"

void guest_memory_init(struct guest_memory *mem, uint8_t *host, uint64_t size)
{
	mem->host = host;
	mem->size = size;
	mem->region[0].gpa = 0;
	mem->region[0].host = host;
	if (size <= LAYOUT_MMIO_HOLE) {
		mem->region[0].size = size;
		mem->nregions = 1;
		return;
	}
	mem->region[0].size = LAYOUT_MMIO_HOLE;
	mem->region[1].gpa = LAYOUT_MMIO_HOLE_END;
	mem->region[1].size = size - LAYOUT_MMIO_HOLE;
	mem->region[1].host = host + LAYOUT_MMIO_HOLE;
	mem->nregions = 2;
}

void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < mem->nregions; i++) {
		const struct guest_memory_region *r = &mem->region[i];
		/* Written so that no sum can overflow: gpa + len may wrap. */
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t guest_memory_low_end(const struct guest_memory *mem)
{
	return mem->region[0].size;
}
