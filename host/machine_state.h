/* SPDX-License-Identifier: MIT */
/*
 * machine_state.h - a machine's state as the named, versioned parts of a
 * snapshot (docs/snapshot.md).
 *
 * One mechanism for everything a snapshot keeps: a table of parts in
 * machine_state.c, each a name, a version, a save function that appends
 * the part to the state file and a load function that takes it back.  The
 * vCPU, the in-kernel irqchip and PIT, the clocks, the hypercall service,
 * and every device (UART, i8042) are rows of that table; a new device adds
 * its row and two functions of its own (see uart16550_save/_load), and
 * snapshot, restore, the format checks and the tests follow.  Load order
 * is table order, which is where the dependencies live (CPUID before the
 * registers, special registers before the LAPIC, the vCPU before the time
 * page is paired again).
 *
 * Devices without state (the debug exit port, the pvm doorbell) have no
 * row: restore rebuilds them from the machine part (its entry mode), as
 * machine_create() did.
 */
#ifndef PVKIT_HOST_MACHINE_STATE_H
#define PVKIT_HOST_MACHINE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "boot/loader.h"
#include "snapshot_format.h"

struct machine;

/* The "machine" part: what restore needs before it can build the VM. */
#define MACHINE_PART_NAME    "machine"
#define MACHINE_PART_VERSION 1
struct machine_part {
	uint64_t mem_size;
	uint32_t entry_mode; /* enum boot_cpu_mode: BOOT_CPU_PVM or a ring-0 one */
	uint32_t pvkit_cpuid;
	uint64_t tsc_khz;
	/* 1: the VM has no in-kernel PIT (a guest keeping time with the time
	 * page, host/machine.c); the irqchip part's PIT state is then zero.
	 * 0 in snapshots of pvkits that always made one. */
	uint64_t no_pit;
	uint64_t reserved[3];
};

/* Read and check the machine part of `v`; -1 with `why`. */
int machine_state_config(const struct snapshot_view *v, struct machine_part *out, char *why,
			 size_t why_size);

/*
 * Append every part of `m` (the vCPU stopped between two KVM_RUNs, with
 * no I/O in flight) to `b`, the machine part first.  -1 with a message.
 */
int machine_state_save(struct machine *m, struct snapshot_builder *b);

/*
 * Take every part of `v` into `m`, built by machine_restore() for the same
 * machine part and not yet run.  A part this pvkit does not know, a newer
 * version of one it knows, a part missing or one whose bytes do not fit:
 * -1 with `why`.
 */
int machine_state_load(struct machine *m, const struct snapshot_view *v, char *why,
		       size_t why_size);

/* What a snapshot of `m` needs of a host: this CPU's features, m's TSC rate. */
void machine_state_host_needs(struct machine *m, struct snapshot_host_needs *needs);

/* Whether this host's CPU and a guest TSC of `tsc_khz` offer what `needs`
 * asks; -1 with `why` naming the first thing missing. */
int machine_state_check_host(uint64_t tsc_khz, const struct snapshot_host_needs *needs, char *why,
			     size_t why_size);

#endif
