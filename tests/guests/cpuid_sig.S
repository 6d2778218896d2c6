/*
 * cpuid_sig: reports who answers at CPUID 0x40000000 through its exit
 * status: 0x10 pvkit, 0x20 KVM, 0x30 anything else.  With pvkit's leaves
 * it also checks KVM's moved base leaf (0x40000100): 0x11 if it is not
 * "KVMKVMKVM" with EAX moved along.
 */
#include "guest.inc"
	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	mov $0x40000000, %eax
	cpuid
	cmp $0x696b7670, %ebx		/* "pvki" */
	je pvkit
	cmp $0x4b4d564b, %ebx		/* "KVMK" */
	je kvm
	EXIT 0x30
kvm:	EXIT 0x20
pvkit:	mov $0x40000100, %eax
	cpuid
	cmp $0x4b4d564b, %ebx
	jne bad_kvm
	cmp $0x40000100, %eax
	jb bad_kvm
	cmp $0x400001ff, %eax
	ja bad_kvm
	EXIT 0x10
bad_kvm:
	EXIT 0x11
