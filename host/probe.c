// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "boot/layout.h"
#include "cpu_setup.h"
#include "host_cpu.h"
#include "log.h"
#include "probe.h"
#include "pvm_mode.h"
#include "vcpu.h"
#include "vm.h"

#define PROBE_RAM	(4ull << 20)
#define PROBE_CODE	0x100000ull
#define PROBE_STACK_TOP 0x200000ull
#define PROBE_MMIO	0xd0000000ull /* in the MMIO hole: no memslot */
#define PROBE_MARK	(PROBE_MMIO + 8)
#define PROBE_PIO_PORT	0x80 /* claimed by nothing in the probe VM */

/* Loop lengths: the first segment and the second differ by DELTA
 * iterations, so the difference of their times is DELTA iterations with
 * every fixed cost (entry, exit, timing) cancelled. */
#define CPL0_N1	   500
#define CPL0_DELTA 20000
#define CPL3_N1	   1000000
#define CPL3_DELTA 100000000
#define EXIT_N1	   100
#define EXIT_DELTA 2000

struct code {
	uint8_t bytes[256];
	size_t len;
};

static void emit(struct code *c, const uint8_t *b, size_t n)
{
	memcpy(c->bytes + c->len, b, n);
	c->len += n;
}

static void emit_mov_rcx(struct code *c, uint32_t n)
{
	uint8_t b[] = {0x48,
		       0xc7,
		       0xc1,
		       (uint8_t)n,
		       (uint8_t)(n >> 8),
		       (uint8_t)(n >> 16),
		       (uint8_t)(n >> 24)}; /* mov $n, %rcx */
	emit(c, b, sizeof(b));
}

static void emit_mark(struct code *c)
{
	const uint8_t b[] = {0x88, 0x43, 0x08}; /* mov %al, 8(%rbx): exit at PROBE_MARK */
	emit(c, b, sizeof(b));
}

enum loop_body { BODY_NONE, BODY_PIO, BODY_MMIO };

/* for (rcx = n; rcx; rcx--) body; */
static void emit_loop(struct code *c, uint32_t n, enum loop_body body)
{
	emit_mov_rcx(c, n);
	static const uint8_t pio[] = {0xe6, PROBE_PIO_PORT}; /* out %al, $0x80 */
	static const uint8_t mmio[] = {0x88, 0x03};	     /* mov %al, (%rbx) */
	static const uint8_t dec[] = {0x48, 0xff, 0xc9};     /* dec %rcx */
	size_t start = c->len;
	if (body == BODY_PIO)
		emit(c, pio, sizeof(pio));
	else if (body == BODY_MMIO)
		emit(c, mmio, sizeof(mmio));
	emit(c, dec, sizeof(dec));
	uint8_t jnz[] = {0x75, (uint8_t)(int8_t)(start - (c->len + 2))};
	emit(c, jnz, sizeof(jnz));
}

/* warm-up mark, loop N1, mark, loop N1+DELTA, mark, spin */
static void build_program(struct code *c, uint32_t n1, uint32_t delta, enum loop_body body)
{
	c->len = 0;
	uint8_t movabs[10] = {0x48, 0xbb}; /* movabs $PROBE_MMIO, %rbx */
	uint64_t mmio = PROBE_MMIO;
	memcpy(movabs + 2, &mmio, 8);
	emit(c, movabs, sizeof(movabs));
	emit_mark(c);
	emit_loop(c, n1, body);
	emit_mark(c);
	emit_loop(c, n1 + delta, body);
	emit_mark(c);
	const uint8_t spin[] = {0xeb, 0xfe}; /* jmp . */
	emit(c, spin, sizeof(spin));
}

struct probe_vm {
	struct vm vm;
	struct vcpu vcpu;
	bool vcpu_ready;
};

static int probe_vm_start(struct probe_vm *p, const struct code *c, bool user_mode)
{
	memset(p, 0, sizeof(*p));
	p->vcpu.fd = -1;
	if (vm_alloc_ram(&p->vm, PROBE_RAM) < 0)
		return -1;
	if (cpu_setup_tables(&p->vm.mem, true) < 0)
		return -1;
	memcpy(guest_memory_ptr(&p->vm.mem, PROBE_CODE, c->len), c->bytes, c->len);
	/* No irqchip: nothing here takes interrupts. */
	if (vm_create(&p->vm, VM_NO_IRQCHIP) < 0 || vcpu_create(&p->vcpu, &p->vm, 0) < 0)
		return -1;
	p->vcpu_ready = true;
	struct cpuid_table table;
	if (vcpu_supported_cpuid(&p->vm, &table) < 0 || vcpu_set_cpuid(&p->vcpu, &table) < 0)
		return -1;
	if (user_mode)
		return cpu_setup_user64(&p->vcpu, PROBE_CODE, PROBE_STACK_TOP);
	struct boot_entry entry = {
	    .mode = BOOT_CPU_LONG64,
	    .rip = PROBE_CODE,
	    .rsp = PROBE_STACK_TOP,
	};
	return cpu_setup_entry(&p->vcpu, &entry);
}

static void probe_vm_destroy(struct probe_vm *p)
{
	if (p->vcpu_ready)
		vcpu_destroy(&p->vcpu);
	vm_destroy(&p->vm);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run until the guest writes PROBE_MARK; other I/O and MMIO exits are
 * counted and resumed.  -1 on anything else. */
static int run_to_mark(struct probe_vm *p, uint64_t *exits)
{
	struct kvm_run *run = p->vcpu.run;
	for (;;) {
		if (ioctl(p->vcpu.fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			log_msg("probe: KVM_RUN: %s", strerror(errno));
			return -1;
		}
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == PROBE_MARK)
			return 0;
		if (run->exit_reason == KVM_EXIT_IO || run->exit_reason == KVM_EXIT_MMIO) {
			(*exits)++;
			continue;
		}
		log_msg("probe: unexpected exit reason %u", run->exit_reason);
		return -1;
	}
}

/*
 * Time the two loops of a probe program; returns ns per iteration of the
 * loop body (fixed costs cancelled), or a negative number on failure.
 */
static double measure(enum loop_body body, bool user_mode, uint32_t n1, uint32_t delta,
		      uint64_t *exits_out)
{
	struct code c;
	build_program(&c, n1, delta, body);
	struct probe_vm p;
	double result = -1;
	if (probe_vm_start(&p, &c, user_mode) < 0)
		goto out;
	uint64_t exits = 0;
	if (run_to_mark(&p, &exits) < 0) /* warm-up: first entry costs more */
		goto out;
	uint64_t t0 = now_ns();
	if (run_to_mark(&p, &exits) < 0)
		goto out;
	uint64_t t1 = now_ns();
	if (run_to_mark(&p, &exits) < 0)
		goto out;
	uint64_t t2 = now_ns();
	double first = (double)(t1 - t0), second = (double)(t2 - t1);
	result = (second - first) / delta;
	if (result < 0)
		result = 0; /* noise larger than the signal */
	if (exits_out)
		*exits_out = exits;
out:
	probe_vm_destroy(&p);
	return result;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

struct probe_options {
	bool json;
};

static const struct cli_option probe_table[] = {
    {"json", NULL, "one JSON object instead of lines", CLI_FLAG(struct probe_options, json, true)},
};

const struct cli_command cmd_probe_command = {
    .name = "probe",
    .summary = "what this host's KVM offers, and what guest code costs here",
    CLI_OPTIONS(probe_table),
    .main = cmd_probe,
};

int cmd_probe(int argc, char **argv)
{
	struct probe_options opts = {0};
	if (cli_parse(&cmd_probe_command, argc, argv, &opts) < 0)
		return 2;
	bool json = opts.json;
	struct host_cpu cpu;
	host_cpu_read(&cpu);
	int kvm = vm_open_kvm();
	if (kvm < 0)
		return 1;
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	int capvalue[64];
	for (int i = 0; i < vm_ncapabilities && i < 64; i++)
		capvalue[i] = ioctl(kvm, KVM_CHECK_EXTENSION, vm_capabilities[i].cap);
	close(kvm);

	uint64_t pio_exits = 0, mmio_exits = 0;
	double cpl0 = measure(BODY_NONE, false, CPL0_N1, CPL0_DELTA, NULL);
	double cpl3 = measure(BODY_NONE, true, CPL3_N1, CPL3_DELTA, NULL);
	double pio = measure(BODY_PIO, false, EXIT_N1, EXIT_DELTA, &pio_exits);
	double mmio = measure(BODY_MMIO, true, EXIT_N1, EXIT_DELTA, &mmio_exits);
	/* The PIO loop runs at CPL0, where its dec/jnz costs what the CPL0 loop
	 * measured: take that out to leave the exit round trip. */
	double pio_exit = pio >= 0 && cpl0 >= 0 ? pio - cpl0 : -1;
	bool ok = cpl0 >= 0 && cpl3 >= 0 && pio >= 0 && mmio >= 0;
	const char *backend = cpu.vmx ? "vmx" : cpu.svm ? "svm" : cpu.kvm_pvm ? "pvm" : "unknown";

	if (json) {
		printf("{\"kvm_api_version\":%d,\"capabilities\":{", api);
		for (int i = 0; i < vm_ncapabilities; i++)
			printf("%s\"%s\":%d", i ? "," : "", vm_capabilities[i].name,
			       capvalue[i] > 0 ? capvalue[i] : 0);
		printf("},\"cpu\":{\"vmx\":%s,\"svm\":%s,\"hypervisor\":%s,\"kvm_pvm\":%s},",
		       cpu.vmx ? "true" : "false", cpu.svm ? "true" : "false",
		       cpu.hypervisor ? "true" : "false", cpu.kvm_pvm ? "true" : "false");
		/* pv_mode: how `pvkit run` starts a kernel that can run deprivileged. */
		printf("\"pv_mode\":\"%s\",", host_is_pvm() ? "pvm" : "ring0");
		printf("\"backend\":\"%s\",\"measured\":{\"cpl0_ns_per_instruction\":%.2f,"
		       "\"cpl3_ns_per_instruction\":%.3f,\"pio_exit_us\":%.2f,\"mmio_exit_us\":%."
		       "2f}}\n",
		       backend, cpl0 / 2, cpl3 / 2, pio_exit / 1000, mmio / 1000);
		return ok ? 0 : 1;
	}
	printf("kvm: API version %d\n", api);
	printf("kvm: capabilities:");
	for (int i = 0; i < vm_ncapabilities; i++) {
		if (capvalue[i] > 1)
			printf(" %s=%d", vm_capabilities[i].name, capvalue[i]);
		else
			printf(" %s=%s", vm_capabilities[i].name, yes_no(capvalue[i] > 0));
	}
	printf("\n");
	printf("cpu: vmx=%s svm=%s hypervisor=%s kvm_pvm=%s (backend: %s)\n", yes_no(cpu.vmx),
	       yes_no(cpu.svm), yes_no(cpu.hypervisor), cpu.kvm_pvm ? "loaded" : "not loaded",
	       backend);
	printf("pv mode: %s\n",
	       host_is_pvm()
		   ? "pvm (ring 0 is emulated here: kernels with the pvkit PVM note start "
		     "deprivileged; --pv-mode ring0 keeps ring 0)"
		   : "ring0 (kernels start in ring 0)");
	printf("measured: cpl0 loop: %.1f ns per instruction (%.1f ns per dec/jnz iteration)\n",
	       cpl0 / 2, cpl0);
	printf("measured: cpl3 loop: %.3f ns per instruction (%.3f ns per dec/jnz iteration)\n",
	       cpl3 / 2, cpl3);
	printf("measured: port I/O exit round trip: %.2f us (out at CPL0, %" PRIu64 " exits)\n",
	       pio_exit / 1000, pio_exits);
	printf("measured: MMIO exit round trip: %.2f us (write to an unbacked GPA at CPL3, %" PRIu64
	       " exits)\n",
	       mmio / 1000, mmio_exits);
	return ok ? 0 : 1;
}
