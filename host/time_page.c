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

int time_page_publish(struct guest_memory *mem, const struct time_sample *sample)
{
	struct pvkit_time_page *page = guest_memory_ptr(mem, LAYOUT_TIME_PAGE, sizeof(*page));
	if (!page)
		return -1;
	volatile uint32_t *seq = &page->sequence;
	/* Odd while writing: a guest reading now retries. */
	*seq = *seq + 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	page->tsc_shift = TIME_PAGE_SHIFT;
	page->tsc_base = sample->guest_tsc;
	page->tsc_to_ns_mul = time_page_mul(sample->tsc_khz);
	page->monotonic_base_ns = sample->monotonic_ns;
	page->realtime_offset_ns = (uint64_t)sample->realtime_offset_ns;
	page->tsc_khz = sample->tsc_khz;
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
