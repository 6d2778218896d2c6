/* SPDX-License-Identifier: MIT */
/*
 * pvxen_abi.h - the contract between pvkit and pvxen, the small hypervisor
 * pvkit runs inside the VM to play Xen for a Xen PV guest (docs/xen-pv.md).
 *
 * pvxen is a flat binary linked at PVXEN_LINK_ADDRESS.  pvkit loads it at
 * guest-physical `hv_base` + PVXEN_IMAGE_OFFSET (the top of low RAM, outside
 * the domain's frames), maps the whole hypervisor area at PVXEN_VIRT_BASE
 * (PML4 slot 257, U set) and all guest RAM at PVXEN_DIRECT_MAP (slot 258),
 * fills the boot block the header points at, and starts the vCPU in user
 * mode at `trampoline` with MSR_LSTAR = `syscall_entry`.
 *
 * pvxen reaches pvkit through pvkit's hypercall ABI (abi/pvkit_abi.h): RAX =
 * call number, RDI/RSI/RDX/R10 = arguments, written to the pvm-mode MMIO
 * doorbell (an unbacked guest-physical address; see host/pvm_mode.h).
 *
 * Freestanding: only <stdint.h>.
 */
#ifndef PVKIT_PVXEN_ABI_H
#define PVKIT_PVXEN_ABI_H

/* Xen's selectors for a 64-bit PV guest, in pvxen's GDT (entries 0xe000+). */
#define PVXEN_SEL_HV_CS	  0xe008 /* syscall target CS (STAR[47:32]) */
#define PVXEN_SEL_HV_DS	  0xe010
#define PVXEN_SEL_SYSRET  0xe020 /* STAR[63:48]: user CS32 0xe023, SS 0xe02b, CS64 0xe033 */
#define PVXEN_SEL_USER_CS 0xe033 /* FLAT_RING3_CS64 */
#define PVXEN_SEL_USER_DS 0xe02b /* FLAT_RING3_DS64 / SS64 */
#define PVXEN_SEL_TSS	  0xe040
/*
 * The selectors the hardware runs the guest with: the host's own user
 * selectors.  An `iretq` to anything else takes this host's slow path
 * (measured: a hypercall round trip costs 5.2 us with 0xe033/0xe02b, 1.2 us
 * with these).  pvxen keeps GDT entries 5 and 6 for them (they are Linux's
 * __USER_DS and __USER_CS anyway); guests see Xen's selectors in frames.
 */
#define PVXEN_SEL_HW_CS 0x33
#define PVXEN_SEL_HW_DS 0x2b
#define PVXEN_MAGIC	0x6e6578765076 /* "vPvxen" */
/* The event channels start_info names: pvkit's ends of xenstore and the console. */
#define PVXEN_STORE_EVTCHN   1
#define PVXEN_CONSOLE_EVTCHN 2

#ifndef __ASSEMBLY__
#include <stdint.h>

#define PVXEN_VIRT_BASE	 0xffff808000000000ull /* slot 257: the hypervisor area */
#define PVXEN_DIRECT_MAP 0xffff810000000000ull /* slot 258: guest RAM by physical address */
/*
 * Slot 259: Xen's read-only machine-to-phys table, kept in the second 2 MiB
 * of the hypervisor area.  Xen's own place for it, slot 256, is this host's
 * (PLATFORM.md): XENMEM_machphys_mapping points guests here, and pvxen
 * emulates reads at the old address for guests that never ask (XTF).
 */
#define PVXEN_M2P	    0xffff818000000000ull
#define PVXEN_M2P_LEGACY    0xffff800000000000ull
#define PVXEN_M2P_OFFSET    (2ull << 20)
#define PVXEN_M2P_MAX_PAGES ((2ull << 20) / 8)
#define PVXEN_IMAGE_OFFSET  0x1000ull /* after the shared_info page */
#define PVXEN_LINK_ADDRESS  (PVXEN_VIRT_BASE + PVXEN_IMAGE_OFFSET)
/* A 2 MiB window onto the LAPIC page's neighbourhood, where the pvm-mode
 * hypercall doorbell (an unbacked address, host/pvm_mode.h) lies. */
#define PVXEN_MMIO_WINDOW     0xffff808040000000ull
#define PVXEN_MMIO_WINDOW_GPA 0xfee00000ull
#define PVXEN_DOORBELL_GPA    0xfefff000ull
#define PVXEN_DOORBELL_VA     (PVXEN_MMIO_WINDOW + (PVXEN_DOORBELL_GPA - PVXEN_MMIO_WINDOW_GPA))

/* At offset 0 of the image. */
struct pvxen_header {
	uint64_t magic;		/* PVXEN_MAGIC */
	uint64_t syscall_entry; /* -> MSR_LSTAR */
	uint64_t trampoline;	/* first RIP, in user mode: `syscall` */
	uint64_t boot_stack;	/* first RSP */
	uint64_t idt, gdt, tss; /* virtual addresses of the CPU tables */
	uint32_t gdt_limit, idt_limit;
	uint64_t boot;	    /* virtual address of the struct pvxen_boot to fill */
	uint64_t image_end; /* end of the image, .bss included (virtual) */
};

/* What pvkit tells pvxen about the domain, before the first instruction. */
struct pvxen_boot {
	uint64_t hv_base;		   /* guest-physical address of PVXEN_VIRT_BASE */
	uint64_t hv_size;		   /* bytes of the hypervisor area */
	uint64_t ram_end;		   /* guest-physical end of RAM below 4 GiB */
	uint64_t nr_pages;		   /* the domain's frames */
	uint64_t entry, stack, start_info; /* the domain's RIP, RSP, RSI */
	uint64_t cr3;			   /* the domain's first L4 (guest-physical) */
	uint64_t hv_l4e[3];		   /* the L4 entries for slots 257, 258 and 259 (the M2P) */
	uint64_t shared_info;		   /* guest-physical */
	uint64_t console_pfn, store_pfn;
	uint64_t tsc_khz; /* 0: unknown */
	uint64_t flags;	  /* PVXEN_BOOT_* */
};
/* Name every hypercall and exception on stderr (pvkit --debug). */
#define PVXEN_BOOT_TRACE 1u
/* `--isolation off`: guest user mode runs on its kernel's page tables, not
 * on the user base pointer's: no CR3 load per transition, and no isolation
 * of user processes from the kernel (docs/xen-pv.md). */
#define PVXEN_BOOT_NO_ISOLATION 2u
/* At poweroff, check the page types against the page tables and name what
 * does not match on stderr (PVKIT_XEN_CHECK=1; tests/boot/linux_xen.sh). */
#define PVXEN_BOOT_CHECK 4u

/*
 * pvkit hypercalls pvxen adds (numbers far above pvkit's own):
 * SHUTDOWN ends the run: rdi = PVKIT_SHUTDOWN_*, rsi/rdx = gpa and length of
 * a reason (may be 0) that pvkit prints on stderr.  LOG prints rsi bytes at
 * gpa rdi on stderr (what pvxen refuses, named once).
 */
#define PVKIT_HC_SHUTDOWN 16u
#define PVKIT_HC_LOG	  17u
/* CONSOLE_READ: up to rsi bytes of console input to gpa rdi; returns how
 * many (0: none waiting).  For the domain's console ring. */
#define PVKIT_HC_CONSOLE_READ	18u
#define PVKIT_SHUTDOWN_POWEROFF 0u /* pvkit exits 0 */
#define PVKIT_SHUTDOWN_REBOOT	1u /* pvkit exits EXIT_STATUS_GUEST_REBOOT */
#define PVKIT_SHUTDOWN_CRASH	3u /* pvkit exits EXIT_STATUS_GUEST_CRASH */

#endif /* __ASSEMBLY__ */
#endif
