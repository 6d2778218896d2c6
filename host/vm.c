// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "vm.h"

#define HUGE_PAGE (2ull << 20)

const struct vm_capability vm_capabilities[] = {
    {KVM_CAP_USER_MEMORY, "user_memory", true},
    {KVM_CAP_SET_TSS_ADDR, "set_tss_addr", true},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "set_identity_map_addr", true},
    {KVM_CAP_IRQCHIP, "irqchip", true},
    {KVM_CAP_PIT2, "pit2", true},
    {KVM_CAP_EXT_CPUID, "ext_cpuid", true},
    {KVM_CAP_GET_TSC_KHZ, "get_tsc_khz", true},
    {KVM_CAP_IMMEDIATE_EXIT, "immediate_exit", true},
    {KVM_CAP_NR_VCPUS, "nr_vcpus", false},
    {KVM_CAP_MAX_VCPUS, "max_vcpus", false},
    {KVM_CAP_IOEVENTFD, "ioeventfd", false},
    {KVM_CAP_IRQFD, "irqfd", false},
    {KVM_CAP_READONLY_MEM, "readonly_mem", false},
    {KVM_CAP_COALESCED_MMIO, "coalesced_mmio", false},
    {KVM_CAP_SYNC_REGS, "sync_regs", false},
};
const int vm_ncapabilities = sizeof(vm_capabilities) / sizeof(vm_capabilities[0]);

/*
 * The name of group `gid` from /etc/group, or NULL.  Not getgrgid(): its NSS
 * modules may open sockets, which the loading filter forbids (seccomp.h).
 */
static const char *group_name(gid_t gid, char *buf, size_t size)
{
	FILE *f = fopen("/etc/group", "re");
	if (!f)
		return NULL;
	const char *name = NULL;
	for (struct group *g; !name && (g = fgetgrent(f)) != NULL;) {
		if (g->gr_gid == gid) {
			snprintf(buf, size, "%s", g->gr_name);
			name = buf;
		}
	}
	fclose(f);
	return name;
}

/* What the user can do when /dev/kvm cannot be opened with `err`. */
static void explain_open_failure(int err)
{
	const char *why = strerror(err);
	struct stat st;
	char buf[64];
	const char *group;
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		log_msg("/dev/kvm: %s (load the kvm module; pvkit needs KVM)", why);
		break;
	case EACCES:
	case EPERM:
		/* Distributions give /dev/kvm to a group (kvm): name it. */
		if (stat("/dev/kvm", &st) == 0 && st.st_gid != 0 &&
		    (group = group_name(st.st_gid, buf, sizeof(buf))) != NULL)
			log_msg("/dev/kvm: %s (add yourself to the %s group, or run as root)", why,
				group);
		else
			log_msg("/dev/kvm: %s (run as root, or give your user read and write "
				"access to /dev/kvm)",
				why);
		break;
	default:
		log_msg("/dev/kvm: %s", why);
	}
}

int vm_open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		explain_open_failure(errno);
		return -1;
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION_EXPECTED) {
		log_msg("/dev/kvm: KVM API version %d, pvkit needs %d", version,
			KVM_API_VERSION_EXPECTED);
		close(fd);
		return -1;
	}
	return fd;
}

/*L:150 Guest RAM: one anonymous mapping of --mem bytes, reserved lazily
 * (MAP_NORESERVE: the host gives pages as the guest touches them) and 2 MiB
 * aligned so that guest huge pages can be host huge pages.
 * guest_memory_init() cuts it around the 32-bit MMIO hole, as RAM is laid
 * out on a PC (boot/guest_memory.c); the loader writes through that view,
 * vm_create() later gives each piece to KVM as a memslot.
 * Next: boot/image.c. :*/
int vm_alloc_ram(struct vm *vm, uint64_t size)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->ram_fd = -1;
	/* Over-allocate by one huge page and start at the first 2 MiB boundary
	 * inside, so guest-physical 2 MiB pages line up with host ones. */
	vm->ram_mapped = size + HUGE_PAGE;
	void *p = mmap(NULL, vm->ram_mapped, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		log_msg("cannot map %" PRIu64 " MiB of guest RAM: %s", size >> 20, strerror(errno));
		return -1;
	}
	vm->map_start = p;
	vm->ram = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	/* Advice only: without transparent huge pages it fails harmlessly.
	 * Not for the first 2 MiB: pvkit's boot tables and small guests live
	 * there, a few KiB that would each time cost the clearing of a whole
	 * huge page (measured: an eighth of pvkit's start-up CPU, bench/). */
	if (size > HUGE_PAGE)
		madvise(vm->ram + HUGE_PAGE, size - HUGE_PAGE, MADV_HUGEPAGE);
	/* A core dump of pvkit (a seccomp kill, a crash) must not carry the
	 * guest's memory: it is the guest's data, and gigabytes of it. */
	madvise(vm->map_start, vm->ram_mapped, MADV_DONTDUMP);
	guest_memory_init(&vm->mem, vm->ram, size);
	return 0;
}

int vm_map_ram_file(struct vm *vm, int fd, uint64_t size)
{
	/* The same layout as vm_alloc_ram(): reserve size + 2 MiB, then the
	 * file over the 2 MiB aligned start. */
	if (vm_alloc_ram(vm, size) < 0)
		return -1;
	void *p = mmap(vm->ram, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		log_msg("cannot map the memory file (%" PRIu64 " MiB): %s", size >> 20,
			strerror(errno));
		return -1;
	}
	madvise(vm->ram, size, MADV_DONTDUMP);
	vm->ram_fd = fd;
	return 0;
}

static int check_capabilities(int kvm_fd)
{
	for (int i = 0; i < vm_ncapabilities; i++) {
		const struct vm_capability *c = &vm_capabilities[i];
		if (c->needed_by_run && ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap) <= 0) {
			log_msg("/dev/kvm: KVM lacks capability %s, which pvkit needs", c->name);
			return -1;
		}
	}
	return 0;
}

int vm_check_kvm(struct vm *vm)
{
	vm->kvm_fd = vm_open_kvm();
	if (vm->kvm_fd < 0)
		return -1;
	return check_capabilities(vm->kvm_fd);
}

static int register_ram(struct vm *vm)
{
	for (int i = 0; i < vm->mem.nregions; i++) {
		const struct guest_memory_region *r = &vm->mem.region[i];
		struct kvm_userspace_memory_region slot = {
		    .slot = (uint32_t)i,
		    .guest_phys_addr = r->gpa,
		    .memory_size = r->size,
		    .userspace_addr = (uintptr_t)r->host,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			log_msg("KVM_SET_USER_MEMORY_REGION (slot %d, %" PRIu64 " MiB): %s", i,
				r->size >> 20, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int vm_create(struct vm *vm, enum vm_devices devices)
{
	if (vm->kvm_fd < 0 && vm_check_kvm(vm) < 0)
		return -1;
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		log_msg("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		log_msg("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0) {
		log_msg("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	uint64_t identity_map = VM_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity_map) < 0) {
		log_msg("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
		return -1;
	}
	/*
	 * Guest RAM before the irqchip: on this host, creating the in-kernel
	 * irqchip and PIT first makes the memslot registration that follows
	 * about 6 ms slower (bench/, docs/performance.md section 1); in this
	 * order the VM starts as fast as one without an irqchip.
	 */
	if (register_ram(vm) < 0)
		return -1;
	if (devices >= VM_IRQCHIP) {
		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
			log_msg("KVM_CREATE_IRQCHIP: %s", strerror(errno));
			return -1;
		}
		vm->irqchip = true;
	}
	if (devices >= VM_IRQCHIP_AND_PIT) {
		struct kvm_pit_config pit = {.flags = 0};
		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
			log_msg("KVM_CREATE_PIT2: %s", strerror(errno));
			return -1;
		}
		vm->pit = true;
	}
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t irq, bool level)
{
	struct kvm_irq_level line = {.irq = irq, .level = level ? 1 : 0};
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &line);
}

void vm_destroy(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->map_start)
		munmap(vm->map_start, vm->ram_mapped);
	if (vm->ram_fd >= 0)
		close(vm->ram_fd);
	vm->vm_fd = vm->kvm_fd = vm->ram_fd = -1;
	vm->map_start = NULL;
}
