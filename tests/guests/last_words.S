/*
 * last_words: prints a line without its newline, the way a guest's last
 * output often ends, and exits with status 7 right after.  pvkit holds a
 * console line until its newline or the end of the run, so only a pvkit
 * that flushes before it exits passes these bytes on.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	PUTS words
	EXIT 7

	UART_PUTS_FUNCTION
	.section .rodata
words:	.asciz "last words, no newline"
	STACK stack_top
