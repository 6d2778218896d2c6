// SPDX-License-Identifier: MIT
/*
 * The time page (host/time_page.c) against clocks the test controls: a
 * simulated host where every clock read takes a little time, where pvkit
 * can be preempted between any two reads, and where the guest's TSC may run
 * a little faster or slower than tsc_khz says.  What must hold: a pairing
 * is as good as its window says, preempted pairings are retried, a page
 * never reads earlier than the one it replaces, and max_error_ns (plus
 * PVKIT_TIME_DRIFT_PPM between updates) bounds the page's error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "host/time_page.h"

#define KHZ	     2000000u /* a 2 GHz TSC: 2 ticks per ns */
#define START_NS     1000000000ull
#define EPOCH_NS     (1700000000ull * 1000000000ull)
#define READ_COST_NS 1000u /* every clock read takes 1 us */
#define MAX_STALLS   (TIME_PAIR_TRIES + 1)

/* The simulated host: true time, and the clocks pvkit reads from it. */
struct sim {
	uint64_t now_ns;	       /* CLOCK_MONOTONIC is the truth */
	uint64_t tsc_khz_true;	       /* how fast the guest TSC really runs */
	uint64_t stall_ns[MAX_STALLS]; /* preemption before the TSC read of try i */
	uint64_t tsc_read_at_ns;       /* when the last TSC read happened */
	int tries;		       /* TSC reads so far */
	bool tsc_fails;
};

static uint64_t sim_monotonic(void *ctx)
{
	struct sim *s = ctx;
	s->now_ns += READ_COST_NS;
	return s->now_ns;
}

static uint64_t sim_realtime(void *ctx)
{
	struct sim *s = ctx;
	s->now_ns += READ_COST_NS;
	return s->now_ns + EPOCH_NS;
}

static uint64_t sim_tsc_at(const struct sim *s, uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * s->tsc_khz_true / 1000000u);
}

static int sim_guest_tsc(void *ctx, uint64_t *tsc)
{
	struct sim *s = ctx;
	if (s->tsc_fails)
		return -1;
	if (s->tries < MAX_STALLS)
		s->now_ns += s->stall_ns[s->tries];
	s->tries++;
	s->now_ns += READ_COST_NS;
	s->tsc_read_at_ns = s->now_ns;
	*tsc = sim_tsc_at(s, s->now_ns);
	return 0;
}

static struct time_clocks sim_clocks(struct sim *s)
{
	return (struct time_clocks){
	    .monotonic_ns = sim_monotonic,
	    .realtime_ns = sim_realtime,
	    .guest_tsc = sim_guest_tsc,
	    .ctx = s,
	};
}

static struct sim sim_new(void)
{
	return (struct sim){.now_ns = START_NS, .tsc_khz_true = KHZ};
}

static struct time_pairing pair(struct sim *s)
{
	struct time_clocks c = sim_clocks(s);
	struct time_pairing p;
	s->tries = 0;
	assert_int_equal(time_pair(&c, &p), 0);
	return p;
}

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void pairing_within_its_window(void **state)
{
	(void)state;
	struct sim s = sim_new();
	struct time_pairing p = pair(&s);
	assert_int_equal(p.tries, 1);
	assert_int_equal(p.window_ns, 3 * READ_COST_NS);
	assert_int_equal(p.guest_tsc, sim_tsc_at(&s, s.tsc_read_at_ns));
	assert_true(distance(p.monotonic_ns, s.tsc_read_at_ns) <= p.window_ns / 2);
	assert_true(distance(p.realtime_ns, s.tsc_read_at_ns + EPOCH_NS) <= p.window_ns / 2);
}

/* A preemption between the reads: retried until a pairing is good. */
static void preempted_pairing_retried(void **state)
{
	(void)state;
	struct sim s = sim_new();
	s.stall_ns[0] = 5000000; /* 5 ms: a time slice elsewhere */
	s.stall_ns[1] = 40000;
	s.stall_ns[2] = 5000000;
	struct time_pairing p = pair(&s);
	assert_int_equal(p.tries, 4);
	assert_int_equal(p.window_ns, 3 * READ_COST_NS);
	assert_true(distance(p.monotonic_ns, s.tsc_read_at_ns) <= p.window_ns / 2);
}

/* Every try preempted: the narrowest is kept, and says how wide it is. */
static void narrowest_pairing_kept(void **state)
{
	(void)state;
	struct sim s = sim_new();
	for (int i = 0; i < MAX_STALLS; i++)
		s.stall_ns[i] = 1000000 + 1000u * (uint64_t)((i * 7) % TIME_PAIR_TRIES);
	s.stall_ns[5] = 30000;
	struct time_pairing p = pair(&s);
	assert_int_equal(p.tries, TIME_PAIR_TRIES);
	assert_int_equal(s.tries, TIME_PAIR_TRIES);
	assert_int_equal(p.window_ns, 30000 + 3 * READ_COST_NS);
	/* The kept pairing is try 5's, not the last one's. */
	uint64_t tsc_ns = (uint64_t)((unsigned __int128)p.guest_tsc * 1000000u / KHZ);
	assert_true(distance(p.monotonic_ns, tsc_ns) <= p.window_ns / 2);
	assert_true(s.tsc_read_at_ns - tsc_ns > 1000000);
}

static void tsc_read_failure(void **state)
{
	(void)state;
	struct sim s = sim_new();
	s.tsc_fails = true;
	struct time_clocks c = sim_clocks(&s);
	struct time_pairing p;
	assert_int_equal(time_pair(&c, &p), -1);
}

static struct time_keeper keeper(void)
{
	return (struct time_keeper){.tsc_khz = KHZ, .start_monotonic_ns = START_NS};
}

static void first_page(void **state)
{
	(void)state;
	struct time_keeper k = keeper();
	struct time_pairing p = {
	    .guest_tsc = 1000,
	    .monotonic_ns = START_NS + 5000,
	    .realtime_ns = EPOCH_NS + 7000,
	    .window_ns = 3001,
	};
	struct pvkit_time_page page;
	time_keeper_next(&k, &p, &page);
	assert_int_equal(page.tsc_shift, TIME_PAGE_SHIFT);
	assert_int_equal(page.tsc_base, 1000);
	assert_int_equal(page.tsc_to_ns_mul, time_page_mul(KHZ));
	assert_int_equal(page.monotonic_base_ns, 5000);
	assert_int_equal(page.tsc_khz, KHZ);
	assert_int_equal(page.max_error_ns, 1501); /* half the window, rounded up */
	/* The wall clock at the pairing is the pairing's realtime. */
	assert_int_equal(page.monotonic_base_ns + page.realtime_offset_ns, EPOCH_NS + 7000);
	/* 2e9 ticks later is one second later. */
	assert_int_equal(time_page_read_ns(&page, 1000 + 2000000000ull), 5000 + 1000000000ull);
	assert_true(k.published);
	assert_memory_equal(&k.last, &page, sizeof(page));
	/* A perfect pairing still gives a bound: 0 would mean "none given". */
	struct time_keeper k2 = keeper();
	p.window_ns = 0;
	time_keeper_next(&k2, &p, &page);
	assert_int_equal(page.max_error_ns, 1);
}

/* The new pairing is earlier than the last page there: clamp, then slew. */
static void clamped_never_earlier(void **state)
{
	(void)state;
	struct time_keeper k = keeper();
	struct pvkit_time_page first, next;
	struct time_pairing p = {
	    .guest_tsc = 0, .monotonic_ns = START_NS + 10000, .window_ns = 2000};
	time_keeper_next(&k, &p, &first);
	/* One second later by the TSC, but the pairing says 3 us less. */
	p.guest_tsc = 2000000000ull;
	p.monotonic_ns = START_NS + 10000 + 1000000000ull - 3000;
	p.realtime_ns = EPOCH_NS + 42;
	time_keeper_next(&k, &p, &next);
	uint64_t last = time_page_read_ns(&first, p.guest_tsc);
	assert_int_equal(next.monotonic_base_ns, last);
	assert_int_equal(time_page_read_ns(&next, p.guest_tsc), last);
	assert_int_equal(next.max_error_ns, 1000 + 3000);
	/* 3 us ahead: lose them over the next second (3 ppm slower). */
	uint64_t mul = time_page_mul(KHZ);
	assert_int_equal(next.tsc_to_ns_mul, mul - mul * 3000 / 1000000000ull);
	/* The wall clock stays the pairing's. */
	assert_int_equal(next.monotonic_base_ns + next.realtime_offset_ns, EPOCH_NS + 42);
}

/* However far ahead the last page was, the rate changes by at most
 * TIME_SLEW_MAX_PPM. */
static void slew_capped(void **state)
{
	(void)state;
	struct time_keeper k = keeper();
	struct pvkit_time_page page;
	struct time_pairing p = {
	    .guest_tsc = 0, .monotonic_ns = START_NS + 5000000, .window_ns = 2000};
	time_keeper_next(&k, &p, &page);
	p.monotonic_ns = START_NS; /* 5 ms behind the last page */
	p.guest_tsc = 10;
	time_keeper_next(&k, &p, &page);
	uint64_t mul = time_page_mul(KHZ);
	assert_int_equal(page.tsc_to_ns_mul, mul - mul * TIME_SLEW_MAX_PPM / 1000000u);
	assert_true(page.monotonic_base_ns >= 5000000);
	assert_true(page.max_error_ns >= 5000000);
}

/* Behind the host's clock: the page steps forward, at the nominal rate. */
static void step_forward(void **state)
{
	(void)state;
	struct time_keeper k = keeper();
	struct pvkit_time_page page;
	struct time_pairing p = {.guest_tsc = 0, .monotonic_ns = START_NS, .window_ns = 2000};
	time_keeper_next(&k, &p, &page);
	p.guest_tsc = 2000000000ull; /* 1 s by the TSC, 1 s + 50 us by the host */
	p.monotonic_ns = START_NS + 1000050000ull;
	time_keeper_next(&k, &p, &page);
	assert_int_equal(page.monotonic_base_ns, 1000050000ull);
	assert_int_equal(page.tsc_to_ns_mul, time_page_mul(KHZ));
	assert_int_equal(page.max_error_ns, 1000);
}

/* The guest set its TSC back (wrmsr): no comparison, a fresh page. */
static void tsc_set_back(void **state)
{
	(void)state;
	struct time_keeper k = keeper();
	struct pvkit_time_page page;
	struct time_pairing p = {
	    .guest_tsc = 1u << 30, .monotonic_ns = START_NS + 9000, .window_ns = 2000};
	time_keeper_next(&k, &p, &page);
	p.guest_tsc = 5;
	p.monotonic_ns = START_NS + 10000;
	time_keeper_next(&k, &p, &page);
	assert_int_equal(page.monotonic_base_ns, 10000);
	assert_int_equal(page.tsc_base, 5);
	assert_int_equal(page.max_error_ns, 1000);
}

/* A page's reading at a true time, and the truth, as the guest would see it. */
static uint64_t page_at(const struct sim *s, const struct pvkit_time_page *page, uint64_t true_ns)
{
	return time_page_read_ns(page, sim_tsc_at(s, true_ns));
}

static uint64_t allowed_error(const struct pvkit_time_page *page, uint64_t reading)
{
	return page->max_error_ns +
	       (reading - page->monotonic_base_ns) / 1000u * PVKIT_TIME_DRIFT_PPM / 1000u + 1;
}

/*
 * Hours of a guest's life: a sync every second or so, random preemptions
 * inside the pairings, a TSC 20 ppm fast (then slow).  The guest reads its
 * clock right before and right after every update: the readings never go
 * back, and every reading is within what max_error_ns and
 * PVKIT_TIME_DRIFT_PPM allow.
 */
static void simulated_guest_life(void **state)
{
	(void)state;
	static uint8_t ram[LAYOUT_TIME_PAGE + 4096];
	struct guest_memory mem;
	guest_memory_init(&mem, ram, sizeof(ram));
	const struct pvkit_time_page *shared = (const void *)(ram + LAYOUT_TIME_PAGE);
	for (int drift = -1; drift <= 1; drift += 2) {
		struct sim s = sim_new();
		s.tsc_khz_true = KHZ + (uint64_t)(drift * 40); /* +-20 ppm */
		struct time_keeper k = keeper();
		struct time_clocks c = sim_clocks(&s);
		uint32_t seed = 12345;
		uint64_t last_reading = 0, clamps = 0;
		for (int sync = 0; sync < 5000; sync++) {
			for (int i = 0; i < MAX_STALLS; i++) {
				seed = seed * 1103515245u + 12345u;
				/* a third of the tries preempted, by up to ~8 ms */
				s.stall_ns[i] = (seed >> 16) % 3 == 0 ? (seed >> 8) % 8000000 : 0;
			}
			s.tries = 0;
			struct time_pairing p;
			uint64_t sequence = shared->sequence;
			assert_int_equal(time_keeper_sync(&k, &c, &mem, &p), 0);
			assert_int_equal(shared->sequence, sequence + 2);
			assert_int_equal(shared->max_error_ns, k.last.max_error_ns);
			if (k.last.tsc_to_ns_mul != time_page_mul(KHZ))
				clamps++;
			/* Right after the update, and an interval later. */
			uint64_t later = s.now_ns + 900000000u + (seed >> 4) % 200000000u;
			const uint64_t reads[] = {s.now_ns, later};
			for (int i = 0; i < 2; i++) {
				uint64_t t = reads[i];
				uint64_t r = page_at(&s, shared, t);
				assert_true(r >= last_reading);
				last_reading = r;
				uint64_t truth = t - START_NS;
				assert_true(distance(r, truth) <= allowed_error(shared, r));
				uint64_t wall = r + shared->realtime_offset_ns;
				assert_true(distance(wall, t + EPOCH_NS) <=
					    allowed_error(shared, r));
				/* The bound stays small: preemption no longer shows. */
				assert_true(shared->max_error_ns < 100000);
			}
			s.now_ns = later;
		}
		/* With a fast TSC, pages run ahead and get clamped. */
		if (drift > 0)
			assert_true(clamps > 100);
	}
}

static void publish(void **state)
{
	(void)state;
	static uint8_t ram[LAYOUT_TIME_PAGE + 4096];
	struct guest_memory mem;
	guest_memory_init(&mem, ram, sizeof(ram));
	struct pvkit_time_page fields = {
	    .tsc_shift = TIME_PAGE_SHIFT,
	    .tsc_base = 1000,
	    .tsc_to_ns_mul = time_page_mul(3100000),
	    .monotonic_base_ns = 5000,
	    .realtime_offset_ns = EPOCH_NS,
	    .tsc_khz = 3100000,
	    .max_error_ns = 1234,
	    .sequence = 77, /* not the page's: ignored */
	};
	assert_int_equal(time_page_publish(&mem, &fields), 0);
	const struct pvkit_time_page *p = (const void *)(ram + LAYOUT_TIME_PAGE);
	assert_int_equal(p->sequence, 2); /* even: a complete update */
	assert_int_equal(p->tsc_khz, 3100000);
	assert_int_equal(p->tsc_base, 1000);
	assert_int_equal(p->realtime_offset_ns, EPOCH_NS);
	assert_int_equal(p->max_error_ns, 1234);
	for (unsigned i = 0; i < sizeof(p->reserved) / sizeof(p->reserved[0]); i++)
		assert_int_equal(p->reserved[i], 0);
	/* An hour of a 3.1 GHz TSC stays within a microsecond. */
	uint64_t hour = 3600ull * 3100000000ull;
	int64_t err = (int64_t)time_page_read_ns(p, 1000 + hour) - (int64_t)(5000 + 3600e9);
	assert_true(err > -1000 && err < 1000);
	assert_int_equal(time_page_publish(&mem, &fields), 0);
	assert_int_equal(p->sequence, 4);
	assert_int_equal(time_page_mul(0), 0);
	/* No page there: nothing written. */
	struct guest_memory tiny;
	guest_memory_init(&tiny, ram, LAYOUT_TIME_PAGE);
	assert_int_equal(time_page_publish(&tiny, &fields), -1);
}

/* A failed pairing or a missing page publishes nothing and keeps the keeper. */
static void sync_failures(void **state)
{
	(void)state;
	static uint8_t ram[LAYOUT_TIME_PAGE + 4096];
	struct guest_memory mem, tiny;
	guest_memory_init(&mem, ram, sizeof(ram));
	guest_memory_init(&tiny, ram, LAYOUT_TIME_PAGE);
	struct sim s = sim_new();
	struct time_clocks c = sim_clocks(&s);
	struct time_keeper k = keeper();
	struct time_pairing p;
	assert_int_equal(time_keeper_sync(&k, &c, &tiny, &p), -1);
	assert_false(k.published);
	assert_int_equal(time_keeper_sync(&k, &c, &mem, &p), 0);
	struct time_keeper before = k;
	s.tsc_fails = true;
	assert_int_equal(time_keeper_sync(&k, &c, &mem, &p), -1);
	assert_memory_equal(&k, &before, sizeof(k));
	assert_int_equal(((const struct pvkit_time_page *)(ram + LAYOUT_TIME_PAGE))->sequence, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pairing_within_its_window),
	    cmocka_unit_test(preempted_pairing_retried),
	    cmocka_unit_test(narrowest_pairing_kept),
	    cmocka_unit_test(tsc_read_failure),
	    cmocka_unit_test(first_page),
	    cmocka_unit_test(clamped_never_earlier),
	    cmocka_unit_test(slew_capped),
	    cmocka_unit_test(step_forward),
	    cmocka_unit_test(tsc_set_back),
	    cmocka_unit_test(simulated_guest_life),
	    cmocka_unit_test(publish),
	    cmocka_unit_test(sync_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
