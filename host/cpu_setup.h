/* SPDX-License-Identifier: MIT */
/*
 * cpu_setup.h - the CPU state a kernel expects at its entry point.
 *
 * The boot loader (boot/) decides where to enter and in which mode; this
 * file builds what that mode needs in guest memory and in the vCPU:
 *
 *  BOOT_CPU_LONG64 (Linux's 64-bit boot protocol): a GDT at LAYOUT_GDT with
 *  flat 64-bit code at 0x10 and data at 0x18 (__BOOT_CS/__BOOT_DS), an
 *  identity map of the low 4 GiB with 2 MiB pages (PML4/PDPT/PDs at
 *  LAYOUT_PML4..), CR0 PE|PG (+MP|ET|NE|WP), CR4.PAE, EFER LME|LMA,
 *  interrupts off, RIP/RSI/RSP/RBX from the entry.
 *
 *  BOOT_CPU_PROTECTED32 (PVH): flat 32-bit code at 0x08 and data at 0x18,
 *  CR0.PE only (paging off), EBX = start_info, interrupts off.
 *
 *  BOOT_CPU_PVM (pvm mode, host/pvm_mode.h): as LONG64 but at CPL3 (CS
 *  0x33, SS 0x2b) on the trampoline, every page with U set, EFER.SCE,
 *  MSR_STAR/LSTAR/SYSCALL_MASK for `syscall` into the kernel, and IDTR on
 *  the kernel's IDT (from its PVM note).
 *
 * The same GDT also has DPL-3 segments (user data 0x2b, 64-bit user code
 * 0x33, the layout `syscall`/`sysret` want) and a 64-bit TSS, which the
 * probe's user-mode guests use; a kernel replaces the GDT early anyway.
 */
#ifndef PVKIT_HOST_CPU_SETUP_H
#define PVKIT_HOST_CPU_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/guest_memory.h"
#include "boot/loader.h"
#include "vcpu.h"

#define GDT_SEL_CODE32	 0x08
#define GDT_SEL_CODE64	 0x10 /* __BOOT_CS */
#define GDT_SEL_DATA	 0x18 /* __BOOT_DS */
#define GDT_SEL_USER32	 0x20 /* 32-bit user code, DPL 3 (sysret's CS-16 slot) */
#define GDT_SEL_USERDATA 0x28 /* selector 0x2b with RPL 3 */
#define GDT_SEL_USER64	 0x30 /* selector 0x33 with RPL 3 */
#define GDT_SEL_TSS	 0x38 /* 16-byte descriptor */
#define GDT_ENTRIES	 9
#define TSS_ADDR	 (LAYOUT_GDT + 0x80) /* 104-byte 64-bit TSS after the GDT */
#define TSS_LIMIT	 0x67

/*
 * Write the GDT, the TSS and the identity page tables into guest memory.
 * `user_pages`: set the U/S bit in every level, so CPL3 code may run on
 * the identity map (the probe's guests, pvm mode).  -1 if memory is too
 * small.
 */
int cpu_setup_tables(struct guest_memory *mem, bool user_pages);

/* Load the vCPU registers (and MSRs) for the entry mode chosen by the loader. */
int cpu_setup_entry(struct vcpu *vcpu, const struct boot_entry *entry);

/* Start the vCPU in 64-bit user mode (CS 0x33, SS 0x2b) at rip/rsp. */
int cpu_setup_user64(struct vcpu *vcpu, uint64_t rip, uint64_t rsp);

/* MSR_STAR, MSR_LSTAR and MSR_SYSCALL_MASK for a kernel entered by `syscall`. */
int cpu_setup_syscall_msrs(struct vcpu *vcpu, uint64_t star, uint64_t lstar);

/* Build the kvm_sregs for an entry mode (for tests and for the above);
 * BOOT_CPU_PVM and `user_mode` start at CPL3.  IDTR is left empty. */
void cpu_setup_sregs(struct kvm_sregs *sregs, enum boot_cpu_mode mode, bool user_mode);

#endif
