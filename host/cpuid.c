// SPDX-License-Identifier: MIT
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

static void fix_leaf1(struct cpuid_table *table, bool ring0_emulated)
{
	struct kvm_cpuid_entry2 *leaf1 = cpuid_find(table, 1, 0);
	if (!leaf1)
		return;
	leaf1->ecx |= CPUID_1_ECX_HYPERVISOR;
	leaf1->ecx &= ~CPUID_1_ECX_PCID;
	/* XSAVE would belong here too (no xsave/xrstor in the emulator), but
	 * this host's KVM reports it whatever the table says; Linux guests
	 * need "noxsave" there instead (docs/linux.md). */
	if (ring0_emulated)
		leaf1->ecx &= ~CPUID_1_ECX_CX16;
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

int cpuid_rewrite(struct cpuid_table *table, const struct cpuid_options *opt)
{
	if (table->head.nent > CPUID_MAX_ENTRIES)
		return -1;
	fix_leaf1(table, opt->ring0_emulated);
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
