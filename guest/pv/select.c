/* SPDX-License-Identifier: MIT */
/*
 * select.c - which backend fills pv_ops, decided once at boot:
 *
 *  1. boot_params.hardware_subarch, the loader naming the platform:
 *     PVKIT_HARDWARE_SUBARCH -> pvkit (if CPUID confirms it, else say so
 *     and go on), X86_SUBARCH_PC -> native.
 *  2. the CPUID hypervisor signature at 0x40000000 (PVH and loaders that
 *     leave hardware_subarch alone): "pvkitpvkitpv" -> pvkit.
 *     Hypervisors without a backend yet (KVM: "KVMKVMKVM") are named and
 *     skipped; this is where a kvm backend (PV clock) slots in.
 *  3. the environment probe: ring 0 -> native (paging state reported).
 */
#include "abi/pvkit_abi.h"
#include "boot/bootparam.h"
#include "boot_info.h"
#include "boot_kind.h"
#include "pv.h"

struct pv_ops pv_ops;

/* From here on, nothing knows which backend it runs on. */
static bool use(const struct pv_backend *b, const struct boot_info *bi, const char *via)
{
	if (b->init(bi))
		panic("pv: backend %s failed to start", b->name);
	printk("pv: backend=%s via %s\n", pv_ops.name, via);
	return true;
}

static void hypervisor_signature(char sig[13])
{
	struct cpuid_regs r;
	sig[0] = 0;
	cpuid_raw(1, 0, &r);
	if (!(r.ecx & (1u << 31)))
		return;
	cpuid_raw(0x40000000, 0, &r);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	for (int i = 0; i < 12; i++)
		if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
			sig[i] = '?';
}

static bool try_subarch(const struct boot_info *bi)
{
	const char *why;
	char via[96];
	if (!bi->has_boot_params)
		return false;
	if (bi->hardware_subarch == PVKIT_HARDWARE_SUBARCH) {
		if (pv_backend_pvkit.detect(bi, &why)) {
			snprintf(via, sizeof(via), "hardware_subarch=0x%x (pvkit)",
				 bi->hardware_subarch);
			return use(&pv_backend_pvkit, bi, via);
		}
		printk("pv: hardware_subarch=0x%x (pvkit) but %s: falling back\n",
		       bi->hardware_subarch, why);
		return false;
	}
	if (bi->hardware_subarch == X86_SUBARCH_PC) {
		if (pv_backend_native.detect(bi, &why)) {
			return use(&pv_backend_native, bi, "hardware_subarch=0 (PC)");
		}
		printk("pv: hardware_subarch=0 (PC) but %s: falling back\n", why);
		return false;
	}
	printk("pv: hardware_subarch=0x%x has no backend, ignored\n", bi->hardware_subarch);
	return false;
}

static bool try_cpuid(const struct boot_info *bi)
{
	char sig[13], via[64];
	const char *why;
	hypervisor_signature(sig);
	if (!sig[0])
		return false;
	if (pv_backend_pvkit.detect(bi, &why)) {
		snprintf(via, sizeof(via), "CPUID signature \"%s\"", sig);
		return use(&pv_backend_pvkit, bi, via);
	}
	printk("pv: hypervisor \"%s\" has no backend yet\n", sig);
	return false;
}

void pv_select(const struct boot_info *bi)
{
	const char *why;
	char via[64];
	/* Entered through pvm_entry: deprivileged, nothing else can run. */
	if (bi->kind == BOOT_KIND_PVM) {
		if (!pv_backend_pvm.detect(bi, &why))
			panic("pv: entered deprivileged (pvm) but %s", why);
		use(&pv_backend_pvm, bi, "pvm entry (PVKIT_SETUP_PVM from pvkit)");
		return;
	}
	if (try_subarch(bi) || try_cpuid(bi))
		return;
	if (pv_backend_native.detect(bi, &why)) {
		snprintf(via, sizeof(via), "probe (ring %u, paging %s at entry)", bi->entry_cpl,
			 bi->entry_paging ? "on" : "off");
		use(&pv_backend_native, bi, via);
		return;
	}
	panic("pv: no backend can run here (%s)", why);
}
