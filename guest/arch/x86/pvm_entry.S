/* SPDX-License-Identifier: MIT */
/*
 * pvm_entry.S - the ways into and out of the kernel in pvm mode.
 *
 * pvkit starts the vCPU in user mode on a trampoline that executes
 * `syscall`; MSR_LSTAR is pvm_entry.  On this host (PVM-based KVM, no
 * VT-x) code entered that way runs natively, while anything the CPU
 * delivers through the IDT runs at CPL0, which the host emulates one
 * instruction at a time (~1-5 us each).  So:
 *
 *  - pvm_entry (native): the first entry boots the kernel (boot_entry);
 *    later ones are system calls from user mode.  Return is `iretq`
 *    (sysretq raises #GP here).
 *  - exceptions are "bounced": a stub keeps the interrupted RIP (and error
 *    code) in per-CPU memory, puts the native handler's address in the
 *    frame and iretq's, which returns to the interrupted mode.  Most
 *    vectors' gates name the CPL3 code segment the kernel runs in: the CPU
 *    delivers them without a privilege change, on the IST 1 stack, so
 *    their stubs run natively too (docs/pvm.md section 9: kernel #UD
 *    9.4 us instead of 14.3).  The rest need CPL0 and are emulated: #DE and #BP
 *    (the gates below), #GP (MSR thunks), #PF (CR2), NMI, #DF and #MC
 *    (their own stack), and the timer, counted and acknowledged in place
 *    (the LAPIC is supervisor-only; idempotent if a tick comes twice).
 *  - bounce handlers (native): the frame's CS cannot tell kernel from user
 *    (it shows the user selector for both), so pvm_in_kernel, set by every
 *    entry and cleared by every return to user mode, decides.  Kernel:
 *    build a frame on the interrupted stack, call pvm_trap() (C), resume
 *    with popfq; ret: no iretq, no emulated instruction.  User: `syscall`
 *    with the vector in RAX; pvm_entry knows the return address is in the
 *    bounce code and ends the user program.
 *  - gates: a trap at one of three places does a privileged thing at
 *    CPL0, decided by the frame's RIP, never by a register alone:
 *      int3 in pvm_gate (kernel-only text): jump to the thunk in R11;
 *      a div by zero in the entry, int3 in the exit (entry text): load
 *      the kernel's or the user's page tables (isolation, below).
 *    Each check is an emulated compare (~2-5 us), so each vector checks as
 *    little as it can: #DE (rare otherwise) serves the entry, #BP the gate
 *    first, then the exit; #UD and #PF have no check at all.
 *
 * Isolation: on this host syscall-entered kernel code obeys U/S like user
 * code, so all kernel memory is mapped U; what keeps user code out of it is
 * a second set of page tables for user mode (pv/pvm.c builds them) that map
 * only the user program, this file's .pvm.text and .pvm.data (read-only),
 * and, supervisor-only, what the CPU and the CPL0 stubs touch (.pvm.cpl0:
 * IDT, exception stack, per-CPU words; the GDT/TSS page; the LAPIC), plus
 * the user-writable words and stacks of .pvm.scratch.  pvm_entry switches
 * to the kernel's tables first thing, the return path last thing: by
 * traps into CPL0 stubs, or, while user code runs in this host's PVCS mode
 * (pvm_pvcs), with their own `mov` to CR3 and a `sysretq`.  With
 * pvkernel.pvm_single_space=1 there is one address space and no switch
 * (faster; for a single trusted program only).
 *
 * One CPU: the per-CPU variables are plain globals.
 */
#include "trap_frame.inc"
#include "boot_kind.h"
#include "pvm.h"

#define RFLAGS_IF	0x200

	.section .pvm.text, "ax"

/* ---- entry: syscall (native) ------------------------------------------ */

/*G:550 The pvm door.  pvkit started the vCPU at CPL3 on its trampoline
 * (L:330, L:360), whose `syscall` lands here, at MSR_LSTAR, in code this
 * host runs natively.  Every later system call from user mode comes here
 * too; the very first entry is the boot. :*/
	.globl pvm_entry
pvm_entry:
	cmpb	$0, pvm_booted(%rip)
	je	pvm_boot
	cmpb	$0, pvm_in_kernel(%rip)
	jne	pvm_kernel_syscall
	/* RCX (the user's RIP) is kept in the scratch word while the switch
	 * stub uses the register; no user code runs in between. */
	mov	%rcx, pvm_scratch(%rip)
	cmpb	$0, pvm_isolation(%rip)
	je	pvm_enter_switch_ret
	cmpb	$0, pvm_pvcs(%rip)
	jne	pvm_enter_pvcs
	xor	%ecx, %ecx
pvm_enter_switch:
	div	%ecx			/* #DE -> CPL0: CR3 <- the kernel's tables */
pvm_enter_switch_ret:
	mov	pvm_scratch(%rip), %rcx
	mov	%rsp, pvm_user_rsp(%rip)
	mov	pvm_entry_rsp(%rip), %rsp
	movb	$1, pvm_in_kernel(%rip)
	/* From the bounce code: an exception in user mode, vector in rax. */
	cmp	$pvm_bounce_start, %rcx
	jb	1f
	cmp	$pvm_bounce_end, %rcx
	jb	pvm_user_exception
1:	test	%rax, %rax
	jnz	2f

/* Back to user mode: rcx = rip, r11 = rflags, pvm_user_rsp, and the user
 * selectors pvkit's GDT has (pvm_start stored them).  The iretq frame is
 * built on a stack user page tables map (read-only). */
pvm_return_to_user:
	movb	$0, pvm_in_kernel(%rip)
	cmpb	$0, pvm_pvcs(%rip)
	jne	pvm_return_pvcs
	lea	pvm_tramp_stack_top(%rip), %rsp
	pushq	pvm_user_ds(%rip)
	pushq	pvm_user_rsp(%rip)
	pushq	%r11
	pushq	pvm_user_cs(%rip)
	pushq	%rcx
	cmpb	$0, pvm_isolation(%rip)
	je	1f
	int3				/* CPL0: CR3 <- the user's tables (in RCX) */
pvm_exit_switch_ret:
	xor	%ecx, %ecx		/* no page-table address for the user */
1:	iretq

2:	cmp	$PVM_SYS_EXIT, %rax
	je	pvm_user_exit
	mov	$-PVM_ENOSYS, %rax
	jmp	pvm_return_to_user

/*
 * The same two switches while user mode runs in this host's PVCS mode
 * (pvm_pvcs, docs/pvm-backend.md): this code is then the host's supervisor
 * mode, where `mov` to CR3 is an instruction of its own (the host does it,
 * ~3 us, no trap into the guest) and `sysretq` is the way to user mode
 * (iretq would stay in the mode).  In user mode `mov` to CR3 faults, so
 * user code gains nothing by jumping here.
 */
	.globl pvm_enter_pvcs
pvm_enter_pvcs:
	mov	pvm_kernel_cr3(%rip), %rcx
	mov	%rcx, %cr3
	jmp	pvm_enter_switch_ret

/* rcx = rip, r11 = rflags, as for iretq above; the user's RSP is read while
 * the kernel's tables are still live, RCX waits in the scratch word. */
pvm_return_pvcs:
	mov	pvm_user_rsp(%rip), %rsp
	mov	%rcx, pvm_scratch(%rip)
	mov	pvm_user_cr3(%rip), %rcx
	mov	%rcx, %cr3
	mov	pvm_scratch(%rip), %rcx
	sysretq

/* rax = PVM_SYS_USER_EXCEPTION + vector -> PVM_USER_FAULT_BASE + vector. */
pvm_user_exception:
	lea	-PVM_SYS_USER_EXCEPTION + PVM_USER_FAULT_BASE(%rax), %rdi
	/* fall through */

/* PVM_SYS_EXIT (rdi = status): back into pvm_run_user's caller. */
pvm_user_exit:
	mov	pvm_saved_rsp(%rip), %rsp
	mov	%rdi, %rax
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/* `syscall` from kernel mode comes back here: a kernel bug. */
pvm_kernel_syscall:
	ud2

/*G:560 The first entry, from pvkit's trampoline: RSI = boot_params, which
 * `syscall` leaves alone.  The boot stack, .bss zeroed, and the same
 * boot_entry() as the other doors, with BOOT_KIND_PVM, no CR0 (it cannot be
 * read at CPL3) and the user CS the CPU really runs this kernel with.
 * Next: guest/kernel/boot_info.c. :*/
pvm_boot:
	mov	$boot_stack_top, %rsp
	mov	%rsi, %r13
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$3, %ecx
	xor	%eax, %eax
	rep stosq
	movb	$1, pvm_booted(%rip)
	movb	$1, pvm_in_kernel(%rip)
	mov	$BOOT_KIND_PVM, %edi
	mov	%r13, %rsi
	xor	%edx, %edx		/* entry_cr0: unreadable at CPL3 */
	mov	%cs, %ecx		/* entry_cs: the user selector, CPL3 */
	call	boot_entry
	ud2

/* ---- IDT stubs --------------------------------------------------------- */

/* The same three instructions serve a native gate (IST 1 stack, user-
 * writable like the words they write) and a CPL0 one (TSS.RSP0 stack,
 * every instruction emulated).  native=1 puts the vector in
 * pvm_native_vectors, the idt_stubs' native_exceptions (its gate names the
 * kernel's CPL3 code segment). */
	.set	pvm_native_vectors, 0
.macro BOUNCE_STUB vec, native=0
pvm_stub_\vec:
.if \native
	.set	pvm_native_vectors, pvm_native_vectors | (1 << \vec)
.endif
	popq	pvm_exc_rip(%rip)
	pushq	$pvm_bounce_\vec
	iretq
.endm

.macro BOUNCE_STUB_ERR vec, native=0
pvm_stub_\vec:
.if \native
	.set	pvm_native_vectors, pvm_native_vectors | (1 << \vec)
.endif
	popq	pvm_exc_error(%rip)
	popq	pvm_exc_rip(%rip)
	pushq	$pvm_bounce_\vec
	iretq
.endm

/* Native: every vector but those that need CPL0 (#DE, #BP, #GP, #PF:
 * below) and NMI, #DF and #MC, which can strike inside a stub and so keep
 * the CPL0 stack. */
.irp v, 1,4,5,6,7,9,15,16,19,20,22,23,24,25,26,27,28,31
	BOUNCE_STUB \v, 1
.endr
.irp v, 10,11,12,17,21,29,30
	BOUNCE_STUB_ERR \v, 1
.endr
	BOUNCE_STUB 2
	BOUNCE_STUB 18
	BOUNCE_STUB_ERR 8

/* #DE: the entry's switch to the kernel's page tables (a `div` by zero
 * there: rarely hot otherwise, unlike #UD or #PF; a fault, so the stub
 * also steps over it), or an ordinary #DE (bounced). */
pvm_stub_0:
	cmpq	$pvm_enter_switch, (%rsp)
	jne	1f
	movq	$pvm_enter_switch_ret, (%rsp)
	mov	pvm_kernel_cr3(%rip), %rcx
	mov	%rcx, %cr3
	iretq
1:	popq	pvm_exc_rip(%rip)
	pushq	$pvm_bounce_0
	iretq

/* #PF: also keep CR2, so that reading it later (read_cr2) needs no trip
 * through the privileged gate. */
pvm_stub_14:
	popq	pvm_exc_error(%rip)
	popq	pvm_exc_rip(%rip)
	pushq	$pvm_bounce_14
	push	%rax
	mov	%cr2, %rax
	mov	%rax, pvm_exc_cr2(%rip)
	pop	%rax
	iretq

/* #BP: the privileged gate, the exit's switch to the user's page tables,
 * or a plain int3 (bounced). */
pvm_stub_3:
	cmpq	$pvm_gate_return, (%rsp)
	jne	1f
	jmp	*%r11
1:	cmpq	$pvm_exit_switch_ret, (%rsp)
	jne	2f
	mov	pvm_user_cr3(%rip), %rcx	/* RCX is free: the user's RIP is in the frame */
	mov	%rcx, %cr3
	iretq
2:	popq	pvm_exc_rip(%rip)
	pushq	$pvm_bounce_3
	iretq


/* #GP: in an MSR thunk, fail the thunk; anywhere else, bounce. */
pvm_stub_13:
	cmpq	$pvm_rdmsr_insn, 8(%rsp)
	je	1f
	cmpq	$pvm_wrmsr_insn, 8(%rsp)
	je	1f
	popq	pvm_exc_error(%rip)
	popq	pvm_exc_rip(%rip)
	pushq	$pvm_bounce_13
	iretq
1:	add	$8, %rsp
	movq	$pvm_msr_failed, (%rsp)
	iretq

/* The timer: count and acknowledge in place, no bounce. */
pvm_stub_timer:
	push	%rax
	mov	pvm_lapic_eoi(%rip), %rax
	movl	$0, (%rax)
	pop	%rax
	incq	timer_ticks(%rip)
	iretq

pvm_stub_spurious:
	iretq

/* ---- bounce handlers (native, in the interrupted mode) ----------------- */

.macro BOUNCE vec
pvm_bounce_\vec:
	pushq	$0			/* resume address, filled by pvm_trap */
	pushfq
	cmpb	$0, pvm_in_kernel(%rip)
	je	1f
	pushq	$\vec
	jmp	pvm_bounce_common
1:	mov	$(PVM_SYS_USER_EXCEPTION + \vec), %eax
	syscall
.endm

pvm_bounce_start:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	BOUNCE \v
.endr
pvm_bounce_end:

/* Stack: vector, rflags, resume slot, then the interrupted stack. */
pvm_bounce_common:
	SAVE_GPRS
	mov	%rsp, %rdi
	cld
	call	pvm_trap
	RESTORE_GPRS
	add	$8, %rsp		/* vector */
	popfq
	ret				/* to the resume address, RSP as interrupted */

/* ---- kernel-only text (not in user page tables) ------------------------ */

	.text

/*
 * int64_t pvm_run_user(rip, rsp, arg): run user code (rdi = arg) until
 * PVM_SYS_EXIT or an exception; returns the exit status, or
 * PVM_USER_FAULT_BASE + vector.  No kernel value is left in a register.
 */
	.globl pvm_run_user
pvm_run_user:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, pvm_saved_rsp(%rip)
	lea	-512(%rsp), %rax
	and	$-16, %rax
	mov	%rax, pvm_entry_rsp(%rip)
	mov	%rsi, pvm_user_rsp(%rip)
	mov	%rdi, %rcx
	mov	$(RFLAGS_IF | 2), %r11d
	mov	%rdx, %rdi
	xor	%eax, %eax
	xor	%ebx, %ebx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	jmp	pvm_return_to_user

/* The privileged gate: the #BP stub runs the thunk in R11 at CPL0 only
 * for this int3, which user page tables do not map. */
	.globl pvm_gate
pvm_gate:
	int3
pvm_gate_return:
	ret

/* CPL0 thunks, reached from the #BP stub with the gate's frame on top. */
	.globl pvm_thunk_write_cr3, pvm_thunk_read_cr3
	.globl pvm_thunk_invlpg, pvm_thunk_lidt, pvm_thunk_lgdt
	.globl pvm_thunk_irq_enable, pvm_thunk_irq_disable, pvm_thunk_irq_save
	.globl pvm_thunk_read_flags, pvm_thunk_safe_halt, pvm_thunk_nop
pvm_thunk_write_cr3:
	mov	%rdi, %cr3
	iretq
pvm_thunk_read_cr3:
	mov	%cr3, %rax
	iretq
pvm_thunk_invlpg:
	invlpg	(%rdi)
	iretq
pvm_thunk_lidt:
	lidt	(%rdi)
	iretq
pvm_thunk_lgdt:
	lgdt	(%rdi)
	iretq
/* The interrupt flag of the native context is the IF in the gate's frame:
 * iretq puts it in place. */
pvm_thunk_irq_enable:
	orq	$RFLAGS_IF, 16(%rsp)
	iretq
pvm_thunk_irq_disable:
	andq	$~RFLAGS_IF, 16(%rsp)
	iretq
pvm_thunk_irq_save:
	mov	16(%rsp), %rax
	andq	$~RFLAGS_IF, 16(%rsp)
	iretq
pvm_thunk_read_flags:
	mov	16(%rsp), %rax
	iretq
/* sti's shadow covers hlt; the interrupt runs its CPL0 stub on this stack
 * and returns after the hlt; IF is on in the frame we return through. */
pvm_thunk_safe_halt:
	orq	$RFLAGS_IF, 16(%rsp)
	sti
	hlt
	iretq
pvm_thunk_nop:
	iretq
pvm_thunk_rdmsr:
pvm_rdmsr_insn:
	rdmsr
	iretq
pvm_thunk_wrmsr:
pvm_wrmsr_insn:
	wrmsr
	iretq
/* Out of PVCS mode: MSR 0x4b564d10 <- 0 (ECX), and the gate's frame, which
 * the mode pushed truthfully (CS/SS of CPL0, no stack switch), made the
 * CPL3 frame of the deprivileged kernel, interrupts off: an iretq to CPL0
 * would leave the kernel emulated for good. */
pvm_thunk_pvcs_leave:
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	mov	pvm_user_cs(%rip), %rax
	mov	%rax, 8(%rsp)
	mov	pvm_user_ds(%rip), %rax
	mov	%rax, 32(%rsp)
	andq	$~RFLAGS_IF, 16(%rsp)
	iretq
/* #GP at one of those: the #GP stub sends the thunk here (R11 = 0: failed). */
pvm_msr_failed:
	xor	%r11d, %r11d
	iretq

/* int pvm_rdmsr(uint32_t msr, uint64_t *val) */
	.globl pvm_rdmsr
pvm_rdmsr:
	mov	%edi, %ecx
	lea	pvm_thunk_rdmsr(%rip), %r11
	call	pvm_gate
	test	%r11, %r11
	jz	1f
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, (%rsi)
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

/* int pvm_wrmsr(uint32_t msr, uint64_t val) */
	.globl pvm_wrmsr
pvm_wrmsr:
	mov	%edi, %ecx
	mov	%rsi, %rax
	mov	%rsi, %rdx
	shr	$32, %rdx
	lea	pvm_thunk_wrmsr(%rip), %r11
	call	pvm_gate
	test	%r11, %r11
	jz	1f
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

/* void pvm_pvcs_leave(void): leave PVCS mode (run_user in pv/pvm.c). */
	.globl pvm_pvcs_leave
pvm_pvcs_leave:
	mov	$PVM_MSR_PVCS, %ecx
	lea	pvm_thunk_pvcs_leave(%rip), %r11
	call	pvm_gate
	ret

/* ---- user-mode code for the self-tests (its own pages, mapped U) ------- */

	.section .pvm.user, "ax"
	.globl pvm_user_syscall_loop
pvm_user_syscall_loop:			/* rdi = round trips, then exit 0 */
	mov	%rdi, %rbx
1:	mov	$PVM_SYS_NULL, %eax
	syscall
	dec	%rbx
	jnz	1b
	mov	$PVM_SYS_EXIT, %eax
	xor	%edi, %edi
	syscall
	ud2

	.globl pvm_user_ud2
pvm_user_ud2:
	ud2

	.globl pvm_user_read
pvm_user_read:				/* rdi = address: read it, exit 0 */
	mov	(%rdi), %rax
	mov	$PVM_SYS_EXIT, %eax
	xor	%edi, %edi
	syscall
	ud2

	.globl pvm_user_write
pvm_user_write:				/* rdi = address: write it, exit 0 */
	movq	$0x5a5a, (%rdi)
	mov	$PVM_SYS_EXIT, %eax
	xor	%edi, %edi
	syscall
	ud2

	.globl pvm_user_jump
pvm_user_jump:				/* rdi = address: jump there */
	jmp	*%rdi

/* ---- tables and per-CPU data ------------------------------------------- */

/* struct idt_stubs (trap.h): exceptions 0-31 by vector, the timer, spurious. */
	.section .rodata
	.balign	8
	.globl pvm_idt_stubs
pvm_idt_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	pvm_stub_\v
.endr
	.quad	pvm_stub_timer
	.quad	pvm_stub_spurious
	.long	pvm_native_vectors

/* Read by the entry before it switches page tables: read-only to user. */
	.section .pvm.data, "aw"
	.balign	8
	.globl pvm_in_kernel, pvm_isolation, pvm_pvcs, pvm_kernel_cr3, pvm_user_cr3
	.globl pvm_user_cs, pvm_user_ds
pvm_booted:			/* not .bss: the first entry zeroes .bss */
	.quad	0
pvm_in_kernel:
	.quad	0
pvm_isolation:
	.quad	0
pvm_pvcs:			/* 1: user mode runs in PVCS mode (run_user) */
	.quad	0
pvm_kernel_cr3:
	.quad	0
pvm_user_cr3:
	.quad	0
pvm_user_cs:
	.quad	0
pvm_user_ds:
	.quad	0
	.balign	64
	.skip	64
pvm_tramp_stack_top:

/* What native code writes while the user's page tables may be live (the
 * entry before it switches, the native exception stubs and the CPU
 * delivering to them): writable by user mode too, which is harmless, as no
 * user code runs between the write and the read (one CPU). */
	.section .pvm.scratch, "aw"
	.balign	8
	.globl pvm_exc_rip, pvm_exc_error, pvm_exc_cr2
	.globl pvm_native_exc_stack_top, pvm_pvcs_exc_stack_top
pvm_scratch:
	.quad	0
pvm_exc_rip:
	.quad	0
pvm_exc_error:
	.quad	0
/* Also here, not with the CPL0 words: in PVCS mode the #PF stub runs in the
 * mode's supervisor part, which cannot touch a supervisor-only page.  What
 * user code can read here is the address of the last page fault. */
pvm_exc_cr2:
	.quad	0
	.balign	16
	.skip	512
pvm_native_exc_stack_top:
/* TSS.RSP0 while user mode runs in PVCS mode: there the frame of an
 * exception from user mode is pushed, and the CPL0 stubs run, in the
 * mode's supervisor part, which stalls on a supervisor-only page (docs/
 * pvm.md section 6).  Only user-mode frames land here: the supervisor part
 * takes its own exceptions on the stack it is on. */
	.skip	512
pvm_pvcs_exc_stack_top:

/* Touched by CPL0 stubs under either page tables: supervisor-only to user. */
	.section .pvm.cpl0, "aw"
	.balign	16
	.globl pvm_exc_stack_top, pvm_lapic_eoi
pvm_lapic_eoi:
	.quad	0
	.balign	16
	.skip	16384
pvm_exc_stack_top:

/* Kernel-only. */
	.bss
	.balign	8
pvm_user_rsp:
	.quad	0
pvm_entry_rsp:
	.quad	0
pvm_saved_rsp:
	.quad	0

	.section .note.GNU-stack, "", @progbits
