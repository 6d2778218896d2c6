/* SPDX-License-Identifier: MIT */
/* trap.h - the IDT, exceptions and interrupts. */
#ifndef PVKERNEL_TRAP_H
#define PVKERNEL_TRAP_H

#include "kernel.h"

#define VEC_DE	     0
#define VEC_BP	     3
#define VEC_UD	     6
#define VEC_DF	     8
#define VEC_GP	     13
#define VEC_PF	     14
#define VEC_TIMER    0x20
#define VEC_SPURIOUS 0xff

/* The register frame isr.S builds; its layout is that file's push order. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * The IDT's targets, laid out by an entry file (arch/x86/isr.S for ring 0,
 * pvm_entry.S for pvm's CPL0 stubs) and chosen by pv_ops.idt_stubs.
 */
struct idt_stubs {
	uint64_t exceptions[32]; /* vectors 0-31 */
	uint64_t timer;		 /* VEC_TIMER */
	uint64_t spurious;	 /* VEC_SPURIOUS */
	/*
	 * Exceptions (bit = vector) whose stubs run in the kernel's own code
	 * segment (selectors->kernel_cs) on the stack in TSS.IST1, not in
	 * gate_cs's: on pvm, a gate to the CPL3 segment the kernel runs in
	 * is delivered without a privilege change, so the stub runs natively
	 * (docs/pvm.md, experiment 9).  0 for a ring-0 kernel.
	 */
	uint32_t native_exceptions;
};
extern const struct idt_stubs isr_idt_stubs;

/* The selectors of the kernel's own GDT (trap.c), as backends in ring 0 use it. */
extern const struct pv_selectors kernel_gdt_selectors;

void trap_init(void);
/* What every exception and interrupt comes to, whichever stub built the frame. */
void trap_dispatch(struct trap_frame *f);
void gdt_init(void);

/*
 * Expected faults: set before an instruction that should fault; the handler
 * resumes at `resume_rip` and records what happened, instead of dying.
 */
struct fault_expectation {
	bool armed;
	uint8_t vector;
	uint64_t resume_rip;
	bool hit;
	uint64_t error_code;
	uint64_t cr2;
	uint64_t fault_rip;
};
extern struct fault_expectation fault_expect;

extern volatile uint64_t timer_ticks;

/* fault_probe.S: each returns 0 if the access worked, -1 if it faulted. */
int probe_read64(uint64_t addr, uint64_t *val);
int probe_write64(uint64_t addr, uint64_t val);
int probe_rdmsr(uint32_t msr, uint64_t *val);
int probe_wrmsr(uint32_t msr, uint64_t val);
int probe_ud2(void);
int probe_div0(void);

#endif
