/* SPDX-License-Identifier: MIT */
/*
 * lapic.c - the local APIC timer in periodic mode.
 *
 * Its input clock is not architecturally known, so it is measured: let the
 * counter run for ~2 ms of the backend's own nanosecond clock (TSC against
 * the PIT natively, the time page under pvkit) and derive counts per tick.
 * pvkit keeps the LAPIC in KVM (KVM_CREATE_IRQCHIP), so the same driver
 * serves both backends; only the clock used to calibrate differs.
 */
#include "drivers.h"
#include "pv.h"

#define APIC_SVR	    0x0f0
#define APIC_EOI	    0x0b0
#define APIC_LVT_TIMER	    0x320
#define APIC_TIMER_INIT	    0x380
#define APIC_TIMER_CUR	    0x390
#define APIC_TIMER_DIV	    0x3e0
#define APIC_SVR_ENABLE	    0x100
#define APIC_LVT_MASKED	    (1u << 16)
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_DIV_16	    0x3
#define APIC_BASE_MASK	    0xfffff000ull
#define CALIBRATE_NS	    2000000ull

static uint64_t base;

uint64_t lapic_base(void)
{
	uint64_t v;
	if (!base && pv_ops.read_msr_safe(MSR_APIC_BASE, &v) == 0)
		base = v & APIC_BASE_MASK;
	return base;
}

static void lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(base + reg, v);
}

static uint32_t lapic_read(unsigned reg)
{
	return mmio_read32(base + reg);
}

int lapic_timer_start(uint32_t hz, uint8_t vector, uint64_t (*clock_ns)(void))
{
	if (!lapic_base() || !hz)
		return -1;
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	lapic_write(APIC_TIMER_DIV, APIC_DIV_16);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | vector);
	lapic_write(APIC_TIMER_INIT, 0xffffffffu);
	uint64_t t0 = clock_ns(), t1;
	do
		t1 = clock_ns();
	while (t1 - t0 < CALIBRATE_NS);
	uint32_t counted = 0xffffffffu - lapic_read(APIC_TIMER_CUR);
	uint64_t per_tick = (uint64_t)counted * 1000000000ull / ((t1 - t0) * hz);
	if (per_tick == 0)
		return -1;
	lapic_write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | vector);
	lapic_write(APIC_TIMER_INIT, (uint32_t)MIN(per_tick, 0xffffffffull));
	return 0;
}

void lapic_timer_stop(void)
{
	if (!base)
		return;
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(APIC_TIMER_INIT, 0);
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

uint64_t lapic_eoi_register(void)
{
	return lapic_base() ? lapic_base() + APIC_EOI : 0;
}
