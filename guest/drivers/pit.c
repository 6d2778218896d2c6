/* SPDX-License-Identifier: MIT */
/*
 * pit.c - the 8254's channel 2 as a stopwatch: count down 10 ms (mode 0,
 * gate through port 0x61) and see how far the TSC moved.  Polling port 0x61
 * costs a VM exit per read when virtualized, so the window is short.
 */
#include "drivers.h"
#include "x86.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define WINDOW_MS 10u
#define POLL_LIMIT 2000000u

uint64_t pit_measure_tsc_khz(void)
{
	uint16_t count = PIT_HZ * WINDOW_MS / 1000;
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) & ~PORT_B_GATE2);
	outb(PIT_CMD, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	uint64_t t0 = rdtsc();
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	for (unsigned n = 0; !(inb(PORT_B) & PORT_B_OUT2); n++)
		if (n == POLL_LIMIT)
			return 0;
	uint64_t t1 = rdtsc();
	return (t1 - t0) / WINDOW_MS;
}
