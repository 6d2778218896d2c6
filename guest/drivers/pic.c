/* SPDX-License-Identifier: MIT */
/*
 * pic.c - the legacy 8259 pair.  The BIOS leaves them delivering IRQ 0 at
 * vector 8 (SeaBIOS' 18.2 Hz tick), which would look like a double fault
 * the moment interrupts are enabled.  Remap them to 0x20-0x2f (ICW2) and
 * mask every line: pvkernel's interrupts come from the local APIC.
 */
#include "drivers.h"
#include "x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

void pic_disable(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: init, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 0x20); /* ICW2: vector base */
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff); /* mask all */
	outb(PIC2_DATA, 0xff);
}
