/* SPDX-License-Identifier: MIT */
/*
 * exp_pvcs_mode.c - experiment 6b: what a guest `wrmsr` of a page address to
 * MSR 0x4b564d10 does on this host.  It switches the CPL0 context from
 * instruction-by-instruction emulation to native execution, with a shared
 * page whose first qword behaves like the PVM spec's PVCS::event_flags
 * ("PVCS mode" in docs/pvm.md).  Each test starts a fresh vCPU at CPL0,
 * writes the MSR (0x400, its reset value, for the control runs) and then runs
 * one test of pvm_g_sup_entry (guest.S).
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

#define MSR_PVM_VARIANT 0x4b564d10u
#define MODE_OFF	0x400ull /* the reset value: mode not entered */
#define MODE_ON		((uint64_t)PVM_PVCS_PAGE)

/* PVCS::event_flags bits, as in the published PVM headers. */
#define EVENT_FLAGS_EF 0x1ull	/* events enabled */
#define EVENT_FLAGS_IP 0x100ull /* interrupt pending (set by the host) */
#define EVENT_FLAGS_IF 0x200ull /* interrupts enabled */

#define LOOP_NATIVE	200000000ull
#define RESTORE_CALLS	150000ull    /* syscalls of the restored loop */
#define USER_TIMER_LOOP 200000000ull /* ~60-100 ms natively: ~600+ timer periods */
#define LOOP_EMULATED	20000ull
#define EXCEPTIONS	2000ull
#define CR3_ROUNDS	500ull
#define ROUND_TRIPS	100000ull

enum sup_test {
	SUP_LOOP = 0,
	SUP_STATE = 1,
	SUP_INT3 = 2,
	SUP_CR3 = 3,
	SUP_IRETQ_CS33 = 4,
	SUP_STI_LOOP = 5,
	SUP_SYSCALL = 6,
	SUP_VMCALL = 7,
	SUP_HLT = 8,
	SUP_DETOUR = 9,
	SUP_STI_DETOUR = 10,
	SUP_US = 11,
	SUP_SYSRET = 12,
	SUP_TOUCH = 13,
	SUP_SYSRET_ARG = 14, /* sysretq with rdi = iterations */
};

/*
 * Start a CPL0 vCPU that writes msr_value, then runs test with
 * D_PARAM(P_ARG) = iterations; event_flags is the first qword of the page.
 */
static bool sup_start(struct pvm_vm *vm, bool irqchip, const char *lstar, uint64_t msr_value,
		      uint64_t event_flags, enum sup_test test, uint64_t iterations)
{
	if (!exp_vm(vm, irqchip, lstar))
		return false;
	pvm_set_data(vm, PVM_PVCS_PAGE, event_flags);
	pvm_set_data(vm, D_PARAM(P_ARG), iterations);
	return pvm_vm_start(vm, false, pvm_gaddr(pvm_g_sup_entry), msr_value, MSR_PVM_VARIANT,
			    test) == 0;
}

static double sup_loop_ns(uint64_t msr_value, uint64_t iterations)
{
	struct pvm_vm vm;
	double ns = -1;

	if (sup_start(&vm, false, NULL, msr_value, 0, SUP_LOOP, iterations) &&
	    exp_run_to_doorbell(&vm, 10000, "CPL0 loop after the MSR write"))
		ns = exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), (double)iterations);
	pvm_vm_destroy(&vm);
	return ns;
}

static void loops(void)
{
	double off = sup_loop_ns(MODE_OFF, LOOP_EMULATED);
	double on = sup_loop_ns(MODE_ON, LOOP_NATIVE);

	if (off <= 0 || on <= 0)
		return;
	report_value("cpl0_loop_mode_off_ns_per_iteration", off, "ns", "(MSR = 0x400)");
	report_value("cpl0_loop_mode_on_ns_per_iteration", on, "ns", "(MSR = page address)");
	report_check(off / on >= 100,
		     "after wrmsr 0x4b564d10 <- page address, CPL0 code runs natively (%.0fx "
		     "faster than before)",
		     off / on);
}

static void state(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	uint64_t host_view = 0;

	if (sup_start(&vm, false, NULL, MODE_ON, 0, SUP_STATE, 0)) {
		pvm_vm_run(&vm, 2000, &stop);
		pvm_get_msr(&vm, MSR_PVM_VARIANT, &host_view);
		report_note("in the mode: mov from cs 0x%llx, ss 0x%llx, pushfq 0x%llx, cr3 0x%llx",
			    (unsigned long long)pvm_data(&vm, D_RESULT(0)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(1)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(2)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(5)));
		report_check(stop.kind == PVM_STOP_DOORBELL && pvm_data(&vm, D_RESULT(3)) == 1,
			     "in the mode `out` does not exit to the VMM (dropped, as at CPL3): %s",
			     pvm_stop_describe(&stop));
		report_check(
		    pvm_data(&vm, D_RESULT(4)) == MODE_ON && host_view == (MODE_ON | 0x400),
		    "the MSR reads back 0x%llx in the guest, 0x%llx from the host",
		    (unsigned long long)pvm_data(&vm, D_RESULT(4)), (unsigned long long)host_view);
	}
	pvm_vm_destroy(&vm);
}

/* A CPL0 `out` right after the write of the reset value still exits. */
static void out_control(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (sup_start(&vm, false, NULL, MODE_OFF, 0, SUP_STATE, 0)) {
		pvm_vm_run(&vm, 2000, &stop);
		report_check(stop.kind == PVM_STOP_OTHER && stop.exit_reason == 2 /* KVM_EXIT_IO */,
			     "control: with the reset value, CPL0 `out` exits to the VMM");
	}
	pvm_vm_destroy(&vm);
}

static void exceptions(uint64_t event_flags)
{
	struct pvm_vm vm;
	char name[64];

	if (sup_start(&vm, false, NULL, MODE_ON, event_flags, SUP_INT3, EXCEPTIONS)) {
		pvm_vm_set_gate(&vm, 3, pvm_gaddr(pvm_g_h_iret), 0);
		snprintf(name, sizeof(name), "pvcs_mode_int3_iretq_round_trip_ef%llu_ns",
			 (unsigned long long)(event_flags & EVENT_FLAGS_EF));
		if (exp_run_to_doorbell(&vm, 10000, "int3 loop in the mode"))
			report_value(name,
				     exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), (double)EXCEPTIONS),
				     "ns", "(through the guest IDT, CPL0 handler: iretq)");
	}
	pvm_vm_destroy(&vm);
	if (sup_start(&vm, false, NULL, MODE_ON, event_flags, SUP_INT3, 1)) {
		pvm_vm_set_gate(&vm, 3, pvm_gaddr(pvm_g_h_record), 0);
		if (exp_run_to_doorbell(&vm, 5000, "one int3 in the mode")) {
			uint64_t cs = pvm_data(&vm, D_FRAMES + 8),
				 ss = pvm_data(&vm, D_FRAMES + 32);
			uint64_t at = pvm_data(&vm, D_FRAMES + 40);

			report_note("event_flags 0x%llx: int3 frame rip 0x%llx cs 0x%llx rflags "
				    "0x%llx rsp 0x%llx ss 0x%llx, pushed at 0x%llx",
				    (unsigned long long)event_flags,
				    (unsigned long long)pvm_data(&vm, D_FRAMES),
				    (unsigned long long)cs,
				    (unsigned long long)pvm_data(&vm, D_FRAMES + 16),
				    (unsigned long long)pvm_data(&vm, D_FRAMES + 24),
				    (unsigned long long)ss, (unsigned long long)at);
			report_check(cs == PVM_KERNEL_CS && ss == PVM_KERNEL_DS &&
					 at == PVM_KERNEL_STACK_TOP - 40,
				     "int3 in the mode goes through the guest IDT with a truthful "
				     "kernel frame (CS 0x08, SS 0x10, no stack switch)");
		}
	}
	pvm_vm_destroy(&vm);
}

/* ns per CR3 load in the mode (A/B alternating), or -1 on a failed check. */
static double cr3_once(bool high_window)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	double ns = -1;

	exp_high_window = high_window;
	if (sup_start(&vm, false, NULL, MODE_ON, 0, SUP_CR3, CR3_ROUNDS)) {
		pvm_vm_run(&vm, 10000, &stop);
		if (stop.kind != PVM_STOP_DOORBELL)
			report_check(false, "in the mode, mov to CR3 needs no guest handler: %s",
				     pvm_stop_describe(&stop));
		else if (!report_check(
			     pvm_data(&vm, D_RESULT(1)) == 0,
			     "every CR3 load in the mode took effect (%llu wrong markers)",
			     (unsigned long long)pvm_data(&vm, D_RESULT(1))))
			;
		else
			ns = exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), 2.0 * CR3_ROUNDS);
	}
	pvm_vm_destroy(&vm);
	exp_high_window = true;
	return ns;
}

static void cr3(void)
{
	for (int high = 0; high < 2; high++) {
		double best = -1;

		for (int i = 0; i < EXP_REPEAT; i++) {
			double ns = cr3_once(high);

			if (ns < 0)
				return;
			if (best < 0 || ns < best)
				best = ns;
		}
		report_value(high ? "pvcs_mode_cr3_load_with_high_window_ns"
				  : "pvcs_mode_cr3_load_ns",
			     best, "ns",
			     high ? "(same, with the upper-half window mapped too)"
				  : "(plain mov to CR3, A/B alternating, host-emulated)");
	}
}

static void syscall_round_trips(void)
{
	struct pvm_vm vm;

	if (sup_start(&vm, false, pvm_g_entry_iret, MODE_ON, 0, SUP_IRETQ_CS33, ROUND_TRIPS)) {
		pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_syscall_loop));
		if (exp_run_to_doorbell(&vm, 10000, "syscall round trips in the mode")) {
			double ns = exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), (double)ROUND_TRIPS);

			report_value(
			    "pvcs_mode_syscall_round_trip_ns", ns, "ns",
			    "(iretq to CS 0x33 stays in the mode; syscall/iretq inside it)");
			/* How fast is the value above; that they run is the check. */
			report_check(ns > 0, "syscall/iretq round trips inside the mode complete");
		}
	}
	pvm_vm_destroy(&vm);
}

/*
 * The detour loop in the mode with the timer on; returns the interrupts
 * handled.
 */
static uint64_t timer(enum sup_test test, uint64_t event_flags, const char *label,
		      double *median_ns)
{
	struct pvm_vm vm;
	uint64_t handled = 0, flags_after = 0;

	*median_ns = 0;
	if (!sup_start(&vm, true, NULL, MODE_ON, event_flags, test, 0))
		return 0;
	pvm_set_data(&vm, D_PARAM(P_ARG), exp_cycles(&vm, DETOUR_NS));
	pvm_set_data(&vm, D_PARAM(P_NR), exp_cycles(&vm, DETOUR_GAP_NS));
	pvm_vm_set_gate(&vm, PVM_TIMER_VECTOR, pvm_gaddr(pvm_g_h_timer), 0);
	exp_set_lapic_timer(&vm, true, TIMER_PERIOD_NS);
	if (exp_run_to_doorbell(&vm, 5000, label)) {
		exp_gaps(&vm, median_ns);
		handled = pvm_data(&vm, D_COUNT);
		flags_after = pvm_data(&vm, PVM_PVCS_PAGE);
	}
	pvm_vm_destroy(&vm);
	report_note("%s, event_flags 0x%llx before, 0x%llx after: %llu timer interrupts", label,
		    (unsigned long long)event_flags, (unsigned long long)flags_after,
		    (unsigned long long)handled);
	if (handled == 0)
		report_check(flags_after & EVENT_FLAGS_IP,
			     "%s: the host marks the interrupt pending in event_flags (bit 8)",
			     label);
	return handled;
}

static void timers(void)
{
	double cost;
	uint64_t n;

	n = timer(SUP_STI_DETOUR, 0, "sti; loop in the mode", &cost);
	report_check(n == 0, "without EF in event_flags, `sti` does not let interrupts in");
	n = timer(SUP_DETOUR, EVENT_FLAGS_IF, "loop in the mode, event_flags IF only", &cost);
	report_check(n == 0, "IF alone in event_flags is not enough either");
	n = timer(SUP_DETOUR, EVENT_FLAGS_EF | EVENT_FLAGS_IF, "loop in the mode, EF|IF", &cost);
	report_check(n > 0,
		     "with EF|IF in event_flags, timer interrupts reach the mode through the "
		     "guest IDT (%llu)",
		     (unsigned long long)n);
	if (n > 0)
		report_value("pvcs_mode_timer_interrupt_ns", cost, "ns",
			     "(median gap; CPL0 handler: count, EOI by MMIO, iretq)");
}

static void hlt_wait(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!sup_start(&vm, true, NULL, MODE_ON, EVENT_FLAGS_EF | EVENT_FLAGS_IF, SUP_HLT, 20))
		return;
	pvm_vm_set_gate(&vm, PVM_TIMER_VECTOR, pvm_gaddr(pvm_g_h_timer), 0);
	exp_set_lapic_timer(&vm, true, TIMER_PERIOD_NS);
	pvm_vm_run(&vm, 2000, &stop);
	report_check(stop.kind == PVM_STOP_DOORBELL && pvm_data(&vm, D_COUNT) >= 20,
		     "sti; hlt in the mode (EF|IF) wakes on timer interrupts: %s",
		     pvm_stop_describe(&stop));
	pvm_vm_destroy(&vm);
}

/*
 * U/S in the mode.  With a recording #PF handler in place: user mode (entered
 * from the mode) writes the supervisor-only page; kernel code in the mode
 * writes it, reads it, and reads the not-present page 0.  Protection faults
 * on present pages are never delivered: the vCPU stops making progress.
 */
static void user_supervisor(void)
{
	static const char *const access[4] = {"", "write", "read", "read"};
	struct pvm_vm vm;
	struct pvm_stop stop;

	for (uint64_t kind = 0; kind < 4; kind++) {
		if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, SUP_US, 0))
			return;
		pvm_set_data(&vm, D_PARAM(P_NR), kind);
		pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_us_user));
		pvm_vm_set_gate(&vm, 14, pvm_gaddr(pvm_g_h_record_fault), 0);
		pvm_vm_run(&vm, 300, &stop);
		if (kind == 0) {
			report_check(stop.kind == PVM_STOP_TIMEOUT &&
					 stop.rip == pvm_gaddr(pvm_g_user_us_write),
				     "after the mode, a user-mode write of a supervisor page never "
				     "completes and raises nothing: %s (%llu #PF seen)",
				     pvm_stop_describe(&stop),
				     (unsigned long long)pvm_data(&vm, D_COUNT));
		} else if (kind == 3) {
			report_check(pvm_data(&vm, D_COUNT) >= 1 &&
					 pvm_data(&vm, D_FRAMES + 8) ==
					     pvm_gaddr(pvm_g_sup_np_read) &&
					 pvm_data(&vm, D_FRAMES + 16) == 0x100,
				     "a not-present #PF in the mode is delivered through the guest "
				     "IDT (%llu recorded: error %llu, rip 0x%llx, cr2 0x%llx)",
				     (unsigned long long)pvm_data(&vm, D_COUNT),
				     (unsigned long long)pvm_data(&vm, D_FRAMES),
				     (unsigned long long)pvm_data(&vm, D_FRAMES + 8),
				     (unsigned long long)pvm_data(&vm, D_FRAMES + 16));
		} else {
			report_check(stop.kind == PVM_STOP_TIMEOUT &&
					 stop.rip == pvm_gaddr(kind == 1 ? pvm_g_sup_us_write
									 : pvm_g_sup_us_read),
				     "a %s of a supervisor-only page by kernel code in the mode "
				     "never completes and raises nothing: %s (%llu #PF seen)",
				     access[kind], pvm_stop_describe(&stop),
				     (unsigned long long)pvm_data(&vm, D_COUNT));
		}
		pvm_vm_destroy(&vm);
	}
}

/*
 * After the mode: a user-mode int3, then a syscall whose LSTAR handler does
 * an int3: which context does LSTAR run in once the mode is on?
 */
static void frames_after_mode(bool leave, bool sysret)
{
	struct pvm_vm vm;

	if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, sysret ? SUP_SYSRET : SUP_US, 0))
		return;
	pvm_set_data(&vm, D_PARAM(P_NR), leave ? 4 : 0);
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_frames_user));
	pvm_vm_set_gate(&vm, 3, pvm_gaddr(pvm_g_h_record), 3);
	if (exp_run_to_doorbell(&vm, 2000, "frames after the mode")) {
		uint64_t user_cs = pvm_data(&vm, D_FRAMES + 8);
		uint64_t kernel_cs = pvm_data(&vm, D_FRAMES + D_FRAME_SIZE + 8);
		uint64_t kernel_at = pvm_data(&vm, D_FRAMES + D_FRAME_SIZE + 40);

		if (leave)
			report_note("wrmsr 0x4b564d10 <- 0 in the mode took %.0f ns",
				    pvm_cycles_to_ns(&vm, pvm_data(&vm, D_RESULT(6))));
		report_note(
		    "%s: 'user' int3 frame cs 0x%llx rsp 0x%llx pushed at "
		    "0x%llx; int3 in LSTAR handler: frame cs 0x%llx ss 0x%llx, pushed at "
		    "0x%llx",
		    leave ? "mode left with wrmsr 0" : "mode on", (unsigned long long)user_cs,
		    (unsigned long long)pvm_data(&vm, D_FRAMES + 24),
		    (unsigned long long)pvm_data(&vm, D_FRAMES + 40), (unsigned long long)kernel_cs,
		    (unsigned long long)pvm_data(&vm, D_FRAMES + D_FRAME_SIZE + 32),
		    (unsigned long long)kernel_at);
		if (sysret)
			report_check(
			    pvm_data(&vm, D_COUNT) == 2 && user_cs == PVM_USER_CS &&
				kernel_cs == PVM_KERNEL_CS &&
				kernel_at == PVM_KERNEL_STACK_TOP - 40,
			    "in the mode, sysretq enters user mode (int3 frame CS 0x%llx), "
			    "and its syscall comes back into the mode (frame CS 0x%llx, no "
			    "stack switch)",
			    (unsigned long long)user_cs, (unsigned long long)kernel_cs);
		else if (leave)
			report_check(pvm_data(&vm, D_COUNT) == 2 && user_cs == PVM_USER_CS,
				     "after wrmsr 0x4b564d10 <- 0, iretq enters user mode again "
				     "(int3 frame CS 0x%llx)",
				     (unsigned long long)user_cs);
		else
			report_check(pvm_data(&vm, D_COUNT) == 2 && user_cs == PVM_KERNEL_CS &&
					 kernel_cs == PVM_KERNEL_CS,
				     "in the mode, iretq to CS 0x33 does not enter user mode: the "
				     "code after it still traps with kernel frames (CS 0x%llx)",
				     (unsigned long long)user_cs);
	}
	pvm_vm_destroy(&vm);
}

/* A user-mode #PF on a not-present page, after the mode was entered. */
static void user_not_present(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, SUP_US, 0))
		return;
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_user_np_read));
	pvm_vm_set_gate(&vm, 14, pvm_gaddr(pvm_g_h_record_fault), 0);
	pvm_vm_run(&vm, 1000, &stop);
	report_check(stop.kind == PVM_STOP_DOORBELL && pvm_data(&vm, D_COUNT) == 1 &&
			 pvm_data(&vm, D_FRAMES + 8) == pvm_gaddr(pvm_g_user_np_read),
		     "after the mode, a user-mode not-present #PF is delivered through the guest "
		     "IDT (%s, %llu recorded, error code %llu, rip 0x%llx)",
		     pvm_stop_describe(&stop), (unsigned long long)pvm_data(&vm, D_COUNT),
		     (unsigned long long)pvm_data(&vm, D_FRAMES),
		     (unsigned long long)pvm_data(&vm, D_FRAMES + 8));
	pvm_vm_destroy(&vm);
}

/*
 * Entering the mode from syscall-entered kernel code: `wrmsr` there raises
 * #GP; a CPL0 handler performs it.  Is the kernel context in the mode after
 * the handler's iretq, and what did the trip cost?
 */
static void enter_from_syscall_context(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!exp_vm(&vm, false, pvm_g_entry))
		return;
	pvm_vm_set_gate(&vm, 13, pvm_gaddr(pvm_g_h_gp_wrmsr), 0);
	pvm_vm_set_gate(&vm, 3, pvm_gaddr(pvm_g_h_record), 3);
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_syscall_once), MODE_ON, MSR_PVM_VARIANT, 8) ==
	    0) {
		pvm_vm_run(&vm, 2000, &stop);
		double loop = exp_ns(&vm, pvm_data(&vm, D_RESULT(2)), 20000);
		uint64_t host_view = 0;

		pvm_get_msr(&vm, MSR_PVM_VARIANT, &host_view);
		report_note(
		    "trapped wrmsr 0x4b564d10 <- page from syscall-entered kernel code: %s; "
		    "%.0f ns for the wrmsr, loop after it %.2f ns per iteration, MSR 0x%llx",
		    pvm_stop_describe(&stop), pvm_cycles_to_ns(&vm, pvm_data(&vm, D_RESULT(1))),
		    loop, (unsigned long long)host_view);
		if (stop.kind == PVM_STOP_DOORBELL)
			report_value("pvcs_mode_enter_from_syscall_context_ns",
				     pvm_cycles_to_ns(&vm, pvm_data(&vm, D_RESULT(1))), "ns",
				     "(wrmsr -> #GP -> CPL0 handler does it -> iretq)");
	}
	pvm_vm_destroy(&vm);
}

enum touch_outcome {
	TOUCH_WORKS,	 /* the value written is read back */
	TOUCH_HANGS,	 /* the vCPU stops making progress, nothing delivered */
	TOUCH_PAGE_FAULT /* #PF delivered through the guest IDT */
};

static const char *const touch_words[] = {"works", "never completes", "#PF"};

/* Classify one stop after an access at the label `rip` (or any rip). */
static enum touch_outcome classify(const struct pvm_stop *stop, bool read_ok)
{
	if (stop->kind == PVM_STOP_TIMEOUT)
		return TOUCH_HANGS;
	if (stop->kind == PVM_STOP_UNEXPECTED && stop->vector == 14)
		return TOUCH_PAGE_FAULT;
	return read_ok ? TOUCH_WORKS : TOUCH_HANGS;
}

/*
 * Kernel code in the mode writes and reads address; if that works, sysretq
 * to user code that reads it too.  Checks the kernel's and the user's outcome.
 */
static void touch(uint64_t address, const char *what, enum touch_outcome kernel_expect,
		  enum touch_outcome user_expect)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	enum touch_outcome kernel, user;

	if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, SUP_TOUCH, address))
		return;
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_user_touch));
	pvm_vm_run(&vm, 300, &stop);
	if (pvm_data(&vm, D_RESULT(0)) == 0x1234) {
		kernel = TOUCH_WORKS;
		user = classify(&stop, pvm_data(&vm, D_RESULT(1)) == 0x1234);
	} else {
		kernel = classify(&stop, false);
		user = kernel_expect == TOUCH_WORKS ? TOUCH_HANGS : user_expect;
	}
	report_check(kernel == kernel_expect && user == user_expect,
		     "%s (0x%llx): kernel in the mode: %s, then user mode: %s (%s)", what,
		     (unsigned long long)address, touch_words[kernel],
		     kernel == TOUCH_WORKS ? touch_words[user] : "-", pvm_stop_describe(&stop));
	pvm_vm_destroy(&vm);
}

/* User code (entered by sysretq) reads address; the kernel does not touch it. */
static void user_touch(uint64_t address, const char *what, enum touch_outcome expect)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	enum touch_outcome got;

	if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, SUP_SYSRET_ARG, address))
		return;
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_user_touch));
	pvm_vm_run(&vm, 300, &stop);
	got = classify(&stop, stop.kind == PVM_STOP_DOORBELL);
	report_check(got == expect, "%s (0x%llx) read by user mode entered by sysretq: %s (%s)",
		     what, (unsigned long long)address, touch_words[got], pvm_stop_describe(&stop));
	pvm_vm_destroy(&vm);
}

/* syscall/sysretq round trips between real user mode and the mode. */
static double sysret_round_trip_ns_once(const char *entry)
{
	struct pvm_vm vm;
	double ns = -1;

	if (!sup_start(&vm, false, entry, MODE_ON, 0, SUP_SYSRET_ARG, ROUND_TRIPS))
		return -1;
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_syscall_loop));
	if (exp_run_to_doorbell(&vm, 10000, "syscall/sysretq round trips with the mode"))
		ns = exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), (double)ROUND_TRIPS);
	pvm_vm_destroy(&vm);
	return ns;
}

static double sysret_round_trip_ns(const char *entry)
{
	double best = -1;

	for (int i = 0; i < EXP_REPEAT; i++) {
		double ns = sysret_round_trip_ns_once(entry);

		if (ns <= 0)
			return -1;
		if (best < 0 || ns < best)
			best = ns;
	}
	return best;
}

/* `syscall` in the mode with rax = PVM_HC_LOAD_PGTBL: a hypercall or LSTAR? */
static void supervisor_syscall(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	uint64_t entry = pvm_gaddr(pvm_g_entry);

	if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, SUP_SYSCALL, 0))
		return;
	pvm_set_data(&vm, D_PARAM(P_NR), 0x17088200);
	pvm_vm_run(&vm, 2000, &stop);
	/* pvm_g_entry rejects an unknown service with ud2 */
	report_check(stop.kind == PVM_STOP_UNEXPECTED && stop.vector == 6 &&
			 stop.frame_rip > entry && stop.frame_rip < entry + 0x100 &&
			 pvm_data(&vm, PVM_MARKER) == PVM_MARKER_A_VALUE,
		     "syscall in the mode is a plain syscall to LSTAR, not the spec's hypercall: "
		     "%s",
		     pvm_stop_describe(&stop));
	pvm_vm_destroy(&vm);
}

/* `vmcall` in the mode: the vCPU stops retiring instructions. */
static void vmcall(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!sup_start(&vm, false, NULL, MODE_ON, 0, SUP_VMCALL, 0))
		return;
	pvm_set_data(&vm, D_PARAM(P_NR), 1);
	pvm_vm_run(&vm, 300, &stop);
	report_check(stop.kind == PVM_STOP_TIMEOUT,
		     "vmcall in the mode never completes (KVM_RUN only returns on a signal): %s",
		     pvm_stop_describe(&stop));
	pvm_vm_destroy(&vm);
}

/*
 * The host can put a vCPU in the mode too: KVM_SET_MSRS takes page | 0x400
 * (what a guest's write reads back as) or page | 1 before the first
 * KVM_RUN, and then a CPL0 start runs natively from its first instruction.
 * A bare page address, or other low bits, are refused.  This is what a
 * restore needs (below).
 */
static void host_entry(void)
{
	struct pvm_vm vm;
	uint64_t value = 0;

	if (!exp_vm(&vm, false, NULL))
		return;
	if (pvm_vm_start(&vm, false, pvm_gaddr(pvm_g_loop), LOOP_NATIVE, 0, 0) == 0) {
		bool bare = pvm_set_msr(&vm, MSR_PVM_VARIANT, MODE_ON) == 0;
		bool odd = pvm_set_msr(&vm, MSR_PVM_VARIANT, MODE_ON | 2) == 0;
		bool taken = pvm_set_msr(&vm, MSR_PVM_VARIANT, MODE_ON | MODE_OFF) == 0 &&
			     pvm_get_msr(&vm, MSR_PVM_VARIANT, &value) == 0;
		report_check(!bare && !odd && taken && value == (MODE_ON | MODE_OFF),
			     "KVM_SET_MSRS 0x4b564d10: page refused (%s), page | 2 refused (%s), "
			     "page | 0x400 taken (%s, reads 0x%llx)",
			     bare ? "no" : "yes", odd ? "no" : "yes", taken ? "yes" : "no",
			     (unsigned long long)value);
		if (taken && exp_run_to_doorbell(&vm, 10000, "CPL0 loop, mode set by the host")) {
			double ns = exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), (double)LOOP_NATIVE);

			report_check(ns < 100,
				     "a CPL0 start in the mode set by the host runs natively "
				     "(%.2f ns per iteration)",
				     ns);
		}
	}
	pvm_vm_destroy(&vm);
}

/*
 * An exception from user mode (entered by sysretq) goes through the IDT to a
 * CPL0 handler, which runs in the mode's supervisor part: natively, and with
 * its inability to touch pages without U.  So a handler that writes one
 * stalls, and so does the delivery itself when TSS.RSP0's stack lacks U;
 * the IDT, GDT and TSS may lack it.  An isolating kernel must give the
 * user's page tables a U stack for RSP0 and keep what its CPL0 stubs write
 * on U pages (docs/pvm-backend.md).
 */
static void handler_stalls(const char *handler, bool stack_user, bool expect_stall,
			   const char *what)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!sup_start(&vm, false, pvm_g_entry, MODE_ON, 0, SUP_SYSRET_ARG, 100))
		return;
	pvm_vm_set_gate(&vm, 3, pvm_gaddr(handler), 3);
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_int3_loop));
	for (uint64_t page = PVM_EXC_STACK_TOP - 0x1000;
	     !stack_user && page >= PVM_KERNEL_STACK_TOP; page -= 0x1000)
		pvm_vm_set_user_page(&vm, page, false);
	pvm_vm_run(&vm, 300, &stop);
	bool stalled = stop.kind == PVM_STOP_TIMEOUT;
	report_check(stalled == expect_stall && (stalled || stop.kind == PVM_STOP_DOORBELL),
		     "user-mode int3 in the mode, %s: %s (%s)", what,
		     stalled ? "stalls" : "handled", pvm_stop_describe(&stop));
	pvm_vm_destroy(&vm);
}

/*
 * The timer while user mode (entered by sysretq) runs in the mode: with the
 * page's event flags 0 it is not delivered, only noted pending (bit 8); with
 * EF|IF it is.  pvkernel's user runs rely on the first: its timer stub
 * writes supervisor-only words, on which the mode's supervisor part stalls.
 */
static void user_timer(uint64_t event_flags, bool expect_delivered)
{
	struct pvm_vm vm;

	if (!sup_start(&vm, true, pvm_g_entry, MODE_ON, event_flags, SUP_SYSRET_ARG,
		       USER_TIMER_LOOP))
		return;
	pvm_vm_set_gate(&vm, PVM_TIMER_VECTOR, pvm_gaddr(pvm_g_h_timer), 0);
	pvm_set_data(&vm, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_loop));
	exp_set_lapic_timer(&vm, true, TIMER_PERIOD_NS);
	if (exp_run_to_doorbell(&vm, 10000, "user-mode loop in the mode, timer on")) {
		uint64_t handled = pvm_data(&vm, D_COUNT), flags = pvm_data(&vm, PVM_PVCS_PAGE);
		report_check(expect_delivered ? handled > 0 : handled == 0 && (flags & 0x100),
			     "timer in user mode in the mode, event flags 0x%llx: %llu delivered, "
			     "page 0x%llx after",
			     (unsigned long long)event_flags, (unsigned long long)handled,
			     (unsigned long long)flags);
	}
	pvm_vm_destroy(&vm);
}

/*
 * Restore: a user-mode syscall loop in the mode (each call counted by the
 * kernel, which returns with sysretq) stopped at STOPS moments; regs, sregs
 * and the mode's MSR go into a new VM with a copy of the memory, which
 * must finish the loop with every call counted once.
 */
static void restore(void)
{
	static const unsigned stop_ms[] = {2, 5, 9, 14};
	unsigned finished = 0, in_user = 0;

	for (unsigned i = 0; i < sizeof(stop_ms) / sizeof(stop_ms[0]); i++) {
		struct pvm_vm a, b;
		struct pvm_stop stop;
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		uint64_t mode = 0;

		if (!sup_start(&a, false, pvm_g_entry_sysret_count, MODE_ON, 0, SUP_SYSRET_ARG,
			       RESTORE_CALLS))
			return;
		pvm_set_data(&a, D_PARAM(P_RESUME), pvm_gaddr(pvm_g_syscall_loop));
		pvm_vm_run(&a, stop_ms[i], &stop);
		bool saved = stop.kind == PVM_STOP_TIMEOUT &&
			     ioctl(a.vcpu_fd, KVM_GET_REGS, &regs) == 0 &&
			     ioctl(a.vcpu_fd, KVM_GET_SREGS, &sregs) == 0 &&
			     pvm_get_msr(&a, MSR_PVM_VARIANT, &mode) == 0;
		if (saved && exp_vm(&b, false, pvm_g_entry_sysret_count)) {
			memcpy(b.mem, a.mem, PVM_MEM_SIZE);
			in_user += (sregs.cs.selector & 3) == 3;
			if (ioctl(b.vcpu_fd, KVM_SET_SREGS, &sregs) == 0 &&
			    ioctl(b.vcpu_fd, KVM_SET_REGS, &regs) == 0 &&
			    pvm_set_msr(&b, MSR_PVM_VARIANT, mode) == 0 &&
			    exp_run_to_doorbell(&b, 10000, "restored syscall loop") &&
			    pvm_data(&b, D_COUNT) == RESTORE_CALLS)
				finished++;
			else
				report_note("restore %u: mode 0x%llx, cs 0x%x, calls %llu", i,
					    (unsigned long long)mode, sregs.cs.selector,
					    (unsigned long long)pvm_data(&b, D_COUNT));
			pvm_vm_destroy(&b);
		}
		pvm_vm_destroy(&a);
	}
	report_check(finished == sizeof(stop_ms) / sizeof(stop_ms[0]),
		     "a vCPU stopped in the mode, restored into a new VM (regs, sregs, MSR "
		     "0x4b564d10 = page | 0x400), finishes its syscall loop with every call "
		     "counted once: %u of %zu (%u stopped in user mode)",
		     finished, sizeof(stop_ms) / sizeof(stop_ms[0]), in_user);
}

int exp_pvcs_mode(void)
{
	loops();
	state();
	out_control();
	exceptions(0);
	exceptions(EVENT_FLAGS_EF | EVENT_FLAGS_IF);
	cr3();
	syscall_round_trips();
	timers();
	hlt_wait();
	user_supervisor();
	user_not_present();
	frames_after_mode(false, false);
	frames_after_mode(true, false);
	frames_after_mode(false, true);
	enter_from_syscall_context();
	touch(0x200000, "lower-half page with U", TOUCH_WORKS, TOUCH_WORKS);
	touch(PVM_HIGH + 0x200000, "PML4 slot 511 page with U", TOUCH_WORKS, TOUCH_WORKS);
	touch(PVM_HIGH, "PML4 slot 511 page without U", TOUCH_HANGS, TOUCH_HANGS);
	touch(PVM_HIGH_256 + 0x200000, "PML4 slot 256 page with U", TOUCH_PAGE_FAULT,
	      TOUCH_PAGE_FAULT);
	touch(PVM_HIGH_257 + 0x200000, "PML4 slot 257 page with U", TOUCH_WORKS, TOUCH_WORKS);
	touch(PVM_HIGH_273 + 0x200000, "PML4 slot 273 page with U", TOUCH_WORKS, TOUCH_WORKS);
	touch(PVM_HIGH_402 + 0x200000, "PML4 slot 402 page with U", TOUCH_WORKS, TOUCH_WORKS);
	user_touch(PVM_HIGH, "PML4 slot 511 page without U", TOUCH_PAGE_FAULT);
	user_touch(PVM_SUPERVISOR_PAGE, "lower-half page without U", TOUCH_HANGS);
	report_value("pvcs_mode_syscall_sysretq_round_trip_ns",
		     sysret_round_trip_ns(pvm_g_entry_sysret), "ns", "(user -> mode -> user)");
	report_value("pvcs_mode_syscall_sysretq_two_cr3_round_trip_ns",
		     sysret_round_trip_ns(pvm_g_entry_sysret_cr3), "ns",
		     "(with two CR3 loads in the handler)");
	supervisor_syscall();
	vmcall();
	host_entry();
	handler_stalls(pvm_g_h_iret, true, false, "CPL0 handler iretq, RSP0 stack with U");
	handler_stalls(pvm_g_h_sup_write, true, true, "CPL0 handler writes a page without U");
	handler_stalls(pvm_g_h_iret, false, true, "RSP0 stack without U");
	user_timer(0, false);
	user_timer(EVENT_FLAGS_EF | EVENT_FLAGS_IF, true);
	restore();
	return report_failures();
}
