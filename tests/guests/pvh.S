/*
 * pvh: entered through the Xen PVH note in 32-bit protected mode, paging
 * off, EBX = hvm_start_info (magic 0x336ec578).  Prints and exits 0;
 * 10 + n on a wrong entry state.
 */
#include "guest.inc"
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18		/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.section .text.entry, "ax"
	.globl _start
	.code32
_start:
pvh_start:
	cmpl $0x336ec578, (%ebx)
	jne bad_magic
	mov %cr0, %eax
	test $0x80000000, %eax
	jnz bad_paging
	mov $msg, %esi
1:	movb (%esi), %al
	test %al, %al
	jz 2f
	mov $COM1, %dx
	out %al, %dx
	inc %esi
	jmp 1b
2:	mov $0, %al
	out %al, $DEBUG_EXIT
bad_magic:
	mov $11, %al
	out %al, $DEBUG_EXIT
bad_paging:
	mov $12, %al
	out %al, $DEBUG_EXIT
	.section .rodata
msg:	.asciz "hello from PVH\n"
