/* SPDX-License-Identifier: MIT */
/*
 * guest_memory.h - guest-physical RAM as seen from the host.
 *
 * Guest RAM is one host mapping split into at most two guest-physical
 * regions (below the 32-bit MMIO hole and above 4 GiB).  Every host access to
 * guest memory goes through guest_memory_ptr(), which returns NULL unless the
 * whole range lies inside one RAM region: that single check is what keeps a
 * hostile guest (or image) from steering pvkit outside guest RAM.
 */
#ifndef PVKIT_BOOT_GUEST_MEMORY_H
#define PVKIT_BOOT_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEMORY_MAX_REGIONS 2

struct guest_memory_region {
	uint64_t gpa;  /* guest-physical start */
	uint64_t size; /* bytes */
	uint8_t *host; /* where it is mapped in this process */
};

struct guest_memory {
	uint8_t *host; /* the whole mapping */
	uint64_t size; /* total RAM bytes */
	int nregions;
	struct guest_memory_region region[GUEST_MEMORY_MAX_REGIONS];
};

/* Lay out `size` bytes mapped at `host` as a PC does (see layout.h). */
void guest_memory_init(struct guest_memory *mem, uint8_t *host, uint64_t size);

/* Host pointer for [gpa, gpa+len) or NULL if any byte is not RAM. */
void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa, uint64_t len);

/* Highest guest-physical address + 1 of RAM below 4 GiB. */
uint64_t guest_memory_low_end(const struct guest_memory *mem);

#endif
