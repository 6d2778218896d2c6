/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the same measurements on every backend (pvkernel.bench=1),
 * so that a deprivileged kernel (pvm) can be compared with ring 0 in one
 * run of tests/boot/pvkernel_pvm.sh:
 *
 *   loop        a dec/jnz loop in kernel code, ns per iteration (a host
 *               process runs the same loop for the limit)
 *   #UD, #PF    an exception raised and recovered in kernel mode
 *   timer       what one timer interrupt takes from kernel code
 *
 * Each prints "bench: NAME VALUE ns".  Sizes adapt to the speed found, so
 * that an emulated ring 0 (~1-5 us an instruction on a PVM host) finishes
 * in about a second and native code still runs long enough to be timed.
 */
#include "pv.h"
#include "trap.h"

#define TARGET_NS     50000000ull /* each measurement runs about this long */
#define BENCH_TIMER_HZ 1000
#define KERNEL_TIMER_HZ 250
#define UNMAPPED_VA   0x0000010000000000ull

static void report(const char *name, uint64_t ps)
{
	printk("bench: %s %lu.%03lu ns\n", name, ps / 1000, ps % 1000);
}

static void loop(uint64_t n)
{
	asm volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
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
 * The timer: the same amount of kernel work with the timer stopped and
 * running at BENCH_TIMER_HZ, BATCHES times each; the difference of the
 * best runs over the ticks is the cost of one interrupt.
 */
static uint64_t timer_ps(uint64_t loop_units)
{
	uint64_t best_off = ~0ull, best_on = ~0ull, ticks_on = 0;
	uint64_t flags = pv_ops.irq_save();
	pv_ops.irq_enable();
	for (int b = 0; b < BATCHES; b++) {
		pv_ops.timer_stop();
		uint64_t t0 = pv_ops.monotonic_ns();
		loop(loop_units);
		best_off = MIN(best_off, pv_ops.monotonic_ns() - t0);
		if (pv_ops.timer_start(BENCH_TIMER_HZ, VEC_TIMER))
			break;
		uint64_t ticks0 = timer_ticks;
		t0 = pv_ops.monotonic_ns();
		loop(loop_units);
		uint64_t on = pv_ops.monotonic_ns() - t0;
		if (on < best_on) {
			best_on = on;
			ticks_on = timer_ticks - ticks0;
		}
	}
	pv_ops.irq_restore(flags);
	pv_ops.timer_start(KERNEL_TIMER_HZ, VEC_TIMER);
	printk("bench: timer: best runs: %lu us without the timer, %lu us with it (%lu ticks)\n",
	       best_off / 1000, best_on / 1000, ticks_on);
	return ticks_on && best_on > best_off ? (best_on - best_off) * 1000 / ticks_on : 0;
}

void run_bench(void)
{
	uint64_t loop_n, ud_n, pf_n;
	uint64_t loop_ps = time_per_unit(loop, &loop_n);
	report("kernel_loop_ns_per_iteration", loop_ps);
	report("exception_round_trip_ns", time_per_unit(ud_work, &ud_n));
	report("page_fault_round_trip_ns", time_per_unit(pf_work, &pf_n));
	/* 8x the loop length: ~100 ms of work, ~100 ticks at 1 kHz, per run */
	report("timer_interrupt_ns", timer_ps(loop_n * 8));
	printk("bench: backend %s done\n", pv_ops.name);
}
