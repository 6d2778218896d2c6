// SPDX-License-Identifier: MIT
/*
 * pit.c - channel 2 of the 8254 PIT and its gate and output in port 0x61,
 * as Xen emulates them for every PV guest (ports 0x42, 0x43, 0x61): kernels
 * time their TSC against it at boot.  Linux's quick_pit_calibrate() reads
 * port 0x42 until the count moves; with nothing behind the port (all ones)
 * it spins 50,000 times, and each read is a trap into pvxen here (~20 us):
 * two seconds of boot.  A counter that runs lets it finish (or give up)
 * within a millisecond.
 *
 * The counter runs at the PIT's 1.193182 MHz, derived from the TSC, whose
 * rate pvkit passes in the boot block.  Modes 0-5 are modelled for the count
 * and OUT; BCD counting is not (every kernel that calibrates uses binary).
 */
#include "pvxen.h"

#define PIT_HZ 1193182ull

enum { ACCESS_LATCH, ACCESS_LSB, ACCESS_MSB, ACCESS_WORD };

static struct {
	unsigned mode;	 /* 0-5 */
	unsigned access; /* ACCESS_* */
	uint16_t reload; /* 0 counts as 65536 */
	bool counting;	 /* a count was written: the counter runs while the gate is high */
	bool gate, speaker;
	uint64_t start_tsc;  /* when the count was loaded (gate high) */
	uint64_t frozen_tsc; /* TSC ticks counted before the gate went low */
	bool write_msb_next; /* ACCESS_WORD: the next write is the high byte */
	bool read_msb_next;  /* ACCESS_WORD: the next read is the high byte */
	bool count_latched;  /* a latch command froze the count for reading */
	uint16_t latched;    /* that count */
	bool status_latched; /* a read-back command latched the status byte */
	uint8_t status;	     /* that byte */
	bool refresh_toggle; /* port 0x61 bit 4, flips on every read */
} pit = {.access = ACCESS_WORD};

/* PIT ticks since the count was loaded (gate-low time not counted). */
static uint64_t elapsed_ticks(void)
{
	if (!pit.counting)
		return 0;
	uint64_t tsc = pit.frozen_tsc + (pit.gate ? rdtsc() - pit.start_tsc : 0);
	uint64_t hz = tsc_hz();
	/* tsc * PIT_HZ / hz without a 128-bit division (none in here) */
	return tsc / hz * PIT_HZ + tsc % hz * PIT_HZ / hz;
}

static uint64_t period(void)
{
	return pit.reload ? pit.reload : 65536;
}

static uint16_t current_count(void)
{
	uint64_t n = period(), t = elapsed_ticks();
	if (!pit.counting)
		return pit.reload;
	switch (pit.mode) {
	case 2: /* rate generator: n .. 1, then reload */
		return (uint16_t)(n - t % n);
	case 3: /* square wave: by two, twice a period */
		return (uint16_t)(n - (2 * t) % n);
	default: /* one-shot modes: count down, then wrap and go on */
		return (uint16_t)(n - t % 65536);
	}
}

static bool output(void)
{
	uint64_t n = period(), t = elapsed_ticks();
	if (!pit.counting)
		return pit.mode != 0; /* mode 0 drives OUT low from the control word on */
	switch (pit.mode) {
	case 0:
	case 1:
		return t >= n;
	case 2:
		return t % n != n - 1;
	case 3:
		return t % n < (n + 1) / 2;
	default: /* 4, 5: one low tick at the terminal count */
		return t != n;
	}
}

static void load_count(void)
{
	pit.counting = true;
	pit.start_tsc = rdtsc();
	pit.frozen_tsc = 0;
}

static void set_gate(bool high)
{
	if (high == pit.gate)
		return;
	uint64_t now = rdtsc();
	if (!high) {
		pit.frozen_tsc += now - pit.start_tsc;
	} else if (pit.mode == 0 || pit.mode == 4) {
		pit.start_tsc = now; /* counting resumes */
	} else {
		pit.start_tsc = now; /* a rising edge restarts the others */
		pit.frozen_tsc = 0;
	}
	pit.gate = high;
}

static void control_word(uint8_t v)
{
	unsigned channel = v >> 6;
	if (channel == 3) { /* read-back: bit 3 selects channel 2 */
		if (!(v & 0x08))
			return;
		if (!(v & 0x20) && !pit.count_latched) {
			pit.latched = current_count();
			pit.count_latched = true;
		}
		if (!(v & 0x10) && !pit.status_latched) {
			pit.status = (uint8_t)(output() << 7 | pit.access << 4 | pit.mode << 1);
			pit.status_latched = true;
		}
		return;
	}
	if (channel != 2)
		return; /* channels 0 and 1 are not the guest's */
	unsigned access = (v >> 4) & 3;
	if (access == ACCESS_LATCH) {
		if (!pit.count_latched) {
			pit.latched = current_count();
			pit.count_latched = true;
		}
		return;
	}
	unsigned mode = (v >> 1) & 7;
	pit.mode = mode > 5 ? mode - 4 : mode; /* 6 and 7 are 2 and 3 */
	pit.access = access;
	pit.counting = false;
	pit.write_msb_next = pit.read_msb_next = false;
	pit.count_latched = pit.status_latched = false;
}

static void write_count(uint8_t v)
{
	switch (pit.access) {
	case ACCESS_LSB:
		pit.reload = v;
		load_count();
		break;
	case ACCESS_MSB:
		pit.reload = (uint16_t)(v << 8);
		load_count();
		break;
	default:
		if (!pit.write_msb_next) {
			pit.reload = (uint16_t)((pit.reload & 0xff00) | v);
			pit.counting = false; /* mode 0: the count stops until the high byte */
		} else {
			pit.reload = (uint16_t)((pit.reload & 0x00ff) | v << 8);
			load_count();
		}
		pit.write_msb_next = !pit.write_msb_next;
		break;
	}
}

static uint8_t read_count(void)
{
	if (pit.status_latched) {
		pit.status_latched = false;
		return pit.status;
	}
	uint16_t count = pit.count_latched ? pit.latched : current_count();
	bool msb;
	if (pit.access == ACCESS_WORD) {
		msb = pit.read_msb_next;
		pit.read_msb_next = !msb;
		if (msb)
			pit.count_latched = false;
	} else {
		msb = pit.access == ACCESS_MSB;
		pit.count_latched = false;
	}
	return (uint8_t)(msb ? count >> 8 : count);
}

bool pit_port(uint16_t port)
{
	return port == 0x42 || port == 0x43 || port == 0x61;
}

uint8_t pit_read(uint16_t port)
{
	switch (port) {
	case 0x42:
		return read_count();
	case 0x61:
		pit.refresh_toggle = !pit.refresh_toggle;
		return (uint8_t)(pit.gate | pit.speaker << 1 | pit.refresh_toggle << 4 |
				 output() << 5);
	default:
		return 0xff; /* the control word cannot be read */
	}
}

void pit_write(uint16_t port, uint8_t value)
{
	switch (port) {
	case 0x42:
		write_count(value);
		break;
	case 0x43:
		control_word(value);
		break;
	case 0x61:
		pit.speaker = value & 2;
		set_gate(value & 1);
		break;
	}
}
