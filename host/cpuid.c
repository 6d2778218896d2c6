// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "cpuid.h"

#define HYPERVISOR_LEAF_FIRST 0x40000000u
#define HYPERVISOR_LEAF_LAST  0x400000ffu

struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *table, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < table->head.nent; i++) {
		struct kvm_cpuid_entry2 *e = &table->entries[i];
		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

static void fix_leaf1(struct cpuid_table *table)
{
	struct kvm_cpuid_entry2 *leaf1 = cpuid_find(table, 1, 0);
	if (!leaf1)
		return;
	leaf1->ecx |= CPUID_1_ECX_HYPERVISOR;
	leaf1->ecx &= ~CPUID_1_ECX_PCID;
}

/*
 * Where guest ring 0 runs in KVM's instruction emulator, a guest kernel must
 * not pick instructions that emulator lacks: each one stops the VM with an
 * emulation failure.  These are the features that make Linux choose such an
 * instruction at run time (alternatives, feature checks); the instructions
 * were found one by one with tests/guests-style probes (docs/linux.md).
 * This host's KVM honours the table for CX16 but reports POPCNT and SMAP
 * (and XSAVE: xsave, xrstor, xgetbv are not emulated either) whatever the
 * table says, so Linux guests there also need "noxsave nosmap
 * clearcpuid=popcnt" on their command line.
 */
#define REG(r) offsetof(struct kvm_cpuid_entry2, r)
static const struct {
	uint32_t function, index;
	size_t reg; /* offset of the register in kvm_cpuid_entry2 */
	uint32_t bit;
} unemulated_features[] = {
    {1, 0, REG(ecx), CPUID_1_ECX_CX16},			  /* cmpxchg16b: SLUB's cmpxchg_double */
    {1, 0, REG(ecx), CPUID_1_ECX_POPCNT},		  /* popcnt: hweight via alternatives */
    {1, 0, REG(ecx), CPUID_1_ECX_MONITOR},		  /* monitor/mwait: the idle loop */
    {7, 0, REG(ebx), CPUID_7_EBX_SMAP},			  /* stac/clac around every user access */
    {0x80000001, 0, REG(edx), CPUID_80000001_EDX_RDTSCP}, /* rdtscp: rdtsc_ordered() */
};
#undef REG

static void hide_unemulated_features(struct cpuid_table *table)
{
	for (size_t i = 0; i < sizeof(unemulated_features) / sizeof(unemulated_features[0]); i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(table, unemulated_features[i].function,
							unemulated_features[i].index);
		if (e)
			*(uint32_t *)((char *)e + unemulated_features[i].reg) &=
			    ~unemulated_features[i].bit;
	}
}

/* Move KVM's 0x400000xx leaves up by 0x100. */
static void move_kvm_leaves(struct cpuid_table *table)
{
	for (uint32_t i = 0; i < table->head.nent; i++) {
		struct kvm_cpuid_entry2 *e = &table->entries[i];
		if (e->function < HYPERVISOR_LEAF_FIRST || e->function > HYPERVISOR_LEAF_LAST)
			continue;
		/* EAX of the base leaf is the highest leaf of that block: it
		 * moves with the block or the scan would read past it. */
		if (e->function == HYPERVISOR_LEAF_FIRST && e->eax >= HYPERVISOR_LEAF_FIRST &&
		    e->eax <= HYPERVISOR_LEAF_LAST)
			e->eax += PVKIT_CPUID_KVM_BASE - HYPERVISOR_LEAF_FIRST;
		e->function += PVKIT_CPUID_KVM_BASE - HYPERVISOR_LEAF_FIRST;
	}
}

static void add_leaf(struct cpuid_table *table, uint32_t function, uint32_t eax, uint32_t ebx,
		     uint32_t ecx, uint32_t edx)
{
	table->entries[table->head.nent++] = (struct kvm_cpuid_entry2){
	    .function = function,
	    .eax = eax,
	    .ebx = ebx,
	    .ecx = ecx,
	    .edx = edx,
	};
}

/*L:350 The CPUID table the guest sees: KVM's, with the hypervisor bit set,
 * PCID hidden and, where ring 0 is emulated, the features whose
 * instructions KVM's emulator lacks hidden too.  KVM's own leaves move up to
 * 0x40000100 and pvkit's take 0x40000000: its signature, then the ABI
 * version, features and the hypercall and time page frames (unless
 * --no-pvkit-cpuid).  That is how a ring-0 kernel finds pvkit
 * (guest/pv/pvkit.c); a pvm kernel, whose CPUID the host CPU answers, reads
 * the setup_data entry of L:260 instead.
 * Next: host/cpu_setup.c. :*/
int cpuid_rewrite(struct cpuid_table *table, const struct cpuid_options *opt)
{
	if (table->head.nent > CPUID_MAX_ENTRIES)
		return -1;
	fix_leaf1(table);
	if (opt->ring0_emulated)
		hide_unemulated_features(table);
	if (!opt->pvkit_leaves)
		return 0;
	if (table->head.nent + 2 > CPUID_MAX_ENTRIES)
		return -1;
	/* Something already at 0x401000xx would collide after the move;
	 * KVM never has leaves there, so refuse rather than guess. */
	for (uint32_t i = 0; i < table->head.nent; i++) {
		uint32_t f = table->entries[i].function;
		if (f >= PVKIT_CPUID_KVM_BASE && f <= PVKIT_CPUID_KVM_BASE + 0xff)
			return -1;
	}
	move_kvm_leaves(table);
	add_leaf(table, PVKIT_CPUID_SIGNATURE, PVKIT_CPUID_MAX_LEAF, PVKIT_CPUID_SIG_EBX,
		 PVKIT_CPUID_SIG_ECX, PVKIT_CPUID_SIG_EDX);
	add_leaf(table, PVKIT_CPUID_INFO, PVKIT_ABI_VERSION, opt->features, opt->hypercall_pfn,
		 opt->time_pfn);
	return 0;
}
