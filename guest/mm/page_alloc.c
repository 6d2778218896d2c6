/* SPDX-License-Identifier: MIT */
/*
 * page_alloc.c - physical pages from the e820 RAM.
 *
 * Free memory is a list of ranges (RAM above the kernel image, below
 * 4 GiB where the identity map reaches) plus a stack of freed pages linked
 * through their first word.  Setting up is O(number of e820 entries) and
 * no page is touched until it is handed out: under pvkit on this host each
 * ring-0 instruction is emulated, so walking 256 MiB at boot is not an
 * option.  Pages are zeroed when allocated.
 */
#include "boot_info.h"
#include "mm.h"

#define LOW_LIMIT  (1ull << 20)
#define HIGH_LIMIT (4ull << 30)

struct free_range {
	uint64_t start;
	uint64_t next; /* first page not handed out yet */
	uint64_t end;
};

static struct free_range ranges[BOOT_MEM_MAX];
static unsigned nranges, current;
static uint64_t freed_head; /* physical address of the last freed page */
static uint64_t free_pages, ram_bytes;

void page_alloc_init(const struct boot_info *bi, uint64_t kernel_end)
{
	for (unsigned i = 0; i < bi->mem_count; i++) {
		const struct mem_region *m = &bi->mem[i];
		if (m->type != 1 /* E820_TYPE_RAM */)
			continue;
		uint64_t start = ALIGN_UP(MAX(m->addr, MAX(kernel_end, LOW_LIMIT)), PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(MIN(m->addr + m->size, HIGH_LIMIT), PAGE_SIZE);
		if (end <= start || nranges == BOOT_MEM_MAX)
			continue;
		ranges[nranges++] = (struct free_range){start, start, end};
		ram_bytes += end - start;
		free_pages += (end - start) / PAGE_SIZE;
	}
}

uint64_t page_alloc(void)
{
	uint64_t pa = 0;
	if (freed_head) {
		pa = freed_head;
		freed_head = *(uint64_t *)pa;
	} else {
		while (current < nranges && ranges[current].next >= ranges[current].end)
			current++;
		if (current == nranges)
			return 0;
		pa = ranges[current].next;
		ranges[current].next += PAGE_SIZE;
	}
	free_pages--;
	memset((void *)pa, 0, PAGE_SIZE);
	return pa;
}

void page_free(uint64_t pa)
{
	if (!page_alloc_owns(pa) || (pa & (PAGE_SIZE - 1)))
		panic("page_free: 0x%lx is not an allocated page", pa);
	*(uint64_t *)pa = freed_head;
	freed_head = pa;
	free_pages++;
}

/* Was pa ever handed out by page_alloc()? */
bool page_alloc_owns(uint64_t pa)
{
	for (unsigned i = 0; i < nranges; i++)
		if (pa >= ranges[i].start && pa < ranges[i].next)
			return true;
	return false;
}

uint64_t page_alloc_free_count(void)
{
	return free_pages;
}

uint64_t page_alloc_ram_bytes(void)
{
	return ram_bytes;
}
