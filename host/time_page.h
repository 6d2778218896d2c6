/* SPDX-License-Identifier: MIT */
/*
 * time_page.h - keeping struct pvkit_time_page (abi/pvkit_abi.h) current.
 *
 * The guest turns its own TSC into nanoseconds without an exit:
 *	ns = monotonic_base_ns + (((tsc - tsc_base) * tsc_to_ns_mul) >> tsc_shift)
 * pvkit fills the fields from a pairing of the guest TSC (read from KVM)
 * with CLOCK_MONOTONIC and CLOCK_REALTIME.  Three steps, each its own
 * function so the unit tests can drive them with clocks of their own:
 *
 *  1. time_pair(): monotonic, realtime, guest TSC, monotonic; the two
 *     monotonic reads bound when the TSC was read.  A pvkit preempted in
 *     between would pair the TSC with a time off by the preemption, so a
 *     wide window is retried and the narrowest one kept.
 *  2. time_keeper_next(): the page for that pairing, never reading earlier
 *     than the page it replaces (a clamp, then a slower rate until the
 *     clamp is absorbed), with its error bound (max_error_ns).
 *  3. time_page_publish(): the seqlock write of abi/pvkit_abi.h: sequence
 *     odd, fields, sequence even, with barriers in between.
 */
#ifndef PVKIT_HOST_TIME_PAGE_H
#define PVKIT_HOST_TIME_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/pvkit_abi.h"
#include "boot/guest_memory.h"

#define TIME_PAGE_SHIFT 32

/* Re-pair at most this often (on a hypercall exit: it costs ioctls). */
#define TIME_SYNC_INTERVAL_NS 1000000000ull

/*
 * A pairing is good when its two monotonic reads are at most this far
 * apart: the TSC read (one KVM_GET_MSRS) takes 3-10 us on this host.
 * At most TIME_PAIR_TRIES pairings are made to get one.
 */
#define TIME_PAIR_GOOD_NS 20000u
#define TIME_PAIR_TRIES	  16

/*
 * A clamped page runs slower until it is back on the host's clock: by the
 * clamp spread over one sync interval, but never more than this (so the
 * page's rate stays within PVKIT_TIME_DRIFT_PPM, which also covers the
 * TSC's own rate error).
 */
#define TIME_SLEW_MAX_PPM 100u

/* The clocks a pairing reads.  pvkit's are the host's and KVM's. */
struct time_clocks {
	uint64_t (*monotonic_ns)(void *ctx);
	uint64_t (*realtime_ns)(void *ctx);
	int (*guest_tsc)(void *ctx, uint64_t *tsc); /* -1 on failure */
	void *ctx;
};

/* The guest TSC and the host clocks at one instant, to within window_ns/2. */
struct time_pairing {
	uint64_t guest_tsc;
	uint64_t monotonic_ns; /* CLOCK_MONOTONIC in the middle of the window */
	uint64_t realtime_ns;  /* CLOCK_REALTIME at that same instant */
	uint64_t window_ns;    /* between the monotonic reads around the TSC read */
	int tries;	       /* pairings made to get this one */
};

/* What pvkit published last, in its own memory: the guest can write the page. */
struct time_keeper {
	uint64_t tsc_khz;
	uint64_t start_monotonic_ns; /* CLOCK_MONOTONIC at the guest's time 0 */
	bool published;
	struct pvkit_time_page last;
};

/* The narrowest of up to TIME_PAIR_TRIES pairings; -1 if the TSC cannot be read. */
int time_pair(const struct time_clocks *clocks, struct time_pairing *out);

/*
 * The page for pairing `p` (sequence left 0), remembered in `k` as the last
 * one.  Its monotonic reading at p->guest_tsc is the pairing's unless that
 * is earlier than the last page's reading there: then it is the last
 * page's, and the rate is lowered to catch up (TIME_SLEW_MAX_PPM).  The
 * realtime offset makes the wall clock the pairing's either way.
 */
void time_keeper_next(struct time_keeper *k, const struct time_pairing *p,
		      struct pvkit_time_page *page);

/* The multiplier for (delta_tsc * mul) >> TIME_PAGE_SHIFT = ns; 0 if khz is 0. */
uint64_t time_page_mul(uint64_t tsc_khz);

/* Write `fields` to the page at LAYOUT_TIME_PAGE; -1 if that page is not RAM. */
int time_page_publish(struct guest_memory *mem, const struct pvkit_time_page *fields);

/* The monotonic ns a page gives for `tsc`, the way a guest computes it. */
uint64_t time_page_read_ns(const struct pvkit_time_page *page, uint64_t tsc);

/*
 * Pair, make the next page, publish it: what pvkit does before the guest
 * starts and then at most every TIME_SYNC_INTERVAL_NS.  -1 if the TSC
 * cannot be read or the page is not RAM (nothing published).
 */
int time_keeper_sync(struct time_keeper *k, const struct time_clocks *clocks,
		     struct guest_memory *mem, struct time_pairing *pairing);

#endif
