/* exit_status: a 2-byte write of 0x1234 to the debug exit port: status 0x34. */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	mov $0x1234, %ax
	out %ax, $DEBUG_EXIT
	/* Not reached: pvkit stops at the write. */
	EXIT 99
