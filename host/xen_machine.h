/* SPDX-License-Identifier: MIT */
/*
 * xen_machine.h - the VM for a Xen PV domain (`--entry xen`): pvxen, the
 * small hypervisor that plays Xen inside the VM, loaded into the top of low
 * RAM and mapped at PML4 slots 257-258 of the domain's page tables, the CPU
 * started in user mode on pvxen's `syscall` trampoline.  docs/xen-pv.md.
 */
#ifndef PVKIT_HOST_XEN_MACHINE_H
#define PVKIT_HOST_XEN_MACHINE_H

#include <stdint.h>

#include "abi/pvxen_abi.h"
#include "boot/loader.h"
#include "hypercall.h"
#include "machine.h"

/* After machine_create()'s generic part: pvxen, its page tables, the
 * doorbell, the MSRs and the first CPU state; no_isolation: `--isolation
 * off`.  -1 with a message. */
int xen_machine_setup(struct machine *m, const struct boot_entry *entry, bool no_isolation);

/* pvxen's calls to pvkit (abi/pvxen_abi.h), from hypercall_dispatch(). */
int64_t xen_hypercall_shutdown(struct hypercall_service *svc, uint64_t reason, uint64_t gpa,
			       uint64_t len);
int64_t xen_hypercall_log(struct hypercall_service *svc, uint64_t gpa, uint64_t len);
int64_t xen_hypercall_console_read(struct hypercall_service *svc, uint64_t gpa, uint64_t len);

#endif
