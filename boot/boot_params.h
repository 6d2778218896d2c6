/* SPDX-License-Identifier: MIT */
/*
 * boot_params.h - build the Linux "zero page" (struct boot_params) for the
 * 64-bit entry, as boot.rst says a boot loader must: the image's own setup
 * header, then the fields a loader writes, the e820 map and setup_data.
 */
#ifndef PVKIT_BOOT_BOOT_PARAMS_H
#define PVKIT_BOOT_BOOT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "guest_memory.h"

struct boot_error;
struct bzimage_info;
struct pvkit_pvm_info;

/* Heap end for loaders that set CAN_USE_HEAP (as kvmtool and QEMU do): 0xfe00. */
#define BOOT_HEAP_END_PTR 0xfe00

/* The protocol pvkit states in the header it writes for an ELF kernel. */
#define BOOT_ELF_PROTOCOL 0x020f

struct boot_params_args {
	const struct bzimage_info *bz; /* NULL for an ELF kernel: pvkit writes a minimal header */
	uint64_t cmdline_addr;
	uint64_t initrd_addr; /* 0 with initrd_size 0: none */
	uint64_t initrd_size;
	uint32_t hardware_subarch;
	const uint8_t *rng_seed; /* SETUP_RNG_SEED; NULL: no seed entry */
	size_t rng_seed_size;
	const struct pvkit_pvm_info *pvm; /* PVKIT_SETUP_PVM; NULL: not in pvm mode */
};

/*
 * Write boot_params at LAYOUT_BOOT_PARAMS and the setup_data chain (the
 * seed, then the pvm entry, each present or not) at LAYOUT_SETUP_DATA.
 */
int boot_params_build(const struct boot_params_args *args, const struct guest_memory *mem,
		      struct boot_error *err);

#endif
