/* triple_fault: an exception with no usable IDT: the CPU shuts down. */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lidt idt_none(%rip)
	.globl fault_here
fault_here:
	ud2
	EXIT 99
	.section .rodata
idt_none:
	.word 0
	.quad 0
