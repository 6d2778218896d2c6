/* SPDX-License-Identifier: MIT */
/*
 * exp_timer.c - experiment 5: the in-kernel LAPIC timer (KVM_CREATE_IRQCHIP)
 * interrupting native guest code, in user mode and in syscall-entered kernel
 * mode.  The host programs the timer with KVM_SET_LAPIC between phases, so
 * the guest needs no emulated setup code; the CPL0 handler counts and EOIs.
 *
 * Cost per interrupt = (loop time with the timer - without) / interrupts.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

#define LOOP_ITERATIONS 200000000ull /* ~60 ms per phase */
#define PERIOD_NS       100000u      /* 100 us */

#define APIC_SVR  0xf0
#define APIC_LVTT 0x320
#define APIC_TMICT 0x380
#define APIC_TDCR 0x3e0

static void put32(struct kvm_lapic_state *lapic, int reg, uint32_t value)
{
	memcpy(lapic->regs + reg, &value, sizeof(value));
}

/* Periodic timer at PVM_TIMER_VECTOR every PERIOD_NS, or off. */
static bool set_timer(struct pvm_vm *vm, bool on)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return false;
	put32(&lapic, APIC_SVR, 0x1ff); /* APIC on, spurious vector 0xff */
	put32(&lapic, APIC_TDCR, 0xb);  /* divide by 1: KVM counts 1 ns per tick */
	put32(&lapic, APIC_LVTT, on ? (1u << 17) | PVM_TIMER_VECTOR : 1u << 16);
	put32(&lapic, APIC_TMICT, on ? PERIOD_NS : 0);
	return ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &lapic) == 0;
}

int exp_timer(void)
{
	struct pvm_vm vm;
	uint64_t user_count, kernel_count;
	double ns[4];

	if (!exp_vm(&vm, true, pvm_g_entry))
		return report_failures();
	pvm_vm_set_gate(&vm, PVM_TIMER_VECTOR, pvm_gaddr(pvm_g_h_timer), 0);
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_timer_user), LOOP_ITERATIONS, 0, 0) != 0 ||
	    !exp_run_to_doorbell(&vm, 5000, "timer phase A (user, no timer)"))
		goto out;
	if (!report_check(set_timer(&vm, true), "LAPIC timer armed with KVM_SET_LAPIC"))
		goto out;
	if (!exp_run_to_doorbell(&vm, 5000, "timer phase B (user, timer)"))
		goto out;
	user_count = pvm_data(&vm, D_COUNT);
	if (!exp_run_to_doorbell(&vm, 5000, "timer phase C (kernel, timer)"))
		goto out;
	kernel_count = pvm_data(&vm, D_COUNT) - user_count;
	set_timer(&vm, false);
	if (!exp_run_to_doorbell(&vm, 5000, "timer phase D (kernel, no timer)") ||
	    !exp_run_to_doorbell(&vm, 5000, "timer experiment end"))
		goto out;
	for (int i = 0; i < 4; i++)
		ns[i] = pvm_cycles_to_ns(&vm, pvm_data(&vm, D_RESULT(i)));

	report_value("timer_interrupts_in_user_loop", (double)user_count, "",
		     "(100 us periodic LAPIC timer)");
	report_value("timer_interrupts_in_kernel_loop", (double)kernel_count, "", NULL);
	report_check(user_count > 0, "timer interrupts are delivered while in user mode");
	report_check(kernel_count > 0,
		     "timer interrupts are delivered while in syscall-entered kernel mode");
	if (user_count > 0)
		report_value("timer_interrupt_cost_user_ns", (ns[1] - ns[0]) / (double)user_count,
			     "ns", "(CPL0 handler: count, EOI by MMIO, iretq)");
	if (kernel_count > 0)
		report_value("timer_interrupt_cost_kernel_ns",
			     (ns[2] - ns[3]) / (double)kernel_count, "ns", NULL);
	report_value("timer_loop_user_ms", ns[0] / 1e6, "ms", "(without timer)");
	report_value("timer_loop_kernel_ms", ns[3] / 1e6, "ms", "(without timer)");
out:
	pvm_vm_destroy(&vm);
	return report_failures();
}
