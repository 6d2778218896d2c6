/*
 * unemulated: cmpxchg16b in guest ring 0.  On a PVM host KVM's emulator
 * cannot run it; pvkit must stop with one line naming the instruction's
 * address and bytes, not hang or crash.  Where ring 0 runs natively it
 * simply works: exit status 0x21.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea slot(%rip), %rdi
	xor %eax, %eax
	xor %edx, %edx
	xor %ebx, %ebx
	xor %ecx, %ecx
	lock cmpxchg16b (%rdi)
	EXIT 0x21

	.data
	.balign 16
slot:	.quad 0, 0
