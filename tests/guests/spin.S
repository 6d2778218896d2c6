/* spin: never stops by itself (for --timeout). */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	jmp _start
