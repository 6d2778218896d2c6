/* SPDX-License-Identifier: MIT */
/*
 * pvkit.c - the backend for the pvkit VMM, through ABI v1 (abi/pvkit_abi.h).
 *
 * What pvkit paravirtualizes here: the console (a buffer per exit instead of
 * an exit per byte), time (the shared time page, no exit at all), idle
 * (halt with a deadline), power-off (a status, no device needed).  The
 * kernel still runs in ring 0 under this backend, so CPU state (CR3, PTEs,
 * IDT/GDT, MSRs, interrupt flag) stays native; the in-kernel LAPIC
 * provides the timer, calibrated against the time page.
 *
 * Every call goes through the hypercall page pvkit filled: this file never
 * contains vmcall, vmmcall or a port number.  Virtual == physical in
 * pvkernel, so buffer addresses are passed as they are.
 */
#include "abi/pvkit_abi.h"
#include "backend.h"
#include "boot/bootparam.h"

#define HALT_SLICE_NS 2000000ull /* a halt never outlasts this: see pvkit_safe_halt */

static uint64_t hypercall_entry;
static volatile struct pvkit_time_page *time_page;
static uint32_t features;
static uint32_t host_abi_version;
static bool halt_call_works = true;
/* The host offers the console call and accepted our use of it; until
 * pvkit_connect says so, and if it never does, the UART. */
static bool console_call;

static int64_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	int64_t ret;
	register uint64_t r10 asm("r10") = 0;
	asm volatile("call *%[entry]"
		     : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), [entry] "m"(hypercall_entry)
		     : "memory");
	return ret;
}

/* PVKIT_HC_CONSOLE_WRITE, in pieces of at most what one call takes. */
static int console_call_write(const char *buf, size_t len)
{
	while (len) {
		size_t n = MIN(len, (size_t)PVKIT_CONSOLE_WRITE_MAX);
		int64_t r = hypercall(PVKIT_HC_CONSOLE_WRITE, (uint64_t)buf, n, 0);
		if (r < 0)
			return (int)r;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * The console before any backend is chosen, for a kernel that cannot touch
 * the UART (pvm: `out` faults there): the console call through the
 * hypercall page that boot_info's PVKIT_SETUP_PVM entry names (the call
 * needs no negotiation first).
 */
int pvkit_early_console_write(const char *buf, size_t len)
{
	if (!hypercall_entry) {
		if (!boot_info.has_pvm || !boot_info.pvm.hypercall_page)
			return -1;
		hypercall_entry = boot_info.pvm.hypercall_page + PVKIT_HYPERCALL_ENTRY;
	}
	return console_call_write(buf, len);
}

int pvkit_console_write(const char *buf, size_t len)
{
	return console_call ? console_call_write(buf, len) : uart_write(buf, len);
}

static uint64_t clock_call(uint32_t which)
{
	int64_t r = hypercall(PVKIT_HC_CLOCK, which, 0, 0);
	return r < 0 ? 0 : (uint64_t)r;
}

/* The seqlock read of abi/pvkit_abi.h; `error` (if not NULL): the page's
 * error bound at this reading, 0 if the host gives none. */
static bool time_page_read(uint64_t *mono, uint64_t *offset, uint64_t *error)
{
	for (unsigned tries = 0; tries < 100; tries++) {
		uint32_t seq = time_page->sequence;
		asm volatile("" : : : "memory");
		if (seq & 1)
			continue;
		uint64_t tsc_base = time_page->tsc_base;
		uint64_t mul = time_page->tsc_to_ns_mul;
		uint32_t shift = time_page->tsc_shift;
		uint64_t base = time_page->monotonic_base_ns;
		uint64_t off = time_page->realtime_offset_ns;
		uint64_t max_error = time_page->max_error_ns;
		uint64_t tsc = rdtsc();
		asm volatile("" : : : "memory");
		if (time_page->sequence != seq)
			continue;
		if (!mul)
			return false;
		uint64_t d = tsc - tsc_base;
		*mono = base + (uint64_t)(((unsigned __int128)d * mul) >> shift);
		*offset = off;
		if (error)
			*error = max_error ? max_error +
						 (*mono - base) / 1000 * PVKIT_TIME_DRIFT_PPM / 1000
					   : 0;
		return true;
	}
	return false;
}

uint64_t pvkit_monotonic_ns(void)
{
	uint64_t mono, off;
	if (time_page && time_page_read(&mono, &off, NULL))
		return mono;
	return clock_call(PVKIT_CLOCK_MONOTONIC);
}

uint64_t pvkit_wall_clock_ns(void)
{
	uint64_t mono, off;
	if (time_page && time_page_read(&mono, &off, NULL))
		return mono + off;
	return clock_call(PVKIT_CLOCK_REALTIME);
}

/* A host from before max_error_ns promised only this (docs/abi.md). */
#define TIME_PAGE_ERROR_UNKNOWN_NS 1000000ull

uint64_t pvkit_clock_error_ns(void)
{
	uint64_t mono, off, error;
	if (!time_page || !time_page_read(&mono, &off, &error))
		return 0; /* the CLOCK call: the host's clocks themselves */
	return error ? error : TIME_PAGE_ERROR_UNKNOWN_NS;
}

uint64_t pvkit_clock_restores(void)
{
	/* One word, written before the sequence closes: no seqlock needed for
	 * a value that only grows. */
	return time_page ? time_page->restores : 0;
}

/*
 * Idle: interrupts on, then the halt call with a deadline.  An interrupt
 * that arrives between the sti and the call is handled at once and the
 * halt still ends at the deadline, so a lost wake-up costs at most
 * HALT_SLICE_NS.  Where the host has no halt call, the real hlt.
 */
static void pvkit_safe_halt(void)
{
	if (!halt_call_works) {
		native_safe_halt();
		return;
	}
	uint64_t deadline = pvkit_monotonic_ns() + HALT_SLICE_NS;
	asm volatile("sti" : : : "memory");
	if (hypercall(PVKIT_HC_HALT, deadline, 0, 0) == PVKIT_ENOSYS)
		halt_call_works = false;
}

int pvkit_timer_start(uint32_t hz, uint8_t vector)
{
	return lapic_timer_start(hz, vector, pvkit_monotonic_ns);
}

/*G:720 The last hypercall: a call to the entry of pvkit's hypercall page
 * with RAX = PVKIT_HC_POWER_OFF and the status in RDI.  The page holds what
 * the host put there (L:320, L:330): `out` to port 0xf8 in ring 0, a store
 * to the pvm doorbell in pvm mode.  Either way the vCPU leaves the guest,
 * and KVM_RUN returns in pvkit.
 * Next: host/run_loop.c. :*/
NORETURN void pvkit_power_off(int status)
{
	hypercall(PVKIT_HC_POWER_OFF, (uint64_t)(status & 0xff), 0, 0);
	native_power_off(status); /* only if the call came back */
}

/* The hypervisor's name at CPUID 0x40000000, printable, or "" if none. */
static void hypervisor_signature(char sig[13])
{
	struct cpuid_regs r;
	sig[0] = 0;
	cpuid_raw(1, 0, &r);
	if (!(r.ecx & (1u << 31)))
		return;
	cpuid_raw(PVKIT_CPUID_SIGNATURE, 0, &r);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	for (int i = 0; i < 12; i++)
		if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
			sig[i] = '?';
}

/* The loader's word: pvkit's own hardware_subarch (abi/pvkit_abi.h). */
bool pvkit_named_by(const struct boot_info *bi, char *how, size_t size)
{
	snprintf(how, size, "hardware_subarch=0x%x (pvkit)", PVKIT_HARDWARE_SUBARCH);
	return bi->has_boot_params && bi->hardware_subarch == PVKIT_HARDWARE_SUBARCH;
}

/*
 * pvkit is there if CPUID says so: its signature, ABI major 1, a hypercall
 * page.  This backend keeps the CPU ops native, so it also needs ring 0
 * (a deprivileged kernel is pvm's, and CPUID there is the host CPU's).
 */
bool pvkit_probe(const struct boot_info *bi, char *how_or_why, size_t size)
{
	struct cpuid_regs r;
	char sig[13];
	if (bi->entry_cpl != 0) {
		snprintf(how_or_why, size, "not in ring 0");
		return false;
	}
	hypervisor_signature(sig);
	if (!sig[0]) {
		snprintf(how_or_why, size, "no hypervisor bit in CPUID");
		return false;
	}
	cpuid_raw(PVKIT_CPUID_SIGNATURE, 0, &r);
	if (r.ebx != PVKIT_CPUID_SIG_EBX || r.ecx != PVKIT_CPUID_SIG_ECX ||
	    r.edx != PVKIT_CPUID_SIG_EDX) {
		/* KVM's "KVMKVMKVM" lands here: a kvm backend would come first. */
		snprintf(how_or_why, size, "no pvkit signature at CPUID 0x40000000 (\"%s\")", sig);
		return false;
	}
	if (r.eax < PVKIT_CPUID_INFO) {
		snprintf(how_or_why, size, "pvkit CPUID info leaf missing");
		return false;
	}
	cpuid_raw(PVKIT_CPUID_INFO, 0, &r);
	if ((r.eax >> 16) != PVKIT_ABI_VERSION_MAJOR) {
		snprintf(how_or_why, size, "pvkit ABI major version is not %u",
			 PVKIT_ABI_VERSION_MAJOR);
		return false;
	}
	if (!(r.ebx & PVKIT_FEATURE_HYPERCALL) || !r.ecx) {
		snprintf(how_or_why, size, "pvkit offers no hypercall page");
		return false;
	}
	snprintf(how_or_why, size, "CPUID signature \"%s\"", sig);
	return true;
}

/* Tags this kernel asks for; `granted` records the host's answers. */
static struct pvkit_tag negotiated[4];

static int negotiate(void)
{
	negotiated[0] =
	    (struct pvkit_tag){.tag = PVKIT_TAG_ABI_VERSION, .value = PVKIT_ABI_VERSION};
	negotiated[1] = (struct pvkit_tag){.tag = PVKIT_TAG_CONSOLE, .value = 1};
	negotiated[2] = (struct pvkit_tag){.tag = PVKIT_TAG_TIME_PAGE};
	negotiated[3] = (struct pvkit_tag){.tag = PVKIT_TAG_HALT, .value = 1};
	return (int)hypercall(PVKIT_HC_NEGOTIATE, (uint64_t)negotiated, ARRAY_SIZE(negotiated), 0);
}

/* ---- self-tests of the ABI as this host serves it ---------------------- */

static int test_negotiate(void)
{
	struct pvkit_tag tags[2] = {
	    {.tag = PVKIT_TAG_ABI_VERSION, .value = PVKIT_ABI_VERSION},
	    {.tag = 0x7fffffff, .value = 42}, /* a tag from a future guest */
	};
	int64_t r = hypercall(PVKIT_HC_NEGOTIATE, (uint64_t)tags, 2, 0);
	if (r != 1 || !(tags[0].flags & PVKIT_TAG_ACCEPTED) ||
	    (tags[0].value >> 16) != PVKIT_ABI_VERSION_MAJOR ||
	    !(tags[1].flags & PVKIT_TAG_UNKNOWN)) {
		printk("  negotiate returned %ld, flags 0x%x/0x%x, version 0x%lx\n", r,
		       tags[0].flags, tags[1].flags, tags[0].value);
		return 1;
	}
	return 0;
}

static int test_bad_calls(void)
{
	int fails = 0;
	int64_t r = hypercall(PVKIT_HC_COUNT + 100, 0, 0, 0);
	if (r != PVKIT_ENOSYS) {
		printk("  unknown call gave %ld, not ENOSYS\n", r);
		fails++;
	}
	r = hypercall(PVKIT_HC_CONSOLE_WRITE, 0xfffffffff000ull, 16, 0);
	if (r != PVKIT_EFAULT) {
		printk("  console write outside RAM gave %ld, not EFAULT\n", r);
		fails++;
	}
	r = hypercall(PVKIT_HC_CONSOLE_WRITE, 0x100000, PVKIT_CONSOLE_WRITE_MAX + 1, 0);
	if (r != PVKIT_EINVAL) {
		printk("  oversized console write gave %ld, not EINVAL\n", r);
		fails++;
	}
	r = hypercall(PVKIT_HC_CLOCK, 77, 0, 0);
	if (r != PVKIT_EINVAL) {
		printk("  unknown clock gave %ld, not EINVAL\n", r);
		fails++;
	}
	r = hypercall(PVKIT_HC_NEGOTIATE, 0xfffffffff000ull, 4, 0);
	if (r != PVKIT_EFAULT) {
		printk("  negotiate outside RAM gave %ld, not EFAULT\n", r);
		fails++;
	}
	return fails;
}

/*
 * The time page and the clock call must tell the same time, within the
 * error bound the host publishes.  Each call is bracketed by two page
 * reads: a vCPU preempted in between widens the bracket but cannot push the
 * call outside it, so load alone cannot fail this test.
 */
static int test_time_page(void)
{
	uint64_t mono, off;
	if (!time_page || !time_page_read(&mono, &off, NULL)) {
		printk("  no usable time page\n");
		return 1;
	}
	uint64_t err = pvkit_clock_error_ns();
	uint64_t call = clock_call(PVKIT_CLOCK_MONOTONIC);
	uint64_t after = pvkit_monotonic_ns();
	if (call + err < mono || call > after + err) {
		printk("  clock call %lu ns not between time page reads %lu and %lu (+-%lu)\n",
		       call, mono, after, err);
		return 1;
	}
	/* The page's realtime offset is sampled at each update, while NTP may
	 * slew the host's wall clock in between: 1 ms more for that. */
	uint64_t wall_err = err + 1000000;
	uint64_t wall_before = pvkit_wall_clock_ns();
	uint64_t wall_call = clock_call(PVKIT_CLOCK_REALTIME);
	uint64_t wall_after = pvkit_wall_clock_ns();
	if (wall_call + wall_err < wall_before || wall_call > wall_after + wall_err) {
		printk("  realtime call %lu ns not between time page reads %lu and %lu (+-%lu)\n",
		       wall_call, wall_before, wall_after, wall_err);
		return 1;
	}
	return 0;
}

const struct selftest pvkit_abi_selftests[] = {
    {"pvkit: negotiate (known and unknown tags)", test_negotiate},
    {"pvkit: bad calls get error statuses", test_bad_calls},
    {"pvkit: time page agrees with the clock call", test_time_page},
    {0},
};

/*G:650 Connect to pvkit's ABI: hypercall page, time page, negotiation.
 * Shared with the pvm backend, which speaks the same ABI deprivileged and
 * learns these numbers from setup_data instead of CPUID (pvkit_start()
 * below reads them from the leaves of L:350).  Every hypercall leaves the
 * guest and is answered as the L:800s tell; the kernel then prints its
 * "pv: backend=pvm" line and goes on.
 * Next: guest/kernel/main.c. :*/
void pvkit_connect(uint32_t abi_version, uint32_t host_features, uint64_t hypercall_page,
		   uint64_t time_page_gpa)
{
	host_abi_version = abi_version;
	features = host_features;
	hypercall_entry = hypercall_page + PVKIT_HYPERCALL_ENTRY;
	if ((features & PVKIT_FEATURE_TIME_PAGE) && time_page_gpa)
		time_page = (volatile struct pvkit_time_page *)time_page_gpa;

	int accepted = -1;
	if (features & PVKIT_FEATURE_NEGOTIATE)
		accepted = negotiate();
	console_call = (features & PVKIT_FEATURE_CONSOLE) &&
		       (accepted < 0 || (negotiated[1].flags & PVKIT_TAG_ACCEPTED));
	printk("pvkit: ABI %u.%u, features 0x%x, hypercall page 0x%lx, time page 0x%lx, "
	       "negotiated %d tags, console %s\n",
	       host_abi_version >> 16, host_abi_version & 0xffff, features, hypercall_entry,
	       (uint64_t)time_page, accepted, console_call ? "hypercall" : "uart");
}

int pvkit_start(const struct boot_info *bi)
{
	(void)bi;
	/* CPU state stays native; the legacy PIC is masked as on hardware. */
	pic_disable();
	struct cpuid_regs r;
	cpuid_raw(PVKIT_CPUID_INFO, 0, &r);
	pvkit_connect(r.eax, r.ebx, (uint64_t)r.ecx << 12, (uint64_t)r.edx << 12);
	return 0;
}

static const struct selftest *const pvkit_selftests[] = {pvkit_abi_selftests, NULL};

/* The kernel in ring 0 with pvkit's devices and time. */
const struct pv_ops pvkit_pv_ops = {
    .name = "pvkit",
    PV_RING0_CPU_OPS,
    PV_COMMON_OPS,
    PV_PVKIT_ABI_OPS,
    .safe_halt = pvkit_safe_halt,
    .selftests = pvkit_selftests,
};
