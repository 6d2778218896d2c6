/* SPDX-License-Identifier: MIT */
/*
 * pvm_machine.h - turn a machine made for a ring-0 entry into one that
 * starts the kernel deprivileged (see pvm_mode.h).
 */
#ifndef PVKIT_HOST_PVM_MACHINE_H
#define PVKIT_HOST_PVM_MACHINE_H

#include "boot/loader.h"
#include "machine.h"
#include "pvm_mode.h"

/*
 * After machine_create(): identity map with U set, the pvm hypercall page
 * and trampoline, the PVKIT_SETUP_PVM setup_data entry, the MMIO hypercall
 * doorbell, MSR_STAR/LSTAR/SYSCALL_MASK, and the vCPU at CPL3 on the
 * trampoline with RSI = boot_params.  -1 with a message on failure.
 */
int pvm_machine_setup(struct machine *m, const struct pvm_image *img,
		      const struct boot_entry *entry);

/*
 * Just the MMIO hypercall doorbell on m->bus (part of pvm_machine_setup();
 * no KVM needed, so fuzz/fuzz_exits.c can put it on its in-memory machine).
 */
int pvm_machine_add_doorbell(struct machine *m);

#endif
