/*
 * uart_echo: reads one line from the 16550 (polling LSR.DR) and writes it
 * back as "echo: LINE", then exits 0.  With the FIFOs on, so the host's
 * input thread can deliver up to 16 bytes at a time.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	mov $0x3fa, %dx		/* FCR: enable FIFOs */
	mov $0x01, %al
	out %al, %dx
	PUTS prompt
	lea line(%rip), %rdi
	mov $(line_end - line - 2), %ecx
1:	mov $COM1_LSR, %dx
2:	in %dx, %al
	test $0x01, %al		/* data ready */
	jz 2b
	mov $COM1, %dx
	in %dx, %al
	mov %al, (%rdi)
	inc %rdi
	cmp $'\n', %al
	je 3f
	dec %ecx
	jnz 1b
3:	movb $0, (%rdi)
	PUTS echo
	PUTS line
	EXIT 0

	UART_PUTS_FUNCTION
	.section .rodata
prompt:	.asciz "type a line: "
echo:	.asciz "echo: "
	.data
line:	.skip 64
line_end:
	STACK stack_top
