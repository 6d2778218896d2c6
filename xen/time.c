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

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
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
}

void time_init(void)
{
	boot_tsc = rdtsc();
	uint64_t khz = xen_boot_info.tsc_khz ? xen_boot_info.tsc_khz : 1000000;
	scale_for(khz * 1000);
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
