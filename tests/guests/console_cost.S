/*
 * console_cost: measures, from inside the guest with the CLOCK hypercall,
 * what one console byte costs through the 16550 (one OUT exit per byte),
 * what one CLOCK hypercall round trip costs (call/OUT/ret), and what the
 * bare loop costs, N = 2000 each.  Prints
 *	loop_ns=A uart_byte_ns=B hypercall_ns=C
 * (per iteration, loop included) and powers off with 0.
 */
#include "guest.inc"
#define N 2000

.macro HC nr, a0
	mov \nr, %rax
	mov \a0, %rdi
	call *hcpage(%rip)
.endm

.macro NOW
	HC $3, $0
.endm

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	mov $0x40000001, %eax
	cpuid
	shl $12, %rcx
	mov %rcx, hcpage(%rip)

	/* bare loop */
	NOW
	mov %rax, %r12
	mov $N, %ecx
1:	dec %ecx
	jnz 1b
	NOW
	sub %r12, %rax
	mov %rax, %r13

	/* one UART byte per iteration */
	NOW
	mov %rax, %r12
	mov $N, %ecx
	mov $COM1, %dx
	mov $'.', %al
2:	out %al, %dx
	dec %ecx
	jnz 2b
	NOW
	sub %r12, %rax
	mov %rax, %r14

	/* one CLOCK hypercall per iteration */
	NOW
	mov %rax, %r12
	mov $N, %ebx
3:	HC $3, $0
	dec %ebx
	jnz 3b
	NOW
	sub %r12, %rax
	mov %rax, %r15

	PUTS newline
	PUTS loop_label
	mov %r13, %rax
	call print_per_iteration
	PUTS uart_label
	mov %r14, %rax
	call print_per_iteration
	PUTS hc_label
	mov %r15, %rax
	call print_per_iteration
	PUTS newline
	HC $2, $0
	EXIT 99

/* Print rax / N in decimal. */
print_per_iteration:
	xor %edx, %edx
	mov $N, %rcx
	div %rcx
	lea digits_end(%rip), %rsi
	movb $0, (%rsi)
	mov $10, %rcx
4:	xor %edx, %edx
	div %rcx
	add $'0', %dl
	dec %rsi
	mov %dl, (%rsi)
	test %rax, %rax
	jnz 4b
	call uart_puts
	ret

	UART_PUTS_FUNCTION
	.section .rodata
newline:	.asciz "\n"
loop_label:	.asciz "loop_ns="
uart_label:	.asciz " uart_byte_ns="
hc_label:	.asciz " hypercall_ns="
	.data
	.balign 8
hcpage:	.quad 0
digits:	.skip 24
digits_end: .byte 0
	STACK stack_top
