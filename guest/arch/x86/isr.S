/* SPDX-License-Identifier: MIT */
/*
 * isr.S - IDT entry stubs.  Each stub makes the frame uniform (a zero error
 * code where the CPU pushes none, then the vector), saves every general
 * register in the order of struct trap_frame and calls trap_dispatch().
 * Only the vectors the kernel uses get a stub: exceptions 0-31, the timer
 * and the spurious vector.
 */
#include "trap_frame.inc"
	.text

.macro STUB vec, has_error
	.globl isr_stub_\vec
isr_stub_\vec:
	.if \has_error == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	isr_common
.endm

.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	STUB \v, 0
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
	STUB \v, 1
.endr
	STUB 32, 0
	STUB 255, 0

isr_common:
	SAVE_GPRS
	mov	%rsp, %rdi
	cld
	call	trap_dispatch
	RESTORE_GPRS
	add	$16, %rsp
	iretq

/* struct idt_stubs (trap.h): exceptions 0-31 by vector, the timer, spurious. */
	.section .rodata
	.balign	8
	.globl isr_idt_stubs
isr_idt_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	isr_stub_\v
.endr
	.quad	isr_stub_32
	.quad	isr_stub_255
	.long	0			/* native_exceptions: none in ring 0 */
	.section .note.GNU-stack, "", @progbits
