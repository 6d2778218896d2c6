/* SPDX-License-Identifier: MIT */
/*
 * fault_probe.S - instructions that may fault, with a way back.
 *
 * Each probe arms fault_expect (trap.h) with the address of its own
 * recovery label; if the instruction faults with the vector the caller put
 * in fault_expect.vector, the exception handler resumes there and the probe
 * returns -1.  Otherwise it disarms and returns 0.  The self-tests use them
 * to check that exceptions are caught and recovered; native read/write MSR
 * uses them so a missing MSR is an error code, not a crash.
 *
 * fault_expect layout: armed @0 (byte), vector @1, resume_rip @8, hit @16.
 */
#define ARM(fixup)					\
	lea	fixup(%rip), %rax;			\
	mov	%rax, fault_expect + 8(%rip);		\
	movb	$0, fault_expect + 16(%rip);		\
	movb	$1, fault_expect(%rip)
#define DISARM	movb	$0, fault_expect(%rip)

	.text
	.globl probe_read64
probe_read64:			/* (addr, *val) */
	ARM(1f)
	mov	(%rdi), %rax
	DISARM
	mov	%rax, (%rsi)
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

	.globl probe_write64
probe_write64:			/* (addr, val) */
	ARM(1f)
	mov	%rsi, (%rdi)
	DISARM
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

	.globl probe_rdmsr
probe_rdmsr:			/* (msr, *val) */
	ARM(1f)
	mov	%edi, %ecx
	rdmsr
	DISARM
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, (%rsi)
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

	.globl probe_wrmsr
probe_wrmsr:			/* (msr, val) */
	ARM(1f)
	mov	%edi, %ecx
	mov	%rsi, %rax
	mov	%rsi, %rdx
	shr	$32, %rdx
	wrmsr
	DISARM
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

	.globl probe_ud2
probe_ud2:
	ARM(1f)
	ud2
	DISARM
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

	.globl probe_div0
probe_div0:
	ARM(1f)
	xor	%ecx, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	div	%ecx
	DISARM
	xor	%eax, %eax
	ret
1:	mov	$-1, %eax
	ret

	.section .note.GNU-stack, "", @progbits
