/* SPDX-License-Identifier: MIT */
/*
 * vcpu.h - one virtual CPU: its fd, its shared kvm_run page, its CPUID,
 * and the few registers and MSRs the VMM reads.
 */
#ifndef PVKIT_HOST_VCPU_H
#define PVKIT_HOST_VCPU_H

#include <linux/kvm.h>
#include <stdint.h>

#include "cpuid.h"
#include "vm.h"

#define MSR_IA32_TSC 0x10

struct vcpu {
	int fd;
	struct kvm_run *run;
	int run_size;
};

/* -1 with a message on failure. */
int vcpu_create(struct vcpu *vcpu, struct vm *vm, int id);
void vcpu_destroy(struct vcpu *vcpu);

/* KVM_GET_SUPPORTED_CPUID into `table`; -1 with a message on failure. */
int vcpu_supported_cpuid(struct vm *vm, struct cpuid_table *table);
int vcpu_set_cpuid(struct vcpu *vcpu, struct cpuid_table *table);

/* The guest's TSC frequency (KVM_GET_TSC_KHZ), 0 if unknown. */
uint64_t vcpu_tsc_khz(struct vcpu *vcpu);

/* The guest's TSC now (MSR_IA32_TSC through KVM_GET_MSRS); -1 on failure. */
int vcpu_read_tsc(struct vcpu *vcpu, uint64_t *tsc);

#endif
