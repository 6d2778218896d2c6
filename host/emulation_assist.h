/* SPDX-License-Identifier: MIT */
/*
 * emulation_assist.h - finish instructions KVM's emulator gives up on.
 *
 * Where guest ring 0 runs in KVM's instruction emulator (a PVM host, see
 * ../shared/PLATFORM.md), a few ordinary instructions make KVM_RUN return
 * KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION instead of running
 * them.  The one that matters is `int3`: Linux executes it at boot
 * (int3_selftest) and whenever it patches its own code (text_poke_bp), and
 * pvkernel uses it in its exception tests.  Its whole effect is "raise #BP
 * with RIP after the instruction", which the VMM can do with
 * KVM_SET_VCPU_EVENTS.  `fwait` (Linux runs it once the CPUs are up) is
 * done the same way: #NM, #MF or nothing, from CR0 and the x87 status.
 * Anything else is reported with its bytes, so the one-line stop message
 * says which instruction it was.
 */
#ifndef PVKIT_HOST_EMULATION_ASSIST_H
#define PVKIT_HOST_EMULATION_ASSIST_H

#include <stdbool.h>
#include <stddef.h>

#include "machine.h"

/*
 * Called on KVM_INTERNAL_ERROR_EMULATION.  true: the instruction was done
 * here and the guest may run on.  false: `why` holds "the instruction at
 * RIP=... (bytes ...)" for the stop message.
 */
bool emulation_assist(struct machine *m, char *why, size_t why_size);

#endif
