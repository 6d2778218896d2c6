// SPDX-License-Identifier: MIT
/*
 * host_loop - the limit for pvkernel's kernel-code benchmark: the same
 * `dec/jnz` loop as guest/kernel/bench.c's kernel_loop, run as an ordinary
 * host process.  Prints the best of 5 batches in ns per iteration, in the
 * format pvkernel uses ("bench: kernel_loop_ns_per_iteration X ns").
 */
#include <stdio.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(void)
{
	const unsigned long n = 100000000;
	double best = 1e30;
	for (int batch = 0; batch < 5; batch++) {
		unsigned long i = n;
		double t0 = now_ns();
		__asm__ volatile(".p2align 5\n1: dec %0; jnz 1b" : "+r"(i) : : "cc");
		double t = (now_ns() - t0) / (double)n;
		best = t < best ? t : best;
	}
	printf("bench: kernel_loop_ns_per_iteration %.3f ns\n", best);
	return 0;
}
