/* SPDX-License-Identifier: MIT */
/* mm.h - physical pages and the kernel's page tables. */
#ifndef PVKERNEL_MM_H
#define PVKERNEL_MM_H

#include "kernel.h"

#define PAGE_SIZE	4096ul
#define LARGE_PAGE_SIZE (2ul << 20)

#define PTE_P	      (1ul << 0)
#define PTE_W	      (1ul << 1)
#define PTE_U	      (1ul << 2)
#define PTE_PWT	      (1ul << 3)
#define PTE_PCD	      (1ul << 4)
#define PTE_A	      (1ul << 5)
#define PTE_D	      (1ul << 6)
#define PTE_PS	      (1ul << 7)
#define PTE_ADDR_MASK 0x000ffffffffff000ul

struct boot_info;

/* Page allocator over the e820 RAM above the kernel image. */
void page_alloc_init(const struct boot_info *bi, uint64_t kernel_end);
uint64_t page_alloc(void); /* physical address of a zeroed page, 0 if none */
void page_free(uint64_t pa);
uint64_t page_alloc_free_count(void); /* pages still available */
uint64_t page_alloc_ram_bytes(void);  /* RAM the allocator manages */
bool page_alloc_owns(uint64_t pa);

/* Kernel page tables (identity map), every write through pv_ops. */
int paging_init(const struct boot_info *bi);
int paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags);
int paging_unmap_4k(uint64_t va);
uint64_t paging_translate(uint64_t va); /* physical address, or ~0 if unmapped */
uint64_t paging_root(void);
/* A mapping in other page tables (top = their PML4), leaf flags exact. */
int paging_map_4k_in(uint64_t top, uint64_t va, uint64_t pa, uint64_t flags);

#endif
