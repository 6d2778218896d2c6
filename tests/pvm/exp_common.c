/* SPDX-License-Identifier: MIT */
/* exp_common.c - helpers every experiment uses. */
#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

/* A fresh VM whose syscall entry is the label lstar (or none). */
bool exp_vm(struct pvm_vm *vm, bool irqchip, const char *lstar)
{
	struct pvm_vm_options opt = {
		.irqchip = irqchip,
		.lstar = lstar ? pvm_gaddr(lstar) : 0,
		/* TF, DF, AC like Linux, but not IF: see what the host does with IF. */
		.syscall_mask = 0x40500,
	};

	if (pvm_vm_create(vm, &opt) == 0)
		return true;
	return report_check(false, "experiment VM created");
}

/* Run; anything but the doorbell is a failed check that says what happened. */
bool exp_run_to_doorbell(struct pvm_vm *vm, unsigned timeout_ms, const char *what)
{
	struct pvm_stop stop;

	pvm_vm_run(vm, timeout_ms, &stop);
	if (stop.kind == PVM_STOP_DOORBELL)
		return true;
	report_check(false, "%s: %s", what, pvm_stop_describe(&stop));
	return false;
}

/* Nanoseconds per event for cycles spent on count events. */
double exp_ns(struct pvm_vm *vm, uint64_t cycles, double count)
{
	return pvm_cycles_to_ns(vm, cycles) / count;
}
