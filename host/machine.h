/* SPDX-License-Identifier: MIT */
/*
 * machine.h - everything one `pvkit run` VM is made of, wired together:
 * the KVM VM and its RAM, one vCPU, the I/O bus with its devices (16550
 * UART on COM1, i8042, debug exit port), the console, the hypercall
 * service and the time page.
 *
 * Order of life: vm_alloc_ram() -> the loader fills RAM -> machine_create()
 * -> run_loop() -> machine_destroy().
 */
#ifndef PVKIT_HOST_MACHINE_H
#define PVKIT_HOST_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/loader.h"
#include "console.h"
#include "devices/i8042.h"
#include "devices/uart16550.h"
#include "hypercall.h"
#include "io_bus.h"
#include "stop_request.h"
#include "time_page.h"
#include "vcpu.h"
#include "vm.h"

/* Exit counters for --stats. */
struct exit_stats {
	uint64_t total; /* every return from KVM_RUN */
	uint64_t io;	/* port I/O to devices (hypercalls not included) */
	uint64_t mmio;
	uint64_t hlt;	    /* only without the in-kernel irqchip */
	uint64_t hypercall; /* OUTs to the hypercall port */
};

struct api_socket;

struct machine_config {
	bool pvkit_cpuid;      /* false: --no-pvkit-cpuid */
	bool xen_no_isolation; /* --isolation off (a Xen PV domain only) */
};

struct machine {
	struct vm vm;
	struct vcpu vcpu;
	struct io_bus bus;
	struct uart16550 uart;
	struct i8042 kbc;
	struct console console;
	struct stop_request stop;
	struct hypercall_service hypercalls;
	struct exit_stats stats;
	uint64_t tsc_khz;	       /* 0: no time page (a machine made without KVM) */
	struct time_keeper time;       /* what the time page says (host/time_page.h) */
	uint64_t last_time_sync_ns;    /* host monotonic of the last time page update */
	bool sync_regs;		       /* KVM_CAP_SYNC_REGS: registers travel in kvm_run */
	enum boot_cpu_mode entry_mode; /* how it started: pvm, ring 0, Xen PV */
	bool pvkit_cpuid;
	/* --snapshot-after: write a snapshot after this many exits (0: never). */
	uint64_t snapshot_after_exits;
	const char *snapshot_path, *snapshot_mem_path;
	struct api_socket *api; /* --api-socket, or NULL */
	bool paused;		/* by the control socket */
	bool pvm_host;		/* host_is_pvm(), asked at set-up (it reads /sys) */
	uint64_t snapshot_tsc;	/* restored: the guest TSC when the snapshot was taken */
	bool console_ready, vcpu_ready, uart_ready;
};

/*
 * Create the VM around the already loaded RAM in m->vm and make the vCPU
 * ready to start at `entry`: the tables, hypercall page and registers that
 * entry's mode needs, built once (BOOT_CPU_PVM: a pvm machine, see
 * pvm_machine.h).  -1 with a message on failure.
 */
int machine_create(struct machine *m, const struct machine_config *cfg,
		   const struct boot_entry *entry);

/*
 * Build the VM of a snapshot around the RAM already mapped in m->vm from
 * its memory file (vm_map_ram_file()), as machine_create() builds it for
 * `machine->entry_mode`, then take the vCPU, irqchip, device and clock
 * state from `snapshot` (host/machine_state.h).  -1 with `why` set when
 * the snapshot does not fit (bad input), -1 with a message and `why`
 * empty when the host failed.
 */
struct snapshot_view;
struct machine_part;
int machine_restore(struct machine *m, const struct machine_part *machine,
		    const struct snapshot_view *snapshot, char *why, size_t why_size);

/*
 * Put the devices on m->bus (UART, i8042, debug exit).  Needs only
 * m->console and m->stop, no KVM: the exit fuzzer builds a machine in
 * memory with it.  -1 with a message on failure.
 */
int machine_add_devices(struct machine *m);

/* Re-pair the guest TSC with the host clocks and publish the time page. */
void machine_sync_time(struct machine *m);

void machine_destroy(struct machine *m);

#endif
