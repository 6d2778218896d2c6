/* SPDX-License-Identifier: MIT */
/*
 * entry.S - the ways into and out of pvxen.
 *
 * The guest (a Xen PV kernel and its user programs) runs in hardware user
 * mode, natively.  pvxen is entered three ways, each ending in the same
 * `iretq` back to the guest:
 *
 *  - `syscall` (MSR_LSTAR = xen_syscall_entry): a hypercall from the guest
 *    kernel, a system call from guest user mode, and the very first entry
 *    from pvkit's trampoline.  Native.
 *  - an exception or interrupt: the CPU enters a stub through pvxen's IDT;
 *    the stub keeps RIP, RFLAGS (and error code, CR2) in memory and
 *    `iretq`s to the native bounce for its vector with TF clear.  Same
 *    approach as pvkernel's pvm backend (guest/arch/x86/pvm_entry.S).  A
 *    stub runs at CPL0, where this host emulates it instruction by
 *    instruction, when it needs CPL0 (CR2, CR3, the LAPIC) or its own stack
 *    (NMI, #DF, #MC), and for every exception of guest user mode (the user
 *    IDT's stubs load the kernel's L4 first); the guest kernel's other
 *    exceptions (#GP, #UD, ...) go through gates to the hardware's user code
 *    segment, so the same stub runs natively, on the IST 1 stack
 *    (docs/pvm.md, section 9; xen_native_vectors).  That delivery clears
 *    IF, which only CPL0 can set again: the native stubs say so in
 *    xen_if_off, and the way back to the guest sets it when the guest's
 *    timer needs it (xen_exit_to_guest).
 *  - the privileged gate: pvxen code calls xen_gate with R11 = a CPL0
 *    thunk (CR3 loads, invlpg); the #BP stub runs the
 *    thunk only for the int3 at xen_gate.
 *
 * Isolation (docs/xen-pv.md): guest user mode runs on its own L4, whose
 * slot 257 is pvxen's "user view" (xen/user_view.c): only this file's
 * .entry.text and the xen_in_user flag readable by user code, and, for the
 * CPU and the CPL0 stubs only (U clear), .cpl0.text, the descriptor tables,
 * the CPL0 stack and the CR3 words.  At the IDT's address the user view
 * maps the user IDT, whose stubs load the kernel's L4 first thing; every
 * other native instruction of pvxen runs on the guest kernel's L4.  The
 * way back to user mode loads the user's L4 in the same CPL0 stub that
 * `iretq`s to user mode (xen_stub_0, at the #DE of xen_exit_trap).
 *
 * Every native entry switches to pvxen's stack without touching the
 * interrupted one (guest user code may keep data below its RSP), builds an
 * iretq frame there followed by the general registers (struct xen_regs),
 * and calls C.  Resuming pops the registers and `iretq`s: the frame is
 * whatever C left in struct xen_regs.
 *
 * pvxen is linked at 0xffff8080..., out of reach of 32-bit immediates:
 * addresses are RIP-relative, or read from tables, or compared in halves.
 *
 * One vCPU: the per-CPU words are plain globals.
 */
#include "abi/pvxen_abi.h"
#include "trap_frame.inc"

/* xen_gate sits at a fixed address (xen/pvxen.ld): the #BP stub compares
 * the return address in two 32-bit halves. */
#define GATE_RET_LO 0x00002001
#define GATE_RET_HI 0xffff8080 /* also: the top half of every pvxen address */
#define EXIT_TRAP_LO 0x00002010 /* xen_exit_trap, also fixed (xen/pvxen.ld) */
#define SYSCALL_INT3_RET_LO 0x00003015 /* xen_syscall_int3_ret, fixed too */
#define IRET_FRAME_SIZE 40
#define PVXEN_MMIO_WINDOW_EOI 0xffff8080400000b0 /* PVXEN_MMIO_WINDOW + LAPIC EOI */
#define PVXEN_LAPIC_EOI	      0x0b0
#define PVXEN_LAPIC_TMICT     0x380
#define TIMER_RETRY_NS	      20000

	.section .header, "a"
	.globl pvxen_header
pvxen_header:
	.quad	PVXEN_MAGIC
	.quad	xen_syscall_entry
	.quad	xen_trampoline
	.quad	xen_boot_stack_top
	.quad	xen_idt
	.quad	xen_gdt
	.quad	xen_tss
	.long	8192 * 8 - 1		/* XEN_GDT_ENTRIES */
	.long	256 * 16 - 1
	.quad	xen_boot_info
	.quad	__image_end

	.text

/* The first instruction the vCPU runs (user mode): enter pvxen. */
xen_trampoline:
	syscall
	ud2

/* ---- syscall: hypercalls, guest system calls, the first entry ---------- */

/*
 * The only pvxen code user mode can see.  From the guest kernel (or the
 * first entry) the kernel's L4 is live: on to xen_syscall_kernel.  From user
 * mode the user view is live and nothing of pvxen's is writable but one
 * scratch word: R11 (the user's RFLAGS) goes there, then `int3`, whose
 * user-IDT stub, seeing exactly xen_syscall_int3_ret, loads the kernel's L4
 * (through R11: no push and pop) and comes straight back.  Nothing else
 * ever returns into this page on the kernel's L4 (not a tick, not another
 * 0xcc byte user code might jump to), so user code that jumps into it gains
 * nothing a `syscall` would not give it.
 */
	.section .entry.text, "ax"
	.globl xen_syscall_entry, xen_syscall_int3_ret
xen_syscall_entry:
	cmpb	$0, xen_in_user(%rip)
	je	xen_syscall_kernel	/* rel32: SYSCALL_INT3_RET_LO counts on it */
	mov	%r11, xen_user_scratch(%rip)
	int3
xen_syscall_int3_ret:
	mov	xen_user_scratch(%rip), %r11
	jmp	xen_syscall_kernel

	.text
xen_syscall_kernel:
	mov	%rsp, xen_scratch(%rip)
	lea	xen_stack_top(%rip), %rsp
	movb	$0, xen_in_user(%rip)	/* the kernel's L4 is live now */
	pushq	$PVXEN_SEL_HW_DS
	pushq	xen_scratch(%rip)
	pushq	%r11			/* RFLAGS */
	pushq	$PVXEN_SEL_HW_CS
	pushq	%rcx			/* RIP */
	SAVE_GPRS
	movb	$1, xen_busy(%rip)
	mov	%rsp, %rdi
	cld
	call	xen_syscall
	.globl xen_resume
/*
 * Back to the guest.  To its kernel, or to user mode on the kernel's L4 (a
 * guest that gave its user mode no L4 of its own): restore and `iretq`.  To
 * user mode on its own L4 (xen_exit_to_guest() set xen_in_user): the iretq
 * frame goes where xen_stub_0 will find it on the CPL0 stack, the user's RAX
 * beside it, RAX = the user's L4, and the #DE at xen_exit_trap.
 */
xen_resume:
	movb	$0, xen_busy(%rip)
	cmpb	$0, xen_in_user(%rip)
	jne	1f
	RESTORE_GPRS
	iretq
1:	mov	14 * 8(%rsp), %rax
	mov	%rax, xen_exit_rax(%rip)
.irp i, 0, 1, 2, 3, 4
	mov	(15 + \i) * 8(%rsp), %rax
	mov	%rax, xen_exit_frame + \i * 8(%rip)
.endr
	RESTORE_GPRS
	mov	xen_exit_cr3(%rip), %rax
	jmp	xen_exit_trap

/* ---- IDT stubs (CPL0 ones emulated: as few instructions as possible) --- */

/*
 * The native bounce runs with TF, DF and AC clear and IF set: on this host a
 * native `iretq` or `popfq` cannot turn IF back on, so a context that loses
 * it keeps it lost; only pvxen's timer interrupt can arrive, and its stub
 * leaves pvxen's own code alone (xen_stub_timer).  The IF of this value
 * counts only in a CPL0 stub's `iretq`: after a native stub's, IF stays as
 * the delivery left it, off (xen_if_off).
 */
#define BOUNCE_RFLAGS 0x202

	.section .cpl0.text, "ax"

/* The same instructions serve a CPL0 gate (TSS.RSP0's stack) and a native
 * one (the IST 1 stack, on the kernel's L4, where all of pvxen is mapped U
 * and writable): neither touches the interrupted stack.  Both deliveries
 * clear TF; RFLAGS in the frame is the interrupted one, hence the swap. */
.macro STUB_BODY vec
	popq	xen_exc_rip(%rip)
	pushq	xen_bounce_table + 8 * \vec(%rip)
	pushq	16(%rsp)
	popq	xen_exc_rflags(%rip)
	movq	$BOUNCE_RFLAGS, 16(%rsp)
	iretq
.endm

/* The user IDT's stubs run on the user view: load the kernel's L4 (from
 * memory user code cannot write, never from a register) before anything
 * else, then bounce as the kernel IDT's stubs do. */
.macro TO_KERNEL_L4
	push	%rax
	mov	xen_entry_cr3(%rip), %rax
	mov	%rax, %cr3
	pop	%rax
.endm

/* The kernel IDT's stub; native: its gate is a native one (main.c), and
 * the vector goes into xen_native_vectors. */
.macro KERNEL_STUB vec, native
xen_stub_\vec:
.if \native
	.set	native_vectors, native_vectors | (1 << \vec)
	movb	$1, xen_if_off(%rip)
.endif
.endm

.macro STUB vec, native=0
	KERNEL_STUB \vec, \native
	STUB_BODY \vec
xen_ustub_\vec:
	TO_KERNEL_L4
	STUB_BODY \vec
.endm

.macro STUB_ERR vec, native=0
	KERNEL_STUB \vec, \native
	popq	xen_exc_error(%rip)
	STUB_BODY \vec
xen_ustub_\vec:
	TO_KERNEL_L4
	popq	xen_exc_error(%rip)
	STUB_BODY \vec
.endm

/*
 * Native for the guest kernel: every vector but #DE, #BP and #PF (their
 * stubs below need CPL0) and NMI, #DF and #MC (which can strike inside a
 * stub, so keep TSS.RSP0's stack).
 */
	.set	native_vectors, 0
.irp v, 1,4,5,6,7,9,15,16,19,20,22,23,24,25,26,27,28,31
	STUB \v, 1
.endr
.irp v, 10,11,12,13,17,21,29,30
	STUB_ERR \v, 1
.endr
	STUB 2
	STUB 18
	STUB_ERR 8

/* #DE: the way back to user mode on its own L4 (the `div` at xen_exit_trap,
 * RAX = that L4, the iretq frame at the top of this stack), or a #DE. */
xen_stub_0:
	cmpl	$EXIT_TRAP_LO, (%rsp)
	jne	1f
	cmpl	$GATE_RET_HI, 4(%rsp)
	jne	1f
	mov	%rax, %cr3
	mov	xen_exit_rax(%rip), %rax
	add	$IRET_FRAME_SIZE, %rsp
	iretq
1:	STUB_BODY 0
xen_ustub_0:
	TO_KERNEL_L4
	STUB_BODY 0

/* #PF: keep CR2 as well. */
xen_stub_14:
	popq	xen_exc_error(%rip)
	push	%rax
	mov	%cr2, %rax
	mov	%rax, xen_exc_cr2(%rip)
	pop	%rax
	STUB_BODY 14
xen_ustub_14:
	push	%rax
	mov	xen_entry_cr3(%rip), %rax
	mov	%rax, %cr3
	mov	%cr2, %rax
	mov	%rax, xen_exc_cr2(%rip)
	pop	%rax
	popq	xen_exc_error(%rip)
	STUB_BODY 14

/* #BP: the privileged gate (the int3 at xen_gate only), or an int3.  The
 * user IDT's: the `int3` of xen_syscall_entry back to it on the kernel's
 * L4, or a user int3, bounced. */
xen_stub_3:
	cmpl	$GATE_RET_LO, (%rsp)
	jne	1f
	cmpl	$GATE_RET_HI, 4(%rsp)
	jne	1f
	jmp	*%r11
1:	STUB_BODY 3
xen_ustub_3:
	cmpl	$SYSCALL_INT3_RET_LO, (%rsp)
	jne	1f
	cmpl	$GATE_RET_HI, 4(%rsp)
	jne	1f
	mov	xen_entry_cr3(%rip), %r11
	mov	%r11, %cr3
	iretq
1:	TO_KERNEL_L4
	STUB_BODY 3

/* pvxen's LAPIC timer.  In pvxen's own code (a bounce before it has saved
 * anything, or pvxen at work): acknowledge, note it, and ask for the tick
 * again shortly, in case pvxen is already on its way out to the guest; pvxen
 * looks at the note before it returns.  In the guest: bounced like an
 * exception (no exception is in flight then, so the same slots serve).  On
 * the user view pvxen's code is xen_syscall_entry's: acknowledged there, on
 * the user view (it maps the LAPIC window and xen_timer_fired for this, U
 * clear), never resumed on the kernel's L4. */
xen_ustub_timer:
	cmpl	$GATE_RET_HI, 4(%rsp)
	je	xen_timer_in_xen
	TO_KERNEL_L4
	STUB_BODY 32
xen_stub_timer:
	cmpl	$GATE_RET_HI, 4(%rsp)
	jne	1f
xen_timer_in_xen:
	push	%rax
	movabs	$PVXEN_MMIO_WINDOW_EOI, %rax
	movl	$0, (%rax)
	movl	$TIMER_RETRY_NS, PVXEN_LAPIC_TMICT - PVXEN_LAPIC_EOI(%rax)
	pop	%rax
	movb	$1, xen_timer_fired(%rip)
	iretq
1:	STUB_BODY 32

/* Other vectors (32-255): nothing sends them; the LAPIC's spurious vector. */
xen_stub_ignore:
	iretq

	.text
/* ---- bounces (native, on the interrupted stack, TF/IF clear) ----------- */

.macro BOUNCE vec
xen_bounce_\vec:
	movl	$\vec, xen_vector(%rip)
	jmp	xen_bounce_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32
	BOUNCE \v
.endr

xen_bounce_common:
	cmpb	$0, xen_busy(%rip)
	jne	xen_fault_in_xen
	movb	$0, xen_in_user(%rip)	/* the kernel's L4 is live now */
	mov	%rsp, xen_scratch(%rip)
	lea	xen_stack_top(%rip), %rsp
	pushq	$PVXEN_SEL_HW_DS
	pushq	xen_scratch(%rip)
	pushq	xen_exc_rflags(%rip)
	pushq	$PVXEN_SEL_HW_CS
	pushq	xen_exc_rip(%rip)
	SAVE_GPRS
	movb	$1, xen_busy(%rip)
	mov	%rsp, %rdi
	cld
	call	xen_exception
	jmp	xen_resume

/* A fault inside pvxen: only the guest-memory copy may fault (a bad guest
 * pointer); it then returns -1.  Anything else is a pvxen bug. */
xen_fault_in_xen:
	push	%rax
	lea	xen_copy_insn(%rip), %rax
	cmp	%rax, xen_exc_rip(%rip)
	pop	%rax
	jne	1f
	mov	$-1, %rax
	ret			/* from xen_copy: RSP is where the fault left it */
1:	mov	xen_vector(%rip), %edi
	mov	xen_exc_rip(%rip), %rsi
	mov	xen_exc_cr2(%rip), %rdx
	and	$-16, %rsp
	call	xen_internal_fault
	ud2

/* long xen_copy(void *dst, const void *src, size_t n): 0, or -1 if either
 * side faulted.  The only pvxen code allowed to touch guest pointers. */
	.globl xen_copy
xen_copy:
	mov	%rdx, %rcx
xen_copy_insn:
	rep movsb
	xor	%eax, %eax
	ret

/* ---- the privileged gate and its CPL0 thunks --------------------------- */

	.section .text.gate, "ax"
	.globl xen_gate, xen_gate_ret
xen_gate:
	int3
xen_gate_ret:
	ret
/* The way out to user mode on its own L4 (xen_resume, xen_stub_0). */
	.balign	16
	.globl	xen_exit_trap
xen_exit_trap:
	divb	xen_zero(%rip)
	ud2

	.text
	.globl xen_thunk_write_cr3, xen_thunk_read_cr3, xen_thunk_invlpg, xen_thunk_set_if
xen_thunk_write_cr3:
	mov	%rdi, %cr3
	iretq
xen_thunk_read_cr3:
	mov	%cr3, %rax
	iretq
xen_thunk_invlpg:
	invlpg	(%rdi)
	iretq
/* IF on for the code that called the gate (it is in the frame's RFLAGS). */
xen_thunk_set_if:
	orq	$0x200, 16(%rsp)
	iretq

/* ---- tables ------------------------------------------------------------ */

	.section .rodata
	.balign	8
xen_bounce_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32
	.quad	xen_bounce_\v
.endr
	.globl xen_stub_table, xen_user_stub_table
xen_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	xen_stub_\v
.endr
xen_user_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	xen_ustub_\v
.endr
	.globl xen_stub_ignore_addr, xen_stub_timer_addr, xen_user_stub_timer_addr
xen_stub_ignore_addr:
	.quad	xen_stub_ignore
xen_stub_timer_addr:
	.quad	xen_stub_timer
xen_user_stub_timer_addr:
	.quad	xen_ustub_timer
	.globl xen_native_vectors
xen_native_vectors:
	.long	native_vectors
xen_zero:
	.byte	0

	.data
	.balign	8
	.globl xen_busy, xen_exc_rip, xen_exc_rflags, xen_exc_error, xen_exc_cr2, xen_vector
xen_busy:
	.quad	0
xen_scratch:
	.quad	0
xen_exc_rip:
	.quad	0
xen_exc_rflags:
	.quad	0
xen_exc_error:
	.quad	0
xen_exc_cr2:
	.quad	0
xen_vector:
	.quad	0
	.globl xen_if_off
xen_if_off:		/* IF may be off: a native stub ran since pvxen last set it */
	.byte	0

	.bss
	.balign	4096
	.skip	16384
xen_stack_top:
	.skip	4096
	.globl xen_boot_stack_top
xen_boot_stack_top:
/* TSS.IST1: the native stubs' (a frame and one push at most). */
	.skip	128
	.globl xen_native_exc_stack_top
xen_native_exc_stack_top:

/* Readable by user code (the user view maps the page U, read-only). */
	.section .bss.entry, "aw", @nobits
	.balign	4096
	.globl	xen_in_user
xen_in_user:		/* 1 while user mode runs on its own L4 */
	.skip	4096

/* Writable by user code: the user's own R11 across xen_syscall_entry's
 * switch, nothing pvxen trusts (one vCPU). */
	.section .bss.scratch, "aw", @nobits
	.balign	4096
	.globl	xen_user_scratch
xen_user_scratch:
	.skip	4096

/* The CPL0 stack (TSS.RSP0), and what the stubs read on the user view. */
	.section .bss.cpl0, "aw", @nobits
	.balign	4096
	.skip	4096 - 64
	.globl	xen_exc_stack_top, xen_exit_frame, xen_exit_rax, xen_entry_cr3, xen_exit_cr3
xen_exc_stack_top:
xen_exit_frame:		/* the user's iretq frame, for xen_stub_0 */
	.skip	IRET_FRAME_SIZE
xen_exit_rax:
	.skip	8
xen_entry_cr3:		/* the kernel's L4: what the user IDT's stubs load */
	.skip	8
xen_exit_cr3:		/* the user's L4: what xen_resume gives xen_stub_0 */
	.skip	8
	.globl	xen_timer_fired
xen_timer_fired:	/* a tick arrived while pvxen (or its entry) ran */
	.skip	8

	.section .note.GNU-stack, "", @progbits
