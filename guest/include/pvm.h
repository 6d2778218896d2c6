/* SPDX-License-Identifier: MIT */
/*
 * pvm.h - the deprivileged ("pvm") mode of pvkernel: what the entry code
 * (arch/x86/pvm_entry.S) and the backend (pv/pvm.c) share.
 *
 * Three kinds of code, as on the PVM host they run on:
 *   native   the kernel entered with `syscall` from user mode, and user
 *            mode itself: run by the CPU at full speed;
 *   CPL0     IDT stubs and privileged thunks: emulated by the host, one
 *            instruction at ~1-5 us, so each is a handful of instructions;
 *   bounce   a CPL0 stub that iretq's into a native handler.
 */
#ifndef PVKERNEL_PVM_H
#define PVKERNEL_PVM_H

/*
 * The system calls of pvm user mode (rax = number), as pvm_entry.S serves
 * them: pvkernel's contract with its own user programs, not pvkit's ABI.
 * This part is read by the assembler too.
 */
#define PVM_SYS_NULL 0 /* return at once: the round-trip benchmark */
#define PVM_SYS_EXIT 1 /* rdi = status: end of pvm_run_user() */
/* What the bounce code (never a user program: the entry checks where the
 * `syscall` came from) passes when user mode took exception `vector`:
 * this + vector. */
#define PVM_SYS_USER_EXCEPTION 0x100
/* Any other number returns -PVM_ENOSYS. */
#define PVM_ENOSYS 38

/* pvm_run_user() result when user mode took an exception: this + vector. */
#define PVM_USER_FAULT_BASE (-1000)

#ifndef __ASSEMBLY__

#include "kernel.h"

/* Per-CPU state of the entry code (one CPU). */
extern volatile uint8_t pvm_in_kernel;
extern uint64_t pvm_exc_rip, pvm_exc_error, pvm_exc_cr2;
extern char pvm_exc_stack_top[], pvm_native_exc_stack_top[];
/* Isolation: 1 = user mode runs on its own page tables (pvm_user_cr3). */
extern uint64_t pvm_isolation, pvm_kernel_cr3, pvm_user_cr3;
/*
 * What the entry code needs from pvkit's PVKIT_SETUP_PVM entry and the
 * LAPIC, stored by pvm_start where the assembler reads them: the user
 * selectors of the iretq to user mode, and the LAPIC's EOI register that
 * the CPL0 timer stub writes.
 */
extern uint64_t pvm_user_cs, pvm_user_ds;
extern uint64_t pvm_lapic_eoi;

/* The sections user page tables map (guest/kernel.ld). */
extern char __pvm_text_start[], __pvm_text_end[], __pvm_user_start[], __pvm_user_end[];
extern char __pvm_data_start[], __pvm_data_end[], __pvm_cpl0_start[], __pvm_cpl0_end[];
extern char __pvm_scratch_start[], __pvm_scratch_end[];

/* The CPL0 targets of the IDT: exceptions 0-31, the timer, spurious. */
extern const struct idt_stubs pvm_idt_stubs;

/*
 * Privileged thunks: code run at CPL0 by pvm_gate (int3 from native kernel
 * code, R11 = thunk).  Arguments and results in the registers each names.
 */
void pvm_thunk_write_cr3(void); /* rdi */
void pvm_thunk_read_cr3(void);	/* -> rax */
void pvm_thunk_invlpg(void);	/* rdi */
void pvm_thunk_lidt(void);	/* rdi = desc_ptr */
void pvm_thunk_lgdt(void);	/* rdi = desc_ptr */
void pvm_thunk_irq_enable(void);
void pvm_thunk_irq_disable(void);
void pvm_thunk_irq_save(void);	 /* -> rax = flags before */
void pvm_thunk_read_flags(void); /* -> rax = flags (the virtual IF) */
void pvm_thunk_safe_halt(void);
void pvm_thunk_nop(void);

/* rdmsr/wrmsr at CPL0 with #GP recovery: 0 or -1. */
int pvm_rdmsr(uint32_t msr, uint64_t *val);
int pvm_wrmsr(uint32_t msr, uint64_t val);

/* Run user code at rip on stack rsp (rdi = arg) until it calls
 * PVM_SYS_EXIT (its status) or takes an exception (PVM_USER_FAULT_BASE +
 * vector). */
int64_t pvm_run_user(uint64_t rip, uint64_t rsp, uint64_t arg);

/* User-mode code used by the self-tests (in kernel text, mapped U). */
void pvm_user_syscall_loop(void); /* rdi = iterations, then exit 0 */
void pvm_user_ud2(void);	  /* ud2: never exits normally */
void pvm_user_read(void);	  /* rdi = address to read, then exit 0 */
void pvm_user_write(void);	  /* rdi = address to write, then exit 0 */
void pvm_user_jump(void);	  /* rdi = address to jump to */
void pvm_gate(void);		  /* the privileged gate (kernel-only text) */

#endif /* __ASSEMBLY__ */
#endif
