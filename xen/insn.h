/* SPDX-License-Identifier: MIT */
/*
 * insn.h - which memory an x86-64 instruction is about to touch.
 *
 * pvxen emulates the guest's data breakpoints by single-stepping
 * (xen/debugreg.c): before each step it asks what the next instruction
 * reads and writes.  Freestanding and independent of pvxen's headers, so
 * the host's unit tests (tests/unit/test_xen_insn.c) run it too.
 */
#ifndef PVXEN_INSN_H
#define PVXEN_INSN_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LENGTH	  15
#define INSN_MAX_ACCESSES 3

/* The registers an address can depend on: gpr[] in the hardware's
 * numbering (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8-r15). */
struct insn_regs {
	uint64_t gpr[16];
	uint64_t rip, fs_base, gs_base;
};

struct insn_access {
	uint64_t address;
	uint32_t size;
	bool write; /* false: a read */
};

/* What the instruction is, as far as the single-stepper cares. */
enum insn_kind {
	INSN_OTHER,
	INSN_SYSCALL, /* 0f 05: enters pvxen by itself */
	INSN_ICEBP,   /* f1: a #DB of its own */
	INSN_PUSHF,   /* pushes RFLAGS, TF included */
	INSN_POPF,    /* loads RFLAGS, TF included */
};

struct insn {
	unsigned length; /* 0: not decodable (unknown or truncated) */
	enum insn_kind kind;
	unsigned n_accesses;
	struct insn_access access[INSN_MAX_ACCESSES];
};

/*
 * Decode the instruction in bytes[0..avail) at regs->rip.  Explicit memory
 * operands (ModRM, moffs), the stack (push, pop, call, ret, leave, pushf,
 * popf) and string operands are listed with their size; a read-modify-write
 * is one write.  Vector and x87 operands are listed at their full width.
 * Returns false (length 0) for bytes it does not know.
 */
bool insn_decode(const uint8_t *bytes, unsigned avail, const struct insn_regs *regs,
		 struct insn *out);

#endif
