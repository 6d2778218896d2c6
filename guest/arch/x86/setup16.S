/* SPDX-License-Identifier: MIT */
/*
 * setup16.S - the real-mode part of the bzImage: sector 0 with the setup
 * header at 0x1f1, the 16-bit entry reached through the jump at 0x200, and a
 * 4 KiB zero page that this code fills in.
 *
 * A BIOS bootloader (QEMU's linuxboot option ROM under SeaBIOS, GRUB's
 * linux16) loads these 16 sectors at SEG:0, the protected-mode part at
 * code32_start (1 MiB), sets DS = ES = SS = SEG and jumps to SEG+0x20:0.
 * From there this code does what Linux's setup does, in miniature: build
 * boot_params (header copy + BIOS e820 map), leave real mode, and enter the
 * kernel's 32-bit entry with %esi = boot_params, as boot.rst's 32-bit
 * protocol says.  No BIOS call is made after the e820 scan.
 *
 * Offsets below are fixed by boot.rst (see boot/bootparam.h, whose
 * _Static_asserts pin the same numbers on the C side).
 */

#define SETUP_SECTS         15      /* + the boot sector = 0x2000 bytes */
#define BOOT_PARAMS_OFF     0x1000  /* our zero page, inside this blob */
#define BP_E820_ENTRIES     0x1e8
#define BP_E820_TABLE       0x2d0
#define E820_MAX            128
#define E820_ENTRY_SIZE     20
#define SMAP                0x534d4150
#define HDR_START           0x1f1
#define HDR_END             0x26c   /* end of the protocol 2.15 header */
#define HDR_CODE32_START    0x214
#define STACK_TOP           0x3000  /* in the loader's heap, above the blob */
#define BOOT_CS             0x10
#define BOOT_DS             0x18
/* %ebx on entry to startup_32: tells the kernel it came through this code. */
#define PVK_SETUP_MAGIC     0x53564b50 /* "PKVS" */

	.section .setup, "ax"
	.code16
	.globl _start
_start:
	/* Sector 0 booted directly from a disk: say so and stop. */
	ljmp	$0x07c0, $bootsect_msg_start
bootsect_msg_start:
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$bootsect_msg, %si
1:	lodsb
	test	%al, %al
	jz	2f
	mov	$0x0e, %ah
	mov	$7, %bx
	int	$0x10
	jmp	1b
2:	cli
	hlt
	jmp	2b
bootsect_msg:
	.asciz	"pvkernel is not a boot sector: load it with a boot loader.\r\n"

	.org	HDR_START
hdr_setup_sects:	.byte	SETUP_SECTS
hdr_root_flags:		.word	0
hdr_syssize:		.long	0		/* mkbzimage */
hdr_ram_size:		.word	0
hdr_vid_mode:		.word	0xffff		/* "normal" */
hdr_root_dev:		.word	0
hdr_boot_flag:		.word	0xaa55
	/* 0x200: the real-mode entry.  Its second byte also tells loaders
	 * where the header ends (0x202 + that byte). */
hdr_jump:		.byte	0xeb, setup_start - hdr_header
hdr_header:		.ascii	"HdrS"
hdr_version:		.word	0x020f		/* protocol 2.15 */
hdr_realmode_swtch:	.long	0
hdr_start_sys_seg:	.word	0x1000		/* obsolete */
hdr_kernel_version:	.word	kernel_version - 0x200
hdr_type_of_loader:	.byte	0
hdr_loadflags:		.byte	0x01		/* LOADED_HIGH: protected-mode part at 1 MiB */
hdr_setup_move_size:	.word	0x8000
hdr_code32_start:	.long	0x100000	/* startup_32 */
hdr_ramdisk_image:	.long	0
hdr_ramdisk_size:	.long	0
hdr_bootsect_kludge:	.long	0
hdr_heap_end_ptr:	.word	0
hdr_ext_loader_ver:	.byte	0
hdr_ext_loader_type:	.byte	0
hdr_cmd_line_ptr:	.long	0
hdr_initrd_addr_max:	.long	0x7fffffff
hdr_kernel_alignment:	.long	0x200000
hdr_relocatable:	.byte	0		/* linked at 1 MiB, runs there */
hdr_min_alignment:	.byte	12
hdr_xloadflags:		.word	0x0001		/* XLF_KERNEL_64: startup_64 at +0x200 */
hdr_cmdline_size:	.long	4095
hdr_hardware_subarch:	.long	0
hdr_hardware_subarch_data: .quad 0
hdr_payload_offset:	.long	0		/* mkbzimage */
hdr_payload_length:	.long	0		/* mkbzimage */
hdr_setup_data:		.quad	0
hdr_pref_address:	.quad	0x100000
hdr_init_size:		.long	0		/* mkbzimage */
hdr_handover_offset:	.long	0		/* no EFI handover */
hdr_kernel_info_offset:	.long	0x1c0		/* kernel_info in head.S */
hdr_end:
	.org	HDR_END		/* fails to assemble if the header grew past 0x26c */

/*G:510 The door for BIOS boot loaders, never pvkit's.  In real mode this
 * builds the zero page from the header the loader left and the BIOS e820
 * map (int 15h), switches to protected mode and jumps to code32_start,
 * head.S's startup_32, with ESI = boot_params and EBX = PVK_SETUP_MAGIC so
 * the kernel can tell how it came in.
 * Next: guest/arch/x86/head.S. :*/
setup_start:
	/* CS = SEG+0x20, IP = small.  Stack first, then CS = DS so that
	 * offsets in this blob are plain file offsets. */
	cli
	cld
	mov	%ds, %ax
	mov	%ax, %es
	mov	%ax, %ss
	mov	$STACK_TOP, %sp
	push	%ax
	push	$normalized
	lret
normalized:
	/* boot_params: zeroed, then the header as the loader left it. */
	mov	$BOOT_PARAMS_OFF, %di
	xor	%ax, %ax
	mov	$2048, %cx
	rep stosw
	mov	$HDR_START, %si
	mov	$(BOOT_PARAMS_OFF + HDR_START), %di
	mov	$(HDR_END - HDR_START), %cx
	rep movsb

	/* The BIOS memory map (int 15h, e820), straight into boot_params. */
	xor	%ebx, %ebx
	mov	$(BOOT_PARAMS_OFF + BP_E820_TABLE), %di
e820_next:
	mov	$0xe820, %eax
	mov	$SMAP, %edx
	mov	$E820_ENTRY_SIZE, %ecx
	int	$0x15
	jc	e820_done
	cmp	$SMAP, %eax
	jne	e820_done
	add	$E820_ENTRY_SIZE, %di
	incb	(BOOT_PARAMS_OFF + BP_E820_ENTRIES)
	cmpb	$E820_MAX, (BOOT_PARAMS_OFF + BP_E820_ENTRIES)
	jae	e820_done
	test	%ebx, %ebx
	jnz	e820_next
e820_done:

	/* A20 through the "fast A20" port; QEMU has it on already. */
	inb	$0x92, %al
	or	$0x02, %al
	and	$0xfe, %al
	outb	%al, $0x92

	/* Linear addresses: this blob sits at SEG * 16. */
	xor	%ebp, %ebp
	mov	%ds, %bp
	shl	$4, %ebp
	leal	gdt(%ebp), %eax
	movl	%eax, gdt_ptr + 2
	leal	in_protected_mode(%ebp), %eax
	movl	%eax, pm_jump
	leal	BOOT_PARAMS_OFF(%ebp), %esi
	mov	$PVK_SETUP_MAGIC, %ebx

	lgdtl	gdt_ptr
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	*pm_jump

	.code32
in_protected_mode:
	mov	$BOOT_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	/* code32_start as the loader left it (it may move the kernel). */
	mov	HDR_CODE32_START(%ebp), %eax
	jmp	*%eax

	.balign	8
gdt:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x10: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	0			/* linear base, filled at run time */
pm_jump:
	.long	0			/* linear in_protected_mode */
	.word	BOOT_CS

kernel_version:
	.asciz	"pvkernel 0.1 (pvkit ABI 1.0)"

	.org	BOOT_PARAMS_OFF
boot_params_area:
	.fill	4096, 1, 0
