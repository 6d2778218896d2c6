/* SPDX-License-Identifier: MIT */
/*
 * loader.h - put a kernel image into guest memory the way the x86 boot
 * protocol says, and tell the VMM how to start the CPU.
 *
 * The loader never touches KVM: it writes into a struct guest_memory and
 * returns a struct boot_entry.  That is what lets the unit tests and fuzzers
 * run every loader path against a malloc'd buffer.  The image comes parsed
 * (image.h), so the caller can look at it first (pvm mode, inspect).
 */
#ifndef PVKIT_BOOT_LOADER_H
#define PVKIT_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "guest_memory.h"
#include "image.h"
#include "xen_pv.h"

struct pvkit_pvm_info;

enum boot_entry_choice {
	BOOT_ENTRY_AUTO, /* fastest correct path for this image */
	BOOT_ENTRY_64,	 /* 64-bit entry with boot_params (bzImage or ELF) */
	BOOT_ENTRY_PVH,	 /* 32-bit PVH entry from the ELF note (ELF or payload) */
	BOOT_ENTRY_XEN,	 /* Xen PV guest under pvkit's in-VM Xen (boot/xen_pv.h) */
};

/*
 * The command line a kernel gets when none is given: where its console is.
 * A Xen PV kernel has no serial port here, only its console ring (hvc0).
 */
#define BOOT_CMDLINE_DEFAULT "console=ttyS0"
#define BOOT_CMDLINE_XEN_PV  "console=hvc0"

struct boot_request {
	const struct boot_image *image; /* from boot_image_parse() */
	const uint8_t *initrd;		/* may be NULL */
	size_t initrd_size;
	const char *cmdline; /* NUL-terminated; NULL: the chosen entry's default (above) */
	enum boot_entry_choice entry;
	/*
	 * The host starts kernels deprivileged where they can run so (ring 0
	 * is emulated: host/pvm_mode.h): BOOT_ENTRY_AUTO then takes the Xen PV
	 * entry of a kernel with the Xen ENTRY note that is not a pvkit kernel.
	 * When false, `why_ring0` (may be NULL) says why, for the boot line.
	 */
	bool deprivilege;
	const char *why_ring0;
	uint32_t hardware_subarch;
	bool subarch_given; /* false: default (pvkit's own for images that ask for it, else PC) */
	const uint8_t *rng_seed; /* for SETUP_RNG_SEED; may be NULL */
	size_t rng_seed_size;
	/*
	 * pvm mode (abi/pvkit_abi.h): what the host offers a kernel that can
	 * run deprivileged, NULL where it offers nothing.  A kernel with the
	 * PVKIT_ELFNOTE_PVM note that would take its 64-bit entry with pvkit's
	 * hardware_subarch is then started that way instead: its ELF loaded,
	 * *pvm written as the PVKIT_SETUP_PVM setup_data entry.
	 */
	const struct pvkit_pvm_info *pvm;
	bool pvm_required; /* pvm or an error, whatever the hardware_subarch */
};

enum boot_cpu_mode {
	BOOT_CPU_LONG64,      /* 64-bit mode, paging on (identity map), RSI = boot_params */
	BOOT_CPU_PROTECTED32, /* 32-bit protected mode, paging off, EBX = hvm_start_info */
	BOOT_CPU_PVM,	      /* 64-bit mode at CPL3 on the pvm trampoline, RSI = boot_params */
	BOOT_CPU_XEN_PV,      /* a Xen PV domain: see `xen` (host/xen_machine.c starts it) */
};

struct boot_entry {
	enum boot_cpu_mode mode;
	uint64_t rip;
	uint64_t rsi;
	uint64_t rbx;
	uint64_t rsp;
	uint32_t hardware_subarch; /* what was written into boot_params */
	struct elf_pvm_note pvm;   /* BOOT_CPU_PVM: MSR_LSTAR and IDTR.base */
	char path[256]; /* e.g. "bzImage 64-bit entry", "PVH (ELF from bzImage payload, lz4)" */
	struct xen_pv_plan xen; /* BOOT_CPU_XEN_PV only */
};

/*
 * Load req->image into mem.  On failure, returns -1 with err filled (which
 * input is at fault, and what is wrong) and leaves the guest unstarted.
 */
int boot_load(const struct boot_request *req, struct guest_memory *mem, struct boot_entry *entry,
	      struct boot_error *err);

#endif
