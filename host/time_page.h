/* SPDX-License-Identifier: MIT */
/*
 * time_page.h - keeping struct pvkit_time_page (abi/pvkit_abi.h) current.
 *
 * The guest turns its own TSC into nanoseconds without an exit:
 *	ns = monotonic_base_ns + (((tsc - tsc_base) * tsc_to_ns_mul) >> tsc_shift)
 * pvkit fills the fields from one paired reading: the guest TSC (read from
 * KVM) and CLOCK_MONOTONIC/CLOCK_REALTIME taken around it.  Updates follow
 * the seqlock protocol of the header: sequence becomes odd, the fields
 * change, sequence becomes even again, with barriers in between.
 */
#ifndef PVKIT_HOST_TIME_PAGE_H
#define PVKIT_HOST_TIME_PAGE_H

#include <stdint.h>

#include "abi/pvkit_abi.h"
#include "boot/guest_memory.h"

#define TIME_PAGE_SHIFT 32

/* One pairing of guest TSC and host clocks. */
struct time_sample {
	uint64_t tsc_khz;
	uint64_t guest_tsc;
	uint64_t monotonic_ns; /* since the VM started */
	int64_t realtime_offset_ns;
};

/* The multiplier for (delta_tsc * mul) >> TIME_PAGE_SHIFT = ns; 0 if khz is 0. */
uint64_t time_page_mul(uint64_t tsc_khz);

/* Publish a sample at LAYOUT_TIME_PAGE; -1 if that page is not RAM. */
int time_page_publish(struct guest_memory *mem, const struct time_sample *sample);

/* ns from a page, the way a guest computes it (for tests). */
uint64_t time_page_read_ns(const struct pvkit_time_page *page, uint64_t tsc);

#endif
