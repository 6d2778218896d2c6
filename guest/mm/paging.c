/* SPDX-License-Identifier: MIT */
/*
 * paging.c - the kernel's own 4-level page tables.
 *
 * An identity map (virtual == physical, as the kernel is linked) of RAM
 * below 4 GiB with 2 MiB pages, plus the local APIC/IOAPIC window
 * uncached; 4 KiB mappings elsewhere on request.  Every entry is written
 * with pv_ops.set_pte and every change flushed with pv_ops.flush_tlb_*,
 * so a backend that must validate or trap page-table writes can.
 */
#include "boot_info.h"
#include "drivers.h"
#include "mm.h"
#include "pv.h"

#define APIC_WINDOW	0xfec00000ull
#define APIC_WINDOW_END (0xfee00000ull + LARGE_PAGE_SIZE)

static uint64_t root;

static unsigned index_at(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/*
 * Entry for va at `level` (3 = PML4 ... 0 = PT) in the tables at `top`,
 * creating tables on the way with `table_flags` besides P and W.
 */
static uint64_t *walk_in(uint64_t top, uint64_t va, int level, bool create, uint64_t table_flags)
{
	uint64_t *table = (uint64_t *)top;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t pa = page_alloc();
			if (!pa)
				return NULL;
			pv_ops.set_pte(e, pa | PTE_P | PTE_W | table_flags);
		} else if (*e & PTE_PS) {
			return NULL; /* inside a large page */
		}
		table = (uint64_t *)(*e & PTE_ADDR_MASK);
	}
	return &table[index_at(va, level)];
}

static uint64_t *walk(uint64_t va, int level, bool create)
{
	return walk_in(root, va, level, create, pv_ops.kernel_pte_flags);
}

/*
 * Another address space (pvm's user page tables): exactly `flags` in the
 * leaf, U in the tables above it so that the leaf decides.  Not flushed:
 * the caller builds tables that are not live.
 */
int paging_map_4k_in(uint64_t top, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *e = walk_in(top, va, 0, true, PTE_U);
	if (!e)
		return -1;
	pv_ops.set_pte(e, pa | flags | PTE_P);
	return 0;
}

static int map_2m(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *e = walk(va, 1, true);
	if (!e)
		return -1;
	pv_ops.set_pte(e, pa | flags | PTE_PS | PTE_P | pv_ops.kernel_pte_flags);
	return 0;
}

int paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *e = walk(va, 0, true);
	if (!e)
		return -1;
	pv_ops.set_pte(e, pa | flags | PTE_P | pv_ops.kernel_pte_flags);
	pv_ops.flush_tlb_one(va);
	return 0;
}

int paging_unmap_4k(uint64_t va)
{
	uint64_t *e = walk(va, 0, false);
	if (!e)
		return -1;
	pv_ops.set_pte(e, 0);
	pv_ops.flush_tlb_one(va);
	return 0;
}

uint64_t paging_translate(uint64_t va)
{
	uint64_t *table = (uint64_t *)root;
	for (int l = 3; l >= 0; l--) {
		uint64_t e = table[index_at(va, l)];
		if (!(e & PTE_P))
			return ~0ull;
		if (l == 0 || (l <= 2 && (e & PTE_PS))) {
			uint64_t page = 1ull << (12 + 9 * l);
			return (e & PTE_ADDR_MASK & ~(page - 1)) | (va & (page - 1));
		}
		table = (uint64_t *)(e & PTE_ADDR_MASK);
	}
	return ~0ull;
}

uint64_t paging_root(void)
{
	return root;
}

int paging_init(const struct boot_info *bi)
{
	uint64_t top = 0;
	for (unsigned i = 0; i < bi->mem_count; i++) {
		uint64_t end = bi->mem[i].addr + bi->mem[i].size;
		if (bi->mem[i].type == 1 && end <= (4ull << 30))
			top = MAX(top, end);
	}
	top = ALIGN_UP(top, LARGE_PAGE_SIZE);
	root = page_alloc();
	if (!root)
		return -1;
	/* From 0: the first 2 MiB hold the loader's pages (pvkit's hypercall
	 * and time pages at 0x9e000/0x9f000) as well as the kernel. */
	for (uint64_t va = 0; va < top; va += LARGE_PAGE_SIZE)
		if (map_2m(va, va, PTE_W))
			return -1;
	for (uint64_t va = APIC_WINDOW; va < APIC_WINDOW_END; va += LARGE_PAGE_SIZE)
		if (map_2m(va, va, PTE_W | PTE_PCD | PTE_PWT))
			return -1;
	pv_ops.write_cr3(root);
	printk("mm: page tables at 0x%lx, identity map 0-0x%lx + APIC window\n", root, top);
	return 0;
}
