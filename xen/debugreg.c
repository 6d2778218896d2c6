// SPDX-License-Identifier: MIT
/*
 * debugreg.c - the guest's debug registers, as Xen keeps them for a PV
 * guest, and the breakpoints they enable.
 *
 * Xen loads a PV guest's DR0-3 and DR7 into the hardware and turns the #DBs
 * they raise into the guest's.  This host arms no debug register for the
 * code it runs natively, however they are set (from CPL0, KVM_SET_DEBUGREGS
 * or KVM_SET_GUEST_DEBUG: tests/pvm/exp_debug.c), but it does deliver the
 * single-step #DB of RFLAGS.TF.  So pvxen keeps the debug registers itself
 * and, while DR7 enables a breakpoint, single-steps the guest: on the way
 * out it decodes the next instruction (xen/insn.c: what it reads and
 * writes), checks the instruction breakpoints against its address and
 * returns with TF set; the single-step #DB after it means the instruction
 * completed, and an access of it that matches an enabled data breakpoint
 * becomes the guest's #DB, a trap after the instruction with DR6.Bn set, as
 * the hardware would raise it.  The guest never sees pvxen's TF: it comes
 * off RFLAGS on the way in, off the word a stepped `pushf` stored, and the
 * guest's own single-stepping gets its #DB (DR6.BS) as before.
 *
 * Cost: none while DR7 enables nothing (a flag test on the ways in and
 * out); with a breakpoint enabled every guest instruction is a #DB round
 * trip through pvxen (~20-40 us), which a debugger's user accepts.
 * Instructions pvxen emulates itself (privileged ones, page-table writes)
 * are not checked; I/O breakpoints (CR4.DE) are kept in DR7 but never fire,
 * as the guest's port I/O reaches no device.
 */
#include "insn.h"
#include "pvxen.h"

#define DR6_DEFAULT    0xffff0ff0ull
#define DR6_B_MASK     0xfull
#define DR6_BS	       (1ull << 14)
#define DR7_DEFAULT    0x400ull
#define DR7_TYPE_EXEC  0
#define DR7_TYPE_WRITE 1
#define DR7_TYPE_IO    2

bool debug_breakpoints_on, debug_step_armed;

/* The instruction being stepped: what pvxen decoded before it ran. */
static struct {
	bool guest_tf; /* the guest's own TF, under pvxen's */
	struct insn insn;
} step;

static bool breakpoint_enabled(unsigned bp)
{
	return xen_vcpu.dr[7] & (3ull << (bp * 2));
}

static unsigned breakpoint_type(unsigned bp)
{
	return (xen_vcpu.dr[7] >> (16 + bp * 4)) & 3;
}

/* LEN 00, 01, 11, 10: 1, 2, 4, 8 bytes, the address aligned to it. */
static uint64_t breakpoint_length(unsigned bp)
{
	static const uint8_t length[4] = {1, 2, 8, 4};
	return length[(xen_vcpu.dr[7] >> (18 + bp * 4)) & 3];
}

/*
 * Xen's rules for a PV guest's debug registers: breakpoints only on guest
 * addresses, I/O breakpoints only with CR4.DE.
 */
int64_t set_debugreg(unsigned reg, uint64_t value)
{
	if (reg > 7 || reg == 4 || reg == 5)
		return -XEN_EINVAL;
	if (reg < 4) {
		if (value >= XEN_PV_HOLE_START_VA && value < XEN_PV_HOLE_END_VA)
			return -XEN_EPERM;
		xen_vcpu.dr[reg] = value;
		return 0;
	}
	if (reg == 6) {
		xen_vcpu.dr[6] = (value & 0xe00f) | DR6_DEFAULT;
		return 0;
	}
	if (value >> 32)
		return -XEN_EPERM;
	bool steps = false;
	for (unsigned bp = 0; bp < 4; bp++) {
		bool enabled = value & (3ull << (bp * 2));
		unsigned type = (value >> (16 + bp * 4)) & 3;
		if (enabled && type == DR7_TYPE_IO && !xen_vcpu.cr4_de)
			return -XEN_EPERM;
		steps |= enabled && type != DR7_TYPE_IO;
	}
	xen_vcpu.dr[7] = value | DR7_DEFAULT;
	debug_breakpoints_on = steps;
	return 0;
}

/* DR6 after a #DB: B0-3 say which breakpoints it was for, the rest sticks
 * (Xen's merge). */
static void report_debug_event(uint64_t breakpoints, bool single_step)
{
	uint64_t dr6 = (xen_vcpu.dr[6] & ~DR6_B_MASK) | breakpoints | DR6_DEFAULT;
	xen_vcpu.dr[6] = dr6 | (single_step ? DR6_BS : 0);
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

/* The data breakpoints the stepped instruction's accesses met. */
static uint64_t data_breakpoints_hit(void)
{
	uint64_t hits = 0;
	for (unsigned bp = 0; bp < 4; bp++) {
		unsigned type = breakpoint_type(bp);
		if (!breakpoint_enabled(bp) || type == DR7_TYPE_EXEC || type == DR7_TYPE_IO)
			continue;
		uint64_t len = breakpoint_length(bp), start = xen_vcpu.dr[bp] & ~(len - 1);
		for (unsigned i = 0; i < step.insn.n_accesses; i++) {
			const struct insn_access *a = &step.insn.access[i];
			if ((a->write || type != DR7_TYPE_WRITE) &&
			    overlaps(a->address, a->size, start, len))
				hits |= 1ull << bp;
		}
	}
	return hits;
}

static uint64_t instruction_breakpoints_hit(uint64_t rip)
{
	uint64_t hits = 0;
	for (unsigned bp = 0; bp < 4; bp++)
		if (breakpoint_enabled(bp) && breakpoint_type(bp) == DR7_TYPE_EXEC &&
		    xen_vcpu.dr[bp] == rip)
			hits |= 1ull << bp;
	return hits;
}

/* The next instruction's bytes, up to the end of its page if the next
 * page is not there. */
static unsigned fetch(uint64_t rip, uint8_t *bytes)
{
	if (copy_from_guest(bytes, rip, INSN_MAX_LENGTH) == 0)
		return INSN_MAX_LENGTH;
	unsigned in_page = (unsigned)(PAGE_SIZE - (rip & (PAGE_SIZE - 1)));
	if (in_page < INSN_MAX_LENGTH && copy_from_guest(bytes, rip, in_page) == 0)
		return in_page;
	return 0;
}

static void decode_next(struct xen_regs *r)
{
	struct insn_regs regs;
	for (unsigned i = 0; i < 16; i++)
		regs.gpr[i] = *gpr(r, i);
	regs.rip = r->rip;
	regs.fs_base = read_fs_base();
	regs.gs_base = read_gs_base();
	uint8_t bytes[INSN_MAX_LENGTH];
	unsigned n = fetch(r->rip, bytes);
	if (!n || !insn_decode(bytes, n, &regs, &step.insn))
		step.insn = (struct insn){0}; /* it faults, or nothing known is touched */
}

/*
 * On the way out while breakpoints are on: an instruction breakpoint at the
 * next instruction is a fault before it (unless RF says it was just
 * reported); else step it.  `syscall` enters pvxen anyway and `icebp`
 * raises its own #DB, so neither is stepped.
 */
void debug_step_begin(struct xen_regs *r)
{
	uint64_t hits = r->rflags & RFLAGS_RF ? 0 : instruction_breakpoints_hit(r->rip);
	if (hits) {
		report_debug_event(hits, false);
		inject_trap(r, 1, false, 0);
	}
	decode_next(r);
	if (step.insn.kind == INSN_SYSCALL || step.insn.kind == INSN_ICEBP)
		return;
	step.guest_tf = r->rflags & RFLAGS_TF;
	r->rflags |= RFLAGS_TF;
	debug_step_armed = true;
}

/*
 * On the way in with a step armed: pvxen's TF comes off, and off what a
 * completed `pushf` stored; a completed `popf` chose the guest's TF itself.
 * completed: this is the single-step #DB (else an exception, interrupt or
 * `syscall` came first, and the instruction will be decoded again).
 */
void debug_step_end(struct xen_regs *r, bool completed)
{
	debug_step_armed = false;
	if (completed && step.insn.kind == INSN_POPF)
		return;
	r->rflags = (r->rflags & ~RFLAGS_TF) | (step.guest_tf ? RFLAGS_TF : 0);
	if (completed && step.insn.kind == INSN_PUSHF && !step.guest_tf) {
		uint64_t pushed;
		if (copy_from_guest(&pushed, r->rsp, 8) == 0) {
			pushed &= ~RFLAGS_TF;
			copy_to_guest(r->rsp, &pushed, 8);
		}
	}
}

/*
 * A #DB (vector 1): true if it is the guest's, DR6 set for it.  After a
 * step of pvxen's it is the guest's only if a data breakpoint matched or
 * the guest was single-stepping too; any other #DB is the guest's own
 * single step (TF) or `icebp`.  This host reports `icebp` as a fault at the
 * instruction (tests/pvm experiment `debug`); the architecture, and Xen,
 * make it a trap after it.  Without TF no other #DB can come from native
 * code, so one at an f1 byte is that `icebp`.
 */
bool debug_trap(struct xen_regs *r, bool stepped)
{
	if (!stepped) {
		bool single_step = r->rflags & RFLAGS_TF;
		uint8_t byte;
		if (!single_step && copy_from_guest(&byte, r->rip, 1) == 0 && byte == 0xf1)
			r->rip++;
		report_debug_event(0, single_step);
		return true;
	}
	uint64_t hits = data_breakpoints_hit();
	if (!hits && !step.guest_tf)
		return false;
	report_debug_event(hits, step.guest_tf);
	return true;
}
