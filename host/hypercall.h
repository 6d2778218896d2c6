/* SPDX-License-Identifier: MIT */
/*
 * hypercall.h - the host side of pvkit's hypercall ABI (abi/pvkit_abi.h).
 *
 * Transport on this host: pvkit fills the hypercall page with
 *	out %eax, $HYPERCALL_PORT ; ret
 * The imm8 form of OUT leaves RDX (an argument register) untouched.  The
 * OUT exits to pvkit (KVM_EXIT_IO); the run loop reads the registers,
 * calls hypercall_dispatch() and writes the status back into RAX.  KVM
 * completes the OUT (RIP past it) when the vCPU runs again, and the `ret`
 * returns to the caller.  Other hosts (hardware VMX/SVM) would fill the
 * page with vmcall/vmmcall instead; the guest never knows.
 *
 * Every guest pointer goes through guest_memory_ptr(), so a hostile guest
 * gets PVKIT_EFAULT / PVKIT_EINVAL / PVKIT_ENOSYS, never a host crash.
 */
#ifndef PVKIT_HOST_HYPERCALL_H
#define PVKIT_HOST_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/pvkit_abi.h"
#include "boot/guest_memory.h"
#include "console.h"
#include "stop_request.h"

/* The 8-bit port the hypercall page's OUT goes to.  Next to the debug exit
 * port (0xf4..0xf7), away from anything a PC has. */
#define HYPERCALL_PORT 0xf8

/* What the service offers (CPUID 0x40000001 EBX, pvm's setup_data entry):
 * all of ABI v1. */
#define HYPERCALL_FEATURES                                                                         \
	(PVKIT_FEATURE_HYPERCALL | PVKIT_FEATURE_TIME_PAGE | PVKIT_FEATURE_CONSOLE |               \
	 PVKIT_FEATURE_NEGOTIATE)

/* The most tags one NEGOTIATE call may carry. */
#define HYPERCALL_MAX_TAGS 64

/* HALT's return values (abi/pvkit_abi.h). */
#define HYPERCALL_HALT_DEADLINE PVKIT_HALT_DEADLINE
#define HYPERCALL_HALT_EVENT	PVKIT_HALT_EVENT

struct hypercall_service {
	struct guest_memory *mem;
	struct console *console;     /* console output, and the input event for HALT */
	struct stop_request *stop;   /* POWER_OFF */
	uint64_t start_monotonic_ns; /* CLOCK_MONOTONIC when the VM started */
	uint32_t features;	     /* PVKIT_FEATURE_* advertised */
	volatile int *interrupted;   /* set by a signal: HALT returns early */
	bool pvxen;		     /* a Xen PV machine: pvxen's calls (abi/pvxen_abi.h) too */
	uint64_t calls;		     /* statistics */
};

struct hypercall_args {
	uint64_t nr; /* RAX */
	uint64_t a0; /* RDI */
	uint64_t a1; /* RSI */
	uint64_t a2; /* RDX */
	uint64_t a3; /* R10 */
};

/* Fill the hypercall page at LAYOUT_HYPERCALL_PAGE; -1 if it is not RAM. */
int hypercall_page_fill(struct guest_memory *mem);

/* Run one call; the result goes into the guest's RAX. */
int64_t hypercall_dispatch(struct hypercall_service *svc, const struct hypercall_args *args);

/* Host clocks in ns. */
uint64_t hypercall_monotonic_now(void);
uint64_t hypercall_realtime_now(void);

#endif
