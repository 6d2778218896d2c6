/*
 * hostile: a guest that attacks its VMM.  The first letter of the kernel
 * command line picks what it does (tests/boot/hostile_guest.sh runs each
 * under build/pvkit-san, ASan+UBSan, and checks pvkit's status and message):
 *
 *   p  ports        PORT_ITERATIONS random port accesses (in/out of 1, 2, 4
 *                   bytes, rep insb/outsb), everywhere but the debug exit and
 *                   hypercall ports and i8042 writes (which end the run by
 *                   design); then resets the UART and says it survived.
 *   m  mmio         MMIO_ITERATIONS random reads and writes of 1-8 bytes in
 *                   the 32-bit MMIO hole (no device there; LAPIC/IOAPIC
 *                   skipped); every read must return all ones (exit 14).
 *   h  hypercalls   HC_ITERATIONS calls with wild pointers and lengths (past
 *                   RAM, straddling its end, in the hole, wrapping around
 *                   2^64, huge), unknown numbers, POWER_OFF with a status
 *                   over 255; each result must be a documented one and
 *                   every argument register must come back intact.
 *   b  big console  64 CONSOLE_WRITEs of 64 KiB each (4 MiB).
 *   u  UART flood   64 x `rep outsb` of 4096 bytes to the UART (256 KiB).
 *   t  triple       stack moved to an unmapped address, then a push: #PF
 *                   with no IDT, a triple fault at `pf_here`.
 *   x  non-canonical jump to 0x8000000000001000: #GP, triple fault at
 *                   `gp_here`.
 *   s  status       POWER_OFF(0x1234) (refused), debug-port bytes at
 *                   0xf5/0xf6 (ignored), then a random 32-bit value written
 *                   to 0xf4: pvkit exits with its low byte.
 *   i  idle         cli; hlt forever: only --timeout ends it.
 *   e  emulation    fxsave to MMIO, which KVM's instruction emulator
 *                   cannot do (KVM_EXIT_INTERNAL_ERROR); e1/e2: SSE stores
 *                   it can do, e3: an SSE4.1 load it cannot.
 * The random seed comes from rdtsc and is printed first, so a failing run
 * can be told apart from the next.  Needs --mem 256M (the default).
 */
#include "guest.inc"

#define PORT_ITERATIONS 3000
#define MMIO_ITERATIONS 1000
#define HC_ITERATIONS   2000
#define RAM_END         0x10000000
#define HOLE_START      0xc0000000
#define LAPIC_IOAPIC    0xfec00000

#define HC_NEGOTIATE     0
#define HC_CONSOLE_WRITE 1
#define HC_POWER_OFF     2
#define HC_CLOCK         3
#define HC_HALT          4
#define EFAULT           -14
#define EINVAL           -22
#define ENOSYS           -38

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp
	cld
	mov %rsi, %r15			/* boot_params */
	mov 0x228(%r15), %r14d		/* cmd_line_ptr */
	/* The hypercall page, found the way a guest must: CPUID. */
	mov $0x40000001, %eax
	cpuid
	shl $12, %rcx
	mov %rcx, %r13
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	or $1, %rax			/* xorshift needs a non-zero state */
	mov %rax, rng(%rip)
	PUTS msg_seed
	call put_hex
	PUTS msg_nl

	movzbl (%r14), %eax
	cmp $'p', %al
	je mode_ports
	cmp $'m', %al
	je mode_mmio
	cmp $'h', %al
	je mode_hypercalls
	cmp $'b', %al
	je mode_big_console
	cmp $'u', %al
	je mode_uart_flood
	cmp $'t', %al
	je mode_triple
	cmp $'x', %al
	je mode_noncanonical
	cmp $'s', %al
	je mode_status
	cmp $'i', %al
	je mode_idle
	cmp $'e', %al
	je mode_emulation
	PUTS msg_unknown_mode
	EXIT 99

/* ---- p: random port I/O ---------------------------------------------- */
mode_ports:
	mov $PORT_ITERATIONS, %r12d
	xor %r11d, %r11d		/* accesses made */
ports_loop:
	call rand
	mov %rax, %rbx
	movzwl %bx, %edx		/* any port ... */
	bt $16, %ebx
	jnc 1f
	movzbl %bl, %edx		/* ... or, half the time, the PC's first 256 */
1:	cmp $0xf4, %edx			/* debug exit 0xf4-0xf7, hypercall 0xf8 */
	jb 2f
	cmp $0xf8, %edx
	jbe ports_next
2:	mov %rbx, %rcx
	shr $17, %rcx
	and $7, %ecx			/* which access */
	cmp $3, %ecx
	jb 3f
	cmp $6, %ecx
	je 3f
	cmp $0x60, %edx			/* a write: not to the i8042 (reset) */
	je ports_next
	cmp $0x64, %edx
	je ports_next
3:	mov %rbx, %rax
	shr $32, %rax			/* the value written */
	inc %r11d
	cmp $0, %ecx
	je do_inb
	cmp $1, %ecx
	je do_inw
	cmp $2, %ecx
	je do_inl
	cmp $3, %ecx
	je do_outb
	cmp $4, %ecx
	je do_outw
	cmp $5, %ecx
	je do_outl
	cmp $6, %ecx
	je do_insb
do_outsb:
	lea scratch(%rip), %rsi
	mov %rbx, %rcx
	shr $24, %rcx
	and $15, %ecx
	inc %ecx
	rep outsb
	jmp ports_next
do_insb:
	lea scratch(%rip), %rdi
	mov %rbx, %rcx
	shr $24, %rcx
	and $15, %ecx
	inc %ecx
	rep insb
	jmp ports_next
do_inb:	in %dx, %al
	jmp ports_next
do_inw:	in %dx, %ax
	jmp ports_next
do_inl:	in %dx, %eax
	jmp ports_next
do_outb: out %al, %dx
	jmp ports_next
do_outw: out %ax, %dx
	jmp ports_next
do_outl: out %eax, %dx
ports_next:
	dec %r12d
	jnz ports_loop
	call uart_reset
	PUTS msg_survived
	mov %r11, %rax
	call put_hex
	PUTS msg_port_accesses
	EXIT 0

/* ---- m: random MMIO in the hole -------------------------------------- */
mode_mmio:
	mov $MMIO_ITERATIONS, %r12d
mmio_loop:
	call rand
	mov %rax, %rbx
	mov %ebx, %eax
	and $0x3efffff8, %eax		/* 8-byte aligned offset into the hole */
	add $HOLE_START, %eax
	cmp $LAPIC_IOAPIC, %eax		/* leave the in-kernel LAPIC/IOAPIC be */
	jb 1f
	sub $0x01000000, %eax
1:	mov %eax, %edi			/* zero-extends: the address */
	mov %rbx, %rcx
	shr $40, %rcx
	and $7, %ecx
	mov %rbx, %rax			/* the value written */
	cmp $4, %ecx
	jae mmio_write
	cmp $0, %ecx
	je 2f
	cmp $1, %ecx
	je 3f
	cmp $2, %ecx
	je 4f
	mov (%rdi), %rax
	cmp $-1, %rax
	jne bad_mmio_read
	jmp mmio_next
2:	movb (%rdi), %al
	cmp $0xff, %al
	jne bad_mmio_read
	jmp mmio_next
3:	movw (%rdi), %ax
	cmp $0xffff, %ax
	jne bad_mmio_read
	jmp mmio_next
4:	movl (%rdi), %eax
	cmp $0xffffffff, %eax
	jne bad_mmio_read
	jmp mmio_next
mmio_write:
	cmp $4, %ecx
	je 5f
	cmp $5, %ecx
	je 6f
	cmp $6, %ecx
	je 7f
	mov %rax, (%rdi)
	jmp mmio_next
5:	movb %al, (%rdi)
	jmp mmio_next
6:	movw %ax, (%rdi)
	jmp mmio_next
7:	movl %eax, (%rdi)
mmio_next:
	dec %r12d
	jnz mmio_loop
	PUTS msg_survived
	mov $MMIO_ITERATIONS, %eax
	call put_hex
	PUTS msg_mmio_accesses
	EXIT 0
bad_mmio_read:
	EXIT 14

/* ---- h: hypercalls with wild arguments -------------------------------- */
mode_hypercalls:
	mov $HC_ITERATIONS, %r12d
hc_loop:
	call rand
	mov %rax, %rbx			/* bits 0-2: which call */
	call pick_pointer
	mov %rax, %rdi
	call pick_length
	mov %rax, %rsi
	call rand
	mov %rax, %rdx
	call rand
	mov %rax, %r10
	mov %rbx, %rcx
	and $7, %ecx
	mov %rcx, %rax
	cmp $HC_POWER_OFF, %ecx		/* only statuses it must refuse */
	jne 1f
	mov %rsi, %rdi
	and $0xffff, %edi
	add $256, %edi
1:	cmp $HC_HALT, %ecx		/* a deadline already past */
	jne 2f
	movzbl %dil, %edi		/* (0 would mean "until input") */
	or $1, %edi
2:	cmp $5, %ecx			/* numbers nobody defined */
	jb 4f
	mov %rbx, %rax
	cmp $6, %ecx
	je 4f				/* 64 random bits */
	shr $8, %rax
	and $0xffff, %eax
	add $5, %rax			/* just past the last call */
	cmp $7, %ecx
	jne 4f
	bts $32, %rax			/* upper half set: never a valid call */
4:	mov %rax, hc_nr(%rip)
	mov %rdi, %r8
	mov %rsi, %r9
	mov %rdx, saved_rdx(%rip)
	mov %r10, saved_r10(%rip)
	call *%r13
	/* Every argument register comes back as it went. */
	cmp %r8, %rdi
	jne bad_clobber
	cmp %r9, %rsi
	jne bad_clobber
	cmp saved_rdx(%rip), %rdx
	jne bad_clobber
	cmp saved_r10(%rip), %r10
	jne bad_clobber
	mov hc_nr(%rip), %rcx
	cmp $HC_POWER_OFF, %rcx
	jne 5f
	cmp $EINVAL, %rax
	jne bad_power_off
5:	cmp $HC_HALT, %rcx
	jbe 6f
	cmp $ENOSYS, %rax
	jne bad_unknown_call
6:	test %rax, %rax
	js 7f
	incq cnt_ok(%rip)
	jmp hc_next
7:	cmp $EFAULT, %rax
	jne 8f
	incq cnt_efault(%rip)
	jmp hc_next
8:	cmp $EINVAL, %rax
	jne 9f
	incq cnt_einval(%rip)
	jmp hc_next
9:	cmp $ENOSYS, %rax
	jne bad_result
	incq cnt_enosys(%rip)
hc_next:
	dec %r12d
	jnz hc_loop
	PUTS msg_nl			/* after whatever RAM the calls printed */
	PUTS msg_hc_ok
	mov cnt_ok(%rip), %rax
	call put_hex
	PUTS msg_hc_efault
	mov cnt_efault(%rip), %rax
	call put_hex
	PUTS msg_hc_einval
	mov cnt_einval(%rip), %rax
	call put_hex
	PUTS msg_hc_enosys
	mov cnt_enosys(%rip), %rax
	call put_hex
	PUTS msg_nl
	EXIT 0
bad_clobber:	 EXIT 30
bad_power_off:	 EXIT 31
bad_unknown_call: EXIT 32
bad_result:	 EXIT 33

/* rax = a guest-physical address a hostile guest would try. */
pick_pointer:
	call rand
	mov %rax, %rcx
	shr $8, %rcx
	and $0xfff, %ecx		/* a small offset */
	and $7, %eax
	cmp $0, %eax
	je rand				/* 64 random bits (tail call) */
	cmp $1, %eax
	jne 1f
	mov $RAM_END, %eax		/* just below the end of RAM */
	sub %rcx, %rax
	ret
1:	cmp $2, %eax
	jne 2f
	mov $HOLE_START, %eax		/* in the MMIO hole */
	add %rcx, %rax
	ret
2:	cmp $3, %eax
	jne 3f
	xor %eax, %eax			/* wrapping around 2^64 */
	sub %rcx, %rax
	ret
3:	cmp $6, %eax
	jne 4f
	mov $RAM_END, %eax		/* just past the end */
	add %rcx, %rax
	ret
4:	cmp $7, %eax
	jne 5f
	xor %eax, %eax
	ret
5:	lea scratch(%rip), %rax		/* a real buffer (NEGOTIATE writes) */
	and $0x7ff, %ecx
	add %rcx, %rax
	ret

/* rax = a length (or a count) a hostile guest would try. */
pick_length:
	call rand
	mov %rax, %rcx
	shr $8, %rcx
	and $7, %eax
	cmp $0, %eax
	je rand
	cmp $1, %eax
	jne 1f
	mov %rcx, %rax
	and $0x3f, %eax
	ret
1:	cmp $2, %eax
	jne 2f
	mov $0x10000, %eax		/* the largest console write */
	ret
2:	cmp $3, %eax
	jne 3f
	mov $0x10001, %eax		/* one more */
	ret
3:	cmp $4, %eax
	jne 4f
	mov %rcx, %rax
	and $0xffff, %eax
	ret
4:	cmp $5, %eax
	jne 5f
	xor %eax, %eax
	ret
5:	cmp $6, %eax
	jne 6f
	mov $64, %eax			/* NEGOTIATE's limit ... */
	ret
6:	mov $65, %eax			/* ... and one more */
	ret

/* ---- b: 4 MiB through CONSOLE_WRITE ----------------------------------- */
mode_big_console:
	lea bigbuf(%rip), %rdi
	mov $0x10000, %ecx
	mov $'.', %al
	rep stosb
	movb $'\n', bigbuf+0xffff(%rip)
	mov $64, %r12d
1:	mov $HC_CONSOLE_WRITE, %eax
	lea bigbuf(%rip), %rdi
	mov $0x10000, %esi
	call *%r13
	cmp $0x10000, %rax
	jne bad_console_write
	dec %r12d
	jnz 1b
	PUTS msg_big_done
	EXIT 0
bad_console_write:
	EXIT 40

/* ---- u: 256 KiB through the UART with rep outsb ------------------------ */
mode_uart_flood:
	lea bigbuf(%rip), %rdi
	mov $4096, %ecx
	mov $'u', %al
	rep stosb
	movb $'\n', bigbuf+4095(%rip)
	mov $64, %r12d
1:	lea bigbuf(%rip), %rsi
	mov $4096, %ecx
	mov $COM1, %dx
	rep outsb
	dec %r12d
	jnz 1b
	PUTS msg_uart_done
	EXIT 0

/* ---- t, x: broken guests ----------------------------------------------- */
mode_triple:
	mov $0x500000000, %rsp		/* 20 GiB: not in the identity map */
	.globl pf_here
pf_here:
	push %rax
	EXIT 97

mode_noncanonical:
	mov $0x8000000000001000, %rax
	.globl gp_here
gp_here:
	jmp *%rax
	EXIT 96

/* ---- s: garbage exit status -------------------------------------------- */
mode_status:
	mov $HC_POWER_OFF, %eax
	mov $0x1234, %edi
	call *%r13
	cmp $EINVAL, %rax
	jne bad_power_off
	mov $0xf5, %dx			/* not at 0xf4: not an exit */
	mov $0x77, %al
	out %al, %dx
	mov $0xf6, %dx
	out %ax, %dx
	call rand
	mov %rax, %rbx
	PUTS msg_exit_value
	mov %rbx, %rax
	call put_hex
	PUTS msg_nl
	mov %ebx, %eax
	out %eax, $DEBUG_EXIT
	EXIT 95

/* ---- i: idle forever ---------------------------------------------------- */
mode_idle:
	PUTS msg_idle
	cli
1:	hlt
	jmp 1b

/* ---- e: stores the instruction emulator may not know -------------------- */
mode_emulation:
	mov %cr4, %rax
	or $0x600, %rax			/* OSFXSR | OSXMMEXCPT: SSE allowed */
	mov %rax, %cr4
	mov %cr0, %rax
	and $~0x4, %rax			/* EM off */
	or $0x2, %rax			/* MP on */
	mov %rax, %cr0
	mov $HOLE_START, %edi
	movzbl 1(%r14), %eax
	cmp $'1', %al
	je 1f
	cmp $'2', %al
	je 2f
	cmp $'3', %al
	je 3f
	.globl emul_here
emul_here:
	fxsave (%rdi)			/* KVM's emulator: "internal error" */
	jmp emul_done
1:	movdqu %xmm0, (%rdi)		/* these two it emulates */
	jmp emul_done
2:	movntdq %xmm0, (%rdi)
	jmp emul_done
3:	pinsrd $1, (%rdi), %xmm1	/* this one it does not */
emul_done:
	PUTS msg_emulated
	EXIT 0

/* ---- helpers ------------------------------------------------------------- */
/* Undo what random port writes did to COM1: DLAB off, loopback off. */
uart_reset:
	push %rax
	push %rdx
	mov $COM1 + 3, %dx
	mov $0x03, %al
	out %al, %dx
	mov $COM1 + 4, %dx
	out %al, %dx
	mov $COM1 + 1, %dx
	xor %al, %al
	out %al, %dx
	mov $COM1 + 2, %dx
	mov $0x07, %al
	out %al, %dx
	pop %rdx
	pop %rax
	ret

/* rax = next xorshift64 value; nothing else changes. */
rand:
	push %rdx
	mov rng(%rip), %rax
	mov %rax, %rdx
	shl $13, %rdx
	xor %rdx, %rax
	mov %rax, %rdx
	shr $7, %rdx
	xor %rdx, %rax
	mov %rax, %rdx
	shl $17, %rdx
	xor %rdx, %rax
	mov %rax, rng(%rip)
	pop %rdx
	ret

/* Print %rax as 16 hex digits; nothing changes. */
put_hex:
	push %rax
	push %rbx
	push %rcx
	push %rsi
	mov %rax, %rbx
	mov $16, %ecx
	lea hexdigits(%rip), %rsi
1:	rol $4, %rbx
	mov %ebx, %eax
	and $0xf, %eax
	movzbl (%rsi,%rax), %eax
	call uart_putc
	dec %ecx
	jnz 1b
	pop %rsi
	pop %rcx
	pop %rbx
	pop %rax
	ret

/* Print %al, waiting for THR empty. */
uart_putc:
	push %rax
	push %rdx
	mov %al, %ah
	mov $COM1_LSR, %dx
1:	in %dx, %al
	test $0x20, %al
	jz 1b
	mov $COM1, %dx
	mov %ah, %al
	out %al, %dx
	pop %rdx
	pop %rax
	ret

	UART_PUTS_FUNCTION

	.section .rodata
hexdigits:	.ascii "0123456789abcdef"
msg_seed:	.asciz "hostile: seed 0x"
msg_nl:		.asciz "\n"
msg_unknown_mode: .asciz "hostile: unknown mode\n"
msg_survived:	.asciz "hostile: survived 0x"
msg_port_accesses: .asciz " port accesses\n"
msg_mmio_accesses: .asciz " MMIO accesses\n"
msg_hc_ok:	.asciz "hostile: hypercalls ok=0x"
msg_hc_efault:	.asciz " efault=0x"
msg_hc_einval:	.asciz " einval=0x"
msg_hc_enosys:	.asciz " enosys=0x"
msg_big_done:	.asciz "hostile: 4 MiB written\n"
msg_uart_done:	.asciz "hostile: 256 KiB through the UART\n"
msg_exit_value:	.asciz "hostile: exit value 0x"
msg_idle:	.asciz "hostile: idle forever\n"
msg_emulated:	.asciz "hostile: emulated\n"

	.data
	.balign 8
rng:		.quad 0
hc_nr:		.quad 0
saved_rdx:	.quad 0
saved_r10:	.quad 0
cnt_ok:		.quad 0
cnt_efault:	.quad 0
cnt_einval:	.quad 0
cnt_enosys:	.quad 0

	.bss
	.balign 4096
scratch:	.skip 4096
bigbuf:		.skip 0x10000
	STACK stack_top
