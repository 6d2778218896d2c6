/*
 * int3: a breakpoint in guest ring 0 reaches the guest's #BP handler with
 * the return address just past the int3, as on hardware.  On a PVM host
 * KVM's emulator cannot run int3 and pvkit raises the #BP itself
 * (host/emulation_assist.c).  Exit status 0x33: right frame; 0x44: wrong
 * return address; 0x55: the handler never ran.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	IDT_GATE idt, 3, bp_handler
	lidt idtr(%rip)
	int3
after_int3:
	EXIT 0x55

bp_handler:
	mov (%rsp), %rax		/* the pushed RIP */
	lea after_int3(%rip), %rbx
	cmp %rax, %rbx
	jne wrong_rip
	EXIT 0x33
wrong_rip:
	EXIT 0x44

	.data
	.balign 16
idt:	.fill 32 * 16, 1, 0
idtr:	.word 32 * 16 - 1
	.quad idt
	.balign 16
	.fill 1024, 1, 0
stack_top:
