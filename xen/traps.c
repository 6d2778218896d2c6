// SPDX-License-Identifier: MIT
/*
 * traps.c - exceptions and system calls into the guest kernel, the way
 * 64-bit Xen delivers them: a "bounce frame" on the guest kernel's stack
 *
 *	rcx, r11, [error code], rip, cs | upcall_mask << 32, rflags, rsp, ss
 *
 * (lowest address first, 16-byte aligned), then a jump to the handler the
 * kernel registered (set_trap_table, callback_op).  A frame's CS shows RPL
 * 0 for kernel mode and 3 for user mode; the hardware runs both in user
 * mode, so pvxen's kernel-mode flag is what tells them apart.
 */
#include "pvxen.h"

#define GUEST_KERNEL_CS (PVXEN_SEL_USER_CS & ~3u)
#define VECTOR_SYSCALL	256 /* inject_trap(): the syscall callback */

static bool has_error_code(unsigned vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
	       vector == 29 || vector == 30;
}

/* Swap GS bases between the guest's kernel and user mode.  The page tables
 * follow on the way out (xen_exit_to_guest): pvxen itself always runs on
 * the kernel's L4. */
void toggle_guest_mode(struct xen_regs *r)
{
	(void)r;
	struct xen_vcpu *v = &xen_vcpu;
	uint64_t gs = read_gs_base();
	if (v->kernel_mode) {
		v->gs_base_kernel = gs;
		gs = v->gs_base_user;
	} else {
		v->gs_base_user = gs;
		gs = v->gs_base_kernel;
	}
	write_gs_base(gs);
	v->kernel_mode = !v->kernel_mode;
}

static void bounce(struct xen_regs *r, uint64_t handler, bool has_error, uint64_t error,
		   bool mask_events)
{
	struct xen_vcpu *v = &xen_vcpu;
	bool was_kernel = v->kernel_mode;
	uint8_t mask = v->vcpu_info->evtchn_upcall_mask;
	uint64_t sp;
	if (!was_kernel) {
		toggle_guest_mode(r);
		sp = v->kernel_sp;
	} else {
		sp = r->rsp;
	}
	sp &= ~0xfull;
	uint64_t frame[8];
	unsigned n = 0;
	frame[n++] = r->rcx;
	frame[n++] = r->r11;
	if (has_error)
		frame[n++] = error;
	frame[n++] = r->rip;
	frame[n++] = (was_kernel ? GUEST_KERNEL_CS : PVXEN_SEL_USER_CS) | (uint64_t)mask << 32;
	frame[n++] = (r->rflags & ~(RFLAGS_IF | RFLAGS_IOPL)) | (mask ? 0 : RFLAGS_IF) |
		     (uint64_t)v->iopl << 12;
	frame[n++] = r->rsp;
	frame[n++] = PVXEN_SEL_USER_DS;
	sp -= n * 8;
	if (copy_to_guest(sp, frame, n * 8) < 0)
		/* Xen's answer to a kernel stack it cannot write. */
		xen_crash("pvxen: cannot write an exception frame at 0x%llx (RIP 0x%llx): "
			  "domain crashed",
			  (unsigned long long)sp, (unsigned long long)r->rip);
	r->rsp = sp;
	r->rip = handler;
	r->rflags &= ~(RFLAGS_TF | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT);
	if (mask_events)
		v->vcpu_info->evtchn_upcall_mask = 1;
}

void inject_trap(struct xen_regs *r, unsigned vector, bool has_error, uint64_t error)
{
	struct xen_vcpu *v = &xen_vcpu;
	if (vector == VECTOR_SYSCALL) {
		bounce(r, v->syscall_cb, false, 0, v->syscall_mask);
		return;
	}
	const struct trap_entry *t = &v->traps[vector & 0xff];
	if (!t->address)
		xen_crash("pvxen: exception %u at RIP 0x%llx (error 0x%llx) and no handler for "
			  "it: domain crashed",
			  vector, (unsigned long long)r->rip, (unsigned long long)error);
	bounce(r, t->address, has_error, error, t->flags & 4);
}

/* The event upcall, as Xen makes it before any return to the guest. */
void deliver_events(struct xen_regs *r)
{
	struct vcpu_info *vi = xen_vcpu.vcpu_info;
	if (xen_timer_fired) {
		xen_timer_fired = 0;
		timer_tick_noted();
	}
	if (xen_vcpu.event_cb && vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask) {
		if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
			xen_log("xen: event upcall at 0x%llx", (unsigned long long)r->rip);
		bounce(r, xen_vcpu.event_cb, false, 0, true);
	}
}

void xen_exception(struct xen_regs *r)
{
	unsigned vector = (unsigned)xen_vector;
	uint64_t error = xen_exc_error;
	bool stepped = vector == 1 && debug_step_armed;
	/* A CPL0 stub's iretq turned IF on (BOUNCE_RFLAGS); a native one may
	 * have run in pvxen since, but not after this. */
	if (vector >= 32 || !(xen_native_vectors & (1u << vector)))
		xen_if_off = 0;
	if (debug_step_armed)
		debug_step_end(r, stepped);
	if (vector == XEN_TIMER_BOUNCE) {
		timer_interrupt();
		deliver_events(r);
		xen_exit_to_guest(r);
		return;
	}
	if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
		xen_log("xen: exception %u error 0x%llx at 0x%llx (CR2 0x%llx) rcx 0x%llx", vector,
			(unsigned long long)error, (unsigned long long)r->rip,
			(unsigned long long)xen_exc_cr2, (unsigned long long)r->rcx);
	/* Every way back checks for events, as Xen does on each return to the
	 * guest: also what consumes a tick noted in pvxen (deliver_events). */
	if (vector == 14 && (emulate_m2p_read(r, xen_exc_cr2, error) ||
			     emulate_page_table_write(r, xen_exc_cr2, error))) {
		deliver_events(r);
		xen_exit_to_guest(r);
		return;
	}
	if (vector == 14) {
		xen_vcpu.vcpu_info->arch.cr2 = xen_exc_cr2;
		/* The hardware saw user mode; Xen shows the kernel its own faults
		 * as supervisor accesses. */
		if (xen_vcpu.kernel_mode)
			error &= ~4ull;
	}
	if (vector == 12 && fixup_stack_fault(r, error))
		vector = 13;
	if (vector == 1 && !debug_trap(r, stepped)) {
		/* pvxen's own single step: on to the next instruction. */
		deliver_events(r);
		xen_exit_to_guest(r);
		return;
	}
	if ((vector == 6 || vector == 13) && emulate_privileged(r, vector)) {
		deliver_events(r);
		xen_exit_to_guest(r);
		return;
	}
	inject_trap(r, vector, has_error_code(vector), error);
	deliver_events(r);
	xen_exit_to_guest(r);
}

/* The hardware frame for the guest: user mode, IF on, IOPL 0 (the
 * guest's IOPL is virtual).  Guest user mode with an L4 of its own gets it
 * on the way out (xen_resume); the way back in loads xen_entry_cr3. */
void xen_exit_to_guest(struct xen_regs *r)
{
	struct xen_vcpu *v = &xen_vcpu;
	if (debug_breakpoints_on)
		debug_step_begin(r);
	/* Always set, never left over: whatever way pvxen was entered by. */
	xen_in_user = !v->kernel_mode && v->user_cr3 && v->user_cr3 != v->kernel_cr3 &&
		      !(xen_boot_info.flags & PVXEN_BOOT_NO_ISOLATION);
	if (xen_in_user) {
		xen_entry_cr3 = v->kernel_cr3;
		xen_exit_cr3 = v->user_cr3;
		mm_tlb_flushed(); /* user mode on its L4, back on the kernel's: two loads */
		xen_if_off = 0;	  /* xen_stub_0's iretq sets IF (below) */
	} else if (xen_if_off && singleshot_timer_armed()) {
		/* A native stub left IF off, and a native iretq cannot set it
		 * again: the guest's timer would never come.  Only then is it
		 * worth a trip through the gate; the guest's other ways into
		 * CPL0 (page faults, user mode) set it anyway. */
		xen_set_if();
	}
	r->cs = PVXEN_SEL_HW_CS;
	r->ss = PVXEN_SEL_HW_DS;
	r->rflags = (r->rflags & ~(RFLAGS_IOPL | RFLAGS_VM | RFLAGS_NT)) | RFLAGS_IF | 2;
}
