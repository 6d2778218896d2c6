/*
 * fwait: KVM's emulator on a PVM host cannot run it; pvkit does
 * (host/emulation_assist.c).  With CR0.TS clear it does nothing; with
 * CR0.TS set it raises #NM.  Exit status 0x37: both behaved; 0x55: the
 * second fwait did not fault; 0x44: the first one did.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	IDT_GATE idt, 7, nm_handler
	lidt idtr(%rip)
	movb $1, first_fwait(%rip)
	fwait				/* TS clear: nothing */
	movb $0, first_fwait(%rip)
	mov %cr0, %rax
	or $8, %rax			/* CR0.TS */
	mov %rax, %cr0
	fwait				/* TS set: #NM */
	EXIT 0x55

nm_handler:
	cmpb $0, first_fwait(%rip)
	jne 1f
	EXIT 0x37
1:	EXIT 0x44

	.data
	.balign 16
idt:	.fill 32 * 16, 1, 0
idtr:	.word 32 * 16 - 1
	.quad idt
first_fwait:
	.byte 0
	.balign 16
	.fill 1024, 1, 0
stack_top:
