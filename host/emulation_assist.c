// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "emulation_assist.h"

#define INSN_INT3  0xcc
#define INSN_FWAIT 0x9b
#define VECTOR_BP  3  /* breakpoint */
#define VECTOR_NM  7  /* device not available */
#define VECTOR_MF  16 /* x87 floating-point error */
#define CR0_EM	   (1ull << 2)
#define CR0_TS	   (1ull << 3)
#define X87_FAULTS 0x3fu /* FSW exception flags; FCW masks, same bits */
#define SHOW_BYTES 8

/* Where the guest's RIP points in guest RAM, or NULL if it is not RAM. */
static const uint8_t *instruction_bytes(struct machine *m, const struct kvm_regs *regs,
					const struct kvm_sregs *sregs, size_t *avail)
{
	struct kvm_translation tr = {.linear_address = sregs->cs.base + regs->rip};
	if (ioctl(m->vcpu.fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return NULL;
	/* Stop at the page end: the next page may map elsewhere. */
	size_t n = 4096 - (tr.physical_address & 4095);
	*avail = n < SHOW_BYTES ? n : SHOW_BYTES;
	return guest_memory_ptr(&m->vm.mem, tr.physical_address, *avail);
}

/* Move RIP past the instruction (`length` bytes). */
static bool skip_instruction(struct machine *m, struct kvm_regs *regs, unsigned length)
{
	regs->rip += length;
	return ioctl(m->vcpu.fd, KVM_SET_REGS, regs) == 0;
}

/* Deliver exception `vector` (no error code) through the guest's IDT. */
static bool raise_exception(struct machine *m, uint8_t vector)
{
	struct kvm_vcpu_events events;
	if (ioctl(m->vcpu.fd, KVM_GET_VCPU_EVENTS, &events) < 0)
		return false;
	events.exception.injected = 1;
	events.exception.nr = vector;
	events.exception.has_error_code = 0;
	events.exception.error_code = 0;
	events.flags = 0;
	return ioctl(m->vcpu.fd, KVM_SET_VCPU_EVENTS, &events) == 0;
}

/* int3 is a trap: #BP is delivered with RIP already past the instruction. */
static bool do_int3(struct machine *m, struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	(void)sregs;
	return skip_instruction(m, regs, 1) && raise_exception(m, VECTOR_BP);
}

/*
 * fwait: #NM if CR0.TS or CR0.EM is set, #MF if the x87 has an unmasked
 * exception pending, otherwise nothing.  Both are faults: RIP stays.
 */
static bool do_fwait(struct machine *m, struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	if (sregs->cr0 & (CR0_TS | CR0_EM))
		return raise_exception(m, VECTOR_NM);
	struct kvm_fpu fpu;
	if (ioctl(m->vcpu.fd, KVM_GET_FPU, &fpu) < 0)
		return false;
	if (fpu.fsw & ~fpu.fcw & X87_FAULTS)
		return raise_exception(m, VECTOR_MF);
	return skip_instruction(m, regs, 1);
}

/* The one-byte instructions done here, by opcode. */
static const struct {
	uint8_t opcode;
	bool (*run)(struct machine *m, struct kvm_regs *regs, const struct kvm_sregs *sregs);
} assisted[] = {
    {INSN_INT3, do_int3},
    {INSN_FWAIT, do_fwait},
};

bool emulation_assist(struct machine *m, char *why, size_t why_size)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	/* KVM_GET_REGS even with sync_regs: KVM_SET_REGS below must not race
	 * a stale dirty copy in kvm_run. */
	if (ioctl(m->vcpu.fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(m->vcpu.fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(why, why_size, "an instruction (KVM_GET_REGS: %s)", strerror(errno));
		return false;
	}
	if (m->sync_regs)
		m->vcpu.run->kvm_dirty_regs &= ~(uint64_t)KVM_SYNC_X86_REGS;

	size_t n = 0;
	const uint8_t *insn = instruction_bytes(m, &regs, &sregs, &n);
	for (size_t i = 0; insn && i < sizeof(assisted) / sizeof(assisted[0]); i++) {
		if (insn[0] == assisted[i].opcode && assisted[i].run(m, &regs, &sregs))
			return true;
	}

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
