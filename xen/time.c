// SPDX-License-Identifier: MIT
/*
 * time.c - Xen's time for the guest: system time (ns since boot) as a
 * pvclock in vcpu_info from the TSC, whose rate pvkit reads from KVM; the
 * wall clock in shared_info from pvkit's clock at boot; the runstate area.
 * Nothing here exits to pvkit after boot: the guest reads its clocks
 * natively.
 */
#include "pvxen.h"

#include <xen/vcpu.h>

static uint64_t boot_tsc;
static uint32_t tsc_mul;
static int8_t tsc_shift;
static uint64_t runstate_area;
static uint64_t time_area;  /* the guest's second pvclock (its vDSO's); 0: none */
static int64_t mono_offset; /* pvkit's monotonic clock - system time */
static bool timer_armed;
static uint64_t timer_deadline; /* system time */

/* The LAPIC (in KVM) through the MMIO window: its timer wakes pvxen. */
#define LAPIC_EOI   0x0b0
#define LAPIC_SVR   0x0f0
#define LAPIC_LVT_T 0x320
#define LAPIC_TMICT 0x380
#define LAPIC_TDCR  0x3e0

static void lapic_write(unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(PVXEN_MMIO_WINDOW + reg) = value;
}

uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The TSC's rate as pvkit read it from KVM (1 GHz if it could not). */
uint64_t tsc_hz(void)
{
	return (xen_boot_info.tsc_khz ? xen_boot_info.tsc_khz : 1000000) * 1000ull;
}

/* ns = ((delta << shift) * mul) >> 32, as vcpu_time_info defines it. */
static void scale_for(uint64_t tsc_hz)
{
	int shift = 0;
	while (tsc_hz < 1000000000ull && shift < 31) {
		tsc_hz <<= 1;
		shift++;
	}
	tsc_shift = (int8_t)shift;
	tsc_mul = (uint32_t)((1000000000ull << 32) / tsc_hz);
}

uint64_t system_time_ns(void)
{
	uint64_t delta = (rdtsc() - boot_tsc) << tsc_shift;
	return (uint64_t)(((unsigned __int128)delta * tsc_mul) >> 32);
}

/* The pvclock of the vCPU's vcpu_info (again after it moves). */
void publish_vcpu_time(void)
{
	struct vcpu_time_info *t = &xen_vcpu.vcpu_info->time;
	t->version++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = boot_tsc;
	t->system_time = 0;
	t->tsc_to_system_mul = tsc_mul;
	t->tsc_shift = tsc_shift;
	t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->version++;
	if (time_area)
		copy_to_guest(time_area, t, sizeof(*t)); /* Xen ignores a fault here too */
}

/*
 * VCPUOP_register_vcpu_time_memory_area: a copy of the pvclock where the
 * guest kernel asks, which Linux maps into its processes' vDSO so that
 * clock_gettime() reads the TSC in user mode instead of making a system
 * call (26 us here with isolation, 30 ns without).  The data never changes
 * after boot (one TSC-based clock), so the copy made now stays right; one
 * vCPU reads it, never while pvxen writes.
 */
int64_t register_time_area(uint64_t area)
{
	time_area = area;
	if (area)
		publish_vcpu_time();
	return 0;
}

void time_init(void)
{
	boot_tsc = rdtsc();
	scale_for(tsc_hz());
	publish_vcpu_time();
	/* The wall clock at system time 0: one call to pvkit, at boot. */
	uint64_t now = (uint64_t)pvkit_call(3 /* PVKIT_HC_CLOCK */, 1 /* REALTIME */, 0, 0);
	shared_info_t *s = xen_shared_info;
	s->wc_version++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint64_t sec = now / 1000000000ull;
	s->wc_sec = (uint32_t)sec;
	s->wc_sec_hi = (uint32_t)(sec >> 32);
	s->wc_nsec = (uint32_t)(now % 1000000000ull);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_version++;
	mono_offset =
	    pvkit_call(3 /* PVKIT_HC_CLOCK */, 0 /* MONOTONIC */, 0, 0) - (int64_t)system_time_ns();
	lapic_write(LAPIC_SVR, 0x100 | 0xff);	    /* enabled, spurious vector 0xff */
	lapic_write(LAPIC_TDCR, 0xb);		    /* divide by 1 */
	lapic_write(LAPIC_LVT_T, XEN_TIMER_VECTOR); /* one-shot */
}

/* One-shot LAPIC countdown; KVM's LAPIC counts at 1 GHz with divide 1. If
 * it fires early, timer_check() arms it again for the rest. */
static void program(uint64_t delta_ns)
{
	lapic_write(LAPIC_TMICT, delta_ns > 0xffffffffull ? 0xffffffffu
				 : delta_ns		  ? (uint32_t)delta_ns
							  : 1);
}

int64_t set_singleshot_timer(uint64_t timeout_abs_ns, bool future_only)
{
	uint64_t now = system_time_ns();
	if (future_only && timeout_abs_ns < now)
		return -XEN_ETIME;
	timer_deadline = timeout_abs_ns;
	timer_armed = true;
	if (timeout_abs_ns <= now)
		timer_check();
	else
		program(timeout_abs_ns - now);
	return 0;
}

void stop_singleshot_timer(void)
{
	timer_armed = false;
	lapic_write(LAPIC_TMICT, 0);
}

bool singleshot_timer_armed(void)
{
	return timer_armed;
}

void timer_check(void)
{
	if (!timer_armed)
		return;
	uint64_t now = system_time_ns();
	if (now >= timer_deadline) {
		timer_armed = false;
		if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
			xen_log("xen: VIRQ_TIMER at %llu ns", (unsigned long long)now);
		raise_virq(VIRQ_TIMER);
	} else {
		program(timer_deadline - now);
	}
}

/*
 * A tick that landed in pvxen's own code, noted by its stub, which also
 * asked the LAPIC for another one 20 us later in case pvxen was already on
 * its way out.  Now that it is seen, that retry would only be a trap for
 * nothing, and one that lands in pvxen again asks for the next: while
 * pvxen and its stubs keep the CPU busy (a fault-heavy guest), ticks would
 * keep coming every 20 us.  So the LAPIC goes back to the guest's deadline,
 * or stops.
 */
void timer_tick_noted(void)
{
	timer_check();
	if (!timer_armed)
		lapic_write(LAPIC_TMICT, 0);
}

/* The timer interrupt (vector XEN_TIMER_VECTOR). */
void timer_interrupt(void)
{
	lapic_write(LAPIC_EOI, 0);
	timer_check();
}

void wait_for_event(uint64_t until_ns)
{
	if (timer_armed && timer_deadline < until_ns)
		until_ns = timer_deadline;
	uint64_t host = until_ns == UINT64_MAX ? 0 : until_ns + (uint64_t)mono_offset;
	/* host 0: no timer set, nothing but input can wake the guest. */
	if (pvkit_call(4 /* PVKIT_HC_HALT */, host, 0, 0) == 1 /* PVKIT_HALT_EVENT */)
		console_input();
	timer_check();
}

/* VCPUOP_register_runstate_memory_area: always running, so far. */
int64_t register_runstate(uint64_t area)
{
	runstate_area = area;
	uint64_t now = system_time_ns();
	struct vcpu_runstate_info info = {
	    .state = RUNSTATE_running, .state_entry_time = now, .time = {now}};
	return copy_to_guest(area, &info, sizeof(info)) < 0 ? -XEN_EFAULT : 0;
}
