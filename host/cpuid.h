/* SPDX-License-Identifier: MIT */
/*
 * cpuid.h - the CPUID table the guest sees.
 *
 * It starts from what KVM supports (KVM_GET_SUPPORTED_CPUID) and changes
 * three things:
 *  - leaf 1: the hypervisor bit is set, PCID is cleared (this host's KVM
 *    refuses CR4.PCIDE, see PLATFORM.md, so a guest must not see it);
 *  - where guest ring 0 is emulated, the features whose instructions KVM's
 *    emulator lacks (cmpxchg16b, popcnt, monitor, stac/clac, rdtscp) are
 *    hidden, or Linux stops on the first one it uses (docs/linux.md);
 *  - leaves 0x40000000-0x40000001 become pvkit's (abi/pvkit_abi.h):
 *    signature, ABI version, features, hypercall and time page frames;
 *  - KVM's own hypervisor leaves move to 0x40000100.., with the base leaf's
 *    EAX (highest leaf) moved along, so Linux's scan of 0x40000000 +
 *    n*0x100 for "KVMKVMKVM" still finds KVM and its PV features.
 * With pvkit_leaves false (--no-pvkit-cpuid) KVM's leaves stay where they
 * are and no pvkit leaf exists, which is how a guest's fallback is tested.
 */
#ifndef PVKIT_HOST_CPUID_H
#define PVKIT_HOST_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 256

#define CPUID_1_ECX_MONITOR	  (1u << 3)
#define CPUID_1_ECX_CX16	  (1u << 13)
#define CPUID_1_ECX_POPCNT	  (1u << 23)
#define CPUID_7_EBX_SMAP	  (1u << 20)
#define CPUID_80000001_EDX_RDTSCP (1u << 27)
#define CPUID_1_ECX_PCID	  (1u << 17)
#define CPUID_1_ECX_HYPERVISOR	  (1u << 31)

struct cpuid_options {
	bool pvkit_leaves;
	/* Guest ring 0 runs in KVM's instruction emulator (a PVM host): hide
	 * CPU features whose instructions that emulator cannot execute. */
	bool ring0_emulated;
	uint32_t features;	/* PVKIT_FEATURE_* */
	uint32_t hypercall_pfn; /* guest page frame of the hypercall page */
	uint32_t time_pfn;	/* guest page frame of the time page */
};

/* struct kvm_cpuid2 with room for CPUID_MAX_ENTRIES entries. */
struct cpuid_table {
	struct kvm_cpuid2 head;
	struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};

/*
 * Rewrite `table` (as returned by KVM_GET_SUPPORTED_CPUID) in place.
 * Returns -1 if the table has no room for the two pvkit leaves.
 */
int cpuid_rewrite(struct cpuid_table *table, const struct cpuid_options *opt);

/* The entry for (function, index), or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *table, uint32_t function, uint32_t index);

#endif
