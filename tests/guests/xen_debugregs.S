/*
 * xen_debugregs: a Xen PV kernel that checks pvxen's debug registers as a
 * guest sees them (xen/debugreg.c emulates the breakpoints by single-
 * stepping: this host arms no debug register for natively run code).
 *
 * Each case sets DR0/DR7 with set_debugreg, runs a few instructions and
 * compares the #DBs its handler counted (%r14), the RIP of the last one
 * (%r15) and DR6 (get_debugreg) with what the hardware gives:
 *
 *   1  a 4-byte write watchpoint: a write to it traps after the write, DR6.B0
 *   2  the same: a read, a write next to it, nothing; an 8-byte write
 *      that overlaps it half, a trap
 *   3  a read/write watchpoint: a read traps
 *   4  `pushf` while stepped: the guest's RFLAGS without pvxen's TF
 *   5  a write watchpoint on the stack: `push` traps
 *   6  an instruction breakpoint: a fault before it, RIP at it; the handler
 *      returns with RF and the instruction runs, once
 *   7  DR7 cleared: nothing traps
 *   8  `icebp`: a #DB after it (this host reports it at it; pvxen moves it)
 *
 * Output: "xen-pv debug: 8 cases passed", then poweroff (status 0); a failed
 * case prints its number and crashes the domain (status 7).
 */
#include "guest.inc"
#define HC_set_trap_table 0
#define HC_set_debugreg	  8
#define HC_get_debugreg	  9
#define HC_iret		  23
#define DR6_DEFAULT	  0xffff0ff0
#define DR7_G0		  0x2
#define DR7_WRITE4	  (0xd0000 | DR7_G0) /* RW0 01 (write), LEN0 11 (4 bytes) */
#define DR7_RW4		  (0xf0000 | DR7_G0) /* RW0 11 (read or write) */
#define DR7_EXEC	  DR7_G0	     /* RW0 00, LEN0 00 */
#define RFLAGS_TF	  0x100
#define RFLAGS_RF	  0x10000

/* set_debugreg(\reg, \value); anything but 0 fails the case. */
.macro SETDR reg, value
	mov	$HC_set_debugreg, %eax
	mov	$\reg, %edi
	mov	\value, %rsi
	syscall
	test	%rax, %rax
	jnz	fail
.endm

/* The case fails unless %r14 (#DBs so far) is \count. */
.macro EXPECT_COUNT count
	cmp	$\count, %r14d
	jne	fail
.endm

/* ... unless the last #DB was at \label. */
.macro EXPECT_RIP label
	lea	\label(%rip), %rax
	cmp	%rax, %r15
	jne	fail
.endm

/* ... unless DR6's B0-B3 are \bits (and DR6 is set back to its default). */
.macro EXPECT_DR6 bits
	mov	$HC_get_debugreg, %eax
	mov	$6, %edi
	syscall
	and	$0xf, %eax
	cmp	$\bits, %eax
	jne	fail
	SETDR	6, $DR6_DEFAULT
.endm

XEN_PV_NOTES

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea	traps(%rip), %rdi
	mov	$HC_set_trap_table, %eax
	syscall
	test	%rax, %rax
	jnz	fail
	xor	%r14d, %r14d

	mov	$1, %r12d
	lea	var(%rip), %rbx
	SETDR	0, %rbx
	SETDR	7, $DR7_WRITE4
	movl	$1, var(%rip)
case1_after:
	EXPECT_COUNT 1
	EXPECT_RIP case1_after
	EXPECT_DR6 1

	mov	$2, %r12d
	mov	var(%rip), %eax
	movl	$1, var + 4(%rip)
	movl	$1, var - 4(%rip)
	EXPECT_COUNT 1
	movq	$2, var - 4(%rip)
case2_after:
	EXPECT_COUNT 2
	EXPECT_RIP case2_after

	mov	$3, %r12d
	SETDR	7, $DR7_RW4
	mov	var(%rip), %eax
case3_after:
	EXPECT_COUNT 3
	EXPECT_RIP case3_after
	EXPECT_DR6 1

	mov	$4, %r12d
	pushfq
	pop	%rax
	test	$RFLAGS_TF, %eax
	jnz	fail
	EXPECT_COUNT 3

	mov	$5, %r12d
	lea	-8(%rsp), %rbx
	SETDR	0, %rbx
	SETDR	7, $DR7_WRITE4
	push	%rax
case5_after:
	pop	%rax
	EXPECT_COUNT 4
	EXPECT_RIP case5_after

	mov	$6, %r12d
	xor	%r13d, %r13d
	lea	case6_target(%rip), %rbx
	SETDR	0, %rbx
	SETDR	7, $DR7_EXEC
	jmp	case6_target
	ud2
case6_target:
	inc	%r13d
	EXPECT_COUNT 5
	EXPECT_RIP case6_target
	cmp	$1, %r13d
	jne	fail
	EXPECT_DR6 1

	mov	$7, %r12d
	SETDR	7, $0
	movl	$3, var(%rip)
	EXPECT_COUNT 5

	mov	$8, %r12d
	.byte	0xf1			/* icebp */
case8_after:
	EXPECT_COUNT 6
	EXPECT_RIP case8_after

	lea	passed(%rip), %rdi
	mov	$passed_end - passed, %esi
	call	puts
	lea	shutdown_poweroff(%rip), %rsi
	jmp	shutdown

/* A case failed: say which (%r12), crash. */
fail:
	SETDR	7, $0
	mov	%r12, %rax
	lea	failed_digits(%rip), %rdi
	call	hex16
	lea	failed(%rip), %rdi
	mov	$failed_end - failed, %esi
	call	puts
	lea	shutdown_crash(%rip), %rsi
	jmp	shutdown

XEN_PUTS_FUNCTION
XEN_SHUTDOWN_FUNCTION

/* #DB: the Xen frame is rcx, r11, rip, cs, rflags, rsp, ss.  Count it,
 * keep its RIP, return with RF (an instruction breakpoint's fault is not
 * raised again), through HYPERVISOR_iret: rax, r11, rcx, flags, frame. */
db_handler:
	pop	%rcx
	pop	%r11
	inc	%r14d
	mov	(%rsp), %r15
	orq	$RFLAGS_RF, 16(%rsp)
	push	$0
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
	.byte	1, 0		/* vector 1, DPL 0 */
	.word	0xe030
	.long	0
	.quad	db_handler
	.quad	0, 0		/* end */
shutdown_poweroff:
	.long	0
shutdown_crash:
	.long	3
passed:
	.ascii	"xen-pv debug: 8 cases passed\n"
passed_end:

	.data
	.balign	16
	.quad	0
var:
	.quad	0, 0
failed:
	.ascii	"xen-pv debug: case 0x"
failed_digits:
	.ascii	"................ failed\n"
failed_end:
