/* SPDX-License-Identifier: MIT */
/*
 * harness.c - the experiment VM: memory, page tables, GDT/TSS/IDT, MSRs and
 * a KVM_RUN loop with a hard deadline.  See harness.h.
 */
#include "tests/pvm/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PTE_P	0x1ull
#define PTE_W	0x2ull
#define PTE_U	0x4ull
#define PTE_PCD 0x10ull
#define PTE_PS	0x80ull

#define MSR_STAR	 0xc0000081u
#define MSR_LSTAR	 0xc0000082u
#define MSR_SYSCALL_MASK 0xc0000084u

/* How often KVM_RUN is interrupted to look at the deadline. */
#define DEADLINE_POLL_MS 50

uint64_t pvm_gaddr(const char *label)
{
	return PVM_GUEST_CODE + (uint64_t)(label - pvm_guest_start);
}

static void put64(struct pvm_vm *vm, uint64_t gpa, uint64_t value)
{
	memcpy(vm->mem + gpa, &value, sizeof(value));
}

uint64_t pvm_data(struct pvm_vm *vm, uint64_t gpa)
{
	uint64_t value;

	memcpy(&value, vm->mem + gpa, sizeof(value));
	return value;
}

void pvm_set_data(struct pvm_vm *vm, uint64_t gpa, uint64_t value)
{
	put64(vm, gpa, value);
}

/*
 * Identity paging for the first 8 MiB: 4 KiB pages below 2 MiB (so single
 * pages can differ: the null page is absent, PVM_SUPERVISOR_PAGE lacks U),
 * 2 MiB pages above, the doorbell (unbacked) at 4 MiB, the LAPIC at 6 MiB.
 * Everything the guest kernel touches has U set: in the syscall-entered
 * context this host applies U/S checks as for user code.
 */
static void build_page_tables(struct pvm_vm *vm, uint64_t pml4, uint64_t pdpt, uint64_t pd,
			      uint64_t pt, uint64_t marker_gpa)
{
	const uint64_t table = PTE_P | PTE_W | PTE_U;

	memset(vm->mem + pml4, 0, 4096);
	memset(vm->mem + pdpt, 0, 4096);
	memset(vm->mem + pd, 0, 4096);
	memset(vm->mem + pt, 0, 4096);
	put64(vm, pml4, pdpt | table);
	put64(vm, pdpt, pd | table);
	put64(vm, pd + 0 * 8, pt | table);
	put64(vm, pd + 1 * 8, 0x200000 | PTE_PS | table);
	put64(vm, pd + 2 * 8, PVM_DOORBELL | PTE_PS | table);
	put64(vm, pd + 3 * 8, PVM_LAPIC_GPA | PTE_PS | PTE_PCD | PTE_P | PTE_W);
	for (uint64_t page = 1; page < 512; page++) {
		uint64_t gpa = page << 12;
		uint64_t flags = table;

		if (gpa == PVM_SUPERVISOR_PAGE)
			flags &= ~PTE_U;
		if (gpa == PVM_MARKER)
			gpa = marker_gpa;
		put64(vm, pt + page * 8, gpa | flags);
	}
}

/* The upper-half window of layout.h (PVM_HIGH), in both page-table sets. */
static void build_high_window(struct pvm_vm *vm)
{
	const uint64_t table = PTE_P | PTE_W | PTE_U;
	const uint64_t slot = (PVM_HIGH >> 39 & 511) * 8;
	const uint64_t slot_256 = (PVM_HIGH_256 >> 39 & 511) * 8;

	memset(vm->mem + PVM_PDPT_HI, 0, 4096);
	memset(vm->mem + PVM_PD_HI, 0, 4096);
	put64(vm, PVM_PML4_A + slot, PVM_PDPT_HI | table);
	put64(vm, PVM_PML4_B + slot, PVM_PDPT_HI | table);
	put64(vm, PVM_PML4_A + slot_256, PVM_PDPT_HI | table);
	put64(vm, PVM_PML4_B + slot_256, PVM_PDPT_HI | table);
	for (uint64_t va = PVM_HIGH_257; va; va = va == PVM_HIGH_257   ? PVM_HIGH_273
						  : va == PVM_HIGH_273 ? PVM_HIGH_402
								       : 0) {
		put64(vm, PVM_PML4_A + (va >> 39 & 511) * 8, PVM_PDPT_HI | table);
		put64(vm, PVM_PML4_B + (va >> 39 & 511) * 8, PVM_PDPT_HI | table);
	}
	put64(vm, PVM_PDPT_HI, PVM_PD_HI | table);
	put64(vm, PVM_PD_HI, 0x200000 | PTE_PS | PTE_P | PTE_W);
	put64(vm, PVM_PD_HI + 8, 0x200000 | PTE_PS | table);
}

/* Linux's GDT layout: kernel CS/DS 0x08/0x10, user32 CS 0x23, DS 0x2b, CS 0x33. */
static void build_gdt_tss(struct pvm_vm *vm)
{
	const uint64_t tss = PVM_TSS, tss_limit = 0x67;

	memset(vm->mem + PVM_GDT, 0, 0x800);
	put64(vm, PVM_GDT + 0x08, 0x00af9b000000ffffull);
	put64(vm, PVM_GDT + 0x10, 0x00cf93000000ffffull);
	put64(vm, PVM_GDT + 0x20, 0x00cffb000000ffffull);
	put64(vm, PVM_GDT + 0x28, 0x00cff3000000ffffull);
	put64(vm, PVM_GDT + 0x30, 0x00affb000000ffffull);
	/* 64-bit TSS descriptor, type 0xb (busy, as KVM_SET_SREGS loads it). */
	put64(vm, PVM_GDT + PVM_TSS_SEL,
	      tss_limit | (tss & 0xffffff) << 16 | 0x8bull << 40 | (tss >> 24 & 0xff) << 56);
	put64(vm, PVM_GDT + PVM_TSS_SEL + 8, tss >> 32);

	memset(vm->mem + PVM_TSS, 0, 0x68);
	put64(vm, PVM_TSS + 4, PVM_EXC_STACK_TOP); /* RSP0 */
	vm->mem[PVM_TSS + 102] = 0x68;		   /* no I/O bitmap */
}

void pvm_vm_set_gate_to(struct pvm_vm *vm, int vector, uint64_t handler, int dpl, uint16_t selector,
			int ist)
{
	uint64_t gate = PVM_IDT + (uint64_t)vector * 16;
	uint64_t low = (handler & 0xffff) | (uint64_t)selector << 16 | (uint64_t)(ist & 7) << 32 |
		       (uint64_t)(0x8e | dpl << 5) << 40 | (handler >> 16 & 0xffff) << 48;

	put64(vm, gate, low);
	put64(vm, gate + 8, handler >> 32);
}

void pvm_vm_set_gate(struct pvm_vm *vm, int vector, uint64_t handler, int dpl)
{
	pvm_vm_set_gate_to(vm, vector, handler, dpl, PVM_KERNEL_CS, 0);
}

void pvm_vm_set_ist(struct pvm_vm *vm, int ist, uint64_t stack_top)
{
	put64(vm, PVM_TSS + 0x24 + 8 * (uint64_t)(ist - 1), stack_top);
}

static void build_idt(struct pvm_vm *vm)
{
	uint64_t stubs = pvm_gaddr(pvm_g_unexpected_stubs);

	for (int vector = 0; vector < 256; vector++)
		pvm_vm_set_gate(vm, vector, stubs + 16 * (uint64_t)vector, 0);
}

static int set_cpuid(struct pvm_vm *vm)
{
	const int max = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + max * sizeof(cpuid->entries[0]));
	int rc = -1;

	if (!cpuid)
		return -1;
	cpuid->nent = max;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		perror("pvm: KVM_GET_SUPPORTED_CPUID");
	else if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		perror("pvm: KVM_SET_CPUID2");
	else
		rc = 0;
	free(cpuid);
	return rc;
}

int pvm_set_msr(struct pvm_vm *vm, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} msrs = {.head.nmsrs = 1, .entry = {.index = index, .data = value}};

	return ioctl(vm->vcpu_fd, KVM_SET_MSRS, &msrs) == 1 ? 0 : -1;
}

int pvm_get_msr(struct pvm_vm *vm, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} msrs = {.head.nmsrs = 1, .entry = {.index = index}};

	if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &msrs) != 1)
		return -1;
	*value = msrs.entry.data;
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig; /* only here to make KVM_RUN return EINTR */
}

int pvm_vm_create(struct pvm_vm *vm, const struct pvm_vm_options *opt)
{
	static bool handler_installed;
	size_t code_size = (size_t)(pvm_guest_end - pvm_guest_start);
	long tsc_khz;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	if (!handler_installed) {
		struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */

		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		handler_installed = true;
	}
	if (code_size > PVM_GUEST_CODE_MAX) {
		fprintf(stderr, "pvm: guest code too large (%zu bytes)\n", code_size);
		return -1;
	}
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		perror("pvm: /dev/kvm");
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		perror("pvm: KVM_CREATE_VM");
		goto fail;
	}
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul); /* VMX wants it; harmless */
	if (opt->irqchip && ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("pvm: KVM_CREATE_IRQCHIP");
		goto fail;
	}
	vm->mem =
	    mmap(NULL, PVM_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		perror("pvm: mmap");
		goto fail;
	}
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = PVM_MEM_SIZE,
	    .userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		perror("pvm: KVM_SET_USER_MEMORY_REGION");
		goto fail;
	}
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		perror("pvm: KVM_CREATE_VCPU");
		goto fail;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run =
	    mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		perror("pvm: mmap kvm_run");
		goto fail;
	}
	if (set_cpuid(vm) < 0)
		goto fail;
	vm->kernel_rflags = 0x2;
	tsc_khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	vm->tsc_khz = tsc_khz > 0 ? (uint64_t)tsc_khz : 0;

	memcpy(vm->mem + PVM_GUEST_CODE, pvm_guest_start, code_size);
	build_page_tables(vm, PVM_PML4_A, PVM_PDPT_A, PVM_PD_A, PVM_PT_A, PVM_MARKER);
	build_page_tables(vm, PVM_PML4_B, PVM_PDPT_B, PVM_PD_B, PVM_PT_B, PVM_MARKER_B);
	if (!opt->no_high_window)
		build_high_window(vm);
	put64(vm, PVM_MARKER, PVM_MARKER_A_VALUE);
	put64(vm, PVM_MARKER_B, PVM_MARKER_B_VALUE);
	build_gdt_tss(vm);
	build_idt(vm);
	put64(vm, D_PARAM(P_TRAMP), pvm_gaddr(pvm_g_tramp));
	put64(vm, D_PARAM(P_CR3_A), PVM_PML4_A);
	put64(vm, D_PARAM(P_CR3_B), PVM_PML4_B);

	if (pvm_set_msr(vm, MSR_STAR,
			(uint64_t)PVM_USER32_CS << 48 | (uint64_t)PVM_KERNEL_CS << 32) ||
	    pvm_set_msr(vm, MSR_LSTAR, opt->lstar) ||
	    pvm_set_msr(vm, MSR_SYSCALL_MASK, opt->syscall_mask)) {
		perror("pvm: KVM_SET_MSRS (syscall MSRs)");
		goto fail;
	}
	return 0;
fail:
	pvm_vm_destroy(vm);
	return -1;
}

void pvm_vm_destroy(struct pvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, (size_t)vm->run_size);
	if (vm->mem)
		munmap(vm->mem, PVM_MEM_SIZE);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

static struct kvm_segment segment(uint16_t selector, int dpl, bool code)
{
	struct kvm_segment seg = {
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = code ? 11 : 3,
	    .present = 1,
	    .dpl = (uint8_t)dpl,
	    .db = code ? 0 : 1,
	    .s = 1,
	    .l = code ? 1 : 0,
	    .g = 1,
	};
	return seg;
}

int pvm_vm_start(struct pvm_vm *vm, bool user, uint64_t rip, uint64_t rdi, uint64_t rsi,
		 uint64_t rax)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		perror("pvm: KVM_GET_SREGS");
		return -1;
	}
	if (user) {
		sregs.cs = segment(PVM_USER_CS, 3, true);
		sregs.ss = segment(PVM_USER_DS, 3, false);
	} else {
		sregs.cs = segment(PVM_KERNEL_CS, 0, true);
		sregs.ss = segment(PVM_KERNEL_DS, 0, false);
	}
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
	sregs.tr = (struct kvm_segment){
	    .base = PVM_TSS, .limit = 0x67, .selector = PVM_TSS_SEL, .type = 11, .present = 1};
	sregs.gdt.base = PVM_GDT;
	sregs.gdt.limit = 0x47;
	sregs.idt.base = PVM_IDT;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.cr0 = 0x80050033; /* PG AM WP NE ET MP PE */
	sregs.cr3 = PVM_PML4_A;
	sregs.cr4 = 0x620;  /* OSXMMEXCPT OSFXSR PAE */
	sregs.efer = 0x501; /* LMA LME SCE */
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
		perror("pvm: KVM_SET_SREGS");
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rdi = rdi;
	regs.rsi = rsi;
	regs.rax = rax;
	regs.rsp = user ? PVM_USER_STACK_TOP : PVM_KERNEL_STACK_TOP;
	regs.rflags = user ? 0x202 : vm->kernel_rflags;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		perror("pvm: KVM_SET_REGS");
		return -1;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void arm_poll_timer(bool on)
{
	struct itimerval it = {0};

	if (on) {
		it.it_value.tv_usec = DEADLINE_POLL_MS * 1000;
		it.it_interval.tv_usec = DEADLINE_POLL_MS * 1000;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

static bool vector_has_error_code(uint64_t vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
	       vector == 29 || vector == 30;
}

static void fill_unexpected(struct pvm_vm *vm, struct pvm_stop *stop)
{
	uint64_t q[9];

	for (int i = 0; i < 9; i++)
		q[i] = pvm_data(vm, D_UNEXPECTED + 8 * (uint64_t)i);
	stop->vector = q[0];
	int at = 1;
	if (vector_has_error_code(q[0]))
		stop->error = q[at++];
	stop->frame_rip = q[at];
	stop->frame_cs = q[at + 1];
	stop->frame_rsp = q[at + 3];
	stop->cr2 = q[8];
}

int pvm_vm_run(struct pvm_vm *vm, unsigned timeout_ms, struct pvm_stop *stop)
{
	double start = now_ms(), deadline = start + timeout_ms;
	struct kvm_regs regs;
	int rc = 0;

	memset(stop, 0, sizeof(*stop));
	arm_poll_timer(true);
	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				perror("pvm: KVM_RUN");
				stop->kind = PVM_STOP_OTHER;
				rc = -1;
				break;
			}
			if (now_ms() >= deadline) {
				stop->kind = PVM_STOP_TIMEOUT;
				break;
			}
			continue;
		}
		struct kvm_run *run = vm->run;
		stop->exit_reason = run->exit_reason;
		if (run->exit_reason == KVM_EXIT_INTR) {
			if (now_ms() >= deadline) {
				stop->kind = PVM_STOP_TIMEOUT;
				break;
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr >= PVM_DOORBELL &&
		    run->mmio.phys_addr < PVM_DOORBELL + 0x200000) {
			stop->kind = PVM_STOP_DOORBELL;
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PVM_PORT_UNEXPECTED) {
			stop->kind = PVM_STOP_UNEXPECTED;
			fill_unexpected(vm, stop);
			break;
		}
		stop->kind = PVM_STOP_OTHER;
		break;
	}
	arm_poll_timer(false);
	stop->wall_ms = now_ms() - start;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) == 0)
		stop->rip = regs.rip;
	return rc;
}

const char *pvm_stop_describe(const struct pvm_stop *stop)
{
	static char line[256];

	switch (stop->kind) {
	case PVM_STOP_DOORBELL:
		snprintf(line, sizeof(line), "doorbell after %.1f ms", stop->wall_ms);
		break;
	case PVM_STOP_UNEXPECTED:
		snprintf(line, sizeof(line),
			 "unexpected vector %llu error 0x%llx at rip 0x%llx cs 0x%llx rsp 0x%llx "
			 "cr2 0x%llx",
			 (unsigned long long)stop->vector, (unsigned long long)stop->error,
			 (unsigned long long)stop->frame_rip, (unsigned long long)stop->frame_cs,
			 (unsigned long long)stop->frame_rsp, (unsigned long long)stop->cr2);
		break;
	case PVM_STOP_TIMEOUT:
		snprintf(line, sizeof(line), "timed out after %.0f ms, rip 0x%llx", stop->wall_ms,
			 (unsigned long long)stop->rip);
		break;
	default:
		snprintf(line, sizeof(line), "exit reason %u at rip 0x%llx", stop->exit_reason,
			 (unsigned long long)stop->rip);
		break;
	}
	return line;
}

double pvm_cycles_to_ns(const struct pvm_vm *vm, uint64_t cycles)
{
	if (!vm->tsc_khz)
		return 0;
	return (double)cycles * 1e6 / (double)vm->tsc_khz;
}
