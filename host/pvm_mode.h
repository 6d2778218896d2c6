/* SPDX-License-Identifier: MIT */
/*
 * pvm_mode.h - running a kernel deprivileged on a PVM host ("pvm mode").
 *
 * On a KVM host without VT-x/AMD-V whose /dev/kvm is served by kvm_pvm,
 * guest ring 0 is emulated instruction by instruction (~5000x slower), but
 * kernel code entered with `syscall` from guest user mode runs natively.
 * A kernel that says it can run that way (the PVKIT_ELFNOTE_PVM note, see
 * abi/pvkit_abi.h) is started at CPL3 on a `syscall` trampoline instead of
 * at its 64-bit entry in ring 0.
 *
 * pvm_mode.c decides (host kind, image, --pv-mode); pvm_machine.c sets the
 * VM up for it.  docs/pvm-backend.md tells the whole story.
 */
#ifndef PVKIT_HOST_PVM_MODE_H
#define PVKIT_HOST_PVM_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/loader.h"

enum pv_mode_choice {
	PV_MODE_AUTO,  /* pvm where the host is PVM-like and the image can */
	PV_MODE_PVM,   /* pvm, or an error if the image cannot */
	PV_MODE_RING0, /* the kernel's ordinary entry, in ring 0 */
};

/* What the kernel's PVKIT_ELFNOTE_PVM note says. */
struct pvm_image {
	uint64_t syscall_entry; /* -> MSR_LSTAR */
	uint64_t idt;		/* -> IDTR.base before the first instruction */
};

/* The unbacked guest-physical address the pvm hypercall page writes to:
 * in the APIC window every pvkernel maps, claimed by no device. */
#define PVM_HYPERCALL_MMIO 0xfefff000ull
/* The trampoline's offset in the hypercall page. */
#define PVM_TRAMPOLINE_OFFSET 0x800

/* The test `pvkit probe` reports: no vmx/svm flag, kvm_pvm loaded. */
bool pvm_host_is_pvm_like(void);

/* Find the note in a bzImage (its ELF payload) or an ELF; true if found. */
bool pvm_image_find(const uint8_t *kernel, size_t size, struct pvm_image *img);

/*
 * Decide: returns 1 for pvm mode (img filled), 0 for ring 0, -1 with a
 * message when --pv-mode pvm cannot be honoured.  `why` says why not pvm.
 */
int pvm_decide(enum pv_mode_choice choice, const uint8_t *kernel, size_t size,
	       const struct boot_entry *entry, struct pvm_image *img, const char **why);

#endif
