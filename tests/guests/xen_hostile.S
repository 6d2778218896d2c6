/*
 * xen_hostile: a Xen PV kernel for `pvkit run --entry xen` that attacks
 * pvxen, the in-VM Xen, the way a buggy or hostile PV kernel could
 * (tests/boot/xen_hostile.sh runs it under build/pvkit-san):
 *
 *   1. requests Xen refuses, each of which must come back as one of Xen's
 *      -errno values: mmu_update of pvxen's own frames, of frames outside
 *      RAM, a writable mapping of a page table, L4 entries into slots
 *      256-271 (pvxen's and the host's), update_va_mapping into slot
 *      257/258 or a non-canonical address, mmuext_op pinning or loading a
 *      frame that is no page table, trap tables with non-canonical
 *      handlers, set_gdt on writable, foreign or too many frames, pointers
 *      that point nowhere, a frame mapped writable becoming a page table
 *      (pinned, an L2 entry's L1), a writable mapping of an L1 pinned
 *      once its writable mapping was gone.  A request pvxen carries out is
 *      a violation;
 *   2. CALLS hypercalls with numbers and arguments from a PRNG (xorshift64*,
 *      seed from `hostile.seed=N` on the command line, else fixed): mostly
 *      numbers 0-63, some any 64-bit value; arguments any 64-bit value,
 *      small numbers, pointers into a scratch area the PRNG keeps
 *      scribbling on, or addresses in pvxen's area and the host's slot.
 *      Every result must be a value or one of Xen's errno values (the set
 *      of xen/errno.h).  Only what would stop the test itself is steered:
 *      HYPERVISOR_iret (section 3), sched_op's block/poll/shutdown and
 *      console writes (which could print all of RAM) get invalid commands,
 *      update_va_mapping keeps a page present and writable and leaves the
 *      guest's own pages alone (steer_mapping), DR7 is cleared after a
 *      set_debugreg (an enabled breakpoint makes pvxen single-step the
 *      guest, ~50 us an instruction: the calls would take minutes), and a
 *      multicall or a batch of grant table ops has at most 15 entries
 *      (their results are written back into the list: a huge count would
 *      run them over the guest's own stack); `hostile.trace=1`
 *      prints each call before it is made;
 *   3. with `hostile.iret=K` on the command line, after the summary, one
 *      bad HYPERVISOR_iret frame (K = 1..9, below).  The guest cannot come
 *      back from most of them: pvxen either bounces a fault to the trap
 *      table (then "bounced to vector V" and poweroff) or stops the domain
 *      with a reason (pvkit status 7).
 *
 * Output: "xen-hostile: tests 0x.. violations 0x.. calls 0x.. values 0x..
 * errnos 0x.. bad-errnos 0x.. debug-traps 0x.. events 0x..", a line
 * "xen-hostile: request 0xN result 0xR" for each request of section 1,
 * then poweroff
 * (status 0).  An exception it did not cause on purpose: a line, then
 * SCHEDOP_shutdown(crash).
 */
#include "guest.inc"
#define HC_set_trap_table    0
#define HC_mmu_update	     1
#define HC_set_gdt	     2
#define HC_sched_op_compat   6
#define HC_set_debugreg	     8
#define HC_update_va_mapping 14
#define HC_console_io	     18
#define HC_iret		     23
#define HC_mmuext_op	     26
#define HC_sched_op	     29
#define HC_callback_op	     30
#define HC_multicall	     13
#define HC_grant_table_op    20
#define HC_set_callbacks     4
#define CALLS		     6000
#define SCRATCH_SIZE	     0x10000
#define DOMID_SELF	     0x7ff0
#define KERNEL_CS	     0xe030 /* what pvxen's bounce frames show: RPL 0 */
#define KERNEL_SS	     0xe02b
#define PVXEN_AREA	     0xffff808000000000
#define PVXEN_DIRECT_MAP     0xffff810000000000
#define PTE_ADDR	     0x000ffffffffff000
#define SI_NR_PAGES	     32
#define SI_SHARED_INFO	     40
#define SI_PT_BASE	     88
#define SI_CMD_LINE	     128

XEN_PV_NOTES

/* console_io write of the text between LABEL and LABEL_end. */
.macro SAY label
	lea	\label(%rip), %rdi
	mov	$\label\()_end - \label, %esi
	call	puts
.endm

/* SCHEDOP_shutdown(poweroff): pvkit exits 0. */
.macro POWER_OFF
	lea	shutdown_poweroff(%rip), %rsi
	jmp	shutdown
.endm

/* %al = the decimal number after KEY= on the command line, or 0. */
.macro CMDLINE_NUMBER key
	mov	si_va(%rip), %rsi
	add	$SI_CMD_LINE, %rsi
	lea	\key(%rip), %rdi
	call	find_number
.endm

/* A hypercall: number in %eax, arguments in rdi, rsi, rdx, r10, r8. */
.macro HCALL nr
	mov	$\nr, %eax
	syscall
.endm

/* The request set up before it must be refused: test number ID. */
.macro REFUSED id, nr
	mov	$\id, %r12d
	HCALL	\nr
	call	expect_refused
.endm

/* The arguments of mmu_update of one entry: machine address %rax, value %rdx. */
.macro MMU_UPDATE_ARGS
	mov	%rax, req(%rip)
	mov	%rdx, req+8(%rip)
	lea	req(%rip), %rdi
	mov	$1, %esi
	xor	%edx, %edx
	mov	$DOMID_SELF, %r10d
.endm

/* That mmu_update, to be refused: test ID. */
.macro MMU_UPDATE id
	MMU_UPDATE_ARGS
	REFUSED	\id, HC_mmu_update
.endm

/* The arguments of mmuext_op CMD on frame %rax. */
.macro MMUEXT_ARGS cmd
	movl	$\cmd, ext(%rip)
	mov	%rax, ext+8(%rip)
	movq	$0, ext+16(%rip)
	lea	ext(%rip), %rdi
	mov	$1, %esi
	xor	%edx, %edx
	mov	$DOMID_SELF, %r10d
.endm

/* That mmuext_op, to be refused: test ID. */
.macro MMUEXT id, cmd
	MMUEXT_ARGS \cmd
	REFUSED	\id, HC_mmuext_op
.endm

/* update_va_mapping of victim to itself with PTE flags FLAGS, INVLPG. */
.macro MAP_VICTIM flags
	lea	victim(%rip), %rdi
	mov	%rdi, %rsi
	or	$\flags, %rsi
	mov	$2, %edx		/* UVMF_INVLPG */
.endm

/* set_gdt of one frame %rax, ENTRIES entries. */
.macro SET_GDT id, entries
	mov	%rax, gdt_frames(%rip)
	lea	gdt_frames(%rip), %rdi
	mov	$\entries, %esi
	REFUSED	\id, HC_set_gdt
.endm

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea	stack_top(%rip), %rsp
	mov	%rsi, si_va(%rip)
	mov	SI_NR_PAGES(%rsi), %rax
	mov	%rax, nr_pages(%rip)
	mov	SI_SHARED_INFO(%rsi), %rax
	mov	%rax, shinfo(%rip)
	/* VIRT_BASE is 0 and the p2m the identity: virtual = machine here. */
	mov	SI_PT_BASE(%rsi), %rax
	mov	%rax, l4(%rip)
	mov	(%rax), %rax
	and	pte_mask(%rip), %rax
	mov	%rax, l3(%rip)
	mov	(%rax), %rax
	and	pte_mask(%rip), %rax
	mov	%rax, l2(%rip)
	mov	(%rax), %rax
	and	pte_mask(%rip), %rax
	mov	%rax, l1(%rip)
	mov	l4(%rip), %rsi		/* the L4's slots 256-271, for repair */
	add	$256 * 8, %rsi
	lea	l4_saved + 256 * 8(%rip), %rdi
	mov	$16, %ecx
	rep movsq
	call	parse_cmdline
	call	install_handlers
	call	fill_scratch
	call	refused_requests
	call	random_calls
	call	refused_pvxen_slots
	call	install_handlers
	call	summary
	call	print_results
	cmpb	$0, iret_mode(%rip)
	jne	bad_iret
	POWER_OFF

crash:
	lea	shutdown_crash(%rip), %rsi
XEN_SHUTDOWN_FUNCTION

/* ---- section 1: requests Xen refuses ----------------------------------- */

refused_requests:
	/* pvxen's own frames: shared_info, its text, its page tables. */
	mov	shinfo(%rip), %rax
	xor	%edx, %edx
	MMU_UPDATE 1
	mov	shinfo(%rip), %rax
	add	$0x1000, %rax
	xor	%edx, %edx
	MMU_UPDATE 2
	mov	shinfo(%rip), %rax
	add	$0x3ff000, %rax
	mov	$0x67, %edx
	MMU_UPDATE 3
	/* Frames outside RAM: 4 GiB, the LAPIC, the top of the physical space. */
	mov	$0x100000000, %rax
	xor	%edx, %edx
	MMU_UPDATE 4
	mov	$0xfee00000, %eax
	xor	%edx, %edx
	MMU_UPDATE 5
	mov	$0x000ffffffffff000, %rax
	xor	%edx, %edx
	MMU_UPDATE 6
	/* A writable mapping of a page table: victim's L1 entry -> the L4, the L1
	 * (victim is a page nothing else uses: carried out, these would alias it). */
	call	victim_l1e
	mov	l4(%rip), %rdx
	or	$7, %rdx
	MMU_UPDATE 7
	call	victim_l1e
	mov	l1(%rip), %rdx
	or	$7, %rdx
	MMU_UPDATE 8
	lea	victim(%rip), %rdi
	mov	l4(%rip), %rsi
	or	$7, %rsi
	xor	%edx, %edx
	REFUSED	9, HC_update_va_mapping
	/* L4 entries into slots 256-271: the first L3 again, writable.  The
	 * slots pvxen lives in (257-259) come last, with the other requests
	 * that would take pvxen away if carried out. */
	mov	$256, %ebx
	call	l4_slot_test
	mov	$260, %ebx
1:	call	l4_slot_test
	inc	%ebx
	cmp	$272, %ebx
	jb	1b
	/* update_va_mapping into pvxen's slot, its direct map, non-canonical. */
	call	scratch_pte
	mov	%rax, %rsi
	mov	$PVXEN_AREA, %rdi
	xor	%edx, %edx
	REFUSED	28, HC_update_va_mapping
	call	scratch_pte
	mov	%rax, %rsi
	mov	$PVXEN_DIRECT_MAP, %rdi
	xor	%edx, %edx
	REFUSED	29, HC_update_va_mapping
	call	scratch_pte
	mov	%rax, %rsi
	mov	$0x0000800000000000, %rdi
	xor	%edx, %edx
	REFUSED	30, HC_update_va_mapping
	/* mmuext_op: load, pin, unpin frames that are no page tables. */
	call	scratch_frame
	MMUEXT	31, 5			/* MMUEXT_NEW_BASEPTR */
	call	scratch_frame
	MMUEXT	32, 3			/* MMUEXT_PIN_L4_TABLE (writable, garbage) */
	mov	$0x100000, %eax		/* 4 GiB: outside RAM */
	MMUEXT	33, 3
	mov	shinfo(%rip), %rax
	shr	$12, %rax
	inc	%rax			/* pvxen's text */
	MMUEXT	34, 5
	call	scratch_frame
	MMUEXT	35, 4			/* MMUEXT_UNPIN_TABLE, never pinned */
	mov	$0x100000, %eax
	MMUEXT	36, 15			/* MMUEXT_NEW_USER_BASEPTR outside RAM */
	/* Trap tables: a non-canonical handler; a table nowhere. */
	lea	bad_traps(%rip), %rdi
	REFUSED	37, HC_set_trap_table
	mov	$0x8000000000000000, %rdi
	REFUSED	38, HC_set_trap_table
	/* set_gdt: a writable frame of garbage, outside RAM, pvxen's, too many. */
	call	scratch_frame
	SET_GDT	39, 16
	mov	$0x100000, %eax
	SET_GDT	40, 16
	mov	shinfo(%rip), %rax
	shr	$12, %rax
	add	$2, %rax
	SET_GDT	41, 16
	call	scratch_frame
	SET_GDT	42, 65536
	mov	$0x8000000000000000, %rdi
	mov	$16, %esi
	REFUSED	43, HC_set_gdt
	/* Pointers into nowhere: shutdown's reason, a console write, a multicall. */
	mov	$2, %edi
	mov	$0x8000000000000000, %rsi
	REFUSED	44, HC_sched_op
	xor	%edi, %edi
	mov	$0x7fffffff, %esi
	mov	$0x8000000000000000, %rdx
	REFUSED	45, HC_console_io
	mov	$0x8000000000000000, %rdi
	mov	$4, %esi
	REFUSED	46, HC_multicall
	/* A frame mapped writable becoming a page table: pinned as an L1, an
	 * L2 entry's L1 (victim is mapped writable and all zeros, so only
	 * that mapping stands in the way; L2 slot 511 is empty). */
	call	victim_frame
	MMUEXT	47, 0			/* MMUEXT_PIN_L1_TABLE */
	mov	l2(%rip), %rax
	add	$511 * 8, %rax
	lea	victim(%rip), %rdx
	or	$7, %rdx
	MMU_UPDATE 48
	/* Counts drop with the mappings: victim mapped read-only can be
	 * pinned as an L1, and then no writable mapping of it is allowed. */
	MAP_VICTIM 5
	HCALL	HC_update_va_mapping
	call	victim_frame
	MMUEXT_ARGS 0			/* MMUEXT_PIN_L1_TABLE */
	HCALL	HC_mmuext_op
	MAP_VICTIM 7
	REFUSED	49, HC_update_va_mapping
	call	victim_frame
	MMUEXT_ARGS 4			/* MMUEXT_UNPIN_TABLE */
	HCALL	HC_mmuext_op
	MAP_VICTIM 7
	HCALL	HC_update_va_mapping
	call	install_handlers	/* in case a trap table got through */
	ret

/* Last of all (after section 2), what would take pvxen's own mappings away:
 * carried out, it would let pvxen write into the guest's memory. */
refused_pvxen_slots:
	mov	$257, %ebx
	call	l4_slot_test
	mov	$258, %ebx
	call	l4_slot_test
	mov	$259, %ebx
	call	l4_slot_test
	mov	l4(%rip), %rax		/* unmapping pvxen: plainly, preserving A/D */
	add	$257 * 8, %rax
	xor	%edx, %edx
	MMU_UPDATE 26
	mov	l4(%rip), %rax
	add	$257 * 8 + 2, %rax
	xor	%edx, %edx
	MMU_UPDATE 27
	call	install_handlers	/* in case a trap table got through */
	ret

/* mmu_update of L4 slot %rbx to the first L3, writable: test %rbx - 246. */
l4_slot_test:
	mov	%rbx, %rax
	shl	$3, %rax
	add	l4(%rip), %rax
	mov	l3(%rip), %rdx
	or	$7, %rdx
	MMU_UPDATE_ARGS
	lea	-246(%rbx), %r12d
	HCALL	HC_mmu_update
	jmp	expect_refused

/* After a request that should have been refused was carried out: put back
 * what it may have changed (victim's mapping, the L4's slots 256-271), so
 * that one violation does not hide the others. */
repair:
	push	%rbx
	MAP_VICTIM 7
	HCALL	HC_update_va_mapping
	mov	$256, %ebx
1:	mov	l4(%rip), %rax
	mov	(%rax,%rbx,8), %rdx
	lea	l4_saved(%rip), %rcx
	cmp	(%rcx,%rbx,8), %rdx
	je	2f
	mov	(%rcx,%rbx,8), %rdx
	lea	(%rax,%rbx,8), %rax
	MMU_UPDATE_ARGS
	HCALL	HC_mmu_update
2:	inc	%ebx
	cmp	$272, %ebx
	jb	1b
	pop	%rbx
	ret

/* %rax = the machine address of victim's L1 entry (victim is in the
 * first 2 MiB, so the first L3/L2 entries lead to its L1). */
victim_l1e:
	lea	victim(%rip), %rax
	shr	$12, %rax
	and	$511, %rax
	shl	$3, %rax
	add	l1(%rip), %rax
	ret

scratch_frame:
	lea	scratch(%rip), %rax
	shr	$12, %rax
	ret

victim_frame:
	lea	victim(%rip), %rax
	shr	$12, %rax
	ret

scratch_pte:
	lea	scratch(%rip), %rax
	or	$7, %rax
	ret

/* The result %rax of test %r12d must be -errno, one of Xen's (kept for
 * print_results). */
expect_refused:
	incq	n_tests(%rip)
	lea	results(%rip), %rdx
	mov	%rax, (%rdx,%r12,8)
	mov	%rax, %rdx
	add	$4095, %rdx
	cmp	$4094, %rdx		/* -4095..-1 */
	ja	violation
	jmp	check_errno
violation:
	incq	n_violations(%rip)
	lea	violations(%rip), %rax	/* the set of test numbers */
	bts	%r12, (%rax)
	jmp	repair

/* ---- section 2: random hypercalls --------------------------------------- */

random_calls:
	mov	$CALLS, %r13d
1:	call	rand
	mov	%rax, %rbx
	and	$63, %ebx
	test	$0x3f00, %eax		/* 1 in 64: any 64-bit number */
	jnz	2f
	call	rand
	mov	%rax, %rbx
2:	call	rand_arg
	mov	%rax, %rdi
	call	rand_arg
	mov	%rax, %rsi
	call	rand_arg
	mov	%rax, %rdx
	push	%rdx
	call	rand_arg
	mov	%rax, %r10
	push	%r10
	call	rand_arg
	mov	%rax, %r8
	pop	%r10
	pop	%rdx
	/* Steer only what would end or hang the test itself. */
	cmp	$HC_iret, %rbx
	jne	3f
	mov	$17, %ebx		/* xen_version instead */
3:	cmp	$HC_sched_op, %rbx
	je	4f
	cmp	$HC_sched_op_compat, %rbx
	jne	5f
4:	or	$0x10, %rdi		/* never yield/block/shutdown/poll */
5:	cmp	$HC_console_io, %rbx
	jne	6f
	or	$2, %rdi		/* never CONSOLEIO_write */
6:	cmp	$HC_multicall, %rbx
	jne	16f
	and	$15, %esi		/* a multicall writes results into its list */
16:	cmp	$HC_grant_table_op, %rbx
	jne	13f
	and	$15, %edx		/* so do batches of grant ops, their status */
13:	cmp	$HC_update_va_mapping, %rbx
	jne	11f
	call	steer_mapping
11:	cmpb	$0, trace_mode(%rip)
	je	12f
	call	trace_call
12:	mov	%rbx, %rax
	syscall
	cmpb	$0, trace_mode(%rip)
	je	14f
	call	trace_check
14:	incq	n_calls(%rip)
	mov	%rax, %rdx
	add	$4095, %rdx
	cmp	$4094, %rdx
	ja	7f
	incq	n_errnos(%rip)
	call	check_errno
	jmp	8f
7:	incq	n_values(%rip)
8:	cmp	$HC_set_debugreg, %rbx
	jne	15f
	call	disarm_breakpoints
15:	/* A new trap table or callbacks replace ours: put ours back. */
	cmp	$HC_set_trap_table, %rbx
	je	9f
	cmp	$HC_set_callbacks, %rbx
	je	9f
	cmp	$HC_callback_op, %rbx
	jne	10f
9:	call	install_handlers
10:	call	rand			/* scribble on the scratch area */
	mov	%rax, %rdx
	call	rand
	and	$SCRATCH_SIZE - 8, %eax
	lea	scratch(%rip), %rcx
	mov	%rdx, (%rcx,%rax)
	dec	%r13d
	jnz	1b
	ret

/* update_va_mapping(%rdi = va, %rsi = pte): the page stays present and
 * writable, and neither the new frame nor the page remapped is one of the
 * guest's own (its image, start_info, rings, page tables, stack: the 4 MiB
 * bootstrap region from 1 MiB up) other than scratch; those become victim.
 * Section 1 checks what pvxen does with page-table frames; here a guest
 * that corrupted itself would only end the test early. */
steer_mapping:
	or	$3, %rsi
	mov	%rsi, %rax
	and	pte_mask(%rip), %rax
	cmp	$0x100000, %rax
	jb	1f
	cmp	$0x400000, %rax
	jae	1f
	lea	scratch(%rip), %rcx
	cmp	%rcx, %rax
	jb	2f
	add	$SCRATCH_SIZE, %rcx
	cmp	%rcx, %rax
	jb	1f
2:	and	$0xfff, %esi		/* the flags, on victim's frame */
	lea	victim(%rip), %rax
	or	%rax, %rsi
1:	cmp	$0x100000, %rdi
	jb	3f
	cmp	$0x400000, %rdi
	jae	3f
	lea	scratch(%rip), %rcx
	cmp	%rcx, %rdi
	jb	4f
	add	$SCRATCH_SIZE, %rcx
	cmp	%rcx, %rdi
	jb	3f
4:	lea	victim(%rip), %rdi
3:	ret

/* hostile.trace=1: print the call about to be made (nr, five arguments). */
trace_call:
	push	%r8
	push	%r10
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbx			/* the number, then the arguments upwards */
	lea	trace_digits(%rip), %rdi
	xor	%r9d, %r9d		/* stack offset of the next value */
1:	mov	(%rsp,%r9), %rax
	push	%rdi
	call	hex16
	pop	%rdi
	add	$17, %rdi
	add	$8, %r9
	cmp	$48, %r9
	jb	1b
	SAY	trace_msg
	pop	%rbx
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%r10
	pop	%r8
	ret

/* hostile.trace=1, after a call: print its result and the L1 entry of the
 * page holding the stack top. */
trace_check:
	push	%rax
	lea	result_digits(%rip), %rdi
	call	hex16
	lea	stack_top - 8(%rip), %rax
	shr	$12, %rax
	and	$511, %eax
	mov	l1(%rip), %rcx
	mov	(%rcx,%rax,8), %rax
	lea	pte_digits(%rip), %rdi
	call	hex16
	SAY	result_msg
	pop	%rax
	ret

/* Is -%rax one of Xen's errno values?  If not, count it (and keep the first). */
check_errno:
	mov	%rax, %rcx
	neg	%rcx
	cmp	$128, %rcx
	jae	1f
	mov	%rcx, %rdx
	shr	$6, %rdx
	lea	xen_errnos(%rip), %r9
	mov	(%r9,%rdx,8), %r9
	bt	%rcx, %r9		/* bit (errno mod 64) */
	jc	2f
1:	incq	n_bad_errnos(%rip)
	cmpq	$0, bad_errno_rax(%rip)
	jne	2f
	mov	%rax, bad_errno_rax(%rip)
	mov	%rbx, bad_errno_nr(%rip)
2:	ret

/* xorshift64*: %rax = the next random number (clobbers %rdx). */
rand:
	mov	rng(%rip), %rax
	mov	%rax, %rdx
	shr	$12, %rdx
	xor	%rdx, %rax
	mov	%rax, %rdx
	shl	$25, %rdx
	xor	%rdx, %rax
	mov	%rax, %rdx
	shr	$27, %rdx
	xor	%rdx, %rax
	mov	%rax, rng(%rip)
	mov	$0x2545f4914f6cdd1d, %rdx
	imul	%rdx, %rax
	ret

/* %rax = an argument: any value, a small number, a scratch pointer, or an
 * address pvxen must not let the guest reach through it. */
rand_arg:
	call	rand
	mov	%rax, %rcx
	shr	$61, %rcx		/* 0-7 */
	cmp	$4, %ecx
	jb	rand			/* half: any 64-bit value */
	je	1f
	cmp	$7, %ecx
	je	2f
	and	$SCRATCH_SIZE - 0x1000 - 8, %eax	/* 5, 6: into scratch */
	lea	scratch(%rip), %rcx
	add	%rcx, %rax
	ret
1:	and	$15, %eax		/* 4: small */
	ret
2:	mov	%rax, %rcx		/* 7: a chosen address */
	and	$7, %ecx
	and	$0x3ff8, %eax
	lea	addresses(%rip), %rdx
	add	(%rdx,%rcx,8), %rax
	ret

/* ---- trap table, callbacks, exceptions ---------------------------------- */

/* callback_op(CALLBACKOP_register, {TYPE, HANDLER}), or crash. */
.macro REGISTER_CALLBACK type, handler
	movl	$\type, cb(%rip)
	lea	\handler(%rip), %rax
	mov	%rax, cb+8(%rip)
	xor	%edi, %edi
	lea	cb(%rip), %rsi
	HCALL	HC_callback_op
	test	%rax, %rax
	jnz	crash
.endm

install_handlers:
	lea	traps(%rip), %rdi
	HCALL	HC_set_trap_table
	test	%rax, %rax
	jnz	crash
	REGISTER_CALLBACK 0, event_handler	/* CALLBACKTYPE_event */
	REGISTER_CALLBACK 1, failsafe_handler	/* CALLBACKTYPE_failsafe */
	ret

/* DR7 = 0: no breakpoint armed (clobbers rax, rcx, r11 like a hypercall). */
disarm_breakpoints:
	push	%rdi
	push	%rsi
	mov	$7, %edi
	xor	%esi, %esi
	HCALL	HC_set_debugreg
	pop	%rsi
	pop	%rdi
	ret

/* Random set_debugreg calls may arm a breakpoint on the scratch area:
 * disarm it and go on.  Xen's frame: rcx, r11, rip, cs, rflags, rsp, ss. */
db_handler:
	incq	n_debug(%rip)
	pop	%rcx
	pop	%r11
	push	%rax
	push	%rcx
	push	%r11
	call	disarm_breakpoints
	pop	%r11
	pop	%rcx
	pop	%rax
iret_back:
	push	$0			/* flags: not from a syscall */
	push	%rcx
	push	%r11
	push	%rax
	HCALL	HC_iret
	ud2

/* An event (a random timer, say): return with events masked, IF clear in
 * the frame, so that no more come. */
event_handler:
	incq	n_events(%rip)
	pop	%rcx
	pop	%r11
	andq	$~0x200, 16(%rsp)	/* rflags */
	jmp	iret_back

failsafe_handler:
	mov	$0xfe, %r12d
	jmp	exception

/* Every other exception: vector in %r12, faulting RIP found in the frame. */
.macro VECTOR v, errcode
vector_\v:
	mov	$\v, %r12d
	.if \errcode
	mov	24(%rsp), %r13		/* rcx, r11, error code, rip */
	.else
	mov	16(%rsp), %r13
	.endif
	jmp	exception
.endm
	VECTOR 0, 0
	VECTOR 2, 0
	VECTOR 3, 0
	VECTOR 4, 0
	VECTOR 5, 0
	VECTOR 6, 0
	VECTOR 7, 0
	VECTOR 8, 1
	VECTOR 10, 1
	VECTOR 11, 1
	VECTOR 12, 1
	VECTOR 13, 1
	VECTOR 14, 1
	VECTOR 16, 0
	VECTOR 17, 1
	VECTOR 18, 0
	VECTOR 19, 0

exception:
	lea	stack_top(%rip), %rsp
	cmpb	$0, iret_mode(%rip)
	je	1f
	/* A bad HYPERVISOR_iret bounced back to the guest: a fine outcome. */
	mov	%r12, %rax
	lea	bounced_digits(%rip), %rdi
	call	hex16
	SAY	bounced
	POWER_OFF
1:	mov	%r12, %rax
	lea	exc_vector(%rip), %rdi
	call	hex16
	mov	%r13, %rax
	lea	exc_rip(%rip), %rdi
	call	hex16
	SAY	exc_msg
	jmp	crash

/* ---- section 3: one bad HYPERVISOR_iret frame --------------------------- */

/* The frame, lowest address first: rax, r11, rcx, flags, rip, cs, rflags,
 * rsp, ss.  Built on the stack from a good one, then one field spoilt. */
bad_iret:
	lea	stack_top - 256(%rip), %rsp
	lea	iret_landed(%rip), %rax
	mov	%rsp, %rbx
	sub	$72, %rsp
	movq	$0, 0(%rsp)
	movq	$0, 8(%rsp)
	movq	$0, 16(%rsp)
	movq	$0, 24(%rsp)
	mov	%rax, 32(%rsp)
	movq	$KERNEL_CS, 40(%rsp)
	movq	$0x2, 48(%rsp)		/* rflags, IF clear */
	mov	%rbx, 56(%rsp)
	movq	$KERNEL_SS, 64(%rsp)
	movzbl	iret_mode(%rip), %eax
	cmp	$1, %eax
	jne	1f
	mov	$0x8000000000000000, %rax	/* 1: non-canonical RIP */
	mov	%rax, 32(%rsp)
1:	cmp	$2, %eax
	jne	2f
	movq	$0xe033, 40(%rsp)	/* 2: user mode, no user page tables */
2:	cmp	$3, %eax
	jne	3f
	mov	$0x8000000000000000, %rcx	/* 3: non-canonical RSP */
	mov	%rcx, 56(%rsp)
3:	cmp	$4, %eax
	jne	4f
	mov	$PVXEN_AREA + 0x1000, %rcx	/* 4: into pvxen's text */
	mov	%rcx, 32(%rsp)
4:	cmp	$6, %eax
	jne	6f
	movq	$0x47ed7, 48(%rsp)	/* 6: IOPL 3, VM, NT, AC, TF, DF... */
6:	cmp	$7, %eax
	jne	7f
	movq	$0x100, 24(%rsp)	/* 7: VGCF_in_syscall, non-canonical RIP */
	mov	$0x8000000000000000, %rcx
	mov	%rcx, 32(%rsp)
7:	cmp	$8, %eax
	jne	8f
	movq	$0x1234, 64(%rsp)	/* 8: a garbage SS */
8:	cmp	$9, %eax
	jne	9f
	movq	$0x8, 40(%rsp)		/* 9: a ring-0 CS */
9:	cmp	$5, %eax
	jne	10f
	mov	$0x7ffffffff000, %rsp	/* 5: the frame is nowhere */
10:	HCALL	HC_iret
	/* Still here: HYPERVISOR_iret returned an error instead. */
	lea	stack_top(%rip), %rsp
	SAY	iret_refused
	POWER_OFF

iret_landed:
	lea	stack_top(%rip), %rsp
	SAY	landed
	POWER_OFF

/* ---- start of day, output ----------------------------------------------- */

/* "hostile.iret=K" and "hostile.seed=N" (decimal) on the command line. */
parse_cmdline:
	CMDLINE_NUMBER iret_key
	mov	%al, iret_mode(%rip)
	CMDLINE_NUMBER seed_key
	test	%rax, %rax
	jz	1f
	mov	%rax, rng(%rip)
1:	CMDLINE_NUMBER trace_key
	mov	%al, trace_mode(%rip)
	ret

/* The decimal number after the NUL-terminated key %rdi in string %rsi, or 0. */
find_number:
1:	cmpb	$0, (%rsi)
	je	5f
	xor	%ecx, %ecx
2:	mov	(%rdi,%rcx), %al
	test	%al, %al
	jz	3f
	cmp	(%rsi,%rcx), %al
	jne	4f
	inc	%ecx
	jmp	2b
3:	add	%rcx, %rsi		/* the key matched: read digits */
	xor	%eax, %eax
6:	movzbl	(%rsi), %ecx
	sub	$'0', %ecx
	cmp	$9, %ecx
	ja	7f
	imul	$10, %rax, %rax
	add	%rcx, %rax
	inc	%rsi
	jmp	6b
7:	ret
4:	inc	%rsi
	jmp	1b
5:	xor	%eax, %eax
	ret

fill_scratch:
	lea	scratch(%rip), %rdi
	mov	$SCRATCH_SIZE / 8, %ecx
1:	push	%rcx
	push	%rdi
	call	rand
	pop	%rdi
	pop	%rcx
	mov	%rax, (%rdi)
	add	$8, %rdi
	dec	%ecx
	jnz	1b
	/* The chosen addresses rand_arg mixes in. */
	mov	shinfo(%rip), %rax
	mov	%rax, addresses+24(%rip)
	mov	l4(%rip), %rax
	mov	%rax, addresses+32(%rip)
	mov	si_va(%rip), %rax
	mov	%rax, addresses+40(%rip)
	ret

summary:
	lea	summary_fields(%rip), %rbx
1:	mov	(%rbx), %rax
	test	%rax, %rax
	jz	2f
	mov	(%rax), %rax
	mov	8(%rbx), %rdi
	call	hex16
	add	$16, %rbx
	jmp	1b
2:	SAY	msg
	cmpq	$0, n_bad_errnos(%rip)
	je	3f
	mov	bad_errno_nr(%rip), %rax
	lea	bad_nr_digits(%rip), %rdi
	call	hex16
	mov	bad_errno_rax(%rip), %rax
	lea	bad_rax_digits(%rip), %rdi
	call	hex16
	SAY	bad_msg
3:	cmpq	$0, n_violations(%rip)
	je	4f
	mov	violations(%rip), %rax
	lea	violation_digits(%rip), %rdi
	call	hex16
	SAY	violation_msg
4:	ret

/* Each section-1 request's result, a line each: the suite checks the
 * errno where Xen's is known. */
print_results:
	push	%rbx
	mov	$1, %ebx
1:	cmp	n_tests(%rip), %rbx
	ja	2f
	mov	%rbx, %rax
	lea	request_digits(%rip), %rdi
	call	hex16
	lea	results(%rip), %rax
	mov	(%rax,%rbx,8), %rax
	lea	request_result_digits(%rip), %rdi
	call	hex16
	SAY	request_msg
	inc	%ebx
	jmp	1b
2:	pop	%rbx
	ret

XEN_PUTS_FUNCTION
HEX16_FUNCTION

	.section .rodata
	.balign	8
pte_mask:
	.quad	PTE_ADDR
iret_key:
	.asciz	"hostile.iret="
seed_key:
	.asciz	"hostile.seed="
trace_key:
	.asciz	"hostile.trace="
	.balign	8
/* Xen's errno values (xen/errno.h) as a 128-bit set. */
xen_errnos:
	.quad	(1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | \
		(1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | \
		(1 << 14) | (1 << 16) | (1 << 17) | (1 << 18) | (1 << 19) | (1 << 20) | \
		(1 << 21) | (1 << 22) | (1 << 23) | (1 << 24) | (1 << 28) | (1 << 30) | \
		(1 << 31) | (1 << 33) | (1 << 34) | (1 << 35) | (1 << 36) | (1 << 37) | \
		(1 << 38) | (1 << 39) | (1 << 61) | (1 << 62)
	.quad	(1 << (74 - 64)) | (1 << (75 - 64)) | (1 << (84 - 64)) | (1 << (85 - 64)) | \
		(1 << (88 - 64)) | (1 << (90 - 64)) | (1 << (95 - 64)) | (1 << (98 - 64)) | \
		(1 << (99 - 64)) | (1 << (105 - 64)) | (1 << (106 - 64)) | \
		(1 << (107 - 64)) | (1 << (110 - 64)) | (1 << (111 - 64))
traps:
	.irp v, 0, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19
	.byte	\v, 3		/* vector, DPL 3 (int3 and into from the kernel) */
	.word	KERNEL_CS
	.long	0
	.quad	vector_\v
	.endr
	.byte	1, 0
	.word	KERNEL_CS
	.long	0
	.quad	db_handler
	.quad	0, 0		/* end */
bad_traps:
	.byte	13, 0
	.word	KERNEL_CS
	.long	0
	.quad	0x8000000000000000	/* non-canonical handler */
	.quad	0, 0
shutdown_poweroff:
	.long	0
shutdown_crash:
	.long	3
summary_fields:
	.quad	n_tests, tests_digits
	.quad	n_violations, violations_digits
	.quad	n_calls, calls_digits
	.quad	n_values, values_digits
	.quad	n_errnos, errnos_digits
	.quad	n_bad_errnos, bad_errnos_digits
	.quad	n_debug, debug_digits
	.quad	n_events, events_digits
	.quad	0, 0

	.data
	.balign	8
rng:
	.quad	0x9e3779b97f4a7c15
/* rand_arg's chosen addresses (+ up to 16 KiB): pvxen's area, the host's
 * slot 256, pvxen's direct map, shared_info, the L4, start_info (the last
 * three filled at start), 0, the top of the lower half. */
addresses:
	.quad	PVXEN_AREA, 0xffff800000000000, PVXEN_DIRECT_MAP, 0, 0, 0, 0, 0x7fffffffc000
msg:
	.ascii	"xen-hostile: tests 0x"
tests_digits:
	.ascii	"................ violations 0x"
violations_digits:
	.ascii	"................ calls 0x"
calls_digits:
	.ascii	"................ values 0x"
values_digits:
	.ascii	"................ errnos 0x"
errnos_digits:
	.ascii	"................ bad-errnos 0x"
bad_errnos_digits:
	.ascii	"................ debug-traps 0x"
debug_digits:
	.ascii	"................ events 0x"
events_digits:
	.ascii	"................\n"
msg_end:
bad_msg:
	.ascii	"xen-hostile: not a Xen errno: hypercall 0x"
bad_nr_digits:
	.ascii	"................ returned 0x"
bad_rax_digits:
	.ascii	"................\n"
bad_msg_end:
violation_msg:
	.ascii	"xen-hostile: pvxen carried out requests Xen refuses: tests (bit set) 0x"
violation_digits:
	.ascii	"................\n"
violation_msg_end:
exc_msg:
	.ascii	"xen-hostile: unexpected exception, vector 0x"
exc_vector:
	.ascii	"................ at 0x"
exc_rip:
	.ascii	"................\n"
exc_msg_end:
bounced:
	.ascii	"xen-hostile: bad iret bounced to the guest, vector 0x"
bounced_digits:
	.ascii	"................\n"
bounced_end:
landed:
	.ascii	"xen-hostile: bad iret returned to the guest as asked\n"
landed_end:
trace_msg:
	.ascii	"xen-hostile: call "
trace_digits:
	.ascii	"................ ................ ................ ................ ................ ................\n"
trace_msg_end:
result_msg:
	.ascii	"xen-hostile: result "
result_digits:
	.ascii	"................ stack PTE "
pte_digits:
	.ascii	"................\n"
result_msg_end:
iret_refused:
	.ascii	"xen-hostile: bad iret refused with an error\n"
iret_refused_end:
request_msg:
	.ascii	"xen-hostile: request 0x"
request_digits:
	.ascii	"................ result 0x"
request_result_digits:
	.ascii	"................\n"
request_msg_end:

	.bss
	.balign	4096
scratch:
	.skip	SCRATCH_SIZE
victim:
	.skip	4096
	.balign	16
	.skip	16384
stack_top:
	.balign	8
si_va:		.quad 0
nr_pages:	.quad 0
shinfo:		.quad 0
l4:		.quad 0
l3:		.quad 0
l2:		.quad 0
l1:		.quad 0
req:		.quad 0, 0
ext:		.quad 0, 0, 0
gdt_frames:	.quad 0
cb:		.quad 0, 0
iret_mode:	.quad 0
trace_mode:	.quad 0
n_tests:	.quad 0
n_violations:	.quad 0
violations:	.quad 0		/* bit N: test N was carried out */
results:	.skip 64 * 8	/* test N's result */
l4_saved:	.skip 272 * 8
n_calls:	.quad 0
n_values:	.quad 0
n_errnos:	.quad 0
n_bad_errnos:	.quad 0
bad_errno_nr:	.quad 0
bad_errno_rax:	.quad 0
n_debug:	.quad 0
n_events:	.quad 0
