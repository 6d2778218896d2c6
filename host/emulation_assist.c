// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "emulation_assist.h"

#define INSN_INT3  0xcc
#define VECTOR_BP  3
#define SHOW_BYTES 8

/* Where the guest's RIP points in guest RAM, or NULL if it is not RAM. */
static const uint8_t *instruction_bytes(struct machine *m, const struct kvm_regs *regs,
					size_t *avail)
{
	struct kvm_sregs sregs;
	if (ioctl(m->vcpu.fd, KVM_GET_SREGS, &sregs) < 0)
		return NULL;
	struct kvm_translation tr = {.linear_address = sregs.cs.base + regs->rip};
	if (ioctl(m->vcpu.fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return NULL;
	/* Stop at the page end: the next page may map elsewhere. */
	size_t n = 4096 - (tr.physical_address & 4095);
	*avail = n < SHOW_BYTES ? n : SHOW_BYTES;
	return guest_memory_ptr(&m->vm.mem, tr.physical_address, *avail);
}

/* int3 is a trap: #BP is delivered with RIP already past the instruction. */
static bool raise_breakpoint(struct machine *m, struct kvm_regs *regs)
{
	struct kvm_vcpu_events events;
	if (ioctl(m->vcpu.fd, KVM_GET_VCPU_EVENTS, &events) < 0)
		return false;
	regs->rip += 1;
	if (ioctl(m->vcpu.fd, KVM_SET_REGS, regs) < 0)
		return false;
	events.exception.injected = 1;
	events.exception.nr = VECTOR_BP;
	events.exception.has_error_code = 0;
	events.exception.error_code = 0;
	events.flags = 0;
	return ioctl(m->vcpu.fd, KVM_SET_VCPU_EVENTS, &events) == 0;
}

bool emulation_assist(struct machine *m, char *why, size_t why_size)
{
	struct kvm_regs regs;
	/* KVM_GET_REGS even with sync_regs: KVM_SET_REGS below must not race
	 * a stale dirty copy in kvm_run. */
	if (ioctl(m->vcpu.fd, KVM_GET_REGS, &regs) < 0) {
		snprintf(why, why_size, "an instruction (KVM_GET_REGS: %s)", strerror(errno));
		return false;
	}
	if (m->sync_regs)
		m->vcpu.run->kvm_dirty_regs &= ~(uint64_t)KVM_SYNC_X86_REGS;

	size_t n = 0;
	const uint8_t *insn = instruction_bytes(m, &regs, &n);
	if (insn && insn[0] == INSN_INT3 && raise_breakpoint(m, &regs))
		return true;

	int len = snprintf(why, why_size, "the instruction at RIP=0x%" PRIx64, (uint64_t)regs.rip);
	if (!insn) {
		snprintf(why + len, why_size - (size_t)len, " (not in guest RAM)");
		return false;
	}
	len += snprintf(why + len, why_size - (size_t)len, " (bytes");
	for (size_t i = 0; i < n && (size_t)len < why_size; i++)
		len += snprintf(why + len, why_size - (size_t)len, " %02x", insn[i]);
	if ((size_t)len < why_size)
		snprintf(why + len, why_size - (size_t)len, ")");
	return false;
}
