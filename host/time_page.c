// SPDX-License-Identifier: MIT
#include "boot/layout.h"
#include "time_page.h"

uint64_t time_page_mul(uint64_t tsc_khz)
{
	if (tsc_khz == 0)
		return 0;
	/* 1 tick = 1e6 / khz ns; scaled by 2^32 it fits 64 bits for any TSC
	 * faster than 1 kHz. */
	return (uint64_t)(((unsigned __int128)1000000u << TIME_PAGE_SHIFT) / tsc_khz);
}

int time_pair(const struct time_clocks *clocks, struct time_pairing *out)
{
	struct time_pairing best = {.window_ns = UINT64_MAX};
	for (int tries = 1; tries <= TIME_PAIR_TRIES; tries++) {
		uint64_t before = clocks->monotonic_ns(clocks->ctx);
		uint64_t real = clocks->realtime_ns(clocks->ctx);
		uint64_t tsc;
		if (clocks->guest_tsc(clocks->ctx, &tsc) < 0)
			return -1;
		uint64_t after = clocks->monotonic_ns(clocks->ctx);
		uint64_t window = after - before;
		if (window < best.window_ns) {
			/*
			 * The TSC was read somewhere in [before, after]: its
			 * middle is off by half the window at most.  The
			 * realtime read lies between `before` and the TSC read,
			 * so `real` moved on by (middle - before) is off by
			 * half the window at most too.
			 */
			uint64_t half = window / 2;
			best = (struct time_pairing){
			    .guest_tsc = tsc,
			    .monotonic_ns = before + half,
			    .realtime_ns = real + half,
			    .window_ns = window,
			};
		}
		best.tries = tries;
		if (best.window_ns <= TIME_PAIR_GOOD_NS)
			break;
	}
	*out = best;
	return 0;
}

/* The rate for a page that is `clamp_ns` ahead of the host's clock. */
static uint64_t slewed_mul(uint64_t mul, uint64_t clamp_ns)
{
	const uint64_t max_slew = TIME_SYNC_INTERVAL_NS / 1000000u * TIME_SLEW_MAX_PPM;
	uint64_t slew = clamp_ns < max_slew ? clamp_ns : max_slew;
	/* Lose `slew` ns over the next sync interval. */
	return mul - (uint64_t)((unsigned __int128)mul * slew / TIME_SYNC_INTERVAL_NS);
}

void time_keeper_next(struct time_keeper *k, const struct time_pairing *p,
		      struct pvkit_time_page *page)
{
	uint64_t mul = time_page_mul(k->tsc_khz);
	uint64_t paired = p->monotonic_ns - k->start_monotonic_ns;
	uint64_t base = paired, clamp = 0;
	/*
	 * The guest read the last page with TSC values below p->guest_tsc (its
	 * vCPU is stopped while pvkit pairs), so starting the new page at the
	 * last page's reading there, or later, keeps its clock from going
	 * back.  A guest that set its own TSC back (wrmsr) has nothing to
	 * compare with: its page starts afresh.
	 */
	if (k->published && p->guest_tsc >= k->last.tsc_base) {
		uint64_t last = time_page_read_ns(&k->last, p->guest_tsc);
		if (last > paired) {
			clamp = last - paired;
			base = last;
			mul = slewed_mul(mul, clamp);
		}
	}
	uint64_t error = (p->window_ns + 1) / 2 + clamp;
	*page = (struct pvkit_time_page){
	    .tsc_shift = TIME_PAGE_SHIFT,
	    .tsc_base = p->guest_tsc,
	    .tsc_to_ns_mul = mul,
	    .monotonic_base_ns = base,
	    /* The wall clock is the pairing's, clamped or not. */
	    .realtime_offset_ns = p->realtime_ns - base,
	    .tsc_khz = k->tsc_khz,
	    /* 0 would mean "no bound given". */
	    .max_error_ns = error ? error : 1,
	    .restores = k->last.restores,
	};
	k->last = *page;
	k->published = true;
}

int time_page_publish(struct guest_memory *mem, const struct pvkit_time_page *fields)
{
	struct pvkit_time_page *page = guest_memory_ptr(mem, LAYOUT_TIME_PAGE, sizeof(*page));
	if (!page)
		return -1;
	volatile uint32_t *seq = &page->sequence;
	/* Odd while writing: a guest reading now retries. */
	*seq = *seq + 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	page->tsc_shift = fields->tsc_shift;
	page->tsc_base = fields->tsc_base;
	page->tsc_to_ns_mul = fields->tsc_to_ns_mul;
	page->monotonic_base_ns = fields->monotonic_base_ns;
	page->realtime_offset_ns = fields->realtime_offset_ns;
	page->tsc_khz = fields->tsc_khz;
	page->max_error_ns = fields->max_error_ns;
	page->restores = fields->restores;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*seq = *seq + 1;
	return 0;
}

uint64_t time_page_read_ns(const struct pvkit_time_page *page, uint64_t tsc)
{
	unsigned __int128 delta = tsc - page->tsc_base;
	return page->monotonic_base_ns +
	       (uint64_t)((delta * page->tsc_to_ns_mul) >> page->tsc_shift);
}

int time_keeper_sync(struct time_keeper *k, const struct time_clocks *clocks,
		     struct guest_memory *mem, struct time_pairing *pairing)
{
	if (time_pair(clocks, pairing) < 0)
		return -1;
	struct time_keeper next = *k;
	struct pvkit_time_page page;
	time_keeper_next(&next, pairing, &page);
	if (time_page_publish(mem, &page) < 0)
		return -1;
	*k = next;
	return 0;
}
