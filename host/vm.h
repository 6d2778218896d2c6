/* SPDX-License-Identifier: MIT */
/*
 * vm.h - one KVM virtual machine and its RAM.
 *
 * Guest RAM is a single anonymous mapping (MAP_NORESERVE, so a large guest
 * costs only what it touches; 2 MiB aligned and MADV_HUGEPAGE, so the host
 * can back it with huge pages).  guest_memory_init() splits it around the
 * 32-bit MMIO hole and each piece becomes one KVM memory slot.
 *
 * RAM is allocated before the VM exists: the loader fills it first, so a bad
 * image is reported before anything touches /dev/kvm.
 */
#ifndef PVKIT_HOST_VM_H
#define PVKIT_HOST_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/guest_memory.h"

#define KVM_API_VERSION_EXPECTED 12

/* Where KVM keeps its private TSS and identity map: just below 4 GiB, in
 * the MMIO hole, where no RAM is (as QEMU does). */
#define VM_TSS_ADDR	     0xfffbd000ull
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ull

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	bool irqchip;	    /* in-kernel LAPIC/IOAPIC/PIC */
	bool pit;	    /* in-kernel i8254 PIT */
	uint8_t *ram;	    /* the whole mapping, 2 MiB aligned */
	size_t ram_mapped;  /* bytes mapped, including alignment slack */
	uint8_t *map_start; /* what munmap needs */
	int ram_fd;	    /* restored: the memory file mapped copy-on-write; else -1 */
	struct guest_memory mem;
};

/* A capability pvkit needs, and why (for probe and for the error). */
struct vm_capability {
	int cap;
	const char *name;
	bool needed_by_run; /* `pvkit run` refuses to start without it */
};

extern const struct vm_capability vm_capabilities[];
extern const int vm_ncapabilities;

/* Map `size` bytes of zeroed guest RAM.  -1 with a message on failure. */
int vm_alloc_ram(struct vm *vm, uint64_t size);

/* The in-kernel devices a VM gets (the PIT needs the irqchip). */
enum vm_devices {
	VM_NO_IRQCHIP,	    /* nothing: pvkit probe's guests */
	VM_IRQCHIP,	    /* LAPIC, IOAPIC, PIC: a guest that keeps time without the PIT */
	VM_IRQCHIP_AND_PIT, /* and the i8254 PIT: PC guests (Linux calibrates with it) */
};

/*
 * Map `size` bytes of guest RAM from the memory file `fd` (a snapshot's,
 * docs/snapshot.md) copy-on-write: MAP_PRIVATE, so restore reads a page
 * only when the guest touches it and never writes the file.  Keeps `fd`.
 * -1 with a message on failure.
 */
int vm_map_ram_file(struct vm *vm, int fd, uint64_t size);

/*
 * Open /dev/kvm, check the API version and capabilities, create the VM,
 * its TSS/identity-map areas and `devices`, and register the RAM.  -1 with
 * a message on failure.
 */
int vm_create(struct vm *vm, enum vm_devices devices);

/* Raise or lower an interrupt line of the in-kernel irqchip. */
int vm_irq_line(struct vm *vm, uint32_t irq, bool level);

void vm_destroy(struct vm *vm);

/*
 * Open /dev/kvm and check the API version; -1 otherwise, with one line that
 * says what to do ("pvkit: /dev/kvm: Permission denied (add yourself to
 * the kvm group, or run as root)").
 */
int vm_open_kvm(void);

/*
 * Can KVM run a pvkit guest here: /dev/kvm there, accessible, its API
 * version and the capabilities `pvkit run` needs?  The same checks as
 * vm_create(), made before pvkit announces a boot, so that a host without
 * usable KVM gets one line and status 4 (EXIT_STATUS_KVM_FAILURE) instead
 * of a boot that stops.  -1 with that line otherwise.  The open /dev/kvm
 * stays in vm->kvm_fd for vm_create(), which then neither opens nor checks
 * it again.
 */
int vm_check_kvm(struct vm *vm);

#endif
