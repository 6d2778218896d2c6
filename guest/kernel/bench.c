/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the same measurements on every backend (pvkernel.bench=1),
 * so that a deprivileged kernel (pvm) can be compared with ring 0 in one
 * run of tests/boot/pvkernel_pvm.sh:
 *
 *   loop        a dec/jnz loop in kernel code, ns per iteration (a host
 *               process runs the same loop for the limit)
 *   #UD, #PF    an exception raised and recovered in kernel mode
 *   timer       what one timer interrupt takes from kernel code (the
 *               median gap it leaves in a loop reading the TSC)
 *   user        a user->kernel->user round trip: `syscall` and back,
 *               where the backend has user mode (pvm).  A ring-0 kernel
 *               has none on a PVM host: `syscall` from user mode lands at
 *               LSTAR in the deprivileged context, where ring-0 kernel text
 *               (no U bit) faults (docs/pvm-backend.md).
 *
 * Each prints "bench: NAME VALUE ns".  Sizes adapt to the speed found, so
 * that an emulated ring 0 (~1-5 us an instruction on a PVM host) finishes
 * in about a second and native code still runs long enough to be timed.
 */
#include "pv.h"
#include "trap.h"

#define TARGET_NS	50000000ull /* each measurement runs about this long */
#define BENCH_TIMER_HZ	2000
#define KERNEL_TIMER_HZ 250
#define UNMAPPED_VA	0x0000010000000000ull

static void report(const char *name, uint64_t ps)
{
	printk("bench: %s %lu.%03lu ns\n", name, ps / 1000, ps % 1000);
}

static void loop(uint64_t n)
{
	asm volatile(".p2align 5\n1: dec %0; jnz 1b" : "+r"(n) : : "cc");
}

/*
 * Picoseconds per unit of `work`: sized to run about TARGET_NS / 4, then
 * the best of BATCHES runs (the host is shared; a preempted run is only
 * ever longer).
 */
#define BATCHES 5

static uint64_t time_per_unit(void (*work)(uint64_t), uint64_t *units)
{
	uint64_t n = 16, elapsed;
	for (;;) {
		uint64_t t0 = pv_ops.monotonic_ns();
		work(n);
		elapsed = pv_ops.monotonic_ns() - t0;
		if (elapsed >= TARGET_NS / 4 || n >= (1ull << 40))
			break;
		n *= elapsed ? MAX(2, MIN(64, TARGET_NS / 2 / elapsed)) : 64;
	}
	for (int b = 1; b < BATCHES; b++) {
		uint64_t t0 = pv_ops.monotonic_ns();
		work(n);
		elapsed = MIN(elapsed, pv_ops.monotonic_ns() - t0);
	}
	*units = n;
	return elapsed * 1000 / n;
}

static void ud_work(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		fault_expect.vector = VEC_UD;
		probe_ud2();
	}
}

static void pf_work(uint64_t n)
{
	uint64_t v;
	for (uint64_t i = 0; i < n; i++) {
		fault_expect.vector = VEC_PF;
		probe_read64(UNMAPPED_VA, &v);
	}
}

/*
 * The timer.  Read the TSC back to back with the timer at BENCH_TIMER_HZ:
 * a step much longer than a plain one (the typical step, measured first
 * with the timer stopped) is time spent away.  At that rate most such gaps
 * are timer interrupts (the host's own interrupts and preemptions are
 * rarer), so the median gap minus a plain step is the cost of one.
 * Emulated code (ring 0 on a PVM host) has steps of microseconds: the
 * threshold follows the typical step.
 */
#define MAX_GAPS  1024
#define DETOUR_NS 100000000ull
static uint64_t samples[MAX_GAPS];

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static uint64_t timer_ps(void)
{
	pv_ops.timer_stop();
	uint64_t prev = rdtsc();
	for (unsigned i = 0; i < 64; i++) {
		uint64_t now = rdtsc();
		samples[i] = now - prev;
		prev = now;
	}
	sort(samples, 64);
	uint64_t step = samples[32], threshold = MAX(2000, 4 * step);

	uint64_t flags = pv_ops.irq_save();
	if (pv_ops.timer_start(BENCH_TIMER_HZ, VEC_TIMER))
		return 0;
	pv_ops.irq_enable();
	unsigned gaps = 0;
	uint64_t ticks0 = timer_ticks, t0 = pv_ops.monotonic_ns(), start = rdtsc(), now;
	prev = start;
	do {
		now = rdtsc();
		if (now - prev > threshold && gaps < MAX_GAPS)
			samples[gaps++] = now - prev;
		prev = now;
	} while (pv_ops.monotonic_ns() - t0 < DETOUR_NS);
	uint64_t t1 = pv_ops.monotonic_ns(), ticks = timer_ticks - ticks0;
	pv_ops.irq_restore(flags);
	pv_ops.timer_start(KERNEL_TIMER_HZ, VEC_TIMER);
	if (!gaps || !ticks)
		return 0;
	sort(samples, gaps);
	uint64_t gap = samples[gaps / 2] - step;
	/* cycles -> ps by the detour's own rate (64-bit safe: both < 2^40) */
	uint64_t ps = gap * 1000 * ((t1 - t0) >> 10) / ((now - start) >> 10);
	printk("bench: timer: %lu ticks, %u gaps in %lu ms; plain step %lu cycles\n", ticks, gaps,
	       (t1 - t0) / 1000000, step);
	return ps;
}

void run_bench(void)
{
	uint64_t loop_n, ud_n, pf_n;
	uint64_t loop_ps = time_per_unit(loop, &loop_n);
	report("kernel_loop_ns_per_iteration", loop_ps);
	uint64_t ud_ps = time_per_unit(ud_work, &ud_n);
	report("exception_round_trip_ns", ud_ps);
	report("page_fault_round_trip_ns", time_per_unit(pf_work, &pf_n));
	report("timer_interrupt_ns", timer_ps());
	/* About TARGET_NS / 10 per batch at the speed of a #UD round trip. */
	unsigned n = (unsigned)MAX(10ull, MIN(100000ull, TARGET_NS * 100 / MAX(ud_ps, 1ull)));
	if (pv_ops.user_round_trip_ps)
		report("syscall_round_trip_ns", pv_ops.user_round_trip_ps(n));
	else
		printk("bench: syscall_round_trip_ns: no user mode in backend %s\n", pv_ops.name);
	printk("bench: backend %s done\n", pv_ops.name);
}
