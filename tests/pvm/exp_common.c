/* SPDX-License-Identifier: MIT */
/* exp_common.c - helpers every experiment uses. */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

bool exp_high_window = true;

/* A fresh VM whose syscall entry is the label lstar (or none). */
bool exp_vm(struct pvm_vm *vm, bool irqchip, const char *lstar)
{
	struct pvm_vm_options opt = {
	    .irqchip = irqchip,
	    .no_high_window = !exp_high_window,
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

#define APIC_SVR   0xf0
#define APIC_LVTT  0x320
#define APIC_TMICT 0x380
#define APIC_TDCR  0x3e0

static void put32(struct kvm_lapic_state *lapic, int reg, uint32_t value)
{
	memcpy(lapic->regs + reg, &value, sizeof(value));
}

/*
 * Periodic in-kernel LAPIC timer at PVM_TIMER_VECTOR every period_ns, or off,
 * programmed from the host (KVM_SET_LAPIC) so the guest needs no setup code.
 */
bool exp_set_lapic_timer(struct pvm_vm *vm, bool on, uint32_t period_ns)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return false;
	put32(&lapic, APIC_SVR, 0x1ff); /* APIC on, spurious vector 0xff */
	put32(&lapic, APIC_TDCR, 0xb);	/* divide by 1: KVM counts 1 ns per tick */
	put32(&lapic, APIC_LVTT, on ? (1u << 17) | PVM_TIMER_VECTOR : 1u << 16);
	put32(&lapic, APIC_TMICT, on ? period_ns : 0);
	return ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &lapic) == 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The gaps the detour loop recorded (guest.S): how many, and the median in
 * ns.  With a periodic timer the median gap is the cost of one interrupt as
 * the interrupted code sees it; rarer, longer gaps (host preemption, the
 * harness's deadline signal) do not move the median.
 */
uint64_t exp_gaps(struct pvm_vm *vm, double *median_ns)
{
	uint64_t count = pvm_data(vm, D_RESULT(0));
	uint64_t *gaps;

	*median_ns = 0;
	if (count == 0 || count > PVM_GAPS_MAX)
		return count;
	gaps = malloc(count * sizeof(*gaps));
	if (!gaps)
		return count;
	memcpy(gaps, vm->mem + PVM_GAPS, count * sizeof(*gaps));
	qsort(gaps, count, sizeof(*gaps), compare_u64);
	*median_ns = pvm_cycles_to_ns(vm, gaps[count / 2]);
	free(gaps);
	return count;
}

/* TSC cycles in ns nanoseconds. */
uint64_t exp_cycles(const struct pvm_vm *vm, double ns)
{
	return (uint64_t)(ns * (double)vm->tsc_khz / 1e6);
}
