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
 * Who decides what: pvm_mode.c whether pvkit offers pvm mode at all (the
 * host kind, --pv-mode); the loader (boot/loader.c) whether this kernel
 * takes it (its note, its entry, its hardware_subarch); machine.c builds
 * the machine for the entry the loader chose, with pvm_machine.c's pieces.
 * docs/pvm-backend.md tells the whole story.
 */
#ifndef PVKIT_HOST_PVM_MODE_H
#define PVKIT_HOST_PVM_MODE_H

#include <stdbool.h>

enum pv_mode_choice {
	PV_MODE_AUTO,  /* pvm where the host is PVM-like and the image can */
	PV_MODE_PVM,   /* pvm, or an error if the image cannot */
	PV_MODE_RING0, /* the kernel's ordinary entry, in ring 0 */
};

/* The unbacked guest-physical address the pvm hypercall page writes to:
 * in the APIC window every pvkernel maps, claimed by no device. */
#define PVM_HYPERCALL_MMIO 0xfefff000ull
/* The trampoline's offset in the hypercall page. */
#define PVM_TRAMPOLINE_OFFSET 0x800

/*
 * Should a kernel that can run deprivileged (pvm mode, or a Xen PV kernel
 * under pvxen: --entry auto) be started that way?  Only where ring 0 is
 * emulated (host_is_pvm()): where it runs natively, deprivileging would
 * only cost.  Not with --pv-mode ring0.  false with `why_not` set, or true.
 */
bool pv_deprivilege(enum pv_mode_choice choice, const char **why_not);

/*
 * Does pvkit offer pvm mode to the loader (boot_request.pvm)?  Only where
 * pv_deprivilege() says so, not even with --pv-mode pvm.  Not with
 * --no-pvkit-cpuid (a kernel told to ignore pvkit) unless forced.  Returns
 * 1 or 0 (`why_not` says why not), or -1 with a message when --pv-mode pvm
 * cannot be honoured on this host.
 */
int pvm_offer(enum pv_mode_choice choice, bool pvkit_cpuid, const char **why_not);

#endif
