/*
 * hypercall: exercises ABI v1 from the guest side, the way a pvkit guest
 * kernel uses it: CPUID discovery, the hypercall page, every call with good
 * and hostile arguments, negotiation, the time page.  Each check that fails
 * exits with its own status (20..59) so the test names what broke; on
 * success it prints "hypercalls ok" and powers off with status 0.
 * Needs the default 256 MiB of RAM (one check aims just past its end).
 */
#include "guest.inc"

#define HC_NEGOTIATE     0
#define HC_CONSOLE_WRITE 1
#define HC_POWER_OFF     2
#define HC_CLOCK         3
#define HC_HALT          4
#define EFAULT           -14
#define EINVAL           -22
#define ENOSYS           -38

/* rax = hypercall(nr, a0, a1) */
.macro HC nr, a0, a1
	mov \nr, %rax
	mov \a0, %rdi
	mov \a1, %rsi
	call *hcpage(%rip)
.endm

/* Fail with \code unless rax == \value (a sign-extended 32-bit number). */
.macro EXPECT value, code
	cmp $\value, %rax
	je .Lok\@
	mov $\code, %al
	jmp fail
.Lok\@:
.endm

/* Fail with \code unless the flags say "equal". */
.macro CHECK_EQ code
	je .Lok\@
	mov $\code, %al
	jmp fail
.Lok\@:
.endm

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp

	/* Discovery: pvkit's signature at 0x40000000. */
	mov $0x40000000, %eax
	cpuid
	cmp $0x40000001, %eax
	CHECK_EQ 20
	cmp $0x696b7670, %ebx
	CHECK_EQ 20
	cmp $0x6b767074, %ecx
	CHECK_EQ 20
	cmp $0x76707469, %edx
	CHECK_EQ 20
	mov $0x40000001, %eax
	cpuid
	cmp $0x10000, %eax	/* ABI 1.0 */
	CHECK_EQ 21
	and $0xf, %ebx		/* hypercall, time page, console, negotiate */
	cmp $0xf, %ebx
	CHECK_EQ 22
	shl $12, %rcx
	mov %rcx, hcpage(%rip)
	shl $12, %rdx
	mov %rdx, timepage(%rip)
	/* KVM's leaves moved to 0x40000100, still findable. */
	mov $0x40000100, %eax
	cpuid
	cmp $0x4b4d564b, %ebx	/* "KVMK" */
	CHECK_EQ 23
	cmp $0x564b4d56, %ecx	/* "VMKV" */
	CHECK_EQ 23
	cmp $0x4d, %edx		/* "M" */
	CHECK_EQ 23
	cmp $0x40000100, %eax
	setae %al
	cmp $1, %al
	CHECK_EQ 23

	/* Console write. */
	lea hello(%rip), %rbx
	HC $HC_CONSOLE_WRITE, %rbx, $hello_len
	EXPECT hello_len, 30

	/* Every register but RAX survives a call, arguments included. */
	mov $0x1111, %rdx
	mov $0x2222, %r8
	mov $0x3333, %r10
	mov $0x4444, %r11
	mov $0x5555, %r12
	mov $0x6666, %rbx
	mov $0x7777, %rcx
	HC $HC_CLOCK, $0, $0x8888
	cmp $0x1111, %rdx
	CHECK_EQ 31
	cmp $0x2222, %r8
	CHECK_EQ 31
	cmp $0x3333, %r10
	CHECK_EQ 31
	cmp $0x4444, %r11
	CHECK_EQ 31
	cmp $0x5555, %r12
	CHECK_EQ 31
	cmp $0x6666, %rbx
	CHECK_EQ 31
	cmp $0x7777, %rcx
	CHECK_EQ 31
	cmp $0, %rdi
	CHECK_EQ 31
	cmp $0x8888, %rsi
	CHECK_EQ 31

	/* Clocks. */
	HC $HC_CLOCK, $0, $0
	mov %rax, %r12
	HC $HC_CLOCK, $0, $0
	cmp %r12, %rax
	setae %cl
	cmp $1, %cl
	CHECK_EQ 32
	HC $HC_CLOCK, $1, $0
	movabs $1600000000000000000, %rcx	/* after 2020 */
	cmp %rcx, %rax
	setg %cl
	cmp $1, %cl
	CHECK_EQ 33
	HC $HC_CLOCK, $7, $0
	EXPECT EINVAL, 34

	/* Hostile arguments. */
	movabs $0x7ff00000000, %rbx		/* far past RAM */
	HC $HC_CONSOLE_WRITE, %rbx, $16
	EXPECT EFAULT, 35
	lea hello(%rip), %rbx
	HC $HC_CONSOLE_WRITE, %rbx, $0x10001	/* over PVKIT_CONSOLE_WRITE_MAX */
	EXPECT EINVAL, 36
	movabs $0xfffffffffffff000, %rbx	/* gpa + len wraps around */
	HC $HC_CONSOLE_WRITE, %rbx, $0x2000
	EXPECT EFAULT, 37
	HC $HC_CONSOLE_WRITE, $0x0ffffff8, $16	/* straddles the end of 256 MiB */
	EXPECT EFAULT, 38
	HC $99, $0, $0
	EXPECT ENOSYS, 39
	movabs $0x100000001, %rbx		/* high bits set: not call 1 */
	HC %rbx, $0, $0
	EXPECT ENOSYS, 40
	lea tags(%rip), %rbx
	HC $HC_NEGOTIATE, %rbx, $1000000
	EXPECT EINVAL, 41
	movabs $0xfffffffffffffff0, %rbx
	HC $HC_NEGOTIATE, %rbx, $1
	EXPECT EFAULT, 42
	HC $HC_POWER_OFF, $256, $0
	EXPECT EINVAL, 43
	HC $HC_CONSOLE_WRITE, $0, $0		/* empty write: nothing to check */
	EXPECT 0, 44

	/* Negotiation: four known tags, one from the future. */
	lea tags(%rip), %rbx
	HC $HC_NEGOTIATE, %rbx, $5
	EXPECT 4, 45
	cmpl $1, tags+4(%rip)			/* ABI_VERSION accepted */
	CHECK_EQ 46
	cmpq $0x10000, tags+8(%rip)
	CHECK_EQ 46
	cmpq $0x9f000, tags+24(%rip)		/* TIME_PAGE: its gpa */
	CHECK_EQ 47
	cmpl $2, tags+68(%rip)			/* the unknown tag: UNKNOWN */
	CHECK_EQ 48
	cmpq $0, tags+72(%rip)
	CHECK_EQ 48

	/* Time page: ns from the TSC agrees with the CLOCK call. */
	mov timepage(%rip), %rbx
	testl $1, (%rbx)			/* no update in progress */
	CHECK_EQ 49
	cmpq $0, 40(%rbx)			/* tsc_khz */
	setne %al
	cmp $1, %al
	CHECK_EQ 50
	/* page clock <= CLOCK call <= page clock read after it, give or take
	 * the page's error bound (max_error_ns, the larger of the pages read)
	 * and 1 ms (its growth since the update, and hosts from before the
	 * bound, which left it 0): exact however long the vCPU is preempted. */
	mov 48(%rbx), %r15			/* max_error_ns */
	call page_ns
	mov %rax, %r12
	HC $HC_CLOCK, $0, $0
	mov %rax, %r13
	call page_ns
	mov %rax, %r14
	mov 48(%rbx), %rax			/* the CLOCK exit may have updated it */
	cmp %r15, %rax
	cmova %rax, %r15
	add $1000000, %r15
	lea (%r13,%r15), %rax			/* CLOCK + tolerance >= before */
	cmp %r12, %rax
	setae %al
	cmp $1, %al
	CHECK_EQ 51
	lea (%r14,%r15), %rax			/* after + tolerance >= CLOCK */
	cmp %r13, %rax
	setae %al
	cmp $1, %al
	CHECK_EQ 51

	/* HALT until 2 ms from now returns 0 after the deadline. */
	HC $HC_CLOCK, $0, $0
	mov %rax, %r12
	lea 2000000(%rax), %rbx
	HC $HC_HALT, %rbx, $0
	EXPECT 0, 52
	HC $HC_CLOCK, $0, $0
	sub %r12, %rax
	cmp $2000000, %rax
	setae %al
	cmp $1, %al
	CHECK_EQ 53
	HC $HC_HALT, $1, $0			/* deadline long past */
	EXPECT 0, 54

	lea done(%rip), %rbx
	HC $HC_CONSOLE_WRITE, %rbx, $done_len
	HC $HC_POWER_OFF, $0, $0
	mov $55, %al				/* POWER_OFF returned */
fail:
	out %al, $DEBUG_EXIT
1:	hlt
	jmp 1b

/* rax = monotonic ns from the time page at %rbx (seqlock read). */
page_ns:
	push %rcx
	push %rdx
	push %rsi
1:	mov (%rbx), %esi			/* sequence */
	test $1, %esi
	jnz 1b
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub 8(%rbx), %rax			/* - tsc_base */
	mulq 16(%rbx)				/* * tsc_to_ns_mul, 128 bits */
	mov 4(%rbx), %ecx
	shrd %cl, %rdx, %rax			/* >> tsc_shift */
	add 24(%rbx), %rax			/* + monotonic_base_ns */
	cmp (%rbx), %esi			/* changed meanwhile: again */
	jne 1b
	pop %rsi
	pop %rdx
	pop %rcx
	ret

	.section .rodata
hello:	.ascii "hello via hypercall\n"
	hello_len = . - hello
done:	.ascii "hypercalls ok\n"
	done_len = . - done

	.data
	.balign 8
hcpage:		.quad 0
timepage:	.quad 0
tags:	/* struct pvkit_tag { u32 tag; u32 flags; u64 value; } */
	.long 1, 0xff
	.quad 0x10000	/* ABI_VERSION */
	.long 3, 0xff
	.quad 0		/* TIME_PAGE */
	.long 2, 0xff
	.quad 1		/* CONSOLE */
	.long 4, 0xff
	.quad 1		/* HALT */
	.long 0x777, 0xff
	.quad 5		/* unknown */
	STACK stack_top
