/* SPDX-License-Identifier: MIT */
/*
 * guest.S - the guest side of the PVM experiments.
 *
 * This blob is assembled into the host program and copied to PVM_GUEST_CODE
 * in the experiment VM (identity paging, see layout.h).  It is position
 * independent: branches are relative, and the fixed pages (PVM_DATA, the
 * doorbell, the stacks) are reached by absolute 32-bit addresses, which are
 * plain numbers.  Guest addresses of labels that the guest itself needs (the
 * bounce trampoline, resume points) are passed by the host in D_PARAM slots.
 *
 * Three kinds of code live here, and the comments say which each label is:
 *   user     runs at CPL3: native on a PVM host.
 *   kernel   runs in the context entered by `syscall` from user mode (LSTAR):
 *            native on a PVM host, but obeys U/S like user code.
 *   CPL0     IDT handlers: the CPU delivers them at CPL0, which a PVM host
 *            emulates instruction by instruction; kept as short as possible.
 *
 * Results go to D_RESULT(n); a store to PVM_DOORBELL (an unbacked, U-mapped
 * address) is an MMIO exit that tells the host "results are ready".
 */
#include "tests/pvm/layout.h"

/* rdtsc into \reg (64 bits); clobbers rax, rdx. */
.macro TSC reg
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, \reg
.endm

/* Tell the host the results are ready; a resumed guest traps right away. */
.macro DONE
	movb	$1, PVM_DOORBELL
	ud2
.endm

	.section .rodata.pvm_guest, "a"
	.balign 4096
	.globl pvm_guest_start
pvm_guest_start:

/* ---- Experiment 1: a plain loop (user or CPL0, as the host starts it) ---- */

/* rdi = iterations.  D_RESULT(0) = TSC cycles for the loop. */
	.globl pvm_g_loop
pvm_g_loop:
	TSC	%r8
1:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	DONE

/*
 * The detour loop: read the TSC back to back for rdi cycles; every step
 * longer than rsi cycles is time the code did not run (an interrupt, an
 * exit), recorded at PVM_GAPS.  D_RESULT(0) = gaps recorded.  Callable from
 * any native context (it only needs a stack for `call`).
 */
pvm_g_detour_body:
	push	%rbx
	push	%rcx
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %r8
	mov	%rax, %r10
	xor	%ecx, %ecx
1:	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %rbx
	sub	%r10, %rbx
	mov	%rax, %r10
	cmp	%rsi, %rbx
	jb	2f
	cmp	$PVM_GAPS_MAX, %rcx
	jae	2f
	mov	%rbx, PVM_GAPS(, %rcx, 8)
	inc	%rcx
2:	sub	%r8, %rax
	cmp	%rdi, %rax
	jb	1b
	mov	%rcx, D_RESULT(0)
	pop	%rcx
	pop	%rbx
	ret

/* user: the detour loop, then stop. */
	.globl pvm_g_detour_user
pvm_g_detour_user:
	call	pvm_g_detour_body
	DONE

/* ---- Experiment 2: syscall entry and return -------------------------- */

/* user: rax = service, rdi/rsi = arguments; `syscall`, then stop. */
	.globl pvm_g_syscall_once
pvm_g_syscall_once:
	syscall
	DONE

/*
 * user: rdi = round trips.  D_RESULT(0) = TSC cycles for rdi syscalls that
 * the LSTAR handler answers with iretq.
 */
	.globl pvm_g_syscall_loop
pvm_g_syscall_loop:
	mov	%rdi, %r12
	xor	%eax, %eax
	TSC	%r8
1:	xor	%eax, %eax
	syscall
	dec	%r12
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	DONE

/*
 * kernel (LSTAR): the shortest correct return to user mode: switch to the
 * kernel stack, build an iretq frame from what `syscall` left in rcx/r11.
 */
	.globl pvm_g_entry_iret
pvm_g_entry_iret:
	mov	%rsp, D_SAVE_RSP
	mov	$PVM_KERNEL_STACK_TOP, %rsp
	pushq	$PVM_USER_DS
	pushq	D_SAVE_RSP
	pushq	%r11
	pushq	$PVM_USER_CS
	pushq	%rcx
	iretq

/*
 * kernel (LSTAR, PVCS mode): switch to page tables B and back to A, as an
 * isolating kernel would on entry and exit, then return with sysretq.
 */
	.globl pvm_g_entry_sysret_cr3
pvm_g_entry_sysret_cr3:
	mov	D_PARAM(P_CR3_B), %rax
	mov	%rax, %cr3
	mov	D_PARAM(P_CR3_A), %rax
	mov	%rax, %cr3
	sysretq

/* kernel (LSTAR): return with sysretq, which PVM does not allow here. */
	.globl pvm_g_entry_sysret
pvm_g_entry_sysret:
	.globl pvm_g_sysret_insn
pvm_g_sysret_insn:
	sysretq

/* ---- Experiments 3 and 4: exceptions --------------------------------- */

/* user: rdi = iterations of int3.  D_RESULT(0) = TSC cycles. */
	.globl pvm_g_int3_loop
pvm_g_int3_loop:
	TSC	%r8
1:	int3
	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	DONE

/* user: rdi = iterations of ud2 (the handler skips it).  D_RESULT(0). */
	.globl pvm_g_ud2_loop
pvm_g_ud2_loop:
	TSC	%r8
1:	ud2
	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	DONE

/* CPL0: the cheapest possible handler of a trap. */
	.globl pvm_g_h_iret
pvm_g_h_iret:
	iretq

/*
 * A handler for a gate whose selector is the user code segment (so the CPU
 * stays at CPL3 and this runs natively): record CS and RSP, spin
 * PVM_PROBE_SPIN iterations (native: ~0.3 us; emulated: ~1.5 ms), then
 * iretq.  Clobbers rax and rcx, which the int3 loop does not use.
 */
	.globl pvm_g_h_native_probe
pvm_g_h_native_probe:
	mov	%cs, %eax
	mov	%rax, D_GATE_CS
	mov	%rsp, D_GATE_RSP
	mov	$PVM_PROBE_SPIN, %ecx
1:	dec	%ecx
	jnz	1b
	iretq

/* user: a software interrupt to a vector above the exceptions'. */
	.globl pvm_g_user_int_n
pvm_g_user_int_n:
	int	$PVM_SOFT_VECTOR
	DONE

/* CPL0: the least a trap-and-emulate page-table switch can be: CR3 <- rsi
 * (the int3 loop leaves rsi alone), iretq. */
	.globl pvm_g_h_cr3_reload
pvm_g_h_cr3_reload:
	mov	%rsi, %cr3
	iretq

/* CPL0: #UD handler that skips the 2-byte ud2. */
	.globl pvm_g_h_ud2_skip
pvm_g_h_ud2_skip:
	addq	$2, (%rsp)
	iretq

/*
 * CPL0: the bounce stub for a vector without error code (here int3).  Three
 * emulated instructions: keep the interrupted RIP, put the trampoline in its
 * place, and iretq.  iretq returns to the mode the exception came from (user
 * or syscall-entered kernel), so the trampoline runs natively either way;
 * RFLAGS, RSP and SS stay in the frame on the exception stack, where native
 * code reads them (PVM_EXC_STACK_TOP - 24 and - 16).
 */
	.globl pvm_g_stub_bounce
pvm_g_stub_bounce:
	popq	D_EXC_RIP
	pushq	D_PARAM(P_TRAMP)
	iretq

/*
 * native, user or kernel: the trampoline the stub returns to.  It cannot
 * trust CS (a kernel-mode frame shows the user selector too), so it asks the
 * per-CPU flag that the syscall entry sets and the return path clears.
 */
	.globl pvm_g_tramp
pvm_g_tramp:
	mov	%rcx, D_SAVE_RCX
	mov	%r11, D_SAVE_R11
	movq	$3, D_PEND_VEC
	cmpq	$0, D_IN_KERNEL
	jne	pvm_g_kernel_exception
	syscall

/*
 * kernel: an exception that hit syscall-entered kernel code, bounced here
 * still on the interrupted stack.  Handle it, then resume the interrupted
 * code directly: no iretq, no emulated instruction.
 */
pvm_g_kernel_exception:
	movq	$0, D_PEND_VEC
	incq	D_COUNT
	incq	D_KCOUNT
	/* Cross-check the flag against the stack pointer range. */
	cmp	$PVM_KERNEL_STACK_LOW, %rsp
	jb	1f
	cmp	$PVM_KERNEL_STACK_TOP, %rsp
	jbe	2f
1:	incq	D_MISCLASS
2:	pushq	PVM_EXC_STACK_TOP - 24
	popfq
	mov	D_SAVE_RCX, %rcx
	mov	D_SAVE_R11, %r11
	jmp	*D_EXC_RIP

/*
 * kernel (LSTAR): the general entry.  D_IN_KERNEL tells nesting apart; a
 * pending bounced vector means "an exception from user mode"; otherwise rax
 * selects a service (0 = return at once).
 */
	.globl pvm_g_entry
pvm_g_entry:
	cmpq	$0, D_IN_KERNEL
	jne	.Lnested
	mov	%rsp, D_SAVE_RSP
	mov	$PVM_KERNEL_STACK_TOP, %rsp
	movq	$1, D_IN_KERNEL
	cmpq	$0, D_PEND_VEC
	jne	.Luser_exception
	cmp	$0, %rax
	je	.Lreturn_to_user
	cmp	$1, %rax
	je	.Lsvc_int3_loop
	cmp	$2, %rax
	je	.Lsvc_int3_once
	cmp	$3, %rax
	je	.Lsvc_loop
	cmp	$4, %rax
	je	.Lsvc_cr3_trap
	cmp	$5, %rax
	je	.Lsvc_hypercall
	cmp	$6, %rax
	je	.Lsvc_synthetic_cpuid
	cmp	$7, %rax
	je	.Lsvc_us_faults
	cmp	$8, %rax
	je	.Lsvc_wrmsr
	cmp	$9, %rax
	je	.Lsvc_cr3_same
	cmp	$10, %rax
	je	.Lsvc_detour
	ud2
.Lreturn_to_user:
	pushq	$PVM_USER_DS
	pushq	D_SAVE_RSP
	pushq	%r11
	pushq	$PVM_USER_CS
	pushq	%rcx
	movq	$0, D_IN_KERNEL
	iretq

/* `syscall` executed by syscall-entered kernel code came back to LSTAR. */
.Lnested:
	movq	$1, D_NESTED
	mov	%rcx, D_RESULT(14)
	mov	%rax, D_RESULT(15)
	DONE

/* An exception from user mode, bounced by stub + trampoline + syscall. */
.Luser_exception:
	movq	$0, D_PEND_VEC
	incq	D_COUNT
	incq	D_UCOUNT
	cmpq	$PVM_KERNEL_STACK_LOW, D_SAVE_RSP
	jb	1f
	cmpq	$PVM_KERNEL_STACK_TOP, D_SAVE_RSP
	ja	1f
	incq	D_MISCLASS
1:	pushq	$PVM_USER_DS
	pushq	D_SAVE_RSP
	pushq	PVM_EXC_STACK_TOP - 24
	pushq	$PVM_USER_CS
	pushq	D_EXC_RIP
	mov	D_SAVE_RCX, %rcx
	mov	D_SAVE_R11, %r11
	movq	$0, D_IN_KERNEL
	iretq

/* Service 1: rdi int3s in kernel mode, D_RESULT(1) = TSC cycles. */
.Lsvc_int3_loop:
	push	%rcx
	push	%r11
	TSC	%r8
1:	int3
	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(1)
	pop	%r11
	pop	%rcx
	jmp	.Lreturn_to_user

/* Service 2: one int3 in kernel mode (a recording handler looks at it). */
.Lsvc_int3_once:
	.globl pvm_g_kernel_int3
pvm_g_kernel_int3:
	int3
	jmp	.Lreturn_to_user

/*
 * Service 3: a loop of rdi iterations in kernel mode; D_RESULT(rsi) = TSC
 * cycles; then ring the doorbell (the host resumes) and return to user.
 */
.Lsvc_loop:
	push	%rcx
	push	%r11
	TSC	%r8
1:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, PVM_DATA(, %rsi, 8)
	movb	$1, PVM_DOORBELL
	pop	%r11
	pop	%rcx
	jmp	.Lreturn_to_user

/*
 * Service 4: 2 * rdi CR3 loads by trap-and-emulate (`mov %rbx, %cr3` raises
 * #GP here; the CPL0 handler does the load).  After each load the marker page
 * tells which page tables are live.  D_RESULT(0) = TSC cycles,
 * D_RESULT(1) = loads after which the marker was wrong.
 */
.Lsvc_cr3_trap:
	push	%rcx
	push	%r11
	mov	D_PARAM(P_CR3_A), %r12
	mov	D_PARAM(P_CR3_B), %r13
	xor	%r14, %r14
	TSC	%r8
1:	mov	%r13, %rbx
	.globl pvm_g_cr3_write_b
pvm_g_cr3_write_b:
	mov	%rbx, %cr3
	cmpq	$PVM_MARKER_B_VALUE, PVM_MARKER
	je	2f
	inc	%r14
2:	mov	%r12, %rbx
	mov	%rbx, %cr3
	cmpq	$PVM_MARKER_A_VALUE, PVM_MARKER
	je	3f
	inc	%r14
3:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	mov	%r14, D_RESULT(1)
	pop	%r11
	pop	%rcx
	jmp	.Lreturn_to_user

/* Service 10: the detour loop in kernel mode. */
.Lsvc_detour:
	call	pvm_g_detour_body
	jmp	.Lreturn_to_user

/* Service 9: rdi trapped loads of the live CR3 (A).  D_RESULT(0) = TSC. */
.Lsvc_cr3_same:
	push	%rcx
	push	%r11
	mov	D_PARAM(P_CR3_A), %rbx
	TSC	%r8
1:	mov	%rbx, %cr3
	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	pop	%r11
	pop	%rcx
	jmp	.Lreturn_to_user

/*
 * Service 5: the published PVM spec's hypercall: `syscall` in supervisor
 * mode with rax = PVM_HC_LOAD_PGTBL (0x17088200), flags 0, the new CR3 both
 * in the KVM convention (rbx, r10 = rcx) and in the SysV one (rdi, rsi).
 * D_RESULT(0) = rax after, D_RESULT(1) = marker value after.
 */
.Lsvc_hypercall:
	push	%rcx
	push	%r11
	mov	$0x17088200, %eax
	xor	%ebx, %ebx
	xor	%edi, %edi
	xor	%edx, %edx
	mov	D_PARAM(P_CR3_B), %rsi
	mov	%rsi, %r10
	syscall
	mov	%rax, D_RESULT(0)
	mov	PVM_MARKER, %rax
	mov	%rax, D_RESULT(1)
	pop	%r11
	pop	%rcx
	jmp	.Lreturn_to_user

/*
 * Service 6: the spec's synthetic CPUID (invlpg 0xffffffffff4d5650; cpuid)
 * for leaf 0x40000000.  D_RESULT(4..7) = eax, ebx, ecx, edx.
 */
.Lsvc_synthetic_cpuid:
	push	%rcx
	push	%r11
	mov	$0x40000000, %eax
	xor	%ecx, %ecx
	.globl pvm_g_synthetic_cpuid
pvm_g_synthetic_cpuid:
	.byte	0x0f, 0x01, 0x3c, 0x25, 0x50, 0x56, 0x4d, 0xff
	cpuid
	mov	%rax, D_RESULT(4)
	mov	%rbx, D_RESULT(5)
	mov	%rcx, D_RESULT(6)
	mov	%rdx, D_RESULT(7)
	pop	%r11
	pop	%rcx
	jmp	.Lreturn_to_user

/*
 * Service 7: kernel-mode write and read of the supervisor-only page.  Each
 * faulting instruction is 8 bytes long; the recording #PF handler skips it.
 */
.Lsvc_us_faults:
	.globl pvm_g_kernel_us_write
pvm_g_kernel_us_write:
	movq	%rax, PVM_SUPERVISOR_PAGE
	.globl pvm_g_kernel_us_read
pvm_g_kernel_us_read:
	movq	PVM_SUPERVISOR_PAGE, %rax
	jmp	.Lreturn_to_user

/*
 * Service 8: `wrmsr` of rdi to MSR esi from kernel mode (a #GP whose CPL0
 * handler may perform it).  D_RESULT(0) = 1 once past it, D_RESULT(1) = TSC
 * cycles for the wrmsr, D_RESULT(2) = TSC cycles for a 20000-iteration loop
 * right after it (native or emulated?).
 */
.Lsvc_wrmsr:
	push	%rcx
	push	%rdi
	TSC	%r8
	pop	%rdi
	mov	%esi, %ecx
	mov	%edi, %eax
	mov	%rdi, %rdx
	shr	$32, %rdx
	wrmsr
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(1)
	movq	$1, D_RESULT(0)
	/* a short loop: D_RESULT(2) = TSC cycles for 20000 iterations */
	mov	$20000, %rdi
	TSC	%r8
1:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(2)
	pop	%rcx
	jmp	.Lreturn_to_user

/* user: D_RESULT(2) = TSC cycles for rdi int3 bounced from user mode, then
 * service 1 measures rdi int3 bounced from kernel mode. */
	.globl pvm_g_bounce_user
pvm_g_bounce_user:
	mov	%rdi, %r12
	TSC	%r8
1:	int3
	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(2)
	mov	%r12, %rdi
	mov	$1, %eax
	syscall
	DONE

/* user: one int3 here, then one in kernel mode (service 2). */
	.globl pvm_g_frames_user
pvm_g_frames_user:
	.globl pvm_g_user_int3
pvm_g_user_int3:
	int3
	mov	$2, %eax
	syscall
	DONE

/*
 * CPL0: record the frame of a trap without error code into D_FRAMES[D_COUNT]
 * (rip, cs, rflags, rsp, ss, and where the frame was pushed), then return.
 */
	.globl pvm_g_h_record
pvm_g_h_record:
	push	%rax
	push	%rbx
	mov	D_COUNT, %rax
	imul	$D_FRAME_SIZE, %rax
	add	$D_FRAMES, %rax
	mov	16(%rsp), %rbx
	mov	%rbx, (%rax)
	mov	24(%rsp), %rbx
	mov	%rbx, 8(%rax)
	mov	32(%rsp), %rbx
	mov	%rbx, 16(%rax)
	mov	40(%rsp), %rbx
	mov	%rbx, 24(%rax)
	mov	48(%rsp), %rbx
	mov	%rbx, 32(%rax)
	lea	16(%rsp), %rbx
	mov	%rbx, 40(%rax)
	incq	D_COUNT
	pop	%rbx
	pop	%rax
	iretq

/*
 * CPL0: record a fault with error code into D_FRAMES[D_COUNT] (error code,
 * rip, cr2, cs), skip the 8-byte faulting instruction, return.
 */
	.globl pvm_g_h_record_fault
pvm_g_h_record_fault:
	push	%rax
	push	%rbx
	mov	D_COUNT, %rax
	imul	$D_FRAME_SIZE, %rax
	add	$D_FRAMES, %rax
	mov	16(%rsp), %rbx
	mov	%rbx, (%rax)
	mov	24(%rsp), %rbx
	mov	%rbx, 8(%rax)
	mov	%cr2, %rbx
	mov	%rbx, 16(%rax)
	mov	32(%rsp), %rbx
	mov	%rbx, 24(%rax)
	incq	D_COUNT
	addq	$8, 24(%rsp)
	pop	%rbx
	pop	%rax
	add	$8, %rsp
	iretq

/* user: write, then read, the supervisor page (faults recorded), then
 * service 7 does the same in kernel mode. */
	.globl pvm_g_us_user
pvm_g_us_user:
	.globl pvm_g_user_us_write
pvm_g_user_us_write:
	movq	%rax, PVM_SUPERVISOR_PAGE
	mov	$7, %eax
	syscall
	DONE

/* user: read the address in D_PARAM(P_ARG) into D_RESULT(1), then stop. */
	.globl pvm_g_user_touch
pvm_g_user_touch:
	mov	D_PARAM(P_ARG), %rbx
	mov	(%rbx), %rax
	mov	%rax, D_RESULT(1)
	DONE

/* user: read the not-present page 0 (8 bytes), then stop. */
	.globl pvm_g_user_np_read
pvm_g_user_np_read:
	movq	0x100, %rax
	DONE

/*
 * CPL0: #GP handler that emulates `mov %rbx, %cr3` (3 bytes) for the
 * trap-and-emulate experiment.
 */
	.globl pvm_g_h_gp_cr3
pvm_g_h_gp_cr3:
	mov	%rbx, %cr3
	addq	$3, 8(%rsp)
	add	$8, %rsp
	iretq

/*
 * CPL0: #GP handler that performs a trapped `wrmsr` itself (2 bytes).
 */
	.globl pvm_g_h_gp_wrmsr
pvm_g_h_gp_wrmsr:
	wrmsr
	addq	$2, 8(%rsp)
	add	$8, %rsp
	iretq

/* CPL0: timer interrupt: count, EOI through the low LAPIC mapping. */
	.globl pvm_g_h_timer
pvm_g_h_timer:
	incq	D_COUNT
	movl	$0, PVM_LAPIC_EOI
	iretq

/*
 * user: the timer experiment.  rdi = iterations per phase.
 *   D_RESULT(0) user loop, doorbell (host arms the timer)
 *   D_RESULT(1) user loop, doorbell
 *   D_RESULT(2) kernel loop (service 3), doorbell (host disarms the timer)
 *   D_RESULT(3) kernel loop, doorbell, then DONE.
 */
	.globl pvm_g_timer_user
pvm_g_timer_user:
	mov	%rdi, %r12
	mov	%r12, %rdi
	TSC	%r8
1:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	movb	$1, PVM_DOORBELL
	mov	%r12, %rdi
	TSC	%r8
1:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(1)
	movb	$1, PVM_DOORBELL
	mov	%r12, %rdi
	mov	$2, %esi
	mov	$3, %eax
	syscall
	mov	%r12, %rdi
	mov	$3, %esi
	mov	$3, %eax
	syscall
	DONE

/* CPL0 start: `wrmsr` rdi to MSR esi, then D_RESULT(0) = 1 and stop. */
	.globl pvm_g_cpl0_wrmsr
pvm_g_cpl0_wrmsr:
	mov	%esi, %ecx
	mov	%edi, %eax
	mov	%rdi, %rdx
	shr	$32, %rdx
	wrmsr
	movq	$1, D_RESULT(0)
	DONE

/*
 * CPL0 start: `wrmsr` rdi to MSR esi, then `iretq` to user mode at
 * D_PARAM(P_ARG) on the user stack (the path into the native contexts after
 * an emulated setup phase).
 */
	.globl pvm_g_cpl0_wrmsr_to_user
pvm_g_cpl0_wrmsr_to_user:
	mov	%esi, %ecx
	mov	%edi, %eax
	mov	%rdi, %rdx
	shr	$32, %rdx
	wrmsr
	movq	$1, D_RESULT(0)
	pushq	$PVM_USER_DS
	pushq	$PVM_USER_STACK_TOP
	pushq	$0x202
	pushq	$PVM_USER_CS
	pushq	D_PARAM(P_ARG)
	iretq

/* CPL0 start: `wrmsr` rdi to MSR esi, then an `out` to port 0x80, then stop. */
	.globl pvm_g_cpl0_wrmsr_out
pvm_g_cpl0_wrmsr_out:
	mov	%esi, %ecx
	mov	%edi, %eax
	mov	%rdi, %rdx
	shr	$32, %rdx
	wrmsr
	out	%al, $0x80
	movq	$1, D_RESULT(0)
	DONE

/* CPL0 start: `wrmsr` rdi to MSR esi, then the timed loop of rax iterations. */
	.globl pvm_g_cpl0_wrmsr_loop
pvm_g_cpl0_wrmsr_loop:
	mov	%rax, %r15
	mov	%esi, %ecx
	mov	%edi, %eax
	mov	%rdi, %rdx
	shr	$32, %rdx
	wrmsr
	mov	%r15, %rdi
	jmp	pvm_g_loop

/*
 * CPL0 start: the experiments on the mode that `wrmsr` of a page address to
 * MSR 0x4b564d10 switches on ("PVCS mode" in docs/pvm.md).  rdi = MSR value
 * (0x400 = leave the mode off, for the control runs), esi = the MSR, rax =
 * test number, D_PARAM(P_ARG) = iterations.
 */
	.globl pvm_g_sup_entry
pvm_g_sup_entry:
	mov	%rax, %r15
	mov	%esi, %ecx
	mov	%edi, %eax
	mov	%rdi, %rdx
	shr	$32, %rdx
	wrmsr
	mov	D_PARAM(P_ARG), %rdi
	cmp	$0, %r15
	je	pvm_g_loop
	cmp	$1, %r15
	je	.Lsup_state
	cmp	$2, %r15
	je	pvm_g_int3_loop
	cmp	$3, %r15
	je	.Lsup_cr3
	cmp	$4, %r15
	je	.Lsup_to_user
	cmp	$5, %r15
	je	.Lsup_timer
	cmp	$6, %r15
	je	.Lsup_syscall
	cmp	$7, %r15
	je	.Lsup_vmcall
	cmp	$8, %r15
	je	.Lsup_hlt
	cmp	$9, %r15
	je	.Lsup_detour
	cmp	$10, %r15
	je	.Lsup_sti_detour
	cmp	$11, %r15
	je	.Lsup_us
	cmp	$12, %r15
	je	.Lsup_sysret
	cmp	$13, %r15
	je	.Lsup_touch
	cmp	$14, %r15
	je	.Lsup_sysret
	ud2

/*
 * Test 13: write and read the address in D_PARAM(P_ARG) in the mode
 * (D_RESULT(0) = what was read), then `sysretq` to D_PARAM(P_RESUME).
 */
.Lsup_touch:
	mov	D_PARAM(P_ARG), %rbx
	movq	$0x1234, (%rbx)
	mov	(%rbx), %rax
	mov	%rax, D_RESULT(0)
	jmp	.Lsup_sysret

/* Test 12: `sysretq` to D_PARAM(P_RESUME) on the user stack. */
.Lsup_sysret:
	mov	D_PARAM(P_RESUME), %rcx
	mov	$0x202, %r11
	mov	$PVM_USER_STACK_TOP, %rsp
	sysretq

/*
 * Test 11: U/S in the mode: D_PARAM(P_NR) = 1: write the supervisor-only
 * page here, 2: read it, 3: read the not-present page 0 (8-byte instructions;
 * a recording #PF handler would skip them), 4: write 0 to the MSR, 0: none;
 * then iretq to user mode at D_PARAM(P_RESUME).
 */
.Lsup_us:
	cmpq	$1, D_PARAM(P_NR)
	je	pvm_g_sup_us_write
	cmpq	$2, D_PARAM(P_NR)
	je	pvm_g_sup_us_read
	cmpq	$3, D_PARAM(P_NR)
	je	pvm_g_sup_np_read
	cmpq	$4, D_PARAM(P_NR)
	je	.Lsup_leave
	jmp	.Lsup_to_user
/* 4: write 0 to the MSR (timed: D_RESULT(6)), then go on to user mode. */
.Lsup_leave:
	TSC	%r8
	mov	$0x4b564d10, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(6)
	jmp	.Lsup_to_user
	.globl pvm_g_sup_us_write
pvm_g_sup_us_write:
	movq	%rax, PVM_SUPERVISOR_PAGE
	jmp	.Lsup_to_user
	.globl pvm_g_sup_us_read
pvm_g_sup_us_read:
	movq	PVM_SUPERVISOR_PAGE, %rax
	jmp	.Lsup_to_user
	.globl pvm_g_sup_np_read
pvm_g_sup_np_read:
	movq	0x100, %rax
	jmp	.Lsup_to_user

/* Test 10: sti, then the detour loop. */
.Lsup_sti_detour:
	sti

/* Test 9: the detour loop in the mode, threshold D_PARAM(P_NR). */
.Lsup_detour:
	mov	D_PARAM(P_NR), %rsi
	call	pvm_g_detour_body
	DONE

/* Test 1: CS, SS, RFLAGS as this mode sees them; `out`; rdmsr of the MSR. */
.Lsup_state:
	mov	%cs, %rax
	mov	%rax, D_RESULT(0)
	mov	%ss, %rax
	mov	%rax, D_RESULT(1)
	pushfq
	popq	D_RESULT(2)
	out	%al, $0x80
	movq	$1, D_RESULT(3)
	mov	$0x4b564d10, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, D_RESULT(4)
	mov	%cr3, %rax
	mov	%rax, D_RESULT(5)
	DONE

/*
 * Test 3: rdi rounds of two CR3 loads (B then A) with the marker checked
 * after each.  D_RESULT(0) = TSC cycles, D_RESULT(1) = wrong markers.
 */
.Lsup_cr3:
	mov	D_PARAM(P_CR3_A), %r12
	mov	D_PARAM(P_CR3_B), %r13
	xor	%r14, %r14
	TSC	%r8
1:	mov	%r13, %cr3
	cmpq	$PVM_MARKER_B_VALUE, PVM_MARKER
	je	2f
	inc	%r14
2:	mov	%r12, %cr3
	cmpq	$PVM_MARKER_A_VALUE, PVM_MARKER
	je	3f
	inc	%r14
3:	dec	%rdi
	jnz	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	mov	%r14, D_RESULT(1)
	DONE

/*
 * Test 4: iretq to CS 0x33 at D_PARAM(P_RESUME), rdi = iterations, rsi =
 * D_PARAM(P_NR).  While the mode is on, this does NOT enter user mode: the
 * code after it still runs in the mode (see exp_pvcs_mode.c).
 */
.Lsup_to_user:
	mov	D_PARAM(P_NR), %rsi
	pushq	$PVM_USER_DS
	pushq	$PVM_USER_STACK_TOP
	pushq	$0x202
	pushq	$PVM_USER_CS
	pushq	D_PARAM(P_RESUME)
	iretq

/*
 * Test 7: `vmcall` (KVM's hypercall instruction) with rax = D_PARAM(P_NR)
 * and the new CR3 in rbx and rsi.  D_RESULT(0) = rax after, D_RESULT(1) =
 * marker after, D_RESULT(2) = TSC cycles for the call.
 */
.Lsup_vmcall:
	mov	D_PARAM(P_CR3_B), %rbx
	mov	%rbx, %rsi
	mov	%rbx, %r10
	xor	%ecx, %ecx
	xor	%edx, %edx
	TSC	%r8
	mov	D_PARAM(P_NR), %rax
	vmcall
	mov	%rax, %r12
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(2)
	mov	%r12, D_RESULT(0)
	mov	PVM_MARKER, %rax
	mov	%rax, D_RESULT(1)
	DONE

/*
 * Test 8: sti, then `hlt` until rdi interrupts were counted.
 * D_RESULT(0) = TSC cycles.
 */
.Lsup_hlt:
	sti
	TSC	%r8
1:	hlt
	cmp	D_COUNT, %rdi
	ja	1b
	TSC	%r9
	sub	%r8, %r9
	mov	%r9, D_RESULT(0)
	DONE

/* Test 5: sti, then the timed loop (the host arms the LAPIC timer). */
.Lsup_timer:
	sti
	jmp	pvm_g_loop

/*
 * Test 6: `syscall` in this mode with rax = D_PARAM(P_NR) and the new
 * CR3 in rsi and r10.  D_RESULT(0) = rax after, D_RESULT(1) = marker.
 */
.Lsup_syscall:
	mov	D_PARAM(P_NR), %rax
	xor	%ebx, %ebx
	xor	%edi, %edi
	xor	%edx, %edx
	mov	D_PARAM(P_CR3_B), %rsi
	mov	%rsi, %r10
	syscall
	mov	%rax, D_RESULT(0)
	mov	PVM_MARKER, %rax
	mov	%rax, D_RESULT(1)
	DONE

/* user: int3, then a plain syscall (service 0), then stop. */
	.globl pvm_g_probe_user
pvm_g_probe_user:
	movq	$2, D_RESULT(1)
	int3
	movq	$3, D_RESULT(1)
	xor	%eax, %eax
	syscall
	movq	$4, D_RESULT(1)
	DONE

/*
 * Service 9: rdi loads of the CR3 already live (trap-and-emulate), to tell
 * the trap cost from the cost of switching address spaces.
 */
/* user: plain cpuid leaf 0x40000000: D_RESULT(0..3) = eax, ebx, ecx, edx. */
	.globl pvm_g_user_cpuid
pvm_g_user_cpuid:
	mov	$0x40000000, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%rax, D_RESULT(0)
	mov	%rbx, D_RESULT(1)
	mov	%rcx, D_RESULT(2)
	mov	%rdx, D_RESULT(3)
	mov	$6, %eax
	syscall
	DONE

/* ---- Experiment 8: debug registers and CR4 for native code ------------ */

/*
 * CPL0 (int3 from user mode, gate DPL 3): the privileged operations of the
 * debug and CR4 experiments, eax selects: 0 rax = CR4, 1 CR4 = rdi,
 * 2 DR0 = rdi, 3 DR7 = rdi, 4 rax = DR6, 5 DR6 = rdi, 6 rax = DR7.
 */
	.globl pvm_g_h_priv
pvm_g_h_priv:
	cmp	$0, %eax
	jne	1f
	mov	%cr4, %rax
	iretq
1:	cmp	$1, %eax
	jne	1f
	mov	%rdi, %cr4
	iretq
1:	cmp	$2, %eax
	jne	1f
	mov	%rdi, %dr0
	iretq
1:	cmp	$3, %eax
	jne	1f
	mov	%rdi, %dr7
	iretq
1:	cmp	$4, %eax
	jne	1f
	mov	%dr6, %rax
	iretq
1:	cmp	$5, %eax
	jne	1f
	mov	%rdi, %dr6
	iretq
1:	mov	%dr7, %rax
	iretq

/* CPL0: #UD handler that counts and skips a 5-byte instruction. */
	.globl pvm_g_h_ud_skip5
pvm_g_h_ud_skip5:
	incq	D_UD_COUNT
	addq	$5, (%rsp)
	iretq

/*
 * user: a data breakpoint armed from CPL0.  rdi = DR7, rsi = the address
 * watched.  D_RESULT(0) = DR7 read back, D_RESULT(1) = DR6 after the write;
 * a #DB handler (vector 1) records its frame in D_FRAMES.  Started at
 * pvm_g_dbg_write instead (rsi = address), it only writes: for debug
 * registers the host set.
 */
	.globl pvm_g_dbg_watch_user
pvm_g_dbg_watch_user:
	mov	%rdi, %r12
	mov	%rsi, %rdi
	mov	$2, %eax
	int3
	mov	%r12, %rdi
	mov	$3, %eax
	int3
	mov	$6, %eax
	int3
	mov	%rax, D_RESULT(0)
	.globl pvm_g_dbg_write
pvm_g_dbg_write:
	movl	$1, (%rsi)
	.globl pvm_g_dbg_after_write
pvm_g_dbg_after_write:
	mov	$4, %eax
	int3
	mov	%rax, D_RESULT(1)
	xor	%edi, %edi
	mov	$3, %eax
	int3
	DONE

/*
 * user: single-step with RFLAGS.TF: five instructions run with TF set (the
 * #DB handler records each trap in D_FRAMES).  D_RESULT(2) = traps seen.
 */
	.globl pvm_g_dbg_tf_user
pvm_g_dbg_tf_user:
	pushfq
	orq	$0x100, (%rsp)
	popfq
	.globl pvm_g_dbg_tf_first
pvm_g_dbg_tf_first:
	nop
	nop
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	mov	D_COUNT, %rax
	mov	%rax, D_RESULT(2)
	DONE

/* user: `icebp` (INT1), then stop. */
	.globl pvm_g_dbg_icebp
pvm_g_dbg_icebp:
	.byte	0xf1
	DONE

/*
 * user: rdfsbase with the vCPU's CR4 as the host set it, then with
 * CR4.FSGSBASE set from CPL0, then cleared from CPL0.  D_RESULT(0..2) = CR4
 * after each step, D_RESULT(3..5) = #UDs counted after each rdfsbase.
 */
	.globl pvm_g_cr4_user
pvm_g_cr4_user:
	rdfsbase %rax
	mov	D_UD_COUNT, %rax
	mov	%rax, D_RESULT(3)
	xor	%eax, %eax
	int3
	mov	%rax, D_RESULT(0)
	mov	%rax, %rdi
	or	$0x10000, %rdi
	mov	$1, %eax
	int3
	rdfsbase %rax
	mov	D_UD_COUNT, %rax
	mov	%rax, D_RESULT(4)
	xor	%eax, %eax
	int3
	mov	%rax, D_RESULT(1)
	mov	%rax, %rdi
	and	$~0x10000, %rdi
	mov	$1, %eax
	int3
	rdfsbase %rax
	mov	D_UD_COUNT, %rax
	mov	%rax, D_RESULT(5)
	xor	%eax, %eax
	int3
	mov	%rax, D_RESULT(2)
	DONE

/*
 * CPL0: catch-all handlers, one 16-byte stub per vector: push the vector,
 * copy it and 7 stack qwords and CR2 to D_UNEXPECTED, exit by port I/O.
 */
	.balign 16
	.globl pvm_g_unexpected_stubs
pvm_g_unexpected_stubs:
	vector = 0
	.rept 256
	.balign 16
	pushq	$vector
	jmp	pvm_g_unexpected_common
	vector = vector + 1
	.endr

pvm_g_unexpected_common:
	push	%rax
	mov	8(%rsp), %rax
	mov	%rax, D_UNEXPECTED
	mov	16(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 8
	mov	24(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 16
	mov	32(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 24
	mov	40(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 32
	mov	48(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 40
	mov	56(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 48
	mov	64(%rsp), %rax
	mov	%rax, D_UNEXPECTED + 56
	mov	%cr2, %rax
	mov	%rax, D_UNEXPECTED + 64
	out	%al, $PVM_PORT_UNEXPECTED
1:	hlt
	jmp	1b

	.globl pvm_guest_end
pvm_guest_end:

	.section .note.GNU-stack, "", @progbits
