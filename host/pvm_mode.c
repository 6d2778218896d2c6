// SPDX-License-Identifier: MIT
/* pvm_mode.c - should pvkit offer to run the kernel deprivileged (pvm mode)? */
#include <string.h>

#include "host_cpu.h"
#include "log.h"
#include "pvm_mode.h"

/*L:210 Whether to offer pvm mode.  On a host where guest ring 0 runs in
 * KVM's instruction emulator (kvm_pvm, no VT-x or AMD-V: host/host_cpu.c), a
 * kernel that can run deprivileged, entered by `syscall` from user mode,
 * runs natively instead, thousands of times faster.  It is only an
 * offer: cmd_run() passes it to the loader as the description of the mode
 * (pvm_machine_info() in host/pvm_machine.c), and the loader takes it for
 * a kernel whose ELF carries the PVM note.
 * Next: boot/loader.c. :*/
bool pv_deprivilege(enum pv_mode_choice choice, const char **why_not)
{
	if (choice == PV_MODE_RING0) {
		*why_not = "--pv-mode ring0";
		return false;
	}
	if (!host_is_pvm()) {
		*why_not = "ring 0 is not emulated on this host (no kvm_pvm, or vmx/svm present)";
		return false;
	}
	*why_not = NULL;
	return true;
}

int pvm_offer(enum pv_mode_choice choice, bool pvkit_cpuid, const char **why_not)
{
	if (!pv_deprivilege(choice, why_not)) {
		if (choice == PV_MODE_PVM) {
			log_msg("--pv-mode pvm: %s", *why_not);
			return -1;
		}
		return 0;
	}
	if (!pvkit_cpuid && choice != PV_MODE_PVM) {
		*why_not = "--no-pvkit-cpuid";
		return 0;
	}
	*why_not = NULL;
	return 1;
}
