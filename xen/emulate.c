// SPDX-License-Identifier: MIT
/*
 * emulate.c - what a PV kernel may execute that faults in user mode and
 * Xen emulates for it: the forced-emulation `cpuid` (ud2; "xen"; cpuid),
 * software interrupts through the trap table, port I/O within the virtual
 * IOPL, cli/sti (the event mask), hlt, and reads and writes of control and
 * debug registers and of a few MSRs.  Anything else goes back to the guest
 * as the exception it raised.
 */
#include "pvxen.h"

#define MSR_EFER	   0xc0000080u
#define MSR_FS_BASE	   0xc0000100u
#define MSR_GS_BASE	   0xc0000101u
#define MSR_SHADOW_GS_BASE 0xc0000102u
#define MSR_TSC_AUX	   0xc0000103u
#define MSR_APIC_BASE	   0x1bu
#define MSR_MISC_ENABLE	   0x1a0u
#define MSR_PLATFORM_INFO  0xceu
#define MSR_DEBUGCTL	   0x1d9u
#define MSR_DR0_ADDR_MASK  0xc0011027u
#define MSR_DR1_ADDR_MASK  0xc0011019u
#define MSR_DR2_ADDR_MASK  0xc001101au
#define MSR_DR3_ADDR_MASK  0xc001101bu

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_TS 0x8ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_AM 0x40000ull
#define CR0_PG 0x80000000ull

uint64_t *gpr(struct xen_regs *r, unsigned n)
{
	switch (n) {
	case 0:
		return &r->rax;
	case 1:
		return &r->rcx;
	case 2:
		return &r->rdx;
	case 3:
		return &r->rbx;
	case 4:
		return &r->rsp;
	case 5:
		return &r->rbp;
	case 6:
		return &r->rsi;
	case 7:
		return &r->rdi;
	case 8:
		return &r->r8;
	case 9:
		return &r->r9;
	case 10:
		return &r->r10;
	case 11:
		return &r->r11;
	case 12:
		return &r->r12;
	case 13:
		return &r->r13;
	case 14:
		return &r->r14;
	default:
		return &r->r15;
	}
}

static uint64_t read_xcr0(void)
{
	uint32_t lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

#define XFEATURE_PKRU (1ull << 9)

/* What pv_cpuid offers for XCR0: the hardware's, less PKRU. */
static uint64_t guest_xcr0(void)
{
	return read_xcr0() & ~XFEATURE_PKRU;
}

/* The standard-format XSAVE area for the components in mask: the end of
 * the last one, by the hardware's per-component offsets. */
static uint32_t xsave_size(uint64_t mask)
{
	uint32_t size = 576; /* the legacy area and the XSAVE header */
	for (unsigned i = 2; i < 64; i++) {
		if (!(mask >> i & 1))
			continue;
		uint32_t a, b, c, d;
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(i));
		if (b + a > size)
			size = b + a;
	}
	return size;
}

/* xsetbv (XCR0): the domain runs with the XCR0 it has; writing the value
 * pv_cpuid offers as the only choice is accepted (the kernel then saves
 * those components), any other raises #GP. */
static bool emulate_xsetbv(struct xen_regs *r)
{
	uint64_t value = (uint32_t)r->rax | r->rdx << 32;
	return (uint32_t)r->rcx == 0 && value == guest_xcr0();
}

/* CPUID as a 64-bit PV guest of Xen sees it: the host's leaves without
 * what PV cannot use, and Xen's leaves at 0x40000000. */
static void pv_cpuid(struct xen_regs *r)
{
	uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
	uint32_t a, b, c, d;
	if (leaf >= 0x40000000u && leaf < 0x40010000u) {
		a = b = c = d = 0;
		switch (leaf) {
		case 0x40000000u:
			a = 0x40000005u;
			b = 0x566e6558u; /* "XenVMMXenVMM" */
			c = 0x65584d4du;
			d = 0x4d4d566eu;
			break;
		case 0x40000001u:
			a = (4u << 16) | 19;
			break;
		case 0x40000002u:
			a = 1;		 /* hypercall pages */
			b = 0x40000000u; /* the MSR to ask for one (HVM only) */
			break;
		default:
			break;
		}
	} else {
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
		if (leaf == 1) {
			/* ecx: no MONITOR, VMX, SMX, EST, TM2, PDCM, PCID, x2APIC,
			 * TSC deadline; the hypervisor bit on.  XSAVE and OSXSAVE
			 * as the hardware has them: the domain's native code runs
			 * with this host's CR4 and XCR0, so its kernel must save
			 * that state (XSAVE), not just x87/SSE (FXSAVE). */
			c &= ~(1u << 3 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8 | 1u << 15 |
			       1u << 17 | 1u << 21 | 1u << 24);
			c |= 1u << 31;
			/* edx: no VME, DE, PSE, MTRR, PGE, PSE36, ACPI, DS, TM, PBE. */
			d &= ~(1u << 1 | 1u << 2 | 1u << 3 | 1u << 12 | 1u << 13 | 1u << 17 |
			       1u << 21 | 1u << 22 | 1u << 29 | 1u << 31);
		} else if (leaf == 7 && sub == 0) {
			/* ebx: no SMEP, SMAP, INVPCID, RTM, HLE (TSX), and no
			 * FSGSBASE: pvxen cannot make the instructions fault
			 * while the guest's CR4 bit is clear (native code runs
			 * with the host's CR4, xen/main.c), so it does not offer
			 * a CR4 bit that would not work.  Linux then keeps FS and
			 * GS bases with set_segment_base (a native hypercall)
			 * and reads no MSR on a context switch: without it, one
			 * trapped rdmsr of MSR_KERNEL_GS_BASE per switch. */
			b &= ~(1u << 0 | 1u << 4 | 1u << 7 | 1u << 10 | 1u << 11 | 1u << 20);
		} else if (leaf == 0xd && sub == 0) {
			/* The features to enable: the XCR0 the domain runs with
			 * (xsetbv cannot change it, see emulate_xsetbv) less PKRU,
			 * which a PV kernel does not manage; the size is that
			 * mask's, from the per-component offsets (the hardware's
			 * EBX counts PKRU). */
			uint64_t mask = guest_xcr0();
			a = (uint32_t)mask;
			d = (uint32_t)(mask >> 32);
			b = c = xsave_size(mask);
		} else if (leaf == 0xd && sub == 1) {
			/* No XSAVES (CPL0 only), XSAVEC or XFD: the standard
			 * format, no supervisor states; EBX (XSAVES's size)
			 * would count the host's XSS components. */
			a &= ~(1u << 1 | 1u << 3 | 1u << 4);
			b = xsave_size(guest_xcr0());
			c = d = 0;
		} else if (leaf == 0x80000001u) {
			d &= ~(1u << 26); /* no 1 GiB pages */
			c &= ~(1u << 2);  /* no SVM */
		}
	}
	r->rax = a;
	r->rbx = b;
	r->rcx = c;
	r->rdx = d;
}

/* The kernel's virtual CPL is 1, or 0 with VMASST_TYPE_architectural_iopl. */
static bool iopl_ok(void)
{
	bool architectural = xen_vcpu.vm_assist & (1ull << VMASST_TYPE_architectural_iopl);
	unsigned cpl = xen_vcpu.kernel_mode ? (architectural ? 0 : 1) : 3;
	return xen_vcpu.iopl >= cpl;
}

/* in/out, when IOPL allows: PIT channel 2 (xen/pit.c), as Xen gives every
 * PV guest; no other port has anything behind it (reads give all ones). */
static bool emulate_io(struct xen_regs *r, const uint8_t *insn, unsigned len)
{
	unsigned i = 0, size = 4;
	if (insn[i] == 0x66) {
		size = 2;
		i++;
	}
	if (i >= len)
		return false;
	uint8_t op = insn[i];
	unsigned ilen;
	uint16_t port = (uint16_t)r->rdx;
	if (op == 0xe4 || op == 0xe5 || op == 0xe6 || op == 0xe7) {
		if (i + 1 >= len)
			return false;
		port = insn[i + 1];
		ilen = i + 2;
	} else if (op == 0xec || op == 0xed || op == 0xee || op == 0xef) {
		ilen = i + 1;
	} else {
		return false;
	}
	if (!(op & 1))
		size = 1;
	if (!iopl_ok())
		return false;
	/* Byte by byte, as Xen does: a wide access to the PIT's ports reaches
	 * each one. */
	if (!(op & 2)) { /* in */
		uint64_t value = 0;
		for (unsigned b = 0; b < size; b++) {
			uint16_t p = (uint16_t)(port + b);
			value |= (uint64_t)(pit_port(p) ? pit_read(p) : 0xff) << (8 * b);
		}
		uint64_t mask = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffull;
		r->rax = size == 4 ? value : (r->rax & ~mask) | value;
	} else {
		for (unsigned b = 0; b < size; b++) {
			uint16_t p = (uint16_t)(port + b);
			if (pit_port(p))
				pit_write(p, (uint8_t)(r->rax >> (8 * b)));
		}
	}
	r->rip += ilen;
	return true;
}

static bool emulate_rdmsr(struct xen_regs *r)
{
	uint64_t v;
	switch ((uint32_t)r->rcx) {
	case MSR_FS_BASE:
		v = read_fs_base();
		break;
	case MSR_GS_BASE:
		v = read_gs_base();
		break;
	case MSR_DEBUGCTL:
	case MSR_DR0_ADDR_MASK:
	case MSR_DR1_ADDR_MASK:
	case MSR_DR2_ADDR_MASK:
	case MSR_DR3_ADDR_MASK:
		v = 0;
		break;
	case MSR_SHADOW_GS_BASE:
		v = xen_vcpu.gs_base_user;
		break;
	case MSR_EFER:
		v = 0xd01; /* SCE, LME, LMA, NXE */
		break;
	case MSR_APIC_BASE:
		v = 0xfee00900;
		break;
	case MSR_MISC_ENABLE:
		v = 1;
		break;
	default:
		return false;
	}
	r->rax = (uint32_t)v;
	r->rdx = v >> 32;
	return true;
}

static bool emulate_wrmsr(struct xen_regs *r)
{
	uint64_t v = (uint32_t)r->rax | r->rdx << 32;
	uint32_t msr = (uint32_t)r->rcx;
	if ((msr == MSR_FS_BASE || msr == MSR_GS_BASE || msr == MSR_SHADOW_GS_BASE) &&
	    !is_canonical(v))
		return false;
	switch ((uint32_t)r->rcx) {
	case MSR_FS_BASE:
		write_fs_base(v);
		return true;
	case MSR_GS_BASE:
		write_gs_base(v);
		return true;
	case MSR_SHADOW_GS_BASE:
		xen_vcpu.gs_base_user = v;
		return true;
	default:
		return false;
	}
}

/* 0f 20/22 (mov cr), 0f 21/23 (mov dr): mod must be 3. */
static bool emulate_mov_cr_dr(struct xen_regs *r, const uint8_t *insn, unsigned rex)
{
	uint8_t modrm = insn[2];
	if ((modrm >> 6) != 3)
		return false;
	unsigned reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	uint64_t *rm = gpr(r, (modrm & 7) | (rex & 1 ? 8 : 0));
	switch (insn[1]) {
	case 0x20: /* mov crN, reg */
		if (reg == 0)
			*rm = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG |
			      (xen_vcpu.fpu_ts ? CR0_TS : 0);
		else if (reg == 2)
			*rm = xen_vcpu.vcpu_info->arch.cr2;
		else if (reg == 3)
			*rm = xen_vcpu.kernel_mode ? xen_vcpu.kernel_cr3 : xen_vcpu.user_cr3;
		else if (reg == 4)
			*rm = guest_cr4();
		else
			return false;
		return true;
	case 0x22: /* mov reg, crN */
		if (reg == 0) {
			xen_vcpu.fpu_ts = (*rm & CR0_TS) != 0;
			return true;
		}
		if (reg == 4)
			return set_guest_cr4(*rm);
		return false;
	case 0x21: /* mov drN, reg */
		if (reg > 7 || reg == 4 || reg == 5)
			return false;
		*rm = xen_vcpu.dr[reg];
		return true;
	case 0x23: /* mov reg, drN */
		return reg <= 7 && set_debugreg(reg, *rm) == 0;
	default:
		return false;
	}
}

/*
 * A read of the M2P at Xen's own address (slot 256, which this host keeps
 * for itself): `mov m, r` (8b /r), decoded just enough for its length and
 * destination; the value is the identity, as in the real table.
 */
bool emulate_m2p_read(struct xen_regs *r, uint64_t cr2, uint64_t error)
{
	if (cr2 < PVXEN_M2P_LEGACY || cr2 >= PVXEN_M2P_LEGACY + PVXEN_M2P_MAX_PAGES * 8 ||
	    (error & 2))
		return false; /* reads only; the host reports not-present or reserved-bit */
	uint8_t insn[16];
	if (copy_from_guest(insn, r->rip, sizeof(insn)) < 0)
		return false;
	unsigned i = 0, rex = 0;
	if ((insn[0] & 0xf0) == 0x40)
		rex = insn[i++];
	if (insn[i++] != 0x8b)
		return false;
	uint8_t modrm = insn[i++];
	unsigned mod = modrm >> 6, rm = modrm & 7;
	if (mod == 3)
		return false;
	if (rm == 4) {
		uint8_t sib = insn[i++];
		if (mod == 0 && (sib & 7) == 5)
			i += 4;
	} else if (mod == 0 && rm == 5) {
		i += 4;
	}
	i += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	uint64_t index = (cr2 - PVXEN_M2P_LEGACY) / 8;
	uint64_t value = mfn_is_domain_ram(index) ? index : ~0ull;
	uint64_t *dst = gpr(r, ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0));
	if (cr2 & 7)
		value >>= (cr2 & 7) * 8;
	*dst = rex & 8 ? value : (uint32_t)value;
	r->rip += i;
	return true;
}

/* Bytes of ModRM, SIB and displacement after the opcode. */
static unsigned modrm_length(const uint8_t *p)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3)
		return n;
	if (rm == 4) {
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;
	}
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/*
 * A kernel write that faulted on a read-only page table (Xen's ptwr): the
 * 8-byte `mov`, `xchg` and `cmpxchg` forms an OS uses for PTEs, redone as a
 * checked page-table update.
 */
bool emulate_page_table_write(struct xen_regs *r, uint64_t cr2, uint64_t error)
{
	if (!xen_vcpu.kernel_mode || (error & 3) != 3)
		return false;
	uint64_t maddr = page_table_write_target(cr2 & ~7ull);
	uint8_t insn[16];
	if (!maddr || copy_from_guest(insn, r->rip, sizeof(insn)) < 0)
		return false;
	unsigned i = 0, rex = 0;
	while (i < 4 && (insn[i] == 0xf0 || insn[i] == 0x3e || insn[i] == 0x2e))
		i++; /* lock, and segment prefixes that 64-bit mode ignores */
	if ((insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	const uint8_t *op = insn + i;
	unsigned shift = (cr2 & 7) * 8; /* a byte operand's place in the entry */
	uint64_t *slot = maddr_ptr(maddr, 8), old = *slot, val = old;
	uint64_t *reg = NULL, *xchg_reg = NULL;
	unsigned len, reg_field = (op[1] >> 3) & 7;
	bool whole = (rex & 8) && !(cr2 & 7);
	if ((op[0] == 0x89 || op[0] == 0x87) && whole) { /* mov/xchg r64, m64 */
		reg = gpr(r, reg_field | (rex & 4 ? 8 : 0));
		val = *reg;
		if (op[0] == 0x87)
			xchg_reg = reg;
		len = i + 1 + modrm_length(op + 1);
	} else if (op[0] == 0xc7 && reg_field == 0 && whole) { /* mov $imm32, m64 */
		unsigned ml = modrm_length(op + 1);
		int32_t imm;
		memcpy(&imm, op + 1 + ml, 4);
		val = (uint64_t)(int64_t)imm;
		len = i + 1 + ml + 4;
	} else if (op[0] == 0x0f && op[1] == 0xb1 && whole) { /* cmpxchg r64, m64 */
		reg = gpr(r, ((op[2] >> 3) & 7) | (rex & 4 ? 8 : 0));
		len = i + 2 + modrm_length(op + 2);
		if (old != r->rax) {
			r->rax = old;
			r->rflags &= ~0x40ull; /* ZF */
			r->rip += len;
			return true;
		}
		val = *reg;
		r->rflags |= 0x40ull;
	} else if (op[0] == 0x80 && (reg_field == 1 || reg_field == 4)) { /* or/and $imm8, m8 */
		unsigned ml = modrm_length(op + 1);
		uint64_t imm = (uint64_t)op[1 + ml] << shift, byte = 0xffull << shift;
		val = reg_field == 1 ? old | imm : old & (imm | ~byte);
		len = i + 1 + ml + 1;
	} else if (op[0] == 0x0f && op[1] == 0xba &&
		   (((op[2] >> 3) & 7) == 5 || ((op[2] >> 3) & 7) == 6)) { /* bts/btr $imm8 */
		unsigned ml = modrm_length(op + 2);
		unsigned bit = (op[2 + ml] & 63) + shift;
		if (bit > 63)
			return false;
		r->rflags = (r->rflags & ~1ull) | ((old >> bit) & 1); /* CF */
		val = ((op[2] >> 3) & 7) == 5 ? old | 1ull << bit : old & ~(1ull << bit);
		len = i + 2 + ml + 1;
	} else {
		return false;
	}
	if (page_table_write(maddr, val) != 0)
		return false;
	if (xchg_reg)
		*xchg_reg = old;
	r->rip += len;
	return true;
}

/*
 * #SS for a non-canonical access whose only tie to %ss is an explicit
 * override: 64-bit mode ignores that prefix, so the architecture (and Xen
 * on other CPUs) reports #GP(0); this host's CPU reports #SS.
 */
bool fixup_stack_fault(struct xen_regs *r, uint64_t error)
{
	uint8_t insn[16];
	if (error != 0 || copy_from_guest(insn, r->rip, sizeof(insn)) < 0)
		return false;
	unsigned i = 0, rex = 0;
	bool ss_override = false;
	for (; i < 8; i++) {
		uint8_t b = insn[i];
		if (b == 0x36)
			ss_override = true;
		else if (b != 0x26 && b != 0x2e && b != 0x3e && b != 0x66 && b != 0x67 &&
			 b != 0xf0 && b != 0xf2 && b != 0xf3)
			break;
	}
	if (!ss_override)
		return false;
	if ((insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	uint8_t op = insn[i++];
	bool uses_stack_base = false;
	if (op >= 0xa0 && op <= 0xa3) {
		uses_stack_base = false; /* moffs: no base register */
	} else {
		if (op == 0x0f)
			i++;
		uint8_t modrm = insn[i++];
		unsigned mod = modrm >> 6, base = modrm & 7;
		if (mod == 3)
			return false;
		if (base == 4) {
			uint8_t sib = insn[i];
			base = sib & 7;
			if (mod == 0 && base == 5)
				return true; /* no base: converted below */
		} else if (mod == 0 && base == 5) {
			base = 16; /* RIP-relative */
		}
		unsigned full = base | (rex & 1 ? 8 : 0);
		uses_stack_base = full == 4 || full == 5;
	}
	return !uses_stack_base;
}

static bool cpu_is_amd(void)
{
	uint32_t a, b, c, d;
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	return b == 0x68747541u; /* "Auth" */
}

/*
 * A far call or jump through memory (ff /3, ff /5) whose selector names
 * the LDT: a PV guest here has none (MMUEXT_SET_LDT takes only an empty
 * one), so the CPU's answer is #GP(selector); this host reports #GP(0).
 */
static bool far_transfer_via_ldt(struct xen_regs *r, const uint8_t *insn, unsigned len)
{
	unsigned i = 0, rex = 0, opsize = 4;
	if (i < len && insn[i] == 0x66)
		opsize = 2, i++;
	if (i < len && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if ((rex & 8) && !cpu_is_amd())
		opsize = 8; /* AMD ignores REX.W here: m16:32 */
	if (i + 2 > len || insn[i] != 0xff)
		return false;
	uint8_t modrm = insn[i + 1];
	unsigned op = (modrm >> 3) & 7;
	if ((op != 3 && op != 5) || (modrm >> 6) == 3)
		return false;
	/* The operand's address is not decoded here: the far pointers XTF and
	 * Linux use are absolute or register-indirect without displacement. */
	unsigned mod = modrm >> 6, rm = (modrm & 7) | (rex & 1 ? 8 : 0);
	if (mod != 0 || (rm & 7) == 4 || (rm & 7) == 5)
		return false;
	uint16_t sel;
	if (copy_from_guest(&sel, *gpr(r, rm) + opsize, sizeof(sel)) < 0 || !(sel & 4))
		return false;
	inject_trap(r, 13, true, sel & ~3u);
	return true;
}

/* A privileged instruction of the kernel (vector 13), an instruction this
 * host refuses in user mode (vector 6: `int N`), or the FEP cpuid. */
bool emulate_privileged(struct xen_regs *r, unsigned vector)
{
	uint8_t insn[16];
	unsigned len = sizeof(insn);
	while (len && copy_from_guest(insn, r->rip, len) < 0)
		len = len > 8 ? 8 : len - 1; /* near the end of a mapping */
	if (len < 1)
		return false;

	/* Xen's forced emulation prefix: only cpuid is emulated for PV. */
	static const uint8_t fep[] = {0x0f, 0x0b, 'x', 'e', 'n'};
	if (vector == 6 && len >= 7 && memcmp(insn, fep, sizeof(fep)) == 0) {
		if (insn[5] == 0x0f && insn[6] == 0xa2) {
			pv_cpuid(r);
			r->rip += 7;
			return true;
		}
		return false;
	}
	/* int N: through the trap table, if its DPL allows the caller. */
	if (len >= 2 && insn[0] == 0xcd) {
		unsigned n = insn[1];
		const struct trap_entry *t = &xen_vcpu.traps[n];
		unsigned cpl = xen_vcpu.kernel_mode ? 1 : 3;
		if (t->address && (t->flags & 3) >= cpl) {
			r->rip += 2;
			inject_trap(r, n, false, 0);
			return true;
		}
		/* #GP with the IDT-vector error code, as the CPU would give. */
		inject_trap(r, 13, true, n << 3 | 2);
		return true;
	}
	if (vector != 13)
		return false;
	if (xen_exc_error == 0 && far_transfer_via_ldt(r, insn, len))
		return true;
	if (emulate_io(r, insn, len))
		return true;
	if ((insn[0] == 0xfa || insn[0] == 0xfb) && iopl_ok()) {
		r->rip += 1;
		return true;
	}
	if (!xen_vcpu.kernel_mode)
		return false;
	unsigned i = 0, rex = 0;
	if ((insn[0] & 0xf0) == 0x40 && len > 1) {
		rex = insn[0];
		i = 1;
	}
	const uint8_t *p = insn + i;
	switch (p[0]) {
	case 0xfa: /* cli, sti: nothing, within the IOPL, as under Xen */
	case 0xfb:
		if (!iopl_ok())
			return false;
		r->rip += i + 1;
		return true;
	case 0xf4: /* hlt: nothing to wait for yet */
		r->rip += i + 1;
		return true;
	case 0x0f:
		if (len < i + 2)
			return false;
		switch (p[1]) {
		case 0x30:
			if (!emulate_wrmsr(r))
				return false;
			r->rip += i + 2;
			return true;
		case 0x32:
			if (!emulate_rdmsr(r))
				return false;
			r->rip += i + 2;
			return true;
		case 0x01: /* xsetbv */
			if (len < i + 3 || p[2] != 0xd1 || !emulate_xsetbv(r))
				return false;
			r->rip += i + 3;
			return true;
		case 0x06: /* clts */
			xen_vcpu.fpu_ts = false;
			r->rip += i + 2;
			return true;
		case 0x09: /* wbinvd */
		case 0x08: /* invd */
			r->rip += i + 2;
			return true;
		case 0x20:
		case 0x21:
		case 0x22:
		case 0x23:
			if (len < i + 3 || !emulate_mov_cr_dr(r, p, rex))
				return false;
			r->rip += i + 3;
			return true;
		default:
			return false;
		}
	default:
		return false;
	}
}
