/* SPDX-License-Identifier: MIT */
/*
 * pvkit_abi.h - the contract between a pvkit guest and the pvkit VMM.
 *
 * This is the only header the guest kernel and the host share (besides the
 * freestanding boot-format headers in boot/).  Everything in it is ABI: once a
 * version is released, its numbers and layouts never change.  New things are
 * added, never altered, and a guest learns about them through feature
 * negotiation, so that a guest built against v1 keeps booting on every later
 * host ("needing to uprev a guest when you uprev a host is not acceptable").
 *
 * docs/abi.md explains the reasons behind each item.
 *
 * Freestanding: only <stdint.h>, which the compiler provides even with
 * -ffreestanding.
 */
#ifndef PVKIT_ABI_H
#define PVKIT_ABI_H

#include <stdint.h>

/* ---- Discovery: CPUID ---------------------------------------------------
 *
 * Leaf 0x40000000: EAX = highest pvkit leaf, EBX:ECX:EDX = "pvkitpvkitpv".
 * pvkit moves KVM's own leaves (signature "KVMKVMKVM") to 0x40000100, where
 * Linux's hypervisor scan still finds them.
 */
#define PVKIT_CPUID_SIGNATURE 0x40000000u
#define PVKIT_CPUID_SIG_EBX   0x696b7670u /* "pvki" */
#define PVKIT_CPUID_SIG_ECX   0x6b767074u /* "tpvk" */
#define PVKIT_CPUID_SIG_EDX   0x76707469u /* "itpv" */
/*
 * Leaf 0x40000001: EAX = ABI version (major << 16 | minor),
 *                  EBX = feature bits (PVKIT_FEATURE_*),
 *                  ECX = guest-physical page number of the hypercall page,
 *                  EDX = guest-physical page number of the time page.
 */
#define PVKIT_CPUID_INFO     0x40000001u
#define PVKIT_CPUID_MAX_LEAF PVKIT_CPUID_INFO
/* Where KVM's leaves live when pvkit owns 0x40000000. */
#define PVKIT_CPUID_KVM_BASE 0x40000100u

#define PVKIT_ABI_VERSION_MAJOR 1u
#define PVKIT_ABI_VERSION_MINOR 0u
#define PVKIT_ABI_VERSION	((PVKIT_ABI_VERSION_MAJOR << 16) | PVKIT_ABI_VERSION_MINOR)

/* Feature bits in leaf 0x40000001 EBX: what this host offers. */
#define PVKIT_FEATURE_HYPERCALL (1u << 0) /* the hypercall page is filled */
#define PVKIT_FEATURE_TIME_PAGE (1u << 1) /* the time page is kept */
#define PVKIT_FEATURE_CONSOLE	(1u << 2) /* PVKIT_HC_CONSOLE_WRITE */
#define PVKIT_FEATURE_NEGOTIATE (1u << 3) /* PVKIT_HC_NEGOTIATE */

/* ---- Boot: hardware_subarch ---------------------------------------------
 *
 * boot_params.hdr.hardware_subarch is the "type field in the boot param
 * area" of the 2007 threads.  Linux uses 0..4 (PC, lguest, Xen, Intel MID,
 * CE4100) and ignores values it does not know on x86-64.  pvkit takes a
 * value far from that dense range so that Linux never grows into it:
 * ASCII "PVK".
 */
#define PVKIT_HARDWARE_SUBARCH 0x0050564bu

/* ---- Boot: pvkit's ELF notes ---------------------------------------------
 *
 * A kernel says what it understands with ELF notes named "pvkit" (Xen's
 * notes, such as the PVH entry, are in boot/pvh.h).  Every pvkit note type
 * is defined here:
 *
 * PVKIT_ELFNOTE_ABI: the image speaks pvkit's ABI, so pvkit names itself in
 * boot_params' hardware_subarch by default.  Descriptor: the 32-bit ABI
 * version the image was built against (PVKIT_ABI_VERSION's encoding).
 *
 * PVKIT_ELFNOTE_PVM: the kernel can run deprivileged (see "PVM mode" below).
 */
#define PVKIT_ELFNOTE_NAME "pvkit"
#define PVKIT_ELFNOTE_ABI  1u
#define PVKIT_ELFNOTE_PVM  2u

/* ---- Transport: the hypercall page --------------------------------------
 *
 * pvkit fills one 4 KiB page with the instruction sequence that reaches the
 * VMM on this host, so the guest never hard-codes vmcall, vmmcall or an I/O
 * port.  A guest calls offset 0 of the page like a function:
 *
 *	RAX = call number, RDI, RSI, RDX, R10 = arguments
 *	call *hypercall_page
 *	RAX = status: >= 0 success (call-specific), < 0 a PVKIT_E* error
 *
 * Every other register is preserved.  The page is read-only for the guest
 * by convention and reserved in the memory map.
 */
#define PVKIT_HYPERCALL_ENTRY 0x0

/* Call numbers.  Never reused, never renumbered. */
#define PVKIT_HC_NEGOTIATE     0u /* rdi = gpa of pvkit_tag[], rsi = count */
#define PVKIT_HC_CONSOLE_WRITE 1u /* rdi = gpa of bytes, rsi = length */
#define PVKIT_HC_POWER_OFF     2u /* rdi = exit status (0..255); no return */
#define PVKIT_HC_CLOCK	       3u /* rdi = PVKIT_CLOCK_*; returns nanoseconds */
#define PVKIT_HC_HALT	       4u /* rdi = monotonic deadline ns (0: none) */
#define PVKIT_HC_COUNT	       5u

/* Limits: a console write carries at most this many bytes per call. */
#define PVKIT_CONSOLE_WRITE_MAX 65536u

/* Statuses (negative, in RAX). */
#define PVKIT_OK     0
#define PVKIT_ENOSYS (-38) /* unknown call number */
#define PVKIT_EINVAL (-22) /* an argument is out of range */
#define PVKIT_EFAULT (-14) /* a guest-physical range is not RAM */

#define PVKIT_CLOCK_MONOTONIC 0u /* ns since the VM started */
#define PVKIT_CLOCK_REALTIME  1u /* ns since 1970-01-01 UTC */

/* PVKIT_HC_HALT returns why it ended (docs/abi.md). */
#define PVKIT_HALT_DEADLINE 0 /* the deadline passed (or was already past) */
#define PVKIT_HALT_EVENT    1 /* woken early by a host event (console input) */

/* ---- Feature negotiation: tagged values ---------------------------------
 *
 * The guest passes an array of tags, each with the value it would like.  The
 * host answers in place: PVKIT_TAG_ACCEPTED with the value it will use, or
 * PVKIT_TAG_UNKNOWN for tags it does not know (a newer guest on an older
 * host), which the guest must treat as "feature absent".  The call returns
 * the number of accepted tags.
 */
struct pvkit_tag {
	uint32_t tag;
	uint32_t flags; /* written by the host */
	uint64_t value; /* in: requested, out: granted */
};

#define PVKIT_TAG_ACCEPTED (1u << 0)
#define PVKIT_TAG_UNKNOWN  (1u << 1)

/* Tags of v1. */
#define PVKIT_TAG_ABI_VERSION 1u /* value: guest's ABI version; out: host's */
#define PVKIT_TAG_CONSOLE     2u /* value: 1 = use the console call */
#define PVKIT_TAG_TIME_PAGE   3u /* value: ignored; out: time page gpa */
#define PVKIT_TAG_HALT	      4u /* value: 1 = guest will use PVKIT_HC_HALT */

/* ---- Time: the shared time page -----------------------------------------
 *
 * pvkit keeps this structure at the start of the time page.  It is a seqlock:
 * read `sequence`, then the fields, then `sequence` again; retry if it was odd
 * or changed.  With the guest's TSC reading `tsc`:
 *
 *	ns = monotonic_base_ns + (((tsc - tsc_base) * tsc_to_ns_mul) >> tsc_shift)
 *
 * (128-bit product) and the wall clock is that plus realtime_offset_ns.
 * tsc_to_ns_mul is not always 2^tsc_shift * 1e6 / tsc_khz: read it.
 *
 * How good the readings are (added to ABI 1.0 in a field that was reserved,
 * so hosts from before it leave it 0 and guests from before it never look):
 * when max_error_ns is not 0, both readings are within max_error_ns of the
 * host clocks that PVKIT_HC_CLOCK reads at the moment of the update, and
 * from then on within
 *
 *	max_error_ns + (ns - monotonic_base_ns) * PVKIT_TIME_DRIFT_PPM / 1000000
 *
 * (the TSC's and the host clock's rates differ a little).  Such a host also
 * never publishes a page whose monotonic reading is earlier than that of
 * the page it replaces, at the moment it replaces it: the monotonic clock
 * never goes backwards.  max_error_ns 0 means "no bound given".
 *
 * Snapshots (added the same way, in a field hosts before it left 0):
 * `restores` counts the times the VM was resumed from a snapshot
 * (docs/snapshot.md).  Across a restore the monotonic clock goes on from
 * where it stopped (the time the snapshot was stored is not guest time,
 * as with a suspend), while the wall clock is the host's: so when
 * `restores` changes, realtime_offset_ns has stepped by the time the
 * snapshot was stored, and a guest that compares the two clocks over an
 * interval should not hold that against them.
 */
struct pvkit_time_page {
	uint32_t sequence;
	uint32_t tsc_shift;
	uint64_t tsc_base;
	uint64_t tsc_to_ns_mul;
	uint64_t monotonic_base_ns;
	uint64_t realtime_offset_ns; /* realtime = monotonic + this */
	uint64_t tsc_khz;
	uint64_t max_error_ns; /* 0: no bound given (a host before this field) */
	uint64_t restores;     /* times the VM was restored from a snapshot (below) */
	uint64_t reserved[8];
};

/* The most the time page's error grows, in ns per second since an update. */
#define PVKIT_TIME_DRIFT_PPM 200u

/* ---- PVM mode: the kernel deprivileged (docs/pvm-backend.md) -----------
 *
 * On a KVM host without VT-x/AMD-V (kvm_pvm), guest ring 0 is emulated but
 * code entered with `syscall` from guest user mode runs natively.  A kernel
 * that can run that way says so with the PVKIT_ELFNOTE_PVM note, whose
 * descriptor is two little-endian 64-bit addresses, both inside the loaded
 * image (pvkit runs it on an identity map, so they are physical too):
 *	[0] the syscall entry pvkit puts into MSR_LSTAR,
 *	[1] the kernel's IDT (256 gates, PVKIT_PVM_IDT_SIZE bytes), which pvkit
 *	    loads into IDTR so that exceptions have somewhere to go before the
 *	    kernel could lidt.
 * pvkit then starts the vCPU at CPL3 on a trampoline (`syscall`) in the
 * hypercall page, RSI = boot_params, and adds a setup_data entry of type
 * PVKIT_SETUP_PVM describing the mode.  That entry also carries what
 * CPUID 0x40000001 says elsewhere: in this mode CPUID is not intercepted
 * (it answers with the host CPU's own leaves), so pvkit's leaves are not
 * visible and the setup_data entry is the way to discover pvkit.
 */
#define PVKIT_PVM_IDT_SIZE (256u * 16u)
#define PVKIT_SETUP_PVM	   0x50564b01u /* "PVK" + 1, far from Linux's types */

struct pvkit_pvm_info {
	uint32_t version;	 /* PVKIT_PVM_INFO_VERSION */
	uint32_t flags;		 /* none defined yet */
	uint64_t trampoline;	 /* guest address of the `syscall` trampoline */
	uint64_t hypercall_mmio; /* the unbacked address the hypercall page writes */
	uint64_t gdt;		 /* the GDT pvkit loaded (selectors below) */
	uint64_t tss;		 /* the 64-bit TSS pvkit loaded (RSP0 at +4) */
	uint16_t kernel_cs, kernel_ds, user_cs, user_ds;
	uint32_t abi_version;	 /* as CPUID 0x40000001 EAX */
	uint32_t features;	 /* PVKIT_FEATURE_*, as CPUID 0x40000001 EBX */
	uint64_t hypercall_page; /* guest-physical address */
	uint64_t time_page;	 /* guest-physical address, 0 if none */
};
#define PVKIT_PVM_INFO_VERSION 1u

#endif /* PVKIT_ABI_H */
