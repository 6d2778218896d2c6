// SPDX-License-Identifier: MIT
/*
 * user_view.c - what of pvxen a guest user L4 maps: slot 257 pointing at
 * three tables of pvxen's own, which map only
 *
 *   .entry.text   U, read-only   the first instructions of `syscall`
 *   .bss.entry    U, read-only   xen_in_user, which they test
 *   .bss.scratch  U, writable    where they keep the user's own R11
 *   .cpl0.text    supervisor     the IDT stubs and the way out to user mode
 *   .bss.cpl0     supervisor     GDT, TSS, CPL0 stack, the CR3 words, and at
 *                                the IDT's address the user IDT
 *   LAPIC window  supervisor     for the timer stub's EOI (PVXEN_MMIO_WINDOW)
 *
 * and nothing of slots 258 (the direct map of guest RAM) and 259 (the M2P).
 * On this host guest user mode and pvxen both run in hardware user mode,
 * so the U bit keeps user code away from supervisor pages but not from
 * anything pvxen itself runs on: hence separate L4s, switched on every
 * transition (xen/entry.S).  The supervisor pages are for the CPU (event
 * delivery reads the IDT, GDT and TSS through the live L4) and the
 * emulated CPL0 stubs, which run on the user view until they have loaded
 * the kernel's L4, or after they have loaded the user's.
 */
#include "pvxen.h"

extern uint8_t __entry_text_start[], __entry_text_end[], __cpl0_text_start[], __cpl0_text_end[];
extern uint8_t __entry_bss_start[], __entry_bss_end[], __cpl0_bss_start[], __cpl0_bss_end[];
extern uint8_t __scratch_bss_start[], __scratch_bss_end[];
extern uint8_t xen_idt[], xen_user_idt[];

static uint64_t user_l3[512] __attribute__((aligned(4096)));
static uint64_t user_l2[512] __attribute__((aligned(4096)));
static uint64_t user_l1[512] __attribute__((aligned(4096)));
static uint64_t user_l2_mmio[512] __attribute__((aligned(4096)));

/* The L4 entry for slot 257 on user L4s (mm.c). */
uint64_t user_view_l4e;

static void map_range(const uint8_t *start, const uint8_t *end, uint64_t flags)
{
	for (const uint8_t *p = start; p < end; p += PAGE_SIZE) {
		uint64_t index = ((uint64_t)p - PVXEN_VIRT_BASE) / PAGE_SIZE;
		if (index >= 512)
			xen_crash("pvxen: 0x%llx is beyond the user view's one L1",
				  (unsigned long long)(uint64_t)p);
		user_l1[index] = hv_gpa(p) | flags;
	}
}

void user_view_init(void)
{
	map_range(__entry_text_start, __entry_text_end, PTE_P | PTE_U);
	map_range(__entry_bss_start, __entry_bss_end, PTE_P | PTE_U | PTE_NX);
	map_range(__scratch_bss_start, __scratch_bss_end, PTE_P | PTE_RW | PTE_U | PTE_NX);
	map_range(__cpl0_text_start, __cpl0_text_end, PTE_P);
	map_range(__cpl0_bss_start, __cpl0_bss_end, PTE_P | PTE_RW | PTE_NX);
	uint64_t idt = ((uint64_t)xen_idt - PVXEN_VIRT_BASE) / PAGE_SIZE;
	user_l1[idt] = hv_gpa(xen_user_idt) | PTE_P | PTE_NX;
	user_l1[((uint64_t)xen_user_idt - PVXEN_VIRT_BASE) / PAGE_SIZE] = 0;
	user_l2[0] = hv_gpa(user_l1) | PTE_P | PTE_RW | PTE_U;
	user_l3[0] = hv_gpa(user_l2) | PTE_P | PTE_RW | PTE_U;
	user_l2_mmio[0] = PVXEN_MMIO_WINDOW_GPA | PTE_P | PTE_RW | PTE_PCD | PTE_PSE;
	user_l3[(PVXEN_MMIO_WINDOW - PVXEN_VIRT_BASE) >> 30] =
	    hv_gpa(user_l2_mmio) | PTE_P | PTE_RW;
	user_view_l4e = hv_gpa(user_l3) | PTE_P | PTE_RW | PTE_U;
}
