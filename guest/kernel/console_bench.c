/* SPDX-License-Identifier: MIT */
/*
 * console_bench.c - push a known number of bytes through the console op,
 * so the VMM's exit counters (pvkit run --stats) show what one byte costs
 * with each backend.  The 4 KiB buffer is filled once: filling costs the
 * same for every backend, only the console op differs.
 */
#include "pv.h"

#define CHUNK 4096

static char chunk[CHUNK];

void console_bench(uint64_t bytes)
{
	for (unsigned i = 0; i < CHUNK; i++)
		chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + (i % 64) % 26);
	printk("console_bench: writing %lu bytes through the %s console\n", bytes, pv_ops.name);
	uint64_t t0 = pv_ops.monotonic_ns();
	uint64_t left = bytes;
	while (left) {
		size_t n = (size_t)MIN(left, (uint64_t)CHUNK);
		if (pv_ops.console_write(chunk, n))
			panic("console_bench: console write failed");
		left -= n;
	}
	uint64_t t1 = pv_ops.monotonic_ns();
	printk("\nconsole_bench: %lu bytes in %lu ms\n", bytes, (t1 - t0) / 1000000);
}
