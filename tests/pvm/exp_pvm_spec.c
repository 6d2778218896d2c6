/* SPDX-License-Identifier: MIT */
/*
 * exp_pvm_spec.c - experiment 6: switching page tables from the native
 * kernel context, and which mechanisms of the published PVM specification
 * (Documentation/virt/kvm/x86/pvm-spec.rst in the virt-pvm Linux tree) this
 * host's PVM variant offers: hypercalls by `syscall` in supervisor mode, the
 * synthetic CPUID, the PVM MSRs, and the unexplained MSR 0x4b564d10.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

#define CR3_ROUNDS 500ull /* two loads per round */

#define MSR_PVM_VARIANT_BASE 0x4b564d10u /* this host: 0x4b564d10..13 */
#define MSR_PVM_SPEC_BASE    0x4b564df0u /* published spec: ..df0-df6 */
#define PVM_HC_LOAD_PGTBL    0x17088200ull

/*
 * ns per trapped CR3 load, service 4 (A/B alternating, marker checked) or
 * 9 (reloading the live CR3); *wrong = loads that did not take effect.
 */
static double cr3_trap_once(uint64_t service, uint64_t *wrong)
{
	struct pvm_vm vm;
	double ns = -1;

	if (!exp_vm(&vm, false, pvm_g_entry))
		return -1;
	pvm_vm_set_gate(&vm, 13, pvm_gaddr(pvm_g_h_gp_cr3), 0);
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_syscall_once),
			 service == 4 ? CR3_ROUNDS : 2 * CR3_ROUNDS, 0, service) == 0 &&
	    exp_run_to_doorbell(&vm, 10000, "CR3 trap-and-emulate")) {
		ns = exp_ns(&vm, pvm_data(&vm, D_RESULT(0)), 2.0 * CR3_ROUNDS);
		*wrong = service == 4 ? pvm_data(&vm, D_RESULT(1)) : 0;
	}
	pvm_vm_destroy(&vm);
	return ns;
}

int exp_cr3(void)
{
	for (uint64_t service = 4; service <= 9; service += 5) {
		double best = -1;
		uint64_t wrong = 0;

		for (int i = 0; i < EXP_REPEAT; i++) {
			double ns = cr3_trap_once(service, &wrong);

			if (ns < 0)
				return report_failures();
			if (best < 0 || ns < best)
				best = ns;
			if (service == 4 && (i == 0 || wrong) &&
			    !report_check(wrong == 0,
					  "every trapped CR3 load took effect "
					  "(marker page checked after each of %llu "
					  "loads, %llu wrong)",
					  2 * CR3_ROUNDS, (unsigned long long)wrong))
				return report_failures();
		}
		if (service == 4)
			report_value("cr3_load_trap_and_emulate_ns", best, "ns",
				     "(mov to CR3 in kernel mode -> #GP -> CPL0 handler loads it)");
		else
			report_value("cr3_reload_same_trap_and_emulate_ns", best, "ns",
				     "(reloading the live CR3: the trap without an address-space "
				     "switch)");
	}
	return report_failures();
}

/* Which PVM-range MSRs KVM_GET_MSR_INDEX_LIST advertises. */
static void msr_index_list(int kvm_fd)
{
	struct kvm_msr_list probe = {.nmsrs = 0};
	struct kvm_msr_list *list;
	char found[256] = "";
	size_t used = 0;

	ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe); /* E2BIG, tells nmsrs */
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return;
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) == 0) {
		for (uint32_t i = 0; i < list->nmsrs; i++) {
			if ((list->indices[i] & 0xffffff00u) == 0x4b564d00u &&
			    used + 12 < sizeof(found))
				used += (size_t)snprintf(found + used, sizeof(found) - used,
							 " 0x%x", list->indices[i]);
		}
		report_note("KVM_GET_MSR_INDEX_LIST: %u MSRs, KVM/PVM range:%s", list->nmsrs,
			    used ? found : " none");
	}
	free(list);
}

/* Host-side reads of this host's variant MSRs and of the spec's MSRs. */
static void host_msrs(struct pvm_vm *vm)
{
	uint64_t value;
	int spec_readable = 0, spec_writable = 0;

	for (uint32_t msr = MSR_PVM_VARIANT_BASE; msr < MSR_PVM_VARIANT_BASE + 4; msr++) {
		if (pvm_get_msr(vm, msr, &value) == 0)
			report_note("host KVM_GET_MSRS 0x%x = 0x%llx", msr,
				    (unsigned long long)value);
		else
			report_note("host KVM_GET_MSRS 0x%x refused", msr);
	}
	report_check(pvm_get_msr(vm, MSR_PVM_VARIANT_BASE + 1, &value) == 0 && value == 0x4d5650,
		     "MSR 0x4b564d11 reads \"PVM\" (0x4d5650)");
	if (pvm_get_msr(vm, MSR_PVM_VARIANT_BASE + 3, &value) != 0)
		value = 0;
	report_check(value == vm->tsc_khz,
		     "MSR 0x4b564d13 is the TSC frequency in kHz (0x%llx = %llu, KVM_GET_TSC_KHZ "
		     "%llu)",
		     (unsigned long long)value, (unsigned long long)value,
		     (unsigned long long)vm->tsc_khz);
	for (uint32_t msr = MSR_PVM_SPEC_BASE; msr <= MSR_PVM_SPEC_BASE + 6; msr++) {
		spec_readable += pvm_get_msr(vm, msr, &value) == 0;
		spec_writable += pvm_set_msr(vm, msr, 0) == 0;
	}
	report_check(spec_readable == 0 && spec_writable == 0,
		     "the spec's MSR_PVM_* (0x4b564df0..df6) are not implemented: %d readable, "
		     "%d writable from the host",
		     spec_readable, spec_writable);
}

/* cpuid 0x40000000 in user mode, then the synthetic CPUID in kernel mode. */
static void synthetic_cpuid(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!exp_vm(&vm, false, pvm_g_entry))
		return;
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_user_cpuid), 0, 0, 0) == 0) {
		pvm_vm_run(&vm, 5000, &stop);
		uint32_t user_sig[3] = {(uint32_t)pvm_data(&vm, D_RESULT(1)),
					(uint32_t)pvm_data(&vm, D_RESULT(2)),
					(uint32_t)pvm_data(&vm, D_RESULT(3))};
		report_note("user-mode cpuid 0x40000000: eax 0x%llx signature \"%.12s\"",
			    (unsigned long long)pvm_data(&vm, D_RESULT(0)), (char *)user_sig);
		if (stop.kind == PVM_STOP_DOORBELL) {
			uint32_t sig[3] = {(uint32_t)pvm_data(&vm, D_RESULT(5)),
					   (uint32_t)pvm_data(&vm, D_RESULT(6)),
					   (uint32_t)pvm_data(&vm, D_RESULT(7))};
			report_note("synthetic CPUID in kernel mode: eax 0x%llx signature "
				    "\"%.12s\"",
				    (unsigned long long)pvm_data(&vm, D_RESULT(4)), (char *)sig);
		}
		report_check(stop.kind == PVM_STOP_UNEXPECTED && stop.vector == 13 &&
				 stop.frame_rip == pvm_gaddr(pvm_g_synthetic_cpuid),
			     "the spec's synthetic CPUID (invlpg 0xffffffffff4d5650; cpuid) is not "
			     "implemented: #GP at the invlpg (%s)",
			     pvm_stop_describe(&stop));
		report_check(user_sig[0] == 0x4b4d564b && user_sig[1] == 0x564b4d56 &&
				 user_sig[2] == 0x4d,
			     "plain cpuid in user mode reaches KVM's leaves (\"KVMKVMKVM\")");
	}
	pvm_vm_destroy(&vm);
}

/* `syscall` in kernel mode with rax = PVM_HC_LOAD_PGTBL. */
static void supervisor_syscall(void)
{
	struct pvm_vm vm;
	struct pvm_stop stop;

	if (!exp_vm(&vm, false, pvm_g_entry))
		return;
	if (pvm_vm_start(&vm, true, pvm_gaddr(pvm_g_syscall_once), 0, 0, 5) == 0) {
		pvm_vm_run(&vm, 5000, &stop);
		report_note("syscall in kernel mode, rax = PVM_HC_LOAD_PGTBL: %s; nested LSTAR "
			    "entry %llu (rcx 0x%llx rax 0x%llx); rax after 0x%llx, marker 0x%llx",
			    pvm_stop_describe(&stop), (unsigned long long)pvm_data(&vm, D_NESTED),
			    (unsigned long long)pvm_data(&vm, D_RESULT(14)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(15)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(0)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(1)));
		report_check(pvm_data(&vm, D_NESTED) == 1 &&
				 pvm_data(&vm, D_RESULT(15)) == PVM_HC_LOAD_PGTBL,
			     "syscall in syscall-entered kernel mode re-enters LSTAR: no PVM "
			     "hypercall (PVM_HC_LOAD_PGTBL)");
	}
	pvm_vm_destroy(&vm);
}

/* Guest wrmsr of the PVCS candidate page to 0x4b564d10, from CPL0. */
static void variant_msr_write_cpl0(uint64_t value)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	uint64_t after = 0;

	if (!exp_vm(&vm, false, NULL))
		return;
	if (pvm_vm_start(&vm, false, pvm_gaddr(pvm_g_cpl0_wrmsr), value, MSR_PVM_VARIANT_BASE, 0) ==
	    0) {
		pvm_vm_run(&vm, 300, &stop);
		int got = pvm_get_msr(&vm, MSR_PVM_VARIANT_BASE, &after);
		report_check(stop.kind == PVM_STOP_DOORBELL && pvm_data(&vm, D_RESULT(0)) == 1 &&
				 got == 0 && after == (value | 0x400),
			     "CPL0 wrmsr 0x%x <- 0x%llx completes (%s), host reads 0x%llx",
			     MSR_PVM_VARIANT_BASE, (unsigned long long)value,
			     pvm_stop_describe(&stop), (unsigned long long)after);
	}
	pvm_vm_destroy(&vm);
}

/* Which qwords of the PVCS candidate page are no longer zero. */
static void dump_pvcs_page(struct pvm_vm *vm, const char *when)
{
	char line[512];
	size_t used = 0;

	line[0] = 0;
	for (uint64_t off = 0; off < 4096; off += 8) {
		uint64_t q = pvm_data(vm, PVM_PVCS_PAGE + off);

		if (q && used + 40 < sizeof(line))
			used +=
			    (size_t)snprintf(line + used, sizeof(line) - used, " [0x%llx]=0x%llx",
					     (unsigned long long)off, (unsigned long long)q);
	}
	report_note("PVCS candidate page %s:%s", when, used ? line : " all zero");
}

/*
 * CPL0: wrmsr 0x4b564d10, then iretq to user mode; the user code does an
 * int3 (recorded through the IDT) and a syscall, then stops.  Shows whether
 * the MSR changes how events reach the guest.
 */
static void variant_msr_then_user(uint64_t value)
{
	struct pvm_vm vm;
	struct pvm_stop stop;
	uint64_t after = 0;

	if (!exp_vm(&vm, false, pvm_g_entry))
		return;
	pvm_vm_set_gate(&vm, 3, pvm_gaddr(pvm_g_h_record), 3);
	pvm_set_data(&vm, D_PARAM(P_ARG), pvm_gaddr(pvm_g_probe_user));
	if (pvm_vm_start(&vm, false, pvm_gaddr(pvm_g_cpl0_wrmsr_to_user), value,
			 MSR_PVM_VARIANT_BASE, 0) == 0) {
		pvm_vm_run(&vm, 1000, &stop);
		pvm_get_msr(&vm, MSR_PVM_VARIANT_BASE, &after);
		report_note("wrmsr 0x%x <- 0x%llx at CPL0, iretq to user: %s; wrmsr done %llu, "
			    "user progress %llu, int3 recorded %llu (rip 0x%llx), MSR 0x%llx",
			    MSR_PVM_VARIANT_BASE, (unsigned long long)value,
			    pvm_stop_describe(&stop),
			    (unsigned long long)pvm_data(&vm, D_RESULT(0)),
			    (unsigned long long)pvm_data(&vm, D_RESULT(1)),
			    (unsigned long long)pvm_data(&vm, D_COUNT),
			    (unsigned long long)pvm_data(&vm, D_FRAMES), (unsigned long long)after);
		dump_pvcs_page(&vm, "after");
		report_check(stop.kind == PVM_STOP_DOORBELL && pvm_data(&vm, D_RESULT(1)) == 4 &&
				 pvm_data(&vm, D_COUNT) == 1,
			     "after wrmsr 0x%x <- 0x%llx and iretq to CS 0x33, int3 still goes "
			     "through the guest IDT and syscall still reaches LSTAR",
			     MSR_PVM_VARIANT_BASE, (unsigned long long)value);
	}
	pvm_vm_destroy(&vm);
}

int exp_pvm_spec(void)
{
	struct pvm_vm vm;

	if (!exp_vm(&vm, false, NULL))
		return report_failures();
	msr_index_list(vm.kvm_fd);
	host_msrs(&vm);
	pvm_vm_destroy(&vm);
	synthetic_cpuid();
	supervisor_syscall();
	variant_msr_write_cpl0(0x400);
	variant_msr_write_cpl0(PVM_PVCS_PAGE);
	variant_msr_then_user(PVM_PVCS_PAGE);
	return report_failures();
}
