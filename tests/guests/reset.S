/* reset: asks the i8042 to pulse the reset line, as Linux's reboot does. */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	mov $0xfe, %al
	out %al, $0x64
	EXIT 99
