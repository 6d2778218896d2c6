/*
 * xen_grant: a Xen PV kernel for `pvkit run --entry xen` that grants its own
 * pages to itself and checks what Xen answers (tests/boot/xen_grant.sh runs
 * it under build/pvkit-san).  What XTF's XSA-224/234/255 proofs of concept
 * leave out:
 *
 *   - a writable grant mapping works both ways and sets GTF_reading and
 *     GTF_writing; unmapping clears them; a second unmap of the handle is
 *     GNTST_bad_handle;
 *   - a frame grant-mapped writable cannot be pinned as a page table
 *     (-EINVAL) until that mapping is gone (then it can);
 *   - a page table (the guest's own L1) can be grant-mapped read-only but
 *     not writable (GNTST_general_error), nor be a grant copy's destination;
 *   - a GTF_readonly grant cannot be mapped writable; DOMID_SELF as the
 *     granting domain is GNTST_bad_domain, a ref past the table
 *     GNTST_bad_gntref;
 *   - copy: from a frame of its own into a granted one, across the page end
 *     (GNTST_bad_copy_arg), a frame named by a domain id
 *     (GNTST_permission_denied);
 *   - status frames only under v2; GNTMAP_contains_pte (the PTE by its
 *     machine address).
 *
 * Output: "xen-grant: 37 checks passed", then poweroff (status 0).  A check
 * that fails: "xen-grant: check 0x.. failed: 0x..", then SCHEDOP_shutdown
 * (crash), status 7.
 */
#include "guest.inc"
#define HC_update_va_mapping 14
#define HC_grant_table_op    20
#define HC_mmuext_op	     26
#define DOMID_SELF	     0x7ff0
#define MY_DOMID	     1 /* pvxen's domain */
#define SI_PT_BASE	     88
#define PTE_ADDR	     0x000ffffffffff000
#define PTE_RO		     0x25 /* present, user, accessed */
#define PTE_RW		     0x67 /* present, writable, user, accessed, dirty */
#define UVMF_INVLPG	     2
#define MMUEXT_PIN_L1_TABLE  0
#define MMUEXT_UNPIN_TABLE   4
/* xen/grant_table.h */
#define GNTTABOP_map	     0
#define GNTTABOP_unmap	     1
#define GNTTABOP_setup_table 2
#define GNTTABOP_copy	     5
#define GNTTABOP_set_version 8
#define GNTTABOP_get_status  9
#define GNTMAP_host_map	     2
#define GNTMAP_readonly	     4
#define GNTMAP_contains_pte  16
#define GTF_permit_access    1
#define GTF_readonly	     4
#define GTF_reading	     8
#define GTF_writing	     16
#define GNTCOPY_dest_gref    2

XEN_PV_NOTES

.macro HCALL nr
	mov	$\nr, %eax
	syscall
.endm

/* Check number ID: %rax must equal VALUE (a sign-extended 32-bit number). */
.macro EXPECT id, value
	mov	$\id, %r12d
	cmp	$\value, %rax
	jne	failed
.endm

/* Grant entry REF (v1): frame %rax to this domain, with FLAGS. */
.macro GRANT ref, flags
	mov	%eax, gnttab + \ref * 8 + 4(%rip)
	movw	$MY_DOMID, gnttab + \ref * 8 + 2(%rip)
	movw	$\flags, gnttab + \ref * 8(%rip)
.endm

/* REG = the frame number of LABEL (virtual = machine here). */
.macro FRAME label, reg=%rax
	lea	\label(%rip), \reg
	shr	$12, \reg
.endm

/* GNTTABOP_map_grant_ref of REF with FLAGS at the host address ADDR loads
 * (from DOM): %rax = its status, mapop holds the result. */
.macro MAP load, addr, flags, ref, dom=MY_DOMID
	\load	\addr, %rdi
	mov	$\flags, %esi
	mov	$\ref, %edx
	mov	$\dom, %ecx
	call	map_grant
.endm

/* The handle the last MAP returned, kept at HANDLE. */
.macro KEEP_HANDLE handle
	mov	mapop + 20(%rip), %eax
	mov	%eax, \handle(%rip)
.endm

/* Grant table op OP on STRUCT (count 1), its status at STATUS_AT preset
 * to a value Xen never writes; HOW: call or jmp grant_op_status. */
.macro GRANT_OP op, struct, status_at, how=call
	movw	$0x7fff, \struct + \status_at(%rip)
	mov	$\op, %edi
	lea	\struct(%rip), %rsi
	lea	\struct + \status_at(%rip), %rbx
	\how	grant_op_status
.endm

/* GNTTABOP_unmap_grant_ref of the handle at HANDLE, host address as MAP's:
 * %rax = its status. */
.macro UNMAP load, addr, handle
	\load	\addr, %rdi
	mov	\handle(%rip), %edx
	call	unmap_grant
.endm

/* GNTTABOP_copy of LEN bytes, from frame %rax (DOMID_SELF) at SRC_OFF to
 * DEST (a frame, or with GNTCOPY_dest_gref a ref) of domain DEST_DOM at
 * DEST_OFF: %rax = its status. */
.macro COPY dest, dest_dom, dest_off, len, flags
	mov	%rax, copyop(%rip)
	movw	$DOMID_SELF, copyop + 8(%rip)
	movw	$0, copyop + 10(%rip)
	movq	\dest, copyop + 16(%rip)
	movw	$\dest_dom, copyop + 24(%rip)
	movw	$\dest_off, copyop + 26(%rip)
	movw	$\len, copyop + 32(%rip)
	movw	$\flags, copyop + 34(%rip)
	GRANT_OP GNTTABOP_copy, copyop, 36
.endm

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea	stack_top(%rip), %rsp
	/* VIRT_BASE is 0 and the p2m the identity: virtual = machine here.
	 * The first L1 maps this image (at 1 MiB). */
	mov	SI_PT_BASE(%rsi), %rax
	mov	(%rax), %rax
	and	pte_mask(%rip), %rax
	mov	(%rax), %rax
	and	pte_mask(%rip), %rax
	mov	(%rax), %rax
	and	pte_mask(%rip), %rax
	mov	%rax, l1(%rip)

	/* The grant table's first frame, mapped at gnttab. */
	movw	$DOMID_SELF, setup(%rip)
	movl	$1, setup + 4(%rip)
	lea	gframe(%rip), %rax
	mov	%rax, setup + 16(%rip)
	mov	$GNTTABOP_setup_table, %edi
	lea	setup(%rip), %rsi
	mov	$1, %edx
	HCALL	HC_grant_table_op
	EXPECT	1, 0
	movswq	setup + 8(%rip), %rax
	EXPECT	2, 0
	lea	gnttab(%rip), %rdi
	mov	gframe(%rip), %rsi
	shl	$12, %rsi
	or	$PTE_RW, %rsi
	mov	$UVMF_INVLPG, %edx
	HCALL	HC_update_va_mapping
	EXPECT	3, 0

	/* page_a granted (ref 10) and mapped writable at window. */
	FRAME	page_a
	GRANT	10, GTF_permit_access
	MAP	lea, window(%rip), GNTMAP_host_map, 10
	EXPECT	4, 0
	KEEP_HANDLE handle_a
	mov	mapop + 24(%rip), %rax	/* dev_bus_addr: page_a's */
	lea	page_a(%rip), %rcx
	sub	%rcx, %rax
	EXPECT	5, 0
	movq	$0x1234abcd, window(%rip)
	mov	page_a(%rip), %rax
	EXPECT	6, 0x1234abcd
	movzwl	gnttab + 10 * 8(%rip), %eax
	and	$GTF_reading | GTF_writing, %eax
	EXPECT	7, GTF_reading | GTF_writing

	/* page_c: read-only in its own mapping, granted (ref 11) and mapped
	 * writable at window2: no page table while that mapping lasts. */
	lea	page_c(%rip), %rdi
	mov	%rdi, %rsi
	or	$PTE_RO, %rsi
	mov	$UVMF_INVLPG, %edx
	HCALL	HC_update_va_mapping
	EXPECT	8, 0
	FRAME	page_c
	GRANT	11, GTF_permit_access
	MAP	lea, window2(%rip), GNTMAP_host_map, 11
	EXPECT	9, 0
	KEEP_HANDLE handle_c
	mov	$MMUEXT_PIN_L1_TABLE, %edi
	call	mmuext_page_c
	EXPECT	10, -22			/* -EINVAL */
	UNMAP	lea, window2(%rip), handle_c
	EXPECT	11, 0
	mov	$MMUEXT_PIN_L1_TABLE, %edi
	call	mmuext_page_c
	EXPECT	12, 0
	mov	$MMUEXT_UNPIN_TABLE, %edi
	call	mmuext_page_c
	EXPECT	13, 0

	/* The L1 granted (ref 12): read-only yes, writable no. */
	mov	l1(%rip), %rax
	shr	$12, %rax
	GRANT	12, GTF_permit_access
	MAP	lea, window2(%rip), GNTMAP_host_map, 12
	EXPECT	14, -1			/* GNTST_general_error */
	MAP	lea, window2(%rip), GNTMAP_host_map | GNTMAP_readonly, 12
	EXPECT	15, 0
	KEEP_HANDLE handle_c
	mov	l1(%rip), %rax
	mov	(%rax), %rax
	sub	window2(%rip), %rax
	EXPECT	16, 0
	UNMAP	lea, window2(%rip), handle_c
	EXPECT	17, 0

	/* Unmap page_a: the flags are cleared, the handle is gone. */
	UNMAP	lea, window(%rip), handle_a
	EXPECT	18, 0
	movzwl	gnttab + 10 * 8(%rip), %eax
	and	$GTF_reading | GTF_writing, %eax
	EXPECT	19, 0
	UNMAP	lea, window(%rip), handle_a
	EXPECT	20, -4			/* GNTST_bad_handle */

	/* Refusals. */
	FRAME	page_a
	GRANT	13, GTF_permit_access | GTF_readonly
	MAP	lea, window(%rip), GNTMAP_host_map, 13
	EXPECT	21, -1			/* GNTST_general_error */
	MAP	lea, window(%rip), GNTMAP_host_map, 10, DOMID_SELF
	EXPECT	22, -2			/* GNTST_bad_domain */
	MAP	lea, window(%rip), GNTMAP_host_map, 5000
	EXPECT	23, -3			/* GNTST_bad_gntref */

	/* Copies from page_a: into page_b granted (ref 14) at offset 8; into
	 * the L1; across the end of the page; a frame named by a domain id. */
	FRAME	page_b
	GRANT	14, GTF_permit_access
	FRAME	page_a
	COPY	$14, MY_DOMID, 8, 8, GNTCOPY_dest_gref
	EXPECT	24, 0
	mov	page_b + 8(%rip), %rax
	EXPECT	25, 0x1234abcd
	mov	l1(%rip), %rcx
	shr	$12, %rcx
	FRAME	page_a
	COPY	%rcx, DOMID_SELF, 0, 8, 0
	EXPECT	26, -1			/* GNTST_general_error */
	FRAME	page_a
	COPY	$14, MY_DOMID, 4095, 8, GNTCOPY_dest_gref
	EXPECT	27, -10			/* GNTST_bad_copy_arg */
	FRAME	page_b, %rcx
	FRAME	page_a
	COPY	%rcx, MY_DOMID, 0, 8, 0
	EXPECT	28, -8			/* GNTST_permission_denied */

	/* Status frames: none under v1, one under v2. */
	call	get_status_frames
	EXPECT	29, -1			/* GNTST_general_error */
	mov	$2, %eax
	call	set_version
	EXPECT	30, 0
	call	get_status_frames
	EXPECT	31, 0
	mov	$1, %eax
	call	set_version
	EXPECT	32, 0

	/* GNTMAP_contains_pte: window's L1 entry by its machine address
	 * (the version switch cleared the table: grant page_a again). */
	FRAME	page_a
	GRANT	10, GTF_permit_access
	lea	window(%rip), %rax
	shr	$12, %rax
	and	$511, %eax
	shl	$3, %rax
	add	l1(%rip), %rax
	mov	%rax, window_pte(%rip)
	MAP	mov, window_pte(%rip), GNTMAP_host_map | GNTMAP_contains_pte, 10
	EXPECT	33, 0
	KEEP_HANDLE handle_a
	movq	$0x5678, window(%rip)
	mov	page_a(%rip), %rax
	EXPECT	34, 0x5678
	UNMAP	mov, window_pte(%rip), handle_a
	EXPECT	35, 0
	mov	window_pte(%rip), %rax	/* the PTE is gone */
	mov	(%rax), %rax
	EXPECT	36, 0
	movzwl	gnttab + 10 * 8(%rip), %eax
	EXPECT	37, GTF_permit_access

	lea	passed_msg(%rip), %rdi
	mov	$passed_msg_end - passed_msg, %esi
	call	puts
	lea	shutdown_poweroff(%rip), %rsi
	jmp	shutdown

failed:
	push	%rax
	mov	%r12, %rax
	lea	failed_id(%rip), %rdi
	call	hex16
	pop	%rax
	lea	failed_value(%rip), %rdi
	call	hex16
	lea	failed_msg(%rip), %rdi
	mov	$failed_msg_end - failed_msg, %esi
	call	puts
	lea	shutdown_crash(%rip), %rsi
XEN_SHUTDOWN_FUNCTION

/* One grant table op %edi (count 1, the struct at %rsi) whose result must
 * be 0: %rax = its status, the word at %rbx. */
grant_op_status:
	mov	$1, %edx
	HCALL	HC_grant_table_op
	mov	$100, %r12d		/* the hypercall itself failed */
	test	%rax, %rax
	jnz	failed
	movswq	(%rbx), %rax
	ret

/* map_grant: host address %rdi, flags %esi, ref %edx, domain %ecx. */
map_grant:
	mov	%rdi, mapop(%rip)
	mov	%esi, mapop + 8(%rip)
	mov	%edx, mapop + 12(%rip)
	mov	%cx, mapop + 16(%rip)
	GRANT_OP GNTTABOP_map, mapop, 18, jmp

/* unmap_grant: host address %rdi, handle %edx. */
unmap_grant:
	mov	%rdi, unmapop(%rip)
	movq	$0, unmapop + 8(%rip)
	mov	%edx, unmapop + 16(%rip)
	GRANT_OP GNTTABOP_unmap, unmapop, 20, jmp

get_status_frames:
	movl	$1, statusop(%rip)
	movw	$DOMID_SELF, statusop + 4(%rip)
	lea	sframe(%rip), %rax
	mov	%rax, statusop + 8(%rip)
	GRANT_OP GNTTABOP_get_status, statusop, 6, jmp

/* GNTTABOP_set_version %eax: %rax = the hypercall's result. */
set_version:
	mov	%eax, version(%rip)
	mov	$GNTTABOP_set_version, %edi
	lea	version(%rip), %rsi
	mov	$1, %edx
	HCALL	HC_grant_table_op
	ret

/* mmuext_op %edi on page_c's frame: %rax = the result. */
mmuext_page_c:
	mov	%edi, ext(%rip)
	FRAME	page_c
	mov	%rax, ext + 8(%rip)
	lea	ext(%rip), %rdi
	mov	$1, %esi
	xor	%edx, %edx
	mov	$DOMID_SELF, %r10d
	HCALL	HC_mmuext_op
	ret

XEN_PUTS_FUNCTION
HEX16_FUNCTION

	.section .rodata
	.balign	8
shutdown_poweroff:
	.long	0			/* SHUTDOWN_poweroff */
shutdown_crash:
	.long	3			/* SHUTDOWN_crash */
pte_mask:
	.quad	PTE_ADDR
passed_msg:
	.ascii	"xen-grant: 37 checks passed\n"
passed_msg_end:

	.section .data
failed_msg:
	.ascii	"xen-grant: check 0x"
failed_id:
	.ascii	"................ failed: 0x"
failed_value:
	.ascii	"................\n"
failed_msg_end:

	.section .bss
	.balign	4096
gnttab:	.skip	4096
window:	.skip	4096
window2: .skip	4096
page_a:	.skip	4096
page_b:	.skip	4096
page_c:	.skip	4096
	.skip	4096
stack_top:
	.balign	8
l1:	.quad	0
gframe:	.quad	0
sframe:	.quad	0
/* window's PTE's machine address: a GNTMAP_contains_pte host address */
window_pte:
	.quad	0
setup:	.skip	24
mapop:	.skip	32
unmapop: .skip	24
copyop:	.skip	40
statusop: .skip	16
version: .skip	4
	.balign	8
ext:	.skip	24
handle_a: .long	0
handle_c: .long	0
