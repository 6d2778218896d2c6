/*
 * uart_hello: checks the 64-bit entry state pvkit promises (boot protocol:
 * CS 0x10, DS 0x18, RSI = boot_params at 0x7000, interrupts off, paging on),
 * then prints through the 16550 and exits with status 0.  A wrong entry
 * state exits with 10 + n instead.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	mov %cs, %ax
	cmp $0x10, %ax
	jne bad_cs
	mov %ds, %ax
	cmp $0x18, %ax
	jne bad_ds
	cmp $0x7000, %rsi
	jne bad_rsi
	pushfq
	pop %rax
	test $0x200, %rax
	jnz bad_if
	lea stack_top(%rip), %rsp
	/* The scratch register keeps what is written. */
	mov $0x3ff, %dx
	mov $0x5a, %al
	out %al, %dx
	in %dx, %al
	cmp $0x5a, %al
	jne bad_scratch
	PUTS hello
	EXIT 0
bad_cs:		EXIT 11
bad_ds:		EXIT 12
bad_rsi:	EXIT 13
bad_if:		EXIT 14
bad_scratch:	EXIT 15

	UART_PUTS_FUNCTION
	.section .rodata
hello:	.asciz "hello from the 16550\n"
	STACK stack_top
