/* SPDX-License-Identifier: MIT */
/*
 * layout.h - where pvkit puts things in guest-physical memory.
 *
 * One table for the loaders (which fill boot_params, start_info, cmdline
 * and setup_data) and the VMM (which builds the GDT and page tables for a
 * direct 64-bit entry and fills the hypercall and time pages).  Everything
 * below 1 MiB except these areas stays zero.
 *
 *	0x00500  GDT used for the direct 32/64-bit entries
 *	0x01000  PML4, 0x02000 PDPT, 0x03000-0x06fff four PDs: identity map of
 *	         the low 4 GiB with 2 MiB pages
 *	0x07000  boot_params ("zero page")
 *	0x08000  hvm_start_info, then its memory map and module list (PVH)
 *	0x0f000  boot stack (grows down from 0x10000)
 *	0x10000  setup_data chain (64 KiB)
 *	0x20000  kernel command line (64 KiB)
 *	0x9e000  pvkit hypercall page  \ reserved in the e820 map
 *	0x9f000  pvkit time page       /
 *	0xa0000  legacy VGA/BIOS hole, reserved up to 1 MiB
 *	0x100000 and up: kernel, at its preferred address
 */
#ifndef PVKIT_BOOT_LAYOUT_H
#define PVKIT_BOOT_LAYOUT_H

#define LAYOUT_GDT	      0x00500ull
#define LAYOUT_PML4	      0x01000ull
#define LAYOUT_PDPT	      0x02000ull
#define LAYOUT_PD	      0x03000ull /* four pages */
#define LAYOUT_BOOT_PARAMS    0x07000ull
#define LAYOUT_START_INFO     0x08000ull
#define LAYOUT_START_INFO_END 0x09000ull
#define LAYOUT_STACK_TOP      0x10000ull
#define LAYOUT_SETUP_DATA     0x10000ull
#define LAYOUT_SETUP_DATA_END 0x20000ull
#define LAYOUT_CMDLINE	      0x20000ull
#define LAYOUT_CMDLINE_MAX    0x10000ull /* bytes, including the NUL */
#define LAYOUT_LOW_RAM_END    0x9e000ull /* usable low RAM ends here */
#define LAYOUT_HYPERCALL_PAGE 0x9e000ull
#define LAYOUT_TIME_PAGE      0x9f000ull
#define LAYOUT_HIGH_RAM	      0x100000ull

/*
 * Guest RAM above this address is moved up past the 32-bit MMIO hole, as on
 * a PC: RAM is [0, 3 GiB) and [4 GiB, 4 GiB + (size - 3 GiB)).
 */
#define LAYOUT_MMIO_HOLE     0xc0000000ull
#define LAYOUT_MMIO_HOLE_END 0x100000000ull

/* The smallest guest pvkit accepts: room for low memory and a kernel. */
#define LAYOUT_MIN_RAM (16ull << 20)

#endif
