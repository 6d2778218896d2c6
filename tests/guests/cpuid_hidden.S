/*
 * cpuid_hidden: which CPU features whose instructions KVM's emulator lacks
 * the guest still sees.  Exit status: bit 0 CX16, bit 1 POPCNT, bit 2 SMAP,
 * bit 3 RDTSCP, bit 4 MONITOR (set = visible).
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	xor %r8d, %r8d
	mov $1, %eax
	xor %ecx, %ecx
	cpuid
	bt $13, %ecx
	jnc 1f
	or $1, %r8d
1:	bt $23, %ecx
	jnc 1f
	or $2, %r8d
1:	bt $3, %ecx
	jnc 1f
	or $16, %r8d
1:	mov $7, %eax
	xor %ecx, %ecx
	cpuid
	bt $20, %ebx
	jnc 1f
	or $4, %r8d
1:	mov $0x80000001, %eax
	cpuid
	bt $27, %edx
	jnc 1f
	or $8, %r8d
1:	mov %r8d, %eax
	out %al, $DEBUG_EXIT
2:	hlt
	jmp 2b
