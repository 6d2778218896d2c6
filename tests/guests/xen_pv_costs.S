/*
 * xen_pv_costs: a minimal Xen PV kernel for `pvkit run --entry xen` that
 * measures pvxen's two paths with the TSC and prints the results through
 * console_io, then powers off (status 0):
 *
 *   hypercall  N x xen_version(XENVER_version) with `syscall`, as Linux
 *              issues its hypercalls: guest -> pvxen -> guest, native;
 *   exception  N x int3 -> pvxen's CPL0 stub -> bounce -> the kernel's
 *              handler (set_trap_table) -> HYPERVISOR_iret;
 *   cpuid      N x Xen's forced-emulation cpuid (ud2; "xen"; cpuid): #UD
 *              -> pvxen's native stub -> bounce -> emulated -> guest;
 *   cli        N x cli (IOPL 1): #GP, the same way (Linux's boot has
 *              thousands of each).
 *
 * Then the timer while the kernel takes only such exceptions: their
 * delivery turns IF off on this host and only CPL0 turns it on again, so
 * pvxen must, for a timer the guest armed (xen_exit_to_guest).  vcpu_info
 * moves into the guest's own page (VCPUOP_register_vcpu_info), VIRQ_TIMER
 * gets a port, set_timer_op asks for 1 ms ahead of the vCPU's system
 * time, and `cli` repeats until the port is pending (events stay masked):
 * ~1 ms; 100,000 of them (0.5 s or more) without it crash.
 *
 * First it checks PIT channel 2 as Xen emulates it for PV guests (port
 * I/O within the IOPL physdev_op grants): after a mode-0 count of 0xffff
 * the count goes down and OUT (port 0x61 bit 5) is low; after a count of 2
 * OUT goes high.  And the reservation: giving back its last frame
 * (XENMEM_decrease_reservation) lowers current_reservation by one, a second
 * try gives back nothing, populate_physmap brings the frame back.
 *
 * Output: "xen-pv costs: hypercall 0x... exception 0x... cpuid 0x... cli
 * 0x... (TSC ticks each)".
 * Anything unexpected: SCHEDOP_shutdown(crash) -> pvkit status 6.
 */
#include "guest.inc"
#define HC_set_trap_table 0
#define HC_xen_version	  17
#define HC_iret		  23
#define HC_physdev_op	  33
#define HC_set_timer_op	  15
#define HC_vcpu_op	  24
#define VCPUOP_register_vcpu_info 10
#define HC_event_channel_op 32
#define EVTCHNOP_bind_virq 1
#define VCPU_INFO_TIME	  32 /* struct vcpu_info: time (struct vcpu_time_info) */
#define TIMER_CLI_ROUNDS  100000
#define PHYSDEVOP_set_iopl 6
#define HC_memory_op	  12
#define XENMEM_decrease_reservation 1
#define XENMEM_current_reservation  3
#define XENMEM_populate_physmap	    6
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
	mov	%rsi, %r15		/* start_info */
	/* The #BP handler, through the trap table. */
	lea	traps(%rip), %rdi
	mov	$HC_set_trap_table, %eax
	syscall
	test	%rax, %rax
	jnz	crash

	/* PIT channel 2: the kernel's virtual CPL is 1, so IOPL 1 for ports. */
	mov	$HC_physdev_op, %eax
	mov	$PHYSDEVOP_set_iopl, %edi
	lea	iopl_one(%rip), %rsi
	syscall
	test	%rax, %rax
	jnz	crash
	in	$0x61, %al		/* gate on, speaker off */
	and	$0xfc, %al
	or	$1, %al
	out	%al, $0x61
	mov	$0xb0, %al		/* channel 2, LSB then MSB, mode 0 */
	out	%al, $0x43
	mov	$0xff, %al
	out	%al, $0x42
	out	%al, $0x42
	call	pit_count
	mov	%eax, %r12d
	mov	$100000, %ecx		/* a while: ~100 us or more */
3:	pause
	dec	%ecx
	jnz	3b
	call	pit_count
	cmp	%r12d, %eax
	jae	crash			/* it went down */
	in	$0x61, %al
	test	$0x20, %al
	jnz	crash			/* OUT low before the terminal count */
	mov	$0xb0, %al
	out	%al, $0x43
	mov	$2, %al
	out	%al, $0x42
	xor	%al, %al
	out	%al, $0x42
	mov	$100000, %ecx
4:	pause
	dec	%ecx
	jnz	4b
	in	$0x61, %al
	test	$0x20, %al
	jz	crash			/* OUT high after it */

	/* The reservation: the last frame (start_info's nr_pages - 1), which
	 * nothing maps, given back and populated again. */
	call	current_reservation
	mov	%rax, %r12
	mov	32(%r15), %rax		/* start_info.nr_pages */
	dec	%rax
	mov	%rax, extent(%rip)
	mov	$XENMEM_decrease_reservation, %edi
	call	reservation_op
	cmp	$1, %rax
	jne	crash
	call	current_reservation
	inc	%rax
	cmp	%r12, %rax
	jne	crash
	mov	$XENMEM_decrease_reservation, %edi
	call	reservation_op
	test	%rax, %rax		/* given back already: nothing done */
	jnz	crash
	mov	$XENMEM_populate_physmap, %edi
	call	reservation_op
	cmp	$1, %rax
	jne	crash
	mov	32(%r15), %rax
	dec	%rax
	cmp	extent(%rip), %rax	/* the same frame back (p2m: identity) */
	jne	crash
	call	current_reservation
	cmp	%r12, %rax
	jne	crash

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

	/* Kernel-mode #UD: the forced-emulation cpuid, emulated by pvxen. */
	mov	$ROUNDS, %r12d
	RDTSC64
	mov	%rdx, %r13
5:	xor	%eax, %eax
	xor	%ecx, %ecx
	ud2
	.ascii	"xen"
	cpuid
	cmp	$0x756e6547, %ebx	/* "Genu" */
	je	6f
	cmp	$0x68747541, %ebx	/* "Auth" */
	jne	crash
6:	dec	%r12d
	jnz	5b
	lea	cpuid_digits(%rip), %rdi
	PER_ROUND_SINCE_R13

	/* Kernel-mode #GP: cli within the IOPL (1, above), a no-op. */
	mov	$ROUNDS, %r12d
	RDTSC64
	mov	%rdx, %r13
7:	cli
	dec	%r12d
	jnz	7b
	lea	cli_digits(%rip), %rdi
	PER_ROUND_SINCE_R13

	/* The timer amid native exceptions. */
	lea	vcpu_page(%rip), %rax
	shr	$12, %rax		/* its frame (p2m: identity) */
	mov	%rax, vcpu_info_mfn(%rip)
	mov	$HC_vcpu_op, %eax
	mov	$VCPUOP_register_vcpu_info, %edi
	xor	%esi, %esi		/* vCPU 0 */
	lea	vcpu_info_mfn(%rip), %rdx
	syscall
	test	%rax, %rax
	jnz	crash
	mov	$HC_event_channel_op, %eax
	mov	$EVTCHNOP_bind_virq, %edi
	lea	bind_virq(%rip), %rsi
	syscall
	test	%rax, %rax
	jnz	crash
	call	system_time
	lea	1000000(%rax), %rdi
	mov	$HC_set_timer_op, %eax
	syscall
	test	%rax, %rax
	jnz	crash
	mov	$TIMER_CLI_ROUNDS, %r12d
8:	cli
	cmpb	$0, vcpu_page(%rip)	/* vcpu_info.evtchn_upcall_pending */
	jne	9f
	dec	%r12d
	jnz	8b
	jmp	crash
9:

	lea	msg(%rip), %rdi
	mov	$msg_end - msg, %esi
	call	puts
	lea	shutdown_poweroff(%rip), %rsi
	jmp	shutdown

crash:
	lea	shutdown_crash(%rip), %rsi
	jmp	shutdown

XEN_PUTS_FUNCTION
XEN_SHUTDOWN_FUNCTION

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

/* %rax = the vCPU's system time in ns, from vcpu_info's time (pvxen
 * writes it only while the guest does not run: no version check). */
system_time:
	RDTSC64
	mov	%rdx, %rax
	sub	vcpu_page + VCPU_INFO_TIME + 8(%rip), %rax	/* tsc_timestamp */
	movsbl	vcpu_page + VCPU_INFO_TIME + 28(%rip), %ecx	/* tsc_shift */
	test	%ecx, %ecx
	js	1f
	shl	%cl, %rax
	jmp	2f
1:	neg	%ecx
	shr	%cl, %rax
2:	mov	vcpu_page + VCPU_INFO_TIME + 24(%rip), %ecx	/* tsc_to_system_mul */
	mul	%rcx
	shrd	$32, %rdx, %rax
	add	vcpu_page + VCPU_INFO_TIME + 16(%rip), %rax	/* system_time */
	ret

/* %rax = memory_op(XENMEM_current_reservation, DOMID_SELF) */
current_reservation:
	mov	$HC_memory_op, %eax
	mov	$XENMEM_current_reservation, %edi
	lea	domid_self(%rip), %rsi
	syscall
	ret

/* %rax = memory_op(%edi, the one-extent reservation of `extent`) */
reservation_op:
	mov	$HC_memory_op, %eax
	lea	reservation(%rip), %rsi
	syscall
	ret

/* %eax = PIT channel 2's count (LSB, then MSB) */
pit_count:
	in	$0x42, %al
	movzbl	%al, %edx
	in	$0x42, %al
	movzbl	%al, %eax
	shl	$8, %eax
	or	%edx, %eax
	ret

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
iopl_one:
	.long	1
domid_self:
	.word	0x7ff0

	.data
	.balign	8
reservation:				/* struct xen_memory_reservation */
	.quad	extent			/* extent_start */
	.quad	1			/* nr_extents */
	.long	0, 0			/* extent_order, mem_flags */
	.word	0x7ff0			/* DOMID_SELF */
	.balign	8
extent:
	.quad	0
vcpu_info_mfn:				/* struct vcpu_register_vcpu_info */
	.quad	0
	.long	0, 0			/* offset, rsvd */
bind_virq:				/* struct evtchn_bind_virq */
	.long	0, 0, 0			/* VIRQ_TIMER, vCPU 0, port (out) */
msg:
	.ascii	"xen-pv costs: hypercall 0x"
hc_digits:
	.ascii	"................ exception 0x"
exc_digits:
	.ascii	"................ cpuid 0x"
cpuid_digits:
	.ascii	"................ cli 0x"
cli_digits:
	.ascii	"................ (TSC ticks each)\n"
msg_end:

	.balign	4096
vcpu_page:				/* vcpu_info, at offset 0 */
	.skip	4096
