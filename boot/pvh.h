/* SPDX-License-Identifier: MIT */
/*
 * pvh.h - the PVH direct boot ABI (Xen's xen/include/public/arch-x86/hvm/
 * start_info.h, also used by QEMU, Firecracker and Cloud Hypervisor).
 *
 * A kernel advertises a 32-bit entry point with an ELF note of type
 * XEN_ELFNOTE_PHYS32_ENTRY (name "Xen").  It is entered in 32-bit protected
 * mode, paging off, flat segments, with %ebx = guest-physical address of an
 * hvm_start_info.  Freestanding.  Only Xen's definitions live here; pvkit's
 * own notes are in abi/pvkit_abi.h.
 */
#ifndef PVKIT_BOOT_PVH_H
#define PVKIT_BOOT_PVH_H

#include <stdint.h>

#define XEN_ELFNOTE_NAME	       "Xen"
#define XEN_ELFNOTE_ENTRY	       1
#define XEN_ELFNOTE_HYPERCALL_PAGE     2
#define XEN_ELFNOTE_VIRT_BASE	       3
#define XEN_ELFNOTE_PADDR_OFFSET       4
#define XEN_ELFNOTE_XEN_VERSION	       5
#define XEN_ELFNOTE_GUEST_OS	       6
#define XEN_ELFNOTE_GUEST_VERSION      7
#define XEN_ELFNOTE_LOADER	       8
#define XEN_ELFNOTE_PAE_MODE	       9
#define XEN_ELFNOTE_FEATURES	       10
#define XEN_ELFNOTE_BSD_SYMTAB	       11
#define XEN_ELFNOTE_HV_START_LOW       12
#define XEN_ELFNOTE_L1_MFN_VALID       13
#define XEN_ELFNOTE_SUSPEND_CANCEL     14
#define XEN_ELFNOTE_INIT_P2M	       15
#define XEN_ELFNOTE_MOD_START_PFN      16
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17
#define XEN_ELFNOTE_PHYS32_ENTRY       18

#define HVM_START_MAGIC_VALUE 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version; /* 1: memmap fields valid */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 types */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist entry size");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry size");

#endif
