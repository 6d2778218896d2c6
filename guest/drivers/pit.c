/* SPDX-License-Identifier: MIT */
/*
 * pit.c - the 8254 as a stopwatch for the TSC: let channel 0 count down
 * from 0xffff (mode 2), latch and read it until 10 ms of PIT ticks have
 * passed, and see how far the TSC moved.
 *
 * Channel 0 and the latch command, not channel 2 gated through port 0x61:
 * KVM's in-kernel PIT serves ports 0x40-0x43 everywhere, while port 0x61
 * is a board feature that a VMM may leave unimplemented (all-ones reads
 * would make the wait end at once).  Each poll is three port accesses,
 * which is a few hundred exits when virtualized.  IRQ 0 is masked at the
 * PIC (pic_disable) and the IOAPIC, so the counting raises nothing.
 */
#include "drivers.h"
#include "x86.h"

#define PIT_HZ	   1193182u
#define PIT_CH0	   0x40
#define PIT_CMD	   0x43
#define WINDOW_MS  10u
#define POLL_LIMIT 200000u

static uint16_t pit_read_ch0(void)
{
	outb(PIT_CMD, 0x00); /* latch channel 0 */
	uint8_t lo = inb(PIT_CH0);
	uint8_t hi = inb(PIT_CH0);
	return (uint16_t)(lo | (hi << 8));
}

uint64_t pit_measure_tsc_khz(void)
{
	const uint32_t target = PIT_HZ * WINDOW_MS / 1000;
	outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
	outb(PIT_CH0, 0xff);
	outb(PIT_CH0, 0xff);
	uint16_t prev = pit_read_ch0();
	uint64_t t0 = rdtsc();
	uint32_t elapsed = 0;
	unsigned polls = 0;
	while (elapsed < target) {
		uint16_t cur = pit_read_ch0();
		elapsed += cur <= prev ? (uint32_t)(prev - cur) : (uint32_t)prev + 0xffffu - cur;
		prev = cur;
		if (++polls == POLL_LIMIT)
			return 0; /* no PIT counting here */
	}
	uint64_t t1 = rdtsc();
	outb(PIT_CMD, 0x30); /* back to a one-shot that is not running */
	return (t1 - t0) * PIT_HZ / ((uint64_t)elapsed * 1000);
}
