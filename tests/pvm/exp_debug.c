/* SPDX-License-Identifier: MIT */
/*
 * exp_debug.c - experiment 8: what natively run code gets of the vCPU's
 * debug registers and CR4.  A Xen PV kernel runs natively here (docs/xen-pv.md)
 * and expects its debug registers to raise #DB in its own code and its
 * CR4.FSGSBASE to decide whether {rd,wr}{fs,gs}base #UD (XTF's debug-regs and
 * pv-fsgsbase).  Each way the hardware could be armed is tried: DR0/DR7
 * written by CPL0 guest code (emulated), by the host (KVM_SET_DEBUGREGS), by
 * KVM_SET_GUEST_DEBUG; RFLAGS.TF; `icebp`; CR4 written at CPL0.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

/* A 4-byte write watchpoint in DR0, enabled globally (XTF's value). */
#define DR7_WRITE_WATCH 0xd0602ull /* LEN0 4, RW0 write, GE, G0, reserved bit 10 */
#define WATCHED		D_RESULT(8)
#define CR4_FSGSBASE	(1ull << 16)

static uint64_t frame_rip(struct pvm_vm *vm, uint64_t i)
{
	return pvm_data(vm, D_FRAMES + i * D_FRAME_SIZE);
}

/* A VM with the privileged-operation int3 gate and a recording #DB handler. */
static bool debug_vm(struct pvm_vm *vm)
{
	if (!exp_vm(vm, false, NULL))
		return false;
	pvm_vm_set_gate(vm, 3, pvm_gaddr(pvm_g_h_priv), 3);
	pvm_vm_set_gate(vm, 1, pvm_gaddr(pvm_g_h_record), 3);
	pvm_vm_set_gate(vm, 6, pvm_gaddr(pvm_g_h_ud_skip5), 0);
	return true;
}

/* Data breakpoint armed by emulated CPL0 code (what pvxen's gate does). */
static void watch_armed_at_cpl0(void)
{
	struct pvm_vm vm;

	if (!debug_vm(&vm))
		return;
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_dbg_watch_user), DR7_WRITE_WATCH, WATCHED, 0) ==
		0 &&
	    exp_run_to_doorbell(&vm, 5000, "data breakpoint armed at CPL0")) {
		uint64_t dr7 = pvm_data(&vm, D_RESULT(0)), dr6 = pvm_data(&vm, D_RESULT(1));
		uint64_t hits = pvm_data(&vm, D_COUNT);

		report_note("DR0/DR7 set at CPL0: DR7 reads back 0x%llx, %llu #DB, DR6 0x%llx",
			    (unsigned long long)dr7, (unsigned long long)hits,
			    (unsigned long long)dr6);
		report_check(dr7 == DR7_WRITE_WATCH, "DR7 written at CPL0 reads back (0x%llx)",
			     (unsigned long long)dr7);
		report_check(hits == 0 && (dr6 & 0xf) == 0,
			     "a native write to the address in DR0 raises no #DB (%llu seen, "
			     "DR6 0x%llx): the host does not arm the vCPU's DR7 for native code",
			     (unsigned long long)hits, (unsigned long long)dr6);
		if (hits)
			report_note("#DB frame RIP 0x%llx (after the write: 0x%llx)",
				    (unsigned long long)frame_rip(&vm, 0),
				    (unsigned long long)pvm_gaddr(pvm_g_dbg_after_write));
	}
	pvm_vm_destroy(&vm);
}

/* The same breakpoint set by the host before the first run. */
static void watch_set_by_host(void)
{
	struct pvm_vm vm;
	struct kvm_debugregs regs;

	if (!debug_vm(&vm))
		return;
	memset(&regs, 0, sizeof(regs));
	regs.db[0] = WATCHED;
	regs.dr6 = 0xffff0ff0;
	regs.dr7 = DR7_WRITE_WATCH;
	if (!report_check(ioctl(vm.vcpu_fd, KVM_SET_DEBUGREGS, &regs) == 0,
			  "KVM_SET_DEBUGREGS accepts DR0 and DR7")) {
		pvm_vm_destroy(&vm);
		return;
	}
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_dbg_write), 0, WATCHED, 0) == 0 &&
	    exp_run_to_doorbell(&vm, 5000, "data breakpoint set by the host")) {
		uint64_t hits = pvm_data(&vm, D_COUNT);

		report_check(hits == 0,
			     "with DR0/DR7 from KVM_SET_DEBUGREGS a native write "
			     "raises no #DB either (%llu seen)",
			     (unsigned long long)hits);
	}
	pvm_vm_destroy(&vm);
}

/* Run under KVM_SET_GUEST_DEBUG: does the host see the debug event? */
static void guest_debug(const char *what, uint32_t control, const char *start, uint64_t rsi)
{
	struct pvm_vm vm;
	struct kvm_guest_debug dbg;
	struct pvm_stop stop;

	if (!debug_vm(&vm))
		return;
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | control;
	dbg.arch.debugreg[0] = WATCHED;
	dbg.arch.debugreg[7] = DR7_WRITE_WATCH;
	int rc = ioctl(vm.vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg);
	report_note("KVM_SET_GUEST_DEBUG (%s): %s", what, rc == 0 ? "accepted" : "refused");
	if (rc == 0 && pvm_vm_start(&vm, true, pvm_gaddr(start), 3, rsi, 0) == 0) {
		pvm_vm_run(&vm, 5000, &stop);
		bool debug_exit = stop.kind == PVM_STOP_OTHER && stop.exit_reason == KVM_EXIT_DEBUG;
		report_note("%s: %s%s", what, pvm_stop_describe(&stop),
			    debug_exit ? " (KVM_EXIT_DEBUG)" : "");
		report_check(!debug_exit && pvm_data(&vm, D_COUNT) == 0,
			     "%s: no KVM_EXIT_DEBUG and no #DB for native code (%s)", what,
			     pvm_stop_describe(&stop));
	}
	pvm_vm_destroy(&vm);
}

/* RFLAGS.TF in native code: the one debug facility that works here. */
static void single_step(void)
{
	struct pvm_vm vm;

	if (!debug_vm(&vm))
		return;
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_dbg_tf_user), 0, 0, 0) == 0 &&
	    exp_run_to_doorbell(&vm, 5000, "single-step")) {
		uint64_t steps = pvm_data(&vm, D_RESULT(2));

		report_check(
		    steps == 5 && frame_rip(&vm, 0) == pvm_gaddr(pvm_g_dbg_tf_first) + 1,
		    "RFLAGS.TF single-steps native code: a #DB through the guest IDT after "
		    "each of the 5 instructions (%llu seen, the first at RIP 0x%llx)",
		    (unsigned long long)steps, (unsigned long long)frame_rip(&vm, 0));
	}
	pvm_vm_destroy(&vm);
}

/* `icebp` (INT1): the architecture makes it a trap after the instruction. */
static void icebp(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!exp_vm(&vm, false, NULL)) /* vector 1: the catch-all handler */
		return;
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_dbg_icebp), 0, 0, 0) == 0) {
		pvm_vm_run(&vm, 5000, &stop);
		report_check(
		    stop.kind == PVM_STOP_UNEXPECTED && stop.vector == 1 &&
			stop.frame_rip == pvm_gaddr(pvm_g_dbg_icebp),
		    "icebp in native code: #DB through the guest IDT with RIP at the icebp "
		    "itself, not after it (%s)",
		    pvm_stop_describe(&stop));
	}
	pvm_vm_destroy(&vm);
}

/* CR4.FSGSBASE: the vCPU's, and the hardware's that native code runs with. */
static void cr4_fsgsbase(void)
{
	struct pvm_vm vm;

	if (!debug_vm(&vm))
		return;
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_cr4_user), 0, 0, 0) == 0 &&
	    exp_run_to_doorbell(&vm, 5000, "rdfsbase under CR4 changes")) {
		uint64_t cr4[3], ud[3];

		for (uint64_t i = 0; i < 3; i++) {
			cr4[i] = pvm_data(&vm, D_RESULT(i));
			ud[i] = pvm_data(&vm, D_RESULT(3 + i));
		}
		report_note("rdfsbase #UDs: %llu with the host's CR4 0x%llx, %llu after setting "
			    "FSGSBASE (CR4 0x%llx), %llu after clearing it (CR4 0x%llx)",
			    (unsigned long long)ud[0], (unsigned long long)cr4[0],
			    (unsigned long long)(ud[1] - ud[0]), (unsigned long long)cr4[1],
			    (unsigned long long)(ud[2] - ud[1]), (unsigned long long)cr4[2]);
		report_check(!(cr4[0] & CR4_FSGSBASE) && (cr4[1] & CR4_FSGSBASE) &&
				 !(cr4[2] & CR4_FSGSBASE),
			     "CR4.FSGSBASE written at CPL0 reads back");
		report_check(ud[2] == 0,
			     "rdfsbase never raises #UD in native code, whatever the vCPU's "
			     "CR4.FSGSBASE (%llu #UD)",
			     (unsigned long long)ud[2]);
	}
	pvm_vm_destroy(&vm);
}

int exp_debug(void)
{
	watch_armed_at_cpl0();
	watch_set_by_host();
	guest_debug("hardware breakpoint", KVM_GUESTDBG_USE_HW_BP, pvm_g_dbg_write, WATCHED);
	guest_debug("single-step", KVM_GUESTDBG_SINGLESTEP, pvm_g_loop, 0);
	single_step();
	icebp();
	cr4_fsgsbase();
	return report_failures();
}
