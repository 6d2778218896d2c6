/* SPDX-License-Identifier: MIT */
/*
 * rawkvm - the "limit" of `make bench`: the least a program must do to run
 * a benchmark guest on KVM.
 *
 *	rawkvm [--mem SIZE] [--irqchip before|after] --kernel GUEST.elf
 *
 * It opens /dev/kvm, creates a VM with one memory slot and one vCPU, copies
 * the guest ELF's PT_LOAD segments to their physical addresses, puts the
 * vCPU in 32-bit protected mode at the ELF entry (the state PVH defines,
 * minus the start_info the bench guests never read) and loops on KVM_RUN.
 * No irqchip, no devices, no threads: the only exits it serves are the four
 * ports the guests use (bench/guests/bench_guest.S):
 *   0x80  start marker, ignored          0x3ff  serial scratch, stored
 *   0x3f8 serial byte, write(2) to stdout 0xf4  exit with the value written
 * A HLT exit (the "hold" guest) parks the process in pause() so the launcher
 * can measure it alive and then kill it.
 *
 * Whatever pvkit spends above this program on the same guest is the VMM's
 * overhead; whatever this program spends is KVM's (and this host's).
 *
 * --irqchip before|after adds what every real VMM creates (the in-kernel
 * irqchip and PIT, as pvkit and QEMU do), before or after the guest-memory
 * slot: on this host the order alone costs milliseconds of start-up, which
 * the bench shows with these two variants.  With an irqchip a HLT stays in
 * the kernel, so the hold guest then simply never returns from KVM_RUN.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_PORT    0x80
#define SERIAL_THR     0x3f8
#define SERIAL_SCRATCH 0x3ff
#define DEBUG_EXIT     0xf4

/* Guest RAM above 3 GiB moves past the 32-bit hole, as pvkit and QEMU do. */
#define LOW_RAM_LIMIT (3ull << 30)
#define HIGH_RAM_BASE (4ull << 30)

static void die(const char *what)
{
	fprintf(stderr, "rawkvm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void bad_input(const char *input, const char *what)
{
	fprintf(stderr, "rawkvm: %s: %s\n", input, what);
	exit(2);
}

static uint64_t parse_size(const char *text)
{
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 0);
	if (errno || end == text)
		bad_input(text, "not a size");
	switch (*end) {
	case 'k':
	case 'K':
		value <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		value <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		value <<= 30;
		end++;
		break;
	}
	if (*end || value < (2ull << 20) || value > (1ull << 40))
		bad_input(text, "size must be 2M..1T, suffix K, M or G");
	return value;
}

struct guest {
	uint8_t *ram;
	uint64_t size;
};

/* Host pointer of the guest-physical range [gpa, gpa + len), or NULL. */
static uint8_t *guest_range(const struct guest *g, uint64_t gpa, uint64_t len)
{
	uint64_t low = g->size < LOW_RAM_LIMIT ? g->size : LOW_RAM_LIMIT;
	if (gpa + len >= gpa && gpa + len <= low)
		return g->ram + gpa;
	if (gpa >= HIGH_RAM_BASE && gpa - HIGH_RAM_BASE + len <= g->size - low && gpa + len >= gpa)
		return g->ram + low + (gpa - HIGH_RAM_BASE);
	return NULL;
}

/* Copy the ELF64's PT_LOAD segments to their physical addresses. */
static uint64_t load_elf(const char *path, const struct guest *g)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bad_input(path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		die(path);
	size_t file_size = (size_t)st.st_size;
	if (file_size < sizeof(Elf64_Ehdr))
		bad_input(path, "too small for an ELF64 header");
	uint8_t *file = mmap(NULL, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED)
		die(path);
	close(fd);

	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr))
		bad_input(path, "not an x86-64 ELF64 image");
	if (eh->e_phoff > file_size || eh->e_phnum > (file_size - eh->e_phoff) / sizeof(Elf64_Phdr))
		bad_input(path, "program headers outside the file");
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_offset > file_size ||
		    ph[i].p_filesz > file_size - ph[i].p_offset)
			bad_input(path, "PT_LOAD segment outside the file");
		uint8_t *dst = guest_range(g, ph[i].p_paddr, ph[i].p_memsz);
		if (!dst)
			bad_input(path, "PT_LOAD segment outside guest RAM");
		memcpy(dst, file + ph[i].p_offset, ph[i].p_filesz);
	}
	uint64_t entry = eh->e_entry;
	munmap(file, file_size);
	return entry;
}

static void add_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)host,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
}

/* Flat 4 GiB 32-bit segments, CR0.PE, paging off: what PVH defines. */
static void enter_protected_mode(int vcpu, uint64_t entry)
{
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	struct kvm_segment code = {
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = 0x10,
	    .type = 0xb,
	    .present = 1,
	    .dpl = 0,
	    .db = 1,
	    .s = 1,
	    .l = 0,
	    .g = 1,
	};
	struct kvm_segment data = code;
	data.selector = 0x18;
	data.type = 0x3;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 = 0x11; /* PE | ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");

	struct kvm_regs regs = {.rip = entry, .rflags = 0x2};
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

static void create_irqchip(int vm)
{
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP");
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
		die("KVM_CREATE_PIT2");
}

static uint32_t io_value(const struct kvm_run *run)
{
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
	uint32_t value = 0;
	memcpy(&value, data, run->io.size <= 4 ? run->io.size : 4);
	return value;
}

int main(int argc, char **argv)
{
	const char *kernel = NULL;
	uint64_t mem = 256ull << 20;
	enum { NO_IRQCHIP, IRQCHIP_BEFORE, IRQCHIP_AFTER } irqchip = NO_IRQCHIP;
	const char *usage =
	    "usage: rawkvm [--mem SIZE] [--irqchip before|after] --kernel GUEST.elf";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
			kernel = argv[++i];
		else if (!strcmp(argv[i], "--irqchip") && i + 1 < argc &&
			 !strcmp(argv[i + 1], "before"))
			irqchip = IRQCHIP_BEFORE, i++;
		else if (!strcmp(argv[i], "--irqchip") && i + 1 < argc &&
			 !strcmp(argv[i + 1], "after"))
			irqchip = IRQCHIP_AFTER, i++;
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem = parse_size(argv[++i]);
		else
			bad_input(argv[i], usage);
	}
	if (!kernel)
		bad_input("rawkvm", usage);

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		bad_input("/dev/kvm", "unexpected KVM API version");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	/* NORESERVE: like pvkit, untouched guest RAM costs nothing. */
	struct guest g = {.size = mem};
	g.ram = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	if (g.ram == MAP_FAILED)
		die("mmap guest RAM");
	if (irqchip == IRQCHIP_BEFORE)
		create_irqchip(vm);
	uint64_t low = mem < LOW_RAM_LIMIT ? mem : LOW_RAM_LIMIT;
	add_slot(vm, 0, 0, low, g.ram);
	if (mem > low)
		add_slot(vm, 1, HIGH_RAM_BASE, mem - low, g.ram + low);
	if (irqchip == IRQCHIP_AFTER)
		create_irqchip(vm);
	uint64_t entry = load_elf(kernel, &g);

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run =
	    mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	enter_protected_mode(vcpu, entry);

	uint8_t scratch = 0;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction != KVM_EXIT_IO_OUT)
				break; /* reads see whatever is in the buffer */
			switch (run->io.port) {
			case MARKER_PORT:
				break;
			case SERIAL_SCRATCH:
				scratch = (uint8_t)io_value(run);
				break;
			case SERIAL_THR: {
				uint8_t byte = (uint8_t)io_value(run);
				if (write(STDOUT_FILENO, &byte, 1) != 1)
					die("write stdout");
				break;
			}
			case DEBUG_EXIT:
				return (int)(io_value(run) & 0xff);
			}
			break;
		case KVM_EXIT_HLT:
			/* The hold guest: stay alive until the launcher kills us. */
			for (;;)
				pause();
		default:
			fprintf(stderr, "rawkvm: unexpected exit reason %u (scratch %u)\n",
				run->exit_reason, scratch);
			return 3;
		}
	}
}
