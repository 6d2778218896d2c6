/* SPDX-License-Identifier: MIT */
/*
 * layout.h - guest-physical (= guest-virtual, identity-mapped) layout of the
 * PVM experiment VM, shared by the host harness (C) and the guest code (.S).
 *
 * The guest code is assembled into the host binary and copied to
 * PVM_GUEST_CODE; it is position independent, and it reaches the fixed pages
 * below by absolute 32-bit addresses (plain numbers, so no relocations).
 */
#ifndef PVM_LAYOUT_H
#define PVM_LAYOUT_H

#define PVM_MEM_SIZE 0x400000 /* one memslot: 4 MiB of RAM at GPA 0 */

/* Page tables, set A (the normal one) and set B (differs only at MARKER). */
#define PVM_PML4_A 0x1000
#define PVM_PDPT_A 0x2000
#define PVM_PD_A   0x3000
#define PVM_PT_A   0x4000
#define PVM_PML4_B 0xc000
#define PVM_PDPT_B 0xd000
#define PVM_PD_B   0xe000
#define PVM_PT_B   0xf000

/*
 * An upper-half window, like a PIE kernel's: VA PVM_HIGH maps the 2 MiB at
 * GPA 0x200000 WITHOUT the U bit, PVM_HIGH + 2 MiB maps the same frames with
 * U set.  PML4 slot 511 in both page-table sets; slot 256 (PVM_HIGH_256)
 * points to the same tables.
 */
#define PVM_PDPT_HI  0x11000
#define PVM_PD_HI    0x12000
#define PVM_HIGH     0xffffff8000000000
#define PVM_HIGH_256 0xffff800000000000
/* The same tables at slots where a 64-bit Xen PV guest lives: 257 (pvxen),
 * 273 (Linux's direct map), 402 (its vmalloc area). */
#define PVM_HIGH_257 0xffff808000000000
#define PVM_HIGH_273 0xffff888000000000
#define PVM_HIGH_402 0xffffc90000000000

#define PVM_GDT	 0x5000
#define PVM_TSS	 0x5800
#define PVM_IDT	 0x6000
#define PVM_DATA 0x7000 /* results, per-CPU scratch, host parameters */
/* A page mapped WITHOUT the U bit: supervisor-only. */
#define PVM_SUPERVISOR_PAGE 0x8000
/* A page whose address may be handed to MSR 0x4b564d10 (PVCS candidate). */
#define PVM_PVCS_PAGE 0x9000
/* VA PVM_MARKER maps GPA PVM_MARKER in set A and GPA PVM_MARKER_B in set B. */
#define PVM_MARKER	   0xa000
#define PVM_MARKER_B	   0x10000
#define PVM_MARKER_A_VALUE 0xaaaa
#define PVM_MARKER_B_VALUE 0xbbbb

#define PVM_GUEST_CODE	     0x20000 /* up to 64 KiB of guest code */
#define PVM_GUEST_CODE_MAX   0x10000
#define PVM_USER_STACK_TOP   0x40000
#define PVM_KERNEL_STACK_TOP 0x50000 /* syscall-entered kernel context */
#define PVM_KERNEL_STACK_LOW 0x48000
#define PVM_EXC_STACK_TOP    0x60000 /* TSS.RSP0: where the CPU pushes frames */
#define PVM_IST_STACK_TOP    0x5c000 /* TSS.IST1, inside the exception stack */
/* Iterations the native probing handler spins (guest.S). */
#define PVM_PROBE_SPIN 1000

/* Gaps seen by the detour loop: up to PVM_GAPS_MAX qwords (2 MiB page). */
#define PVM_GAPS     0x200000
#define PVM_GAPS_MAX 65536

/*
 * Unbacked guest-physical addresses, mapped with U set: a store there is an
 * MMIO exit to the host.  DOORBELL: "results are in PVM_DATA, stop".
 */
#define PVM_DOORBELL 0x400000
/*
 * The local APIC (GPA 0xfee00000) is mapped at this low virtual address, so
 * that CPL0 handlers can reach its EOI register with a 32-bit absolute address.
 */
#define PVM_LAPIC_GPA	 0xfee00000
#define PVM_LAPIC_VA	 0x600000
#define PVM_LAPIC_EOI	 (PVM_LAPIC_VA + 0xb0)
#define PVM_TIMER_VECTOR 0x40
#define PVM_SOFT_VECTOR	 0x80 /* `int $n` tried by experiment 9 */

/* Port written by the catch-all exception handler (runs at CPL0). */
#define PVM_PORT_UNEXPECTED 0xe9

/* Selectors (the layout Linux uses, which this host's PVM expects). */
#define PVM_KERNEL_CS 0x08
#define PVM_KERNEL_DS 0x10
#define PVM_USER32_CS 0x23
#define PVM_USER_DS   0x2b
#define PVM_USER_CS   0x33
#define PVM_TSS_SEL   0x38

/* PVM_DATA layout (byte offsets are added to PVM_DATA). */
#define D_RESULT(n)  (PVM_DATA + 8 * (n)) /* 16 results written by the guest */
#define D_IN_KERNEL  (PVM_DATA + 0x80)	  /* 1 while in syscall-entered kernel */
#define D_SAVE_RCX   (PVM_DATA + 0x88)
#define D_SAVE_R11   (PVM_DATA + 0x90)
#define D_SAVE_RSP   (PVM_DATA + 0x98)
#define D_PEND_VEC   (PVM_DATA + 0xa0)		  /* vector bounced from an IDT stub */
#define D_EXC_RIP    (PVM_DATA + 0xa8)		  /* RIP saved by an IDT stub */
#define D_COUNT	     (PVM_DATA + 0xb0)		  /* interrupts/exceptions handled */
#define D_KCOUNT     (PVM_DATA + 0xb8)		  /* ... classified as from kernel */
#define D_UCOUNT     (PVM_DATA + 0xc0)		  /* ... classified as from user */
#define D_MISCLASS   (PVM_DATA + 0xc8)		  /* flag and RSP range disagreed */
#define D_NESTED     (PVM_DATA + 0xd0)		  /* LSTAR entered while in kernel */
#define D_UD_COUNT   (PVM_DATA + 0xd8)		  /* #UDs counted (and skipped) */
#define D_GATE_CS    (PVM_DATA + 0xe0)		  /* CS seen by a probing handler */
#define D_GATE_RSP   (PVM_DATA + 0xe8)		  /* RSP seen by a probing handler */
#define D_PARAM(n)   (PVM_DATA + 0x100 + 8 * (n)) /* set by the host */
#define D_UNEXPECTED (PVM_DATA + 0x180)		  /* vector, 7 qwords of stack, CR2 */
#define D_FRAMES     (PVM_DATA + 0x200)		  /* records of recording handlers */
#define D_FRAME_SIZE 48

/* Host parameters (D_PARAM slots). */
#define P_TRAMP	 0 /* guest address of the bounce trampoline */
#define P_RESUME 1 /* where a recording #PF/#GP handler resumes */
#define P_CR3_A	 2
#define P_CR3_B	 3
#define P_ARG	 4
#define P_NR	 5 /* a hypercall number to try */

#endif
