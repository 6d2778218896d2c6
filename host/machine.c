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
#include "log.h"
#include "machine.h"
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
	    .ring0_emulated = pvm_host_is_pvm_like(),
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

void machine_sync_time(struct machine *m)
{
	if (!m->tsc_khz)
		return;
	/* Clocks read on both sides of the TSC read; the midpoint pairs them
	 * to within half the ioctl's duration (a few microseconds). */
	uint64_t before = hypercall_monotonic_now();
	uint64_t real = hypercall_realtime_now();
	uint64_t tsc;
	if (vcpu_read_tsc(&m->vcpu, &tsc) < 0)
		return;
	uint64_t after = hypercall_monotonic_now();
	uint64_t mid = before + (after - before) / 2;
	/* At the midpoint: monotonic = mid - start, realtime = real + (mid - before). */
	uint64_t monotonic = mid - m->hypercalls.start_monotonic_ns;
	struct time_sample sample = {
	    .tsc_khz = m->tsc_khz,
	    .guest_tsc = tsc,
	    .monotonic_ns = monotonic,
	    .realtime_offset_ns = (int64_t)(real + (mid - before) - monotonic),
	};
	time_page_publish(&m->vm.mem, &sample);
	m->last_time_sync_ns = after;
}

int machine_create(struct machine *m, const struct machine_config *cfg,
		   const struct boot_entry *entry)
{
	m->vcpu.fd = -1;
	memset(&m->stop, 0, sizeof(m->stop));
	memset(&m->stats, 0, sizeof(m->stats));
	if (vm_create(&m->vm, true) < 0)
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

	m->hypercalls = (struct hypercall_service){
	    .mem = &m->vm.mem,
	    .console = &m->console,
	    .stop = &m->stop,
	    .start_monotonic_ns = hypercall_monotonic_now(),
	    .features = PVKIT_FEATURE_HYPERCALL | PVKIT_FEATURE_CONSOLE | PVKIT_FEATURE_NEGOTIATE |
			(m->tsc_khz ? PVKIT_FEATURE_TIME_PAGE : 0),
	};
	if (hypercall_page_fill(&m->vm.mem) < 0 || cpu_setup_tables(&m->vm.mem, false) < 0) {
		log_msg("guest RAM too small for pvkit's low-memory tables");
		return -1;
	}
	machine_sync_time(m);
	for (int i = 0; i < m->vm.mem.nregions; i++)
		log_debug("guest RAM slot %d: 0x%" PRIx64 "-0x%" PRIx64, i, m->vm.mem.region[i].gpa,
			  m->vm.mem.region[i].gpa + m->vm.mem.region[i].size);
	log_debug("TSC %" PRIu64 " kHz, hypercall registers via %s", m->tsc_khz,
		  m->sync_regs ? "KVM_CAP_SYNC_REGS" : "KVM_GET_REGS/KVM_SET_REGS");
	log_debug("entry: %s, RIP 0x%" PRIx64 " RSI 0x%" PRIx64 " RBX 0x%" PRIx64 " RSP 0x%" PRIx64
		  ", hardware_subarch 0x%x",
		  entry->mode == BOOT_CPU_LONG64 ? "64-bit, paging on" : "32-bit, paging off",
		  entry->rip, entry->rsi, entry->rbx, entry->rsp, entry->hardware_subarch);
	if (setup_cpuid(m, cfg) < 0)
		return -1;
	if (cpu_setup_entry(&m->vcpu, entry) < 0)
		return -1;
	if (cfg->pvm && pvm_machine_setup(m, cfg->pvm, entry) < 0)
		return -1;
	if (entry->mode == BOOT_CPU_XEN_PV && xen_machine_setup(m, entry) < 0)
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
