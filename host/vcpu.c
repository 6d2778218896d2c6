// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "vcpu.h"

int vcpu_create(struct vcpu *vcpu, struct vm *vm, int id)
{
	vcpu->run = NULL;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		log_msg("KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	vcpu->run_size = vm->vcpu_mmap_size;
	void *run =
	    mmap(NULL, (size_t)vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		log_msg("mmap of kvm_run: %s", strerror(errno));
		return -1;
	}
	vcpu->run = run;
	return 0;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, (size_t)vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int vcpu_supported_cpuid(struct vm *vm, struct cpuid_table *table)
{
	memset(table, 0, sizeof(*table));
	/* Leave room for the two leaves pvkit adds. */
	table->head.nent = CPUID_MAX_ENTRIES - 2;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, &table->head) < 0) {
		log_msg("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_set_cpuid(struct vcpu *vcpu, struct cpuid_table *table)
{
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, &table->head) < 0) {
		log_msg("KVM_SET_CPUID2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t vcpu_tsc_khz(struct vcpu *vcpu)
{
	int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	return khz > 0 ? (uint64_t)khz : 0;
}

int vcpu_read_tsc(struct vcpu *vcpu, uint64_t *tsc)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} msrs = {.head.nmsrs = 1, .entry.index = MSR_IA32_TSC};
	if (ioctl(vcpu->fd, KVM_GET_MSRS, &msrs.head) != 1)
		return -1;
	*tsc = msrs.entry.data;
	return 0;
}
