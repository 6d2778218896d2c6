/* SPDX-License-Identifier: MIT */
/*
 * exp_timer.c - experiment 5: the in-kernel LAPIC timer (KVM_CREATE_IRQCHIP)
 * interrupting native guest code, in user mode and in syscall-entered kernel
 * mode.  The host programs a periodic timer with KVM_SET_LAPIC, so the guest
 * needs no emulated setup code; the CPL0 handler counts and EOIs.  The guest
 * runs the detour loop (guest.S), which sees each interrupt as a gap in its
 * back-to-back TSC reads: the median gap is the cost of one interrupt.
 */
#include <stdio.h>

#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

/* Detour loop with the timer on, in user mode or (via syscall) kernel mode. */
static void timer_in(bool kernel)
{
	const char *where = kernel ? "syscall-entered kernel mode" : "user mode";
	struct pvm_vm vm;
	double median;
	uint64_t gaps, handled;

	if (!exp_vm(&vm, true, pvm_g_entry))
		return;
	pvm_vm_set_gate(&vm, PVM_TIMER_VECTOR, pvm_gaddr(pvm_g_h_timer), 0);
	if (pvm_vm_start(&vm, true, pvm_gaddr(kernel ? pvm_g_syscall_once : pvm_g_detour_user),
			 exp_cycles(&vm, DETOUR_NS), exp_cycles(&vm, DETOUR_GAP_NS),
			 kernel ? 10 : 0) == 0 &&
	    report_check(exp_set_lapic_timer(&vm, true, TIMER_PERIOD_NS),
			 "LAPIC timer armed with KVM_SET_LAPIC") &&
	    exp_run_to_doorbell(&vm, 5000, where)) {
		gaps = exp_gaps(&vm, &median);
		handled = pvm_data(&vm, D_COUNT);
		report_note("%s: %llu interrupts handled, %llu gaps over 1 us in 100 ms", where,
			    (unsigned long long)handled, (unsigned long long)gaps);
		report_check(handled > 0, "timer interrupts are delivered in %s", where);
		report_value(kernel ? "timer_interrupt_kernel_ns" : "timer_interrupt_user_ns",
			     median, "ns", "(median gap; CPL0 handler: count, EOI by MMIO, iretq)");
	}
	pvm_vm_destroy(&vm);
}

int exp_timer(void)
{
	timer_in(false);
	timer_in(true);
	return report_failures();
}
