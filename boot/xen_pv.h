/* SPDX-License-Identifier: MIT */
/*
 * xen_pv.h - the Xen PV domain builder: a kernel that carries Xen's ELF
 * notes, laid out in guest memory the way a 64-bit PV guest finds itself at
 * its first instruction (the start_info comment of Xen's public xen.h).
 *
 * Guest "machine" frames are guest-physical frames (the p2m is the identity),
 * and the domain owns guest RAM from frame 0 up to the part at the top of
 * low RAM that pvkit keeps for the hypervisor it runs inside the VM
 * (docs/xen-pv.md).  The bootstrap region, mapped 1:1 from VIRT_BASE onto
 * the first frames:
 *
 *	kernel segments		(their ELF physical address - PADDR_OFFSET)
 *	initrd			mod_start, mod_len
 *	p2m list		mfn_list (unless INIT_P2M places it elsewhere)
 *	start_info		RSI at entry
 *	xenstore ring		store_mfn, store_evtchn
 *	console ring		console.domU.mfn, console.domU.evtchn
 *	page tables		pt_base, CR3; mapped read-only
 *	boot stack		RSP at entry (the top of this page)
 *	padding			at least 512 KiB, the region ends 4 MiB-aligned
 *
 * Every page-table entry has the U bit, as Xen gives a 64-bit PV kernel
 * (which runs in ring 3): on a PVM host that is also what lets the kernel
 * touch its own memory natively.  Nothing here knows about KVM.
 */
#ifndef PVKIT_BOOT_XEN_PV_H
#define PVKIT_BOOT_XEN_PV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/pvxen_abi.h"
#include "guest_memory.h"

struct boot_entry;
struct boot_error;
struct boot_request;
struct elf_image;

/* Bytes at the top of low RAM kept for the in-VM hypervisor (not the
 * domain's); its first page is the shared_info page. */
#define XEN_PV_HV_SIZE (4ull << 20)

/* The 64-bit PV hypervisor hole Linux and XTF leave alone: PML4 slots
 * 256-271.  pvkit's in-VM Xen lives in 257-271 (slot 256 is the host's). */
#define XEN_PV_HOLE_START 0xffff800000000000ull
#define XEN_PV_HOLE_END	  0xffff880000000000ull
#define XEN_PV_HV_START	  0xffff808000000000ull

/* The event channels start_info names (fixed: one domain, pvkit's ports). */
#define XEN_PV_STORE_EVTCHN   PVXEN_STORE_EVTCHN
#define XEN_PV_CONSOLE_EVTCHN PVXEN_CONSOLE_EVTCHN

#define XEN_PV_FEATURES_MAX 256

/* What the Xen notes say, with Xen's defaults filled in. */
struct xen_pv_notes {
	bool present;	       /* at least one Xen note that only PV kernels carry */
	uint64_t entry;	       /* ENTRY, else e_entry (virtual) */
	uint64_t virt_base;    /* VIRT_BASE, else 0 */
	uint64_t paddr_offset; /* PADDR_OFFSET, else 0 */
	bool has_hypercall_page;
	uint64_t hypercall_page; /* HYPERCALL_PAGE (virtual) */
	bool has_hv_start_low;
	uint64_t hv_start_low;
	bool has_init_p2m;
	uint64_t init_p2m;
	char features[XEN_PV_FEATURES_MAX]; /* FEATURES, NUL-terminated */
	uint64_t kernel_start, kernel_end;  /* virtual span of the segments */
};

/* What the domain is given. */
struct xen_pv_request {
	const struct elf_image *elf;
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_size;
	const char *cmdline;  /* NUL-terminated, at most 1023 bytes */
	uint64_t nr_pages;    /* frames 0..nr_pages-1 are the domain's */
	uint64_t shared_info; /* machine address of the shared_info page */
};

/* Where everything went (virtual addresses unless named _pfn/_gpa). */
struct xen_pv_plan {
	uint64_t entry, stack_top, start_info; /* RIP, RSP, RSI */
	uint64_t virt_base, kernel_start, kernel_end;
	uint64_t hypercall_page; /* 0: none asked for */
	uint64_t initrd, initrd_len;
	uint64_t p2m, p2m_pfn, p2m_frames; /* p2m: the list's virtual address */
	uint64_t store_pfn, console_pfn;
	uint64_t pt_base, pt_pfn, pt_frames; /* pt_base: the L4, virtual */
	uint64_t cr3;			     /* the L4, guest-physical */
	uint64_t region_end;		     /* end of the bootstrap mapping */
	uint64_t nr_pages, shared_info;
	uint64_t hv_start_low; /* as the note says, else the hole's start */
};

/* Read and check the Xen notes of a parsed ELF; -1 with err filled. */
int xen_pv_read_notes(const struct elf_image *elf, struct xen_pv_notes *notes,
		      struct boot_error *err);

/*
 * Build the domain into mem: segments, start_info, p2m, rings, page
 * tables, stack, hypercall page.  Checks everything before the first
 * write; -1 with err filled leaves mem untouched.
 */
int xen_pv_build(const struct xen_pv_request *req, struct guest_memory *mem,
		 struct xen_pv_plan *plan, struct boot_error *err);

/*
 * boot_load()'s Xen PV path: the domain gets low RAM below the top
 * XEN_PV_HV_SIZE bytes (2 MiB-aligned), whose first page is shared_info;
 * entry gets BOOT_CPU_XEN_PV and the plan.  elf may be NULL (a bzImage
 * without a payload).  -1 with err filled.
 */
int xen_pv_load(const struct boot_request *req, const struct elf_image *elf,
		struct guest_memory *mem, struct boot_entry *entry, struct boot_error *err);

#endif
