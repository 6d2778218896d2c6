// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "cpu_setup.h"
#include "devices/debug_exit.h"
#include "host_cpu.h"
#include "log.h"
#include "machine.h"
#include "machine_state.h"
#include "snapshot_format.h"
#include "pvm_machine.h"
#include "time_page.h"
#include "xen_machine.h"

static void uart_set_irq(void *opaque, bool level)
{
	struct machine *m = opaque;
	vm_irq_line(&m->vm, UART_COM1_IRQ, level);
}

static void uart_transmit(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;
	console_write(&m->console, &byte, 1);
}

int machine_add_devices(struct machine *m)
{
	struct io_bus *bus = &m->bus;
	io_bus_init(bus);
	struct uart16550_ops ops = {
	    .transmit = uart_transmit,
	    .set_irq = uart_set_irq,
	    .ctx = m,
	};
	uart16550_init(&m->uart, &ops);
	m->uart_ready = true;
	i8042_init(&m->kbc, &m->stop);
	if (io_bus_register(bus, IO_SPACE_PORT, UART_COM1_PORT, UART_NR_REGS, uart16550_io,
			    &m->uart, "uart16550") < 0 ||
	    io_bus_register(bus, IO_SPACE_PORT, I8042_DATA_PORT, 1, i8042_data_io, &m->kbc,
			    "i8042 data") < 0 ||
	    io_bus_register(bus, IO_SPACE_PORT, I8042_COMMAND_PORT, 1, i8042_command_io, &m->kbc,
			    "i8042 command") < 0 ||
	    io_bus_register(bus, IO_SPACE_PORT, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, debug_exit_io,
			    &m->stop, "debug exit") < 0) {
		log_msg("cannot register the devices on the I/O bus");
		return -1;
	}
	return 0;
}

static int setup_cpuid(struct machine *m, const struct machine_config *cfg)
{
	struct cpuid_table table;
	if (vcpu_supported_cpuid(&m->vm, &table) < 0)
		return -1;
	struct cpuid_options opt = {
	    .pvkit_leaves = cfg->pvkit_cpuid,
	    .ring0_emulated = host_is_pvm(),
	    .features = m->hypercalls.features,
	    .hypercall_pfn = (uint32_t)(LAYOUT_HYPERCALL_PAGE >> 12),
	    .time_pfn = (uint32_t)(LAYOUT_TIME_PAGE >> 12),
	};
	if (cpuid_rewrite(&table, &opt) < 0) {
		log_msg("cannot fit pvkit's CPUID leaves into KVM's table");
		return -1;
	}
	return vcpu_set_cpuid(&m->vcpu, &table);
}

static uint64_t host_monotonic_ns(void *ctx)
{
	(void)ctx;
	return hypercall_monotonic_now();
}

static uint64_t host_realtime_ns(void *ctx)
{
	(void)ctx;
	return hypercall_realtime_now();
}

static int guest_tsc(void *vcpu, uint64_t *tsc)
{
	return vcpu_read_tsc(vcpu, tsc);
}

void machine_sync_time(struct machine *m)
{
	if (!m->tsc_khz)
		return;
	const struct time_clocks clocks = {
	    .monotonic_ns = host_monotonic_ns,
	    .realtime_ns = host_realtime_ns,
	    .guest_tsc = guest_tsc,
	    .ctx = &m->vcpu,
	};
	struct time_pairing p;
	if (time_keeper_sync(&m->time, &clocks, &m->vm.mem, &p) < 0)
		return;
	if (p.window_ns > TIME_PAIR_GOOD_NS)
		log_debug("time page: the best of %d pairings is %" PRIu64 " ns wide", p.tries,
			  p.window_ns);
	m->last_time_sync_ns = p.monotonic_ns;
}

/*
 * The in-kernel devices a guest gets: the irqchip always (the UART's IRQ 4,
 * the LAPIC timer), the PIT unless the guest keeps time with pvkit's time
 * page (a pvkit-subarch or pvm kernel: pvkernel's pvkit and pvm backends).
 * The PIT costs a kernel thread per VM to create and a synchronize_srcu()
 * to destroy (docs/performance.md); a guest that pokes its ports anyway
 * reads all ones, as from any unknown port.
 */
static enum vm_devices machine_devices(const struct boot_entry *entry)
{
	bool time_page_guest =
	    entry->mode == BOOT_CPU_PVM ||
	    (entry->mode != BOOT_CPU_XEN_PV && entry->hardware_subarch == PVKIT_HARDWARE_SUBARCH);
	return time_page_guest ? VM_IRQCHIP : VM_IRQCHIP_AND_PIT;
}

/* What machine_create() and machine_restore() both build: the VM with
 * `devices` and its vCPU, the console, the devices, the hypercall service and
 * time keeping. */
static int machine_build(struct machine *m, enum boot_cpu_mode mode, enum vm_devices devices)
{
	/*L:310 One VM, wired together.  vm_create() (host/vm.c) makes the KVM
	 * VM, gives it the RAM of L:150 as memslots and adds the in-kernel
	 * irqchip and PIT; vcpu_create() (host/vcpu.c) makes the one vCPU and
	 * maps the kvm_run area that exits are read from.  Then the console
	 * (host/console.c) and the devices on the io bus (machine_add_devices()
	 * above: COM1, the i8042 reset line, the debug exit port). :*/
	m->vcpu.fd = -1;
	memset(&m->stop, 0, sizeof(m->stop));
	memset(&m->stats, 0, sizeof(m->stats));
	if (vm_create(&m->vm, devices) < 0)
		return -1;
	if (vcpu_create(&m->vcpu, &m->vm, 0) < 0)
		return -1;
	m->vcpu_ready = true;
	m->tsc_khz = vcpu_tsc_khz(&m->vcpu);
	m->sync_regs =
	    !getenv("PVKIT_NO_SYNC_REGS") &&
	    (ioctl(m->vm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS);

	if (console_init(&m->console, STDOUT_FILENO, STDIN_FILENO) < 0) {
		log_msg("cannot create the console's eventfds");
		return -1;
	}
	m->console_ready = true;
	if (machine_add_devices(m) < 0)
		return -1;

	/* The time page is part of what pvkit offers (HYPERCALL_FEATURES), and
	 * the loader has told a pvm kernel so before KVM was opened. */
	if (!m->tsc_khz) {
		log_msg("KVM_GET_TSC_KHZ: KVM does not know the guest's TSC frequency, which "
			"pvkit's time page needs");
		return -1;
	}
	m->hypercalls = (struct hypercall_service){
	    .mem = &m->vm.mem,
	    .console = &m->console,
	    .stop = &m->stop,
	    .start_monotonic_ns = hypercall_monotonic_now(),
	    .features = HYPERCALL_FEATURES,
	};
	m->time = (struct time_keeper){
	    .tsc_khz = m->tsc_khz,
	    .start_monotonic_ns = m->hypercalls.start_monotonic_ns,
	};
	m->entry_mode = mode;
	m->pvm_host = host_is_pvm();
	return 0;
}

int machine_restore(struct machine *m, const struct machine_part *machine,
		    const struct snapshot_view *snapshot, char *why, size_t why_size)
{
	why[0] = 0;
	enum boot_cpu_mode mode = (enum boot_cpu_mode)machine->entry_mode;
	/* A snapshot of a VM without the PIT (a time-page guest) says so. */
	if (machine_build(m, mode, machine->no_pit ? VM_IRQCHIP : VM_IRQCHIP_AND_PIT) < 0)
		return -1;
	m->pvkit_cpuid = machine->pvkit_cpuid != 0;
	if (machine_state_check_host(m->tsc_khz, &snapshot->header.host, why, why_size) < 0)
		return -1;
	if (mode == BOOT_CPU_PVM && pvm_machine_add_doorbell(m) < 0)
		return -1;
	if (machine_state_load(m, snapshot, why, why_size) < 0)
		return -1;
	/* The vCPU has its TSC back: pair it with this host's clock. */
	machine_sync_time(m);
	if (console_start_input(&m->console, &m->uart) < 0) {
		log_msg("cannot start the console input thread");
		return -1;
	}
	return 0;
}

int machine_create(struct machine *m, const struct machine_config *cfg,
		   const struct boot_entry *entry)
{
	if (machine_build(m, entry->mode, machine_devices(entry)) < 0)
		return -1;
	m->pvkit_cpuid = cfg->pvkit_cpuid;
	/*L:320 The hypercall page, the guest's way to call pvkit (abi/pvkit_abi.h):
	 * a call is `call` to its entry with the call number in RAX.  In ring 0
	 * the entry is `out %eax` to port 0xf8 (hypercall_page_fill() in
	 * host/hypercall.c).  A deprivileged kernel cannot reach a port, so pvm
	 * mode has a page of its own, which also holds the trampoline.
	 * Next: host/pvm_machine.c. :*/
	bool pvm = entry->mode == BOOT_CPU_PVM;
	if (pvm ? pvm_machine_setup(m) < 0 : hypercall_page_fill(&m->vm.mem) < 0)
		return -1;
	/*L:340 The low-memory tables every entry relies on (host/cpu_setup.c, at
	 * the addresses of boot/layout.h): a GDT with kernel and user segments,
	 * a TSS, page tables that identity-map the low 4 GiB.  A pvm kernel runs
	 * at CPL3 underneath: it obeys U/S like user code, so its pages have U
	 * set.  Then the time page's first pairing of guest TSC and host clock
	 * (host/time_page.c), CPUID, and the registers.
	 * Next: host/cpuid.c. :*/
	if (cpu_setup_tables(&m->vm.mem, pvm) < 0) {
		log_msg("guest RAM too small for pvkit's low-memory tables");
		return -1;
	}
	machine_sync_time(m);
	for (int i = 0; i < m->vm.mem.nregions; i++)
		log_debug("guest RAM slot %d: 0x%" PRIx64 "-0x%" PRIx64, i, m->vm.mem.region[i].gpa,
			  m->vm.mem.region[i].gpa + m->vm.mem.region[i].size);
	log_debug("TSC %" PRIu64 " kHz, hypercall registers via %s", m->tsc_khz,
		  m->sync_regs ? "KVM_CAP_SYNC_REGS" : "KVM_GET_REGS/KVM_SET_REGS");
	static const char *const mode_name[] = {
	    [BOOT_CPU_LONG64] = "64-bit, paging on",
	    [BOOT_CPU_PROTECTED32] = "32-bit, paging off",
	    [BOOT_CPU_PVM] = "pvm, CPL3 on the trampoline",
	    [BOOT_CPU_XEN_PV] = "Xen PV domain under pvxen",
	};
	log_debug("entry: %s, RIP 0x%" PRIx64 " RSI 0x%" PRIx64 " RBX 0x%" PRIx64 " RSP 0x%" PRIx64
		  ", hardware_subarch 0x%x",
		  mode_name[entry->mode], entry->rip, entry->rsi, entry->rbx, entry->rsp,
		  entry->hardware_subarch);
	if (pvm)
		log_debug("pvm mode: LSTAR 0x%" PRIx64 ", IDT 0x%" PRIx64, entry->pvm.syscall_entry,
			  entry->pvm.idt);
	if (setup_cpuid(m, cfg) < 0)
		return -1;
	if (cpu_setup_entry(&m->vcpu, entry) < 0)
		return -1;
	if (entry->mode == BOOT_CPU_XEN_PV &&
	    xen_machine_setup(m, entry, cfg->xen_no_isolation) < 0)
		return -1;
	if (console_start_input(&m->console, &m->uart) < 0) {
		log_msg("cannot start the console input thread");
		return -1;
	}
	return 0;
}

void machine_destroy(struct machine *m)
{
	if (m->console_ready)
		console_destroy(&m->console);
	m->console_ready = false;
	if (m->uart_ready)
		uart16550_destroy(&m->uart);
	m->uart_ready = false;
	if (m->vcpu_ready)
		vcpu_destroy(&m->vcpu);
	m->vcpu_ready = false;
	vm_destroy(&m->vm);
}
