// SPDX-License-Identifier: MIT
/* CPUID rewriting: pvkit's leaves, KVM's leaves moved, PCID (and CX16 where
 * ring 0 is emulated) hidden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "host/cpuid.h"

#define KVM_SIG_EBX 0x4b4d564b /* "KVMK" */
#define KVM_SIG_ECX 0x564b4d56 /* "VMKV" */
#define KVM_SIG_EDX 0x0000004d /* "M" */

/* What KVM_GET_SUPPORTED_CPUID returns on this kind of host, abridged. */
static void kvm_like_table(struct cpuid_table *t)
{
	memset(t, 0, sizeof(*t));
	struct kvm_cpuid_entry2 e[] = {
	    {.function = 0, .eax = 0x10, .ebx = 0x68747541},
	    {.function = 1,
	     .eax = 0x00a00f11,
	     .ecx = CPUID_1_ECX_PCID | CPUID_1_ECX_CX16 | CPUID_1_ECX_POPCNT | 0x1,
	     .edx = 0x178bfbff},
	    {.function = 7,
	     .index = 0,
	     .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
	     .ebx = 0x219c07ab},
	    {.function = 7, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x30},
	    {.function = 0x40000000,
	     .eax = 0x40000001,
	     .ebx = KVM_SIG_EBX,
	     .ecx = KVM_SIG_ECX,
	     .edx = KVM_SIG_EDX},
	    {.function = 0x40000001, .eax = 0x01007afb},
	    {.function = 0x80000000, .eax = 0x80000021},
	    {.function = 0x80000001, .edx = 0x2fd3fbff},
	};
	memcpy(t->entries, e, sizeof(e));
	t->head.nent = sizeof(e) / sizeof(e[0]);
}

static const struct cpuid_options pvkit_opts = {
    .pvkit_leaves = true,
    .features = PVKIT_FEATURE_HYPERCALL | PVKIT_FEATURE_CONSOLE,
    .hypercall_pfn = 0x9e,
    .time_pfn = 0x9f,
};

static void pvkit_leaves_and_kvm_moved(void **state)
{
	(void)state;
	static struct cpuid_table t;
	kvm_like_table(&t);
	assert_int_equal(cpuid_rewrite(&t, &pvkit_opts), 0);
	assert_int_equal(t.head.nent, 10);

	struct kvm_cpuid_entry2 *sig = cpuid_find(&t, 0x40000000, 0);
	assert_non_null(sig);
	assert_int_equal(sig->eax, PVKIT_CPUID_MAX_LEAF);
	assert_int_equal(sig->ebx, PVKIT_CPUID_SIG_EBX);
	assert_int_equal(sig->ecx, PVKIT_CPUID_SIG_ECX);
	assert_int_equal(sig->edx, PVKIT_CPUID_SIG_EDX);
	assert_memory_equal(&sig->ebx, "pvki", 4);
	struct kvm_cpuid_entry2 *info = cpuid_find(&t, 0x40000001, 0);
	assert_int_equal(info->eax, PVKIT_ABI_VERSION);
	assert_int_equal(info->ebx, PVKIT_FEATURE_HYPERCALL | PVKIT_FEATURE_CONSOLE);
	assert_int_equal(info->ecx, 0x9e);
	assert_int_equal(info->edx, 0x9f);

	/* KVM's block, moved whole, its max leaf moved with it. */
	struct kvm_cpuid_entry2 *kvm = cpuid_find(&t, 0x40000100, 0);
	assert_non_null(kvm);
	assert_int_equal(kvm->eax, 0x40000101);
	assert_int_equal(kvm->ebx, KVM_SIG_EBX);
	assert_int_equal(kvm->edx, KVM_SIG_EDX);
	struct kvm_cpuid_entry2 *kvm_features = cpuid_find(&t, 0x40000101, 0);
	assert_non_null(kvm_features);
	assert_int_equal(kvm_features->eax, 0x01007afb);
	/* Exactly one entry answers each hypervisor leaf. */
	int at_base = 0;
	for (uint32_t i = 0; i < t.head.nent; i++)
		at_base += t.entries[i].function == 0x40000000;
	assert_int_equal(at_base, 1);
}

static void leaf1_hides_pcid_shows_hypervisor(void **state)
{
	(void)state;
	static struct cpuid_table t;
	kvm_like_table(&t);
	assert_int_equal(cpuid_rewrite(&t, &pvkit_opts), 0);
	struct kvm_cpuid_entry2 *leaf1 = cpuid_find(&t, 1, 0);
	assert_int_equal(leaf1->ecx & CPUID_1_ECX_PCID, 0);
	assert_true(leaf1->ecx & CPUID_1_ECX_HYPERVISOR);
	assert_true(leaf1->ecx & 1); /* other bits untouched */
	assert_int_equal(leaf1->edx, 0x178bfbff);
	/* Indexed leaves are found by index. */
	assert_int_equal(cpuid_find(&t, 7, 1)->eax, 0x30);
	assert_int_equal(cpuid_find(&t, 7, 0)->ebx, 0x219c07ab);
	assert_null(cpuid_find(&t, 7, 2));
}

/* CX16, POPCNT, SMAP, RDTSCP go only where KVM's emulator runs ring 0. */
static void unemulated_features_hidden_only_where_ring0_is_emulated(void **state)
{
	(void)state;
	static struct cpuid_table t;
	kvm_like_table(&t);
	assert_int_equal(cpuid_rewrite(&t, &pvkit_opts), 0);
	assert_true(cpuid_find(&t, 1, 0)->ecx & CPUID_1_ECX_CX16);
	assert_true(cpuid_find(&t, 1, 0)->ecx & CPUID_1_ECX_POPCNT);
	assert_true(cpuid_find(&t, 7, 0)->ebx & CPUID_7_EBX_SMAP);
	assert_true(cpuid_find(&t, 0x80000001, 0)->edx & CPUID_80000001_EDX_RDTSCP);

	struct cpuid_options opt = pvkit_opts;
	opt.ring0_emulated = true;
	kvm_like_table(&t);
	assert_int_equal(cpuid_rewrite(&t, &opt), 0);
	struct kvm_cpuid_entry2 *leaf1 = cpuid_find(&t, 1, 0);
	assert_int_equal(leaf1->ecx & (CPUID_1_ECX_CX16 | CPUID_1_ECX_POPCNT), 0);
	assert_true(leaf1->ecx & 1);
	assert_int_equal(cpuid_find(&t, 7, 0)->ebx & CPUID_7_EBX_SMAP, 0);
	assert_true(cpuid_find(&t, 7, 0)->ebx & 1); /* FSGSBASE stays */
	assert_int_equal(cpuid_find(&t, 0x80000001, 0)->edx & CPUID_80000001_EDX_RDTSCP, 0);
	assert_int_equal(cpuid_find(&t, 7, 1)->eax, 0x30);
}

static void no_pvkit_cpuid_keeps_kvm(void **state)
{
	(void)state;
	static struct cpuid_table t;
	kvm_like_table(&t);
	struct cpuid_options opt = pvkit_opts;
	opt.pvkit_leaves = false;
	assert_int_equal(cpuid_rewrite(&t, &opt), 0);
	assert_int_equal(t.head.nent, 8);
	struct kvm_cpuid_entry2 *base = cpuid_find(&t, 0x40000000, 0);
	assert_int_equal(base->ebx, KVM_SIG_EBX);
	assert_int_equal(base->eax, 0x40000001);
	assert_null(cpuid_find(&t, 0x40000100, 0));
	/* PCID stays hidden either way: the host refuses CR4.PCIDE. */
	assert_int_equal(cpuid_find(&t, 1, 0)->ecx & CPUID_1_ECX_PCID, 0);
}

static void full_or_colliding_table_refused(void **state)
{
	(void)state;
	static struct cpuid_table t;
	kvm_like_table(&t);
	t.head.nent = CPUID_MAX_ENTRIES - 1;
	assert_int_equal(cpuid_rewrite(&t, &pvkit_opts), -1);
	t.head.nent = CPUID_MAX_ENTRIES + 5; /* a corrupt count is not trusted */
	assert_int_equal(cpuid_rewrite(&t, &pvkit_opts), -1);
	kvm_like_table(&t);
	t.entries[t.head.nent++] = (struct kvm_cpuid_entry2){.function = 0x40000100};
	assert_int_equal(cpuid_rewrite(&t, &pvkit_opts), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pvkit_leaves_and_kvm_moved),
	    cmocka_unit_test(leaf1_hides_pcid_shows_hypervisor),
	    cmocka_unit_test(unemulated_features_hidden_only_where_ring0_is_emulated),
	    cmocka_unit_test(no_pvkit_cpuid_keeps_kvm),
	    cmocka_unit_test(full_or_colliding_table_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
