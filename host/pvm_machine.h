/* SPDX-License-Identifier: MIT */
/*
 * pvm_machine.h - the parts of a machine that only pvm mode has (see
 * pvm_mode.h): what pvkit offers the kernel, and the MMIO hypercall
 * transport.  machine_create() uses them when the loader chose
 * BOOT_CPU_PVM.
 */
#ifndef PVKIT_HOST_PVM_MACHINE_H
#define PVKIT_HOST_PVM_MACHINE_H

#include "abi/pvkit_abi.h"
#include "machine.h"
#include "pvm_mode.h"

/*
 * What pvkit offers a kernel in pvm mode (boot_request.pvm, written by the
 * loader as the PVKIT_SETUP_PVM setup_data entry): the trampoline, the
 * doorbell, the GDT/TSS and selectors machine_create() sets up, the ABI
 * version, features and pages of the hypercall service.
 */
void pvm_machine_info(struct pvkit_pvm_info *info);

/*
 * The hypercall page for this mode (a store to PVM_HYPERCALL_MMIO, and the
 * `syscall` trampoline at +PVM_TRAMPOLINE_OFFSET) and the doorbell that
 * serves it.  -1 with a message on failure.
 */
int pvm_machine_setup(struct machine *m);

/*
 * Just the MMIO hypercall doorbell on m->bus (part of pvm_machine_setup();
 * no KVM needed, so fuzz/fuzz_exits.c can put it on its in-memory machine).
 */
int pvm_machine_add_doorbell(struct machine *m);

#endif
