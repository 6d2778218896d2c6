/*
 * uart_irq: the 16550's interrupt reaches the guest through KVM's in-kernel
 * irqchip.  The guest programs the 8259 PIC (IRQ 0-7 -> vectors 0x20-0x27,
 * only IRQ 4 unmasked; KVM's LAPIC starts in virtual-wire mode), installs an
 * IDT gate for vector 0x24, enables the THR-empty interrupt, which the UART
 * raises at once, and halts.  The handler acknowledges the UART (reads IIR)
 * and the PIC (EOI).  Prints "irq 4 delivered" and exits 0; if the
 * interrupt never comes, the guest sleeps until --timeout.
 */
#include "guest.inc"
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define VECTOR    0x24

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	lea stack_top(%rip), %rsp

	IDT_GATE idt, VECTOR, irq_handler
	lea idt(%rip), %rax
	mov %rax, idt_base(%rip)
	lidt idt_desc(%rip)

	/* 8259 PIC: ICW1-4 for both, then the masks. */
	mov $0x11, %al
	out %al, $PIC1_CMD
	out %al, $PIC2_CMD
	mov $0x20, %al
	out %al, $PIC1_DATA
	mov $0x28, %al
	out %al, $PIC2_DATA
	mov $0x04, %al
	out %al, $PIC1_DATA
	mov $0x02, %al
	out %al, $PIC2_DATA
	mov $0x01, %al
	out %al, $PIC1_DATA
	out %al, $PIC2_DATA
	mov $0xef, %al			/* only IRQ 4 */
	out %al, $PIC1_DATA
	mov $0xff, %al
	out %al, $PIC2_DATA

	/* THR is empty, so enabling its interrupt raises IRQ 4 now. */
	mov $0x3f9, %dx
	mov $0x02, %al
	out %al, %dx
	sti
1:	hlt
	cmpl $0, irq_count(%rip)
	je 1b
	cli
	mov $0x3f9, %dx			/* no more interrupts */
	xor %eax, %eax
	out %al, %dx
	PUTS delivered
	EXIT 0

irq_handler:
	push %rax
	push %rdx
	mov $0x3fa, %dx			/* IIR: acknowledges THR empty */
	in %dx, %al
	incl irq_count(%rip)
	mov $0x20, %al			/* EOI */
	out %al, $PIC1_CMD
	pop %rdx
	pop %rax
	iretq

	UART_PUTS_FUNCTION
	.section .rodata
delivered:	.asciz "irq 4 delivered\n"
	.data
	.balign 16
idt:	.skip 256 * 16
idt_desc:
	.word 256 * 16 - 1
idt_base:
	.quad 0
irq_count:
	.long 0
	STACK stack_top
