/* SPDX-License-Identifier: MIT */
/*
 * host_cpu.h - what kind of host this is, for choices that depend on it.
 *
 * A PVM host is one where /dev/kvm is served by kvm_pvm and the CPU has no
 * VT-x/AMD-V: guest ring 0 is emulated instruction by instruction, while
 * guest user mode (and kernel code entered with `syscall` from it) runs
 * natively (docs/pvm.md).  `pvkit run` starts a kernel deprivileged only
 * there, `pvkit probe` reports it, and the PVM experiments need it: all of
 * them ask host_is_pvm().
 */
#ifndef PVKIT_HOST_HOST_CPU_H
#define PVKIT_HOST_HOST_CPU_H

#include <stdbool.h>

struct host_cpu {
	bool vmx, svm;	 /* hardware virtualization: ring 0 runs natively */
	bool hypervisor; /* this host is itself a guest */
	bool kvm_pvm;	 /* the kvm_pvm module serves /dev/kvm */
};

/* The CPU flags from /proc/cpuinfo and whether kvm_pvm is loaded. */
void host_cpu_read(struct host_cpu *cpu);

/*
 * Is this a PVM host (no vmx/svm, kvm_pvm loaded)?  PVKIT_PVM_HOST_OVERRIDE
 * set to 1 or 0 answers instead, so tests can pretend either way.
 */
bool host_is_pvm(void);

#endif
