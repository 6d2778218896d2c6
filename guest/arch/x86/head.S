/* SPDX-License-Identifier: MIT */
/*G:500 The guest.  head.S has every way into pvkernel, down to one call of
 * kernel_main():
 *
 *   0x100000  startup_32   32-bit boot protocol: %esi = boot_params, paging
 *                          off.  Reached from the real-mode setup (with
 *                          %ebx = PVK_SETUP_MAGIC) or from a 32-bit loader.
 *   0x1001c0  kernel_info  protocol 2.15's "LToP" block
 *   0x100200  startup_64   64-bit boot protocol: %rsi = boot_params, long
 *                          mode, identity map (pvkit, Firecracker-style)
 *             pvh_start32  PVH (XEN_ELFNOTE_PHYS32_ENTRY): %ebx =
 *                          hvm_start_info, 32-bit protected mode, paging off
 *
 * The 32-bit paths switch to long mode on the static identity map below;
 * all paths then zero .bss, take the boot stack and call
 *	boot_entry(kind, info, entry_cr0, entry_cs)
 * (guest/kernel/boot_info.c), which builds struct boot_info and calls
 * kernel_main(&boot_info).  entry_cr0/entry_cs describe the CPU as the loader left it: the
 * environment probe of the backend selection reads them.
 *
 * pvkit uses startup_64 for a kernel in ring 0 and pvh_start32 for PVH; in
 * pvm mode it uses another door, pvm_entry (pvm_entry.S).  The real-mode
 * setup in front of startup_32 is for BIOS boot loaders.
 * Next: guest/arch/x86/setup16.S. :*/
#include "boot_kind.h"

#define BOOT_CS     0x10
#define BOOT_DS     0x18
#define MSR_EFER    0xc0000080
#define EFER_LME    0x100
#define CR0_PE      0x1
#define CR0_PG      0x80000000
#define CR0_WP      0x10000
#define CR4_PAE     0x20

	.section .head.text, "ax"
	.code32
	.globl startup_32
startup_32:
	cli
	cld
	mov	$BOOT_KIND_32BIT, %edi
	cmp	$PVK_SETUP_MAGIC, %ebx
	jne	enter_long_mode
	mov	$BOOT_KIND_REALMODE, %edi
	jmp	enter_long_mode

	/* kernel_info (boot protocol 2.15): magic, size, total size,
	 * setup_type_max (the highest setup_data type we parse: RNG seed). */
	.org	0x1c0
	.globl kernel_info
kernel_info:
	.ascii	"LToP"
	.long	16
	.long	16
	.long	9

/*G:520 pvkit's door for a kernel in ring 0 (the 64-bit boot protocol,
 * L:270): long mode is already on, on pvkit's GDT and identity map, and RSI
 * = boot_params.  CS and CR0 as the loader left them are kept for the
 * backend's probe of where the kernel woke up (CR0 only where it can be
 * read, in ring 0). :*/
	.org	0x200
	.code64
	.globl startup_64
startup_64:
	cli
	cld
	mov	$BOOT_KIND_64BIT, %r12d
	mov	%rsi, %r13
	xor	%r15d, %r15d
	mov	%cs, %r15w
	xor	%r14d, %r14d
	test	$3, %r15b
	jnz	common64		/* CR0 cannot be read outside ring 0 */
	mov	%cr0, %r14
	jmp	common64

/*G:530 The 32-bit doors: PVH (pvkit --entry pvh, QEMU's PVH loader) with
 * EBX = hvm_start_info, and startup_32 above (the real-mode setup, or a
 * 32-bit loader) with ESI = boot_params.  Both arrive in protected mode with
 * paging off and turn on long mode here, on the static identity map at the
 * end of this file. :*/
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	mov	%ebx, %esi
	mov	$BOOT_KIND_PVH, %edi
	/* fall through */

/* %esi = boot info pointer, %edi = BOOT_KIND_*: keep both. */
enter_long_mode:
	mov	%cr0, %ebp
	xor	%ebx, %ebx
	mov	%cs, %bx
	lgdt	boot_gdt_ptr
	mov	$BOOT_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$boot_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_PE), %eax
	mov	%eax, %cr0
	ljmp	$BOOT_CS, $long_mode_entry

	.code64
long_mode_entry:
	mov	%edi, %r12d
	mov	%esi, %r13d
	mov	%ebp, %r14d
	mov	%ebx, %r15d

/*G:540 Every door of this file meets here, in long mode: the kernel's own
 * GDT, CR0.WP, .bss zeroed (loaders differ on that), the boot stack, and
 * boot_entry(kind, info, entry_cr0, entry_cs), the first C code
 * (guest/kernel/boot_info.c).  The pvm door does not come this way: its
 * kernel is entered at CPL3, by `syscall`.
 * Next: guest/arch/x86/pvm_entry.S. :*/
common64:
	lgdt	boot_gdt_ptr
	mov	$BOOT_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	/* CR0.WP: read-only pages stay read-only for the kernel too. */
	mov	%cr0, %rax
	or	$CR0_WP, %rax
	mov	%rax, %cr0
	mov	$boot_stack_top, %rsp
	pushq	$BOOT_CS
	pushq	$1f
	lretq
1:
	/* .bss is not in the file and loaders differ on zeroing it. */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$3, %ecx
	xor	%eax, %eax
	rep stosq
	mov	$boot_stack_top, %rsp
	mov	%r12, %rdi
	mov	%r13, %rsi
	mov	%r14, %rdx
	mov	%r15, %rcx
	call	boot_entry
2:	cli
	hlt
	jmp	2b

/*
 * ELF notes (in a PT_NOTE segment): the PVH entry, and pvkit's note that
 * makes pvkit name itself in hardware_subarch.  The numbers are those of
 * boot/pvh.h and abi/pvkit_abi.h (checked in kernel/elf_notes_check.c).
 */
	.section .note.pvkernel, "a"
	.balign	4
	.long	4f - 3f			/* namesz */
	.long	6f - 5f			/* descsz */
	.long	18			/* XEN_ELFNOTE_PHYS32_ENTRY */
3:	.asciz	"Xen"
4:	.balign	4
5:	.long	pvh_start32
6:	.balign	4
	.long	8f - 7f
	.long	10f - 9f
	.long	1			/* PVKIT_ELFNOTE_ABI */
7:	.asciz	"pvkit"
8:	.balign	4
9:	.long	0x00010000		/* PVKIT_ABI_VERSION 1.0 */
10:	.balign	4
	/* PVKIT_ELFNOTE_PVM: this kernel can run deprivileged (pvm mode):
	 * the syscall entry for MSR_LSTAR and the IDT for IDTR. */
	.long	12f - 11f
	.long	14f - 13f
	.long	2			/* PVKIT_ELFNOTE_PVM */
11:	.asciz	"pvkit"
12:	.balign	4
13:	.quad	pvm_entry
	.quad	idt_table
14:	.balign	4

/* The boot GDT: the selectors of the Linux boot protocol. */
	.section .rodata
	.balign	8
boot_gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: data */
boot_gdt_end:
boot_gdt_ptr:
	.word	boot_gdt_end - boot_gdt - 1
	.quad	boot_gdt

/*
 * Identity map of the low 4 GiB with 2 MiB pages, for the 32-bit entries.
 * Static data, so no loop runs at boot.  The kernel replaces it with its
 * own tables (mm/paging.c) as soon as it has a page allocator.
 */
	.section .data
	.balign	4096
boot_pml4:
	.quad	boot_pdpt + 0x3
	.fill	511, 8, 0
boot_pdpt:
	.quad	boot_pd + 0x0000 + 0x3
	.quad	boot_pd + 0x1000 + 0x3
	.quad	boot_pd + 0x2000 + 0x3
	.quad	boot_pd + 0x3000 + 0x3
	.fill	508, 8, 0
boot_pd:
	.set	i, 0
	.rept	2048
	.quad	(i << 21) | 0x83	/* present, writable, 2 MiB */
	.set	i, i + 1
	.endr

	.section .bss
	.balign	16
boot_stack:
	.skip	16384
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
