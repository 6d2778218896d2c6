/*
 * xen_pv_costs: a minimal Xen PV kernel for `pvkit run --entry xen` that
 * measures pvxen's two paths with the TSC and prints the results through
 * console_io, then powers off (status 0):
 *
 *   hypercall  N x xen_version(XENVER_version) with `syscall`, as Linux
 *              issues its hypercalls: guest -> pvxen -> guest, native;
 *   exception  N x int3 -> pvxen's CPL0 stub -> bounce -> the kernel's
 *              handler (set_trap_table) -> HYPERVISOR_iret.
 *
 * Output: "xen-pv costs: hypercall 0x... exception 0x... (TSC ticks each)".
 * Anything unexpected: SCHEDOP_shutdown(crash) -> pvkit status 6.
 */
#include "guest.inc"
#define HC_set_trap_table 0
#define HC_xen_version	  17
#define HC_console_io	  18
#define HC_iret		  23
#define HC_sched_op	  29
#define ROUNDS		  2000

/* %rdx = the TSC */
.macro RDTSC64
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
.endm

/* %rdi = where 16 hex digits of (TSC now - %r13) / ROUNDS go */
.macro PER_ROUND_SINCE_R13
	RDTSC64
	sub	%r13, %rdx
	mov	%rdx, %rax
	xor	%edx, %edx
	mov	$ROUNDS, %ecx
	div	%rcx
	call	hex16
.endm

XEN_PV_NOTES

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	/* The #BP handler, through the trap table. */
	lea	traps(%rip), %rdi
	mov	$HC_set_trap_table, %eax
	syscall
	test	%rax, %rax
	jnz	crash

	/* Hypercalls. */
	mov	$ROUNDS, %r12d
	RDTSC64
	mov	%rdx, %r13
1:	mov	$HC_xen_version, %eax
	xor	%edi, %edi
	syscall
	cmp	$0x40000, %eax		/* Xen 4.x */
	jb	crash
	dec	%r12d
	jnz	1b
	lea	hc_digits(%rip), %rdi
	PER_ROUND_SINCE_R13

	/* Exceptions. */
	mov	$ROUNDS, %r12d
	RDTSC64
	mov	%rdx, %r13
	xor	%r14d, %r14d
2:	int3
	dec	%r12d
	jnz	2b
	cmp	$ROUNDS, %r14d		/* the handler counted every one */
	jne	crash
	lea	exc_digits(%rip), %rdi
	PER_ROUND_SINCE_R13

	mov	$HC_console_io, %eax
	xor	%edi, %edi		/* CONSOLEIO_write */
	mov	$msg_end - msg, %esi
	lea	msg(%rip), %rdx
	syscall
	lea	shutdown_poweroff(%rip), %rsi
	jmp	shutdown

crash:
	lea	shutdown_crash(%rip), %rsi
shutdown:
	mov	$HC_sched_op, %eax
	mov	$2, %edi		/* SCHEDOP_shutdown */
	syscall
	ud2

/* #BP through pvxen: the Xen frame is rcx, r11, rip, cs, rflags, rsp, ss.
 * Count, then HYPERVISOR_iret with the frame it expects: rax, r11, rcx,
 * flags, then the iret frame. */
bp_handler:
	pop	%rcx
	pop	%r11
	inc	%r14d
	push	$0			/* flags: not in a syscall */
	push	%rcx
	push	%r11
	push	%rax
	mov	$HC_iret, %eax
	syscall
	ud2

HEX16_FUNCTION

	.section .rodata
	.balign	8
traps:
	.byte	3, 3		/* vector 3, DPL 3 */
	.word	0xe030
	.long	0
	.quad	bp_handler
	.quad	0, 0		/* end */
shutdown_poweroff:
	.long	0
shutdown_crash:
	.long	3

	.data
msg:
	.ascii	"xen-pv costs: hypercall 0x"
hc_digits:
	.ascii	"................ exception 0x"
exc_digits:
	.ascii	"................ (TSC ticks each)\n"
msg_end:
