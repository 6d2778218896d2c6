// SPDX-License-Identifier: MIT
/*
 * libFuzzer: pvkit's exit handlers, fed the exits a hostile guest can cause.
 *
 * The harness builds a struct machine in memory, without KVM: malloc'd
 * guest RAM (so ASan sees any host access outside it) laid out as
 * guest_memory_init() lays out a large guest, one region below the 32-bit
 * MMIO hole and one above 4 GiB, but only 1 MiB each so that clearing it
 * for every input stays cheap; the devices
 * exactly as `pvkit run` wires them (machine_add_devices()), the console
 * writing to /dev/null, and the hypercall service.  A malloc'd struct
 * kvm_run stands in for the vCPU's shared page.  Each input is a sequence
 * of exits; each one is written into kvm_run the way KVM would and handed
 * to run_loop_handle_exit(), the function the real run loop calls.  The
 * sequence ends when a handler asks the VM to stop, as in the run loop.
 *
 * Input: byte 0 = flags (bit 0: registers through KVM_GET_REGS, which fails
 * here, instead of sync regs; bit 1: a console limit of byte 1 * 64 bytes;
 * bit 2: the pvm backend's MMIO hypercall doorbell is on the bus, as in
 * `pvkit run` on a PVM host),
 * byte 1 = console limit, then records, each starting with an op byte:
 *
 *	op % 8 == 0  port I/O: port(2) size(1) dir(1) count(1) data...
 *	op % 8 == 1  port I/O at a device's port: which(1) size dir count data
 *	op % 8 == 2  MMIO: addr(8) len(1) dir(1) data(8)
 *	op % 8 == 3  hypercall: nr(1 or 8) a0..a3, each a pointer/length pick
 *	op % 8 == 4  host input: n(1) bytes..., as the stdin thread delivers
 *	op % 8 == 5  another exit reason: reason(1) detail(4)
 *	op % 8 == 6  the guest writes its RAM: where(1) offset(4) n(1) bytes...
 *	             (what NEGOTIATE then reads as tags, CONSOLE_WRITE as text)
 *	op % 8 == 7  a hypercall through the pvm backend's MMIO doorbell:
 *	             len(1), then as op 3 (registers in kvm_run's sync regs)
 *
 * Not replayed: KVM_EXIT_HLT (reaches pvkit only without the in-kernel
 * irqchip, which `pvkit run` always has; its handler sleeps 10 ms) and a
 * HALT hypercall that really sleeps (the service's `interrupted` flag is
 * set, as after a --timeout, so HALT returns at once).
 *
 * Checked after every exit, besides ASan/UBSan: a stop reason is one line;
 * a stop status fits an exit status; console output never passes the
 * limit; a hypercall's RAX is a success value or a documented error.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "host/devices/debug_exit.h"
#include "host/devices/i8042.h"
#include "host/devices/uart16550.h"
#include "host/hypercall.h"
#include "host/machine.h"
#include "host/pvm_machine.h"
#include "host/run_loop.h"

#define REGION_SIZE   (1ull << 20)
#define FUZZ_RAM      (2 * REGION_SIZE)
#define HIGH_GPA      LAYOUT_MMIO_HOLE_END
#define RUN_AREA      8192 /* kvm_run plus one page of I/O data, as KVM maps it */
#define IO_DATA_START 4096
#define MAX_EXITS     4096 /* per input, to keep executions short */

static uint8_t *guest_ram;
static struct kvm_run *run;
static int devnull = -1;
static struct machine m;
static const volatile int always_interrupted = 1;

/* A cursor over the fuzz input; reads past the end give zeros. */
struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t take(struct input *in, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)take8(in) << (8 * i);
	return v;
}

static void fail(void)
{
	__builtin_trap();
}

static void setup_once(void)
{
	guest_ram = malloc(FUZZ_RAM);
	run = malloc(RUN_AREA);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!guest_ram || !run || devnull < 0)
		abort();
}

static void machine_start(uint8_t flags, uint8_t limit)
{
	memset(&m, 0, sizeof(m));
	memset(guest_ram, 0, FUZZ_RAM);
	memset(run, 0, RUN_AREA);
	m.vm.mem = (struct guest_memory){
	    .host = guest_ram,
	    .size = FUZZ_RAM,
	    .nregions = 2,
	    .region = {{.gpa = 0, .size = REGION_SIZE, .host = guest_ram},
		       {.gpa = HIGH_GPA, .size = REGION_SIZE, .host = guest_ram + REGION_SIZE}},
	};
	m.vm.kvm_fd = m.vm.vm_fd = -1; /* KVM_IRQ_LINE fails quietly */
	m.vcpu.fd = -1;
	m.vcpu.run = run;
	m.sync_regs = !(flags & 1);
	if (console_init(&m.console, devnull, -1) < 0)
		abort();
	if (flags & 2) {
		m.console.out_limit = (uint64_t)limit * 64 + 1;
		m.console.limit_stop = &m.stop;
	}
	if (machine_add_devices(&m) < 0)
		abort();
	if ((flags & 4) && pvm_machine_add_doorbell(&m) < 0)
		abort();
	m.hypercalls = (struct hypercall_service){
	    .mem = &m.vm.mem,
	    .console = &m.console,
	    .stop = &m.stop,
	    .start_monotonic_ns = hypercall_monotonic_now(),
	    .features = HYPERCALL_FEATURES,
	    .interrupted = (volatile int *)&always_interrupted,
	};
	m.last_time_sync_ns = hypercall_monotonic_now();
	if (hypercall_page_fill(&m.vm.mem) < 0)
		abort();
}

static void machine_end(void)
{
	console_destroy(&m.console);
	uart16550_destroy(&m.uart);
}

static void io_exit(struct input *in, uint16_t port)
{
	static const uint8_t sizes[] = {1, 2, 4};
	uint8_t size = sizes[take8(in) % 3];
	bool out = take8(in) & 1;
	/* KVM hands string I/O over in one page: count * size <= 4096. */
	uint32_t count = 1 + take8(in) % 16;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = IO_DATA_START;
	uint8_t *data = (uint8_t *)run + IO_DATA_START;
	for (uint32_t i = 0; i < count * size; i++)
		data[i] = out ? take8(in) : 0xa5;
}

/* The ports devices listen on, so most device exits reach a device. */
static uint16_t device_port(uint8_t which)
{
	static const uint16_t ports[] = {
	    UART_COM1_PORT,	 UART_COM1_PORT + 1, UART_COM1_PORT + 2, UART_COM1_PORT + 3,
	    UART_COM1_PORT + 4,	 UART_COM1_PORT + 5, UART_COM1_PORT + 6, UART_COM1_PORT + 7,
	    I8042_DATA_PORT,	 I8042_COMMAND_PORT, DEBUG_EXIT_PORT,	 DEBUG_EXIT_PORT + 1,
	    DEBUG_EXIT_PORT + 3, HYPERCALL_PORT,
	};
	return ports[which % (sizeof(ports) / sizeof(ports[0]))];
}

static void mmio_exit(struct input *in)
{
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = take(in, 8);
	run->mmio.len = 1 + take8(in) % 8;
	run->mmio.is_write = take8(in) & 1;
	for (int i = 0; i < 8; i++)
		run->mmio.data[i] = take8(in);
}

/* A hypercall argument: raw, or aimed at the edges a hostile guest tries. */
static uint64_t pick_argument(struct input *in)
{
	uint8_t how = take8(in);
	switch (how % 10) {
	case 0:
		return take(in, 8);
	case 1:
		return take(in, 1); /* small numbers: call numbers, lengths, statuses */
	case 2:
		return take(in, 2);
	case 3:
		return take(in, 4) % REGION_SIZE; /* inside low RAM */
	case 4:
		return REGION_SIZE - take(in, 2); /* at the end of low RAM */
	case 8:
		return HIGH_GPA + take(in, 4) % REGION_SIZE; /* inside high RAM */
	case 9:
		return HIGH_GPA + REGION_SIZE - take(in, 2); /* at the end of RAM */
	case 5:
		return UINT64_MAX - take(in, 2); /* wrapping around */
	case 6:
		return PVKIT_CONSOLE_WRITE_MAX + (uint64_t)(int8_t)take8(in);
	default:
		return LAYOUT_HYPERCALL_PAGE + take(in, 2); /* pvkit's own pages */
	}
}

static struct kvm_regs *regs_of_run(void)
{
	return &run->s.regs.regs;
}

static void hypercall_exit(struct input *in, struct kvm_regs *expected)
{
	io_exit(in, HYPERCALL_PORT);
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 4;
	run->io.count = 1;
	struct kvm_regs *regs = regs_of_run();
	memset(regs, 0, sizeof(*regs));
	regs->rax = take8(in) & 0x80 ? take(in, 8) : take8(in) % 8;
	regs->rdi = pick_argument(in);
	regs->rsi = pick_argument(in);
	regs->rdx = pick_argument(in);
	regs->r10 = pick_argument(in);
	*expected = *regs;
}

/* The pvm backend's hypercall page stores EAX to the doorbell (an MMIO
 * write); the arguments are in the registers KVM syncs into kvm_run. */
static void doorbell_exit(struct input *in, struct kvm_regs *expected)
{
	uint8_t len = 1 + take8(in) % 8;
	hypercall_exit(in, expected);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = PVM_HYPERCALL_MMIO;
	run->mmio.len = len;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, &expected->rax, sizeof(run->mmio.data));
}

static void host_input(struct input *in)
{
	uint8_t bytes[64];
	int n = take8(in) % sizeof(bytes);
	for (int i = 0; i < n; i++)
		bytes[i] = take8(in);
	uart16550_receive(&m.uart, bytes, n);
	run->exit_reason = KVM_EXIT_INTR; /* the guest is interrupted meanwhile */
}

/* The guest stores to its own RAM (no exit); clipped to the region. */
static void guest_writes_ram(struct input *in)
{
	uint8_t *region = guest_ram + (take8(in) & 1) * REGION_SIZE;
	uint64_t offset = take(in, 4) % REGION_SIZE;
	size_t n = take8(in);
	for (size_t i = 0; i < n && offset + i < REGION_SIZE; i++)
		region[offset + i] = take8(in);
}

static void other_exit(struct input *in)
{
	static const uint32_t reasons[] = {
	    KVM_EXIT_INTR,	     KVM_EXIT_SHUTDOWN,	       KVM_EXIT_FAIL_ENTRY,
	    KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_SYSTEM_EVENT,    KVM_EXIT_UNKNOWN,
	    KVM_EXIT_DEBUG,	     KVM_EXIT_IRQ_WINDOW_OPEN, 0xdead,
	};
	uint8_t which = take8(in);
	uint32_t detail = (uint32_t)take(in, 4);
	run->exit_reason = reasons[which % (sizeof(reasons) / sizeof(reasons[0]))];
	run->fail_entry.hardware_entry_failure_reason = detail;
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		run->internal.suberror = detail;
	if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
		run->system_event.type = detail % 8;
}

static bool one_line(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	return n < cap && !memchr(s, '\n', n);
}

static void check_hypercall(const struct kvm_regs *before)
{
	if (!m.sync_regs || m.stop.stop)
		return;
	int64_t rax = (int64_t)regs_of_run()->rax;
	if (rax < 0 && rax != PVKIT_EFAULT && rax != PVKIT_EINVAL && rax != PVKIT_ENOSYS)
		fail();
	if (before->rax > PVKIT_HC_HALT && rax != PVKIT_ENOSYS)
		fail();
	if (before->rax == PVKIT_HC_CONSOLE_WRITE && rax >= 0 && (uint64_t)rax != before->rsi)
		fail();
	if (before->rax == PVKIT_HC_NEGOTIATE && rax >= 0 && (uint64_t)rax > before->rsi)
		fail();
	/* Every register but RAX is the guest's own: pvkit must not touch them. */
	if (regs_of_run()->rdi != before->rdi || regs_of_run()->rsi != before->rsi ||
	    regs_of_run()->rdx != before->rdx || regs_of_run()->r10 != before->r10)
		fail();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!guest_ram)
		setup_once();
	struct input in = {data, size};
	uint8_t flags = take8(&in);
	uint8_t limit = take8(&in);
	machine_start(flags, limit);
	for (int n = 0; n < MAX_EXITS && in.left && !m.stop.stop; n++) {
		struct kvm_regs before;
		bool is_hypercall = false;
		uint8_t op = take8(&in);
		switch (op % 8) {
		case 0:
			io_exit(&in, (uint16_t)take(&in, 2));
			break;
		case 1:
			io_exit(&in, device_port(take8(&in)));
			break;
		case 2:
			mmio_exit(&in);
			break;
		case 3:
			hypercall_exit(&in, &before);
			is_hypercall = true;
			break;
		case 4:
			host_input(&in);
			break;
		case 5:
			other_exit(&in);
			break;
		case 6:
			guest_writes_ram(&in);
			continue; /* not an exit */
		default:
			doorbell_exit(&in, &before);
			/* without the doorbell it is just an unclaimed store */
			is_hypercall = flags & 4;
			break;
		}
		m.stats.total++;
		run_loop_handle_exit(&m);
		if (is_hypercall)
			check_hypercall(&before);
		if (m.uart.rx_count < 0 || m.uart.rx_count > UART_FIFO_SIZE)
			fail();
		if (m.console.out_limit && m.console.bytes_out > m.console.out_limit)
			fail();
	}
	if (m.stop.stop && (m.stop.status < 0 || m.stop.status > 255 ||
			    !one_line(m.stop.reason, sizeof(m.stop.reason))))
		fail();
	machine_end();
	return 0;
}
