/* SPDX-License-Identifier: MIT */
/*
 * boot_info.h - what the kernel knows about how it was started, built from
 * whatever the loader handed over (boot_params or hvm_start_info) so that
 * nothing after kernel_main's first lines cares which entry was used.
 */
#ifndef PVKERNEL_BOOT_INFO_H
#define PVKERNEL_BOOT_INFO_H

#include "abi/pvkit_abi.h"
#include "kernel.h"

#define BOOT_MEM_MAX	 128
#define BOOT_CMDLINE_MAX 4096

struct mem_region {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 types */
};

struct boot_info {
	int kind;		/* BOOT_KIND_* */
	const char *entry_name; /* for the log */
	bool has_boot_params;	/* false for PVH */
	uint32_t hardware_subarch;
	uint8_t loader_type;
	uint16_t protocol_version;
	struct mem_region mem[BOOT_MEM_MAX];
	unsigned mem_count;
	char cmdline[BOOT_CMDLINE_MAX];
	unsigned setup_data_count;
	bool has_rng_seed;
	uint64_t rsdp;
	/* The CPU as the loader left it, for the environment probe. */
	unsigned entry_cpl;
	bool entry_paging;
	/* pvkit's PVKIT_SETUP_PVM entry: the kernel runs deprivileged. */
	bool has_pvm;
	struct pvkit_pvm_info pvm;
};

extern struct boot_info boot_info;

/* Fill boot_info from the raw entry arguments; returns 0 or -1 (and a reason). */
int boot_info_parse(struct boot_info *bi, int kind, uint64_t info, uint64_t entry_cr0,
		    uint64_t entry_cs, const char **why);

/* The kernel proper (kernel/main.c), entered once boot_info is complete. */
NORETURN void kernel_main(const struct boot_info *bi);

#endif
