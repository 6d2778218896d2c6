/*
 * unknown_io: pokes ports and MMIO nobody claims.  Reads must return all
 * ones, writes must vanish, and the run goes on: exit 0 if so, 10 + n if a
 * read returned something else.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	mov $0x2f8, %dx		/* COM2: not present */
	mov $0x41, %al
	out %al, %dx
	in %dx, %al
	cmp $0xff, %al
	jne bad_port8
	mov $0x1234, %dx
	in %dx, %ax
	cmp $0xffff, %ax
	jne bad_port16
	in $0x80, %eax
	cmp $0xffffffff, %eax
	jne bad_port32
	/* MMIO in the 32-bit hole, nothing there. */
	mov $0xd0000000, %ebx
	movl $0x12345678, (%rbx)
	mov (%rbx), %eax
	cmp $0xffffffff, %eax
	jne bad_mmio
	/* Same address again: logged once, still harmless. */
	mov (%rbx), %eax
	PUTS still_alive
	EXIT 0
bad_port8:	EXIT 11
bad_port16:	EXIT 12
bad_port32:	EXIT 13
bad_mmio:	EXIT 14

	UART_PUTS_FUNCTION
	.section .rodata
still_alive:	.asciz "unknown I/O ignored\n"
	STACK stack_top
