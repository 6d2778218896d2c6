// SPDX-License-Identifier: MIT
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hypercall.h"
#include "log.h"
#include "machine.h"
#include "machine_state.h"

#define VCPU_MAX_MSRS 256

/* The vCPU part, version 1: KVM's own structures (Linux UAPI, stable). */
struct vcpu_part {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	uint32_t nmsrs, reserved;
	struct kvm_msr_entry msrs[VCPU_MAX_MSRS];
};

struct cpuid_part {
	uint32_t nent, reserved;
	struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};

/* The in-kernel PIC pair and IOAPIC, the PIT, KVM's clock. */
struct irqchip_part {
	struct kvm_irqchip chip[3]; /* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
};

/*
 * The clocks and the hypercall service: how much guest time had passed
 * (restore starts the guest's clock there: time the snapshot sat on disk
 * is not guest time), and the last time page, which the next one may
 * never read earlier than.
 */
struct time_part {
	uint64_t guest_ns;
	uint64_t published;
	struct pvkit_time_page last;
	uint32_t features;
	uint32_t reserved;
	uint64_t hypercalls;
};

static int save_error(const char *what)
{
	log_msg("snapshot: %s: %s", what, strerror(errno));
	return -1;
}

static int load_error(char *why, size_t n, const char *what)
{
	snprintf(why, n, "%s: %s", what, strerror(errno));
	return -1;
}

/* ---- the vCPU ---- */

/* The MSRs KVM lists, in an order that restores: the TSC before anything
 * (the TSC deadline) that counts in it. */
static uint32_t msr_index_list(struct machine *m, uint32_t *out, uint32_t max)
{
	struct {
		struct kvm_msr_list head;
		uint32_t indices[VCPU_MAX_MSRS];
	} list = {.head.nmsrs = VCPU_MAX_MSRS};
	if (ioctl(m->vm.kvm_fd, KVM_GET_MSR_INDEX_LIST, &list.head) < 0)
		return 0;
	uint32_t n = 0;
	out[n++] = MSR_IA32_TSC;
	for (uint32_t i = 0; i < list.head.nmsrs && n < max; i++)
		if (list.indices[i] != MSR_IA32_TSC)
			out[n++] = list.indices[i];
	return n;
}

/*
 * KVM_GET_MSRS/KVM_SET_MSRS stop at the first MSR they refuse.  Go on
 * past it: keep what KVM gives (some listed MSRs are not readable on
 * every host) and return how many of `n` were done.
 */
static uint32_t msrs_transfer(int fd, unsigned long request, struct kvm_msr_entry *e, uint32_t n,
			      uint32_t *refused, uint32_t *nrefused)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entries[VCPU_MAX_MSRS];
	} buf;
	uint32_t done = 0, i = 0;
	*nrefused = 0;
	while (i < n) {
		buf.head.nmsrs = n - i;
		buf.head.pad = 0;
		memcpy(buf.entries, e + i, (n - i) * sizeof(*e));
		int r = ioctl(fd, request, &buf.head);
		if (r < 0)
			r = 0;
		if (request == KVM_GET_MSRS)
			memcpy(e + done, buf.entries, (size_t)r * sizeof(*e));
		done += (uint32_t)r;
		i += (uint32_t)r;
		if (i < n) {
			if (*nrefused < VCPU_MAX_MSRS)
				refused[(*nrefused)++] = e[i].index;
			if (request == KVM_GET_MSRS) /* drop it */
				memmove(e + i, e + i + 1, (n - i - 1) * sizeof(*e)), n--;
			else
				i++;
		}
	}
	return done;
}

/*
 * This host's PVM variant keeps a supervisor mode of its own ("PVCS mode",
 * docs/pvm.md), entered by a guest's wrmsr of a page address to this MSR;
 * pvkernel runs isolated user mode in it.  KVM does not list the MSR, but
 * reads it (page | 0x400 in the mode) and takes that value back before the
 * vCPU first runs, which puts the new vCPU in the mode (tests/pvm
 * experiment pvcs_mode: a vCPU stopped there and restored so goes on
 * right).  So it is saved with the listed MSRs when a page is set.
 */
#define MSR_PVM_PVCS 0x4b564d10u

static bool pvcs_mode_msr(struct machine *m, struct kvm_msr_entry *out)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} msr = {.head.nmsrs = 1, .entry.index = MSR_PVM_PVCS};
	if (!m->pvm_host || ioctl(m->vcpu.fd, KVM_GET_MSRS, &msr.head) != 1 ||
	    !(msr.entry.data & ~0xfffull))
		return false;
	*out = msr.entry;
	return true;
}

static int vcpu_save(struct machine *m, struct snapshot_builder *b)
{
	struct vcpu_part *s = calloc(1, sizeof(*s));
	if (!s)
		return save_error("vcpu");
	int fd = m->vcpu.fd, r = -1;
	if (ioctl(fd, KVM_GET_REGS, &s->regs) < 0)
		save_error("KVM_GET_REGS");
	else if (ioctl(fd, KVM_GET_SREGS, &s->sregs) < 0)
		save_error("KVM_GET_SREGS");
	else if (ioctl(fd, KVM_GET_XSAVE, &s->xsave) < 0)
		save_error("KVM_GET_XSAVE");
	else if (ioctl(fd, KVM_GET_XCRS, &s->xcrs) < 0)
		save_error("KVM_GET_XCRS");
	else if (ioctl(fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
		save_error("KVM_GET_DEBUGREGS");
	else if (ioctl(fd, KVM_GET_LAPIC, &s->lapic) < 0)
		save_error("KVM_GET_LAPIC");
	else if (ioctl(fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		save_error("KVM_GET_VCPU_EVENTS");
	else if (ioctl(fd, KVM_GET_MP_STATE, &s->mp_state) < 0)
		save_error("KVM_GET_MP_STATE");
	else
		r = 0;
	if (r == 0) {
		uint32_t index[VCPU_MAX_MSRS], refused[VCPU_MAX_MSRS], nrefused;
		uint32_t n = msr_index_list(m, index, VCPU_MAX_MSRS);
		for (uint32_t i = 0; i < n; i++)
			s->msrs[i] = (struct kvm_msr_entry){.index = index[i]};
		s->nmsrs = msrs_transfer(fd, KVM_GET_MSRS, s->msrs, n, refused, &nrefused);
		for (uint32_t i = 0; i < nrefused; i++)
			log_debug("snapshot: KVM lists MSR 0x%x but does not read it", refused[i]);
		if (s->nmsrs < VCPU_MAX_MSRS && pvcs_mode_msr(m, &s->msrs[s->nmsrs]))
			s->nmsrs++;
		snapshot_builder_add(b, "vcpu", 1, s, sizeof(*s));
	}
	free(s);
	return r;
}

static int vcpu_load(struct machine *m, const void *data, char *why, size_t n)
{
	const struct vcpu_part *s = data;
	int fd = m->vcpu.fd;
	if (s->nmsrs > VCPU_MAX_MSRS) {
		snprintf(why, n, "%u MSRs, at most %u", s->nmsrs, VCPU_MAX_MSRS);
		return -1;
	}
	/* sregs first: on a PVM host the first KVM_SET_SREGS fixes the CPL
	 * the vCPU runs at (docs/pvm.md); APIC_BASE before the LAPIC. */
	if (ioctl(fd, KVM_SET_SREGS, &s->sregs) < 0)
		return load_error(why, n, "KVM_SET_SREGS");
	if (ioctl(fd, KVM_SET_REGS, &s->regs) < 0)
		return load_error(why, n, "KVM_SET_REGS");
	if (ioctl(fd, KVM_SET_XCRS, &s->xcrs) < 0)
		return load_error(why, n, "KVM_SET_XCRS");
	if (ioctl(fd, KVM_SET_XSAVE, &s->xsave) < 0)
		return load_error(why, n, "KVM_SET_XSAVE");
	if (ioctl(fd, KVM_SET_LAPIC, &s->lapic) < 0)
		return load_error(why, n, "KVM_SET_LAPIC");
	struct kvm_msr_entry msrs[VCPU_MAX_MSRS];
	memcpy(msrs, s->msrs, s->nmsrs * sizeof(msrs[0]));
	uint32_t refused[VCPU_MAX_MSRS], nrefused;
	msrs_transfer(fd, KVM_SET_MSRS, msrs, s->nmsrs, refused, &nrefused);
	for (uint32_t i = 0; i < nrefused; i++)
		log_debug("restore: KVM refuses MSR 0x%x", refused[i]);
	for (uint32_t i = 0; i < s->nmsrs; i++)
		if (s->msrs[i].index == MSR_IA32_TSC)
			m->snapshot_tsc = s->msrs[i].data;
	if (ioctl(fd, KVM_SET_DEBUGREGS, &s->debugregs) < 0)
		return load_error(why, n, "KVM_SET_DEBUGREGS");
	struct kvm_vcpu_events events = s->events;
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return load_error(why, n, "KVM_SET_VCPU_EVENTS");
	if (ioctl(fd, KVM_SET_MP_STATE, &s->mp_state) < 0)
		return load_error(why, n, "KVM_SET_MP_STATE");
	return 0;
}

static int cpuid_save(struct machine *m, struct snapshot_builder *b)
{
	struct cpuid_table t = {.head.nent = CPUID_MAX_ENTRIES};
	if (ioctl(m->vcpu.fd, KVM_GET_CPUID2, &t.head) < 0)
		return save_error("KVM_GET_CPUID2");
	struct cpuid_part p = {.nent = t.head.nent};
	memcpy(p.entries, t.entries, t.head.nent * sizeof(t.entries[0]));
	snapshot_builder_add(b, "cpuid", 1, &p, sizeof(p));
	return 0;
}

static int cpuid_load(struct machine *m, const void *data, char *why, size_t n)
{
	const struct cpuid_part *p = data;
	if (p->nent > CPUID_MAX_ENTRIES) {
		snprintf(why, n, "%u CPUID entries, at most %u", p->nent, CPUID_MAX_ENTRIES);
		return -1;
	}
	static struct cpuid_table t;
	t.head.nent = p->nent;
	memcpy(t.entries, p->entries, p->nent * sizeof(t.entries[0]));
	if (ioctl(m->vcpu.fd, KVM_SET_CPUID2, &t.head) < 0)
		return load_error(why, n, "KVM_SET_CPUID2");
	return 0;
}

/* ---- the VM: irqchip, PIT, clock ---- */

static int irqchip_save(struct machine *m, struct snapshot_builder *b)
{
	struct irqchip_part p;
	memset(&p, 0, sizeof(p));
	for (uint32_t i = 0; i < 3; i++) {
		p.chip[i].chip_id = i;
		if (ioctl(m->vm.vm_fd, KVM_GET_IRQCHIP, &p.chip[i]) < 0)
			return save_error("KVM_GET_IRQCHIP");
	}
	if (m->vm.pit && ioctl(m->vm.vm_fd, KVM_GET_PIT2, &p.pit) < 0)
		return save_error("KVM_GET_PIT2");
	if (ioctl(m->vm.vm_fd, KVM_GET_CLOCK, &p.clock) < 0)
		return save_error("KVM_GET_CLOCK");
	snapshot_builder_add(b, "irqchip", 1, &p, sizeof(p));
	return 0;
}

static int irqchip_load(struct machine *m, const void *data, char *why, size_t n)
{
	const struct irqchip_part *p = data;
	for (uint32_t i = 0; i < 3; i++) {
		struct kvm_irqchip chip = p->chip[i];
		if (chip.chip_id != i) {
			snprintf(why, n, "irqchip %u has id %u", i, chip.chip_id);
			return -1;
		}
		if (ioctl(m->vm.vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return load_error(why, n, "KVM_SET_IRQCHIP");
	}
	struct kvm_pit_state2 pit = p->pit;
	if (m->vm.pit && ioctl(m->vm.vm_fd, KVM_SET_PIT2, &pit) < 0)
		return load_error(why, n, "KVM_SET_PIT2");
	struct kvm_clock_data clock = {.clock = p->clock.clock};
	if (ioctl(m->vm.vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return load_error(why, n, "KVM_SET_CLOCK");
	return 0;
}

/* ---- time and the hypercall service ---- */

static int time_save(struct machine *m, struct snapshot_builder *b)
{
	struct time_part p = {
	    .guest_ns = hypercall_monotonic_now() - m->hypercalls.start_monotonic_ns,
	    .published = m->time.published,
	    .last = m->time.last,
	    .features = m->hypercalls.features,
	    .hypercalls = m->hypercalls.calls,
	};
	snapshot_builder_add(b, "time", 1, &p, sizeof(p));
	return 0;
}

static int time_load(struct machine *m, const void *data, char *why, size_t n)
{
	const struct time_part *p = data;
	if (p->features & ~(uint32_t)HYPERCALL_FEATURES) {
		snprintf(why, n, "hypercall features 0x%x, this pvkit offers 0x%x", p->features,
			 HYPERCALL_FEATURES);
		return -1;
	}
	/* The guest's clock goes on from where it stopped. */
	uint64_t start = hypercall_monotonic_now() - p->guest_ns;
	m->hypercalls.start_monotonic_ns = start;
	m->hypercalls.features = p->features;
	m->hypercalls.calls = p->hypercalls;
	m->time.start_monotonic_ns = start;
	m->time.published = p->published != 0;
	m->time.last = p->last;
	m->time.last.restores++; /* the next page tells the guest (abi/pvkit_abi.h) */
	/*
	 * Whether KVM gave the guest its TSC back is the host's business: on
	 * this one (kvm_pvm) the guest reads the host's TSC, and KVM_SET_MSRS
	 * of MSR_IA32_TSC changes nothing it sees, so the TSC has moved on by
	 * the time the snapshot spent on disk.  The last page, read at today's
	 * TSC, would then put the guest's clock that far ahead, and the next
	 * page would keep it there (it never reads earlier).  Move the last
	 * page along with the TSC: read at today's TSC it says what it said
	 * at the snapshot's, so the guest's clock goes on from there.
	 */
	uint64_t now_tsc;
	if (m->snapshot_tsc && vcpu_read_tsc(&m->vcpu, &now_tsc) == 0 && now_tsc > m->snapshot_tsc)
		m->time.last.tsc_base += now_tsc - m->snapshot_tsc;
	return 0;
}

/* ---- devices ---- */

static int uart_save(struct machine *m, struct snapshot_builder *b)
{
	struct uart16550_state s;
	uart16550_save(&m->uart, &s);
	snapshot_builder_add(b, "uart16550", 1, &s, sizeof(s));
	return 0;
}

static int uart_load(struct machine *m, const void *data, char *why, size_t n)
{
	if (uart16550_load(&m->uart, data) < 0) {
		snprintf(why, n, "receive FIFO index out of range");
		return -1;
	}
	return 0;
}

static int i8042_part_save(struct machine *m, struct snapshot_builder *b)
{
	struct i8042_state s;
	i8042_save(&m->kbc, &s);
	snapshot_builder_add(b, "i8042", 1, &s, sizeof(s));
	return 0;
}

static int i8042_part_load(struct machine *m, const void *data, char *why, size_t n)
{
	(void)why, (void)n;
	i8042_load(&m->kbc, data);
	return 0;
}

/* ---- the table ---- */

struct state_part {
	const char *name;
	uint32_t version;
	size_t size; /* the part's bytes in this version */
	int (*save)(struct machine *m, struct snapshot_builder *b);
	int (*load)(struct machine *m, const void *data, char *why, size_t n);
};

/*
 * Every part of a machine, in load order.  A part's name and version are
 * what its save function writes; a new version of a part keeps reading
 * the old ones (the snapshot frozen under tests/snapshot/ checks it).
 */
static const struct state_part parts[] = {
    {"irqchip", 1, sizeof(struct irqchip_part), irqchip_save, irqchip_load},
    {"cpuid", 1, sizeof(struct cpuid_part), cpuid_save, cpuid_load},
    {"vcpu", 1, sizeof(struct vcpu_part), vcpu_save, vcpu_load},
    {"uart16550", 1, sizeof(struct uart16550_state), uart_save, uart_load},
    {"i8042", 1, sizeof(struct i8042_state), i8042_part_save, i8042_part_load},
    {"time", 1, sizeof(struct time_part), time_save, time_load},
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

int machine_state_config(const struct snapshot_view *v, struct machine_part *out, char *why,
			 size_t why_size)
{
	const struct snapshot_part_view *p = snapshot_find_part(v, MACHINE_PART_NAME);
	if (!p) {
		snprintf(why, why_size, "no %s part", MACHINE_PART_NAME);
		return -1;
	}
	if (p->version != MACHINE_PART_VERSION || p->length != sizeof(*out)) {
		snprintf(why, why_size, "%s part version %u of %zu bytes, not version %u",
			 MACHINE_PART_NAME, p->version, p->length, MACHINE_PART_VERSION);
		return -1;
	}
	memcpy(out, p->data, sizeof(*out));
	if (out->entry_mode != BOOT_CPU_PVM && out->entry_mode != BOOT_CPU_LONG64 &&
	    out->entry_mode != BOOT_CPU_PROTECTED32) {
		snprintf(why, why_size, "entry mode %u is not one pvkit restores", out->entry_mode);
		return -1;
	}
	if (out->no_pit > 1) {
		snprintf(why, why_size, "no_pit is %" PRIu64 ", not 0 or 1", out->no_pit);
		return -1;
	}
	if (out->mem_size != v->header.mem_size) {
		snprintf(why, why_size,
			 "machine part says %" PRIu64 " bytes of RAM, the header %" PRIu64,
			 out->mem_size, v->header.mem_size);
		return -1;
	}
	return 0;
}

int machine_state_save(struct machine *m, struct snapshot_builder *b)
{
	struct machine_part mp = {
	    .mem_size = m->vm.mem.size,
	    .entry_mode = (uint32_t)m->entry_mode,
	    .pvkit_cpuid = m->pvkit_cpuid,
	    .tsc_khz = m->tsc_khz,
	    .no_pit = !m->vm.pit,
	};
	snapshot_builder_add(b, MACHINE_PART_NAME, MACHINE_PART_VERSION, &mp, sizeof(mp));
	for (size_t i = 0; i < NPARTS; i++)
		if (parts[i].save(m, b) < 0)
			return -1;
	return 0;
}

int machine_state_load(struct machine *m, const struct snapshot_view *v, char *why, size_t why_size)
{
	for (int i = 0; i < v->nparts; i++) {
		bool known = strcmp(v->part[i].name, MACHINE_PART_NAME) == 0;
		for (size_t j = 0; j < NPARTS && !known; j++)
			known = strcmp(v->part[i].name, parts[j].name) == 0;
		if (!known) {
			snprintf(why, why_size, "part '%s' is unknown to this pvkit",
				 v->part[i].name);
			return -1;
		}
	}
	for (size_t i = 0; i < NPARTS; i++) {
		const struct state_part *sp = &parts[i];
		const struct snapshot_part_view *p = snapshot_find_part(v, sp->name);
		if (!p) {
			snprintf(why, why_size, "no %s part", sp->name);
			return -1;
		}
		if (p->version != sp->version || p->length != sp->size) {
			snprintf(
			    why, why_size,
			    "%s part version %u of %zu bytes, this pvkit reads version %u of %zu",
			    sp->name, p->version, p->length, sp->version, sp->size);
			return -1;
		}
		/* A copy: the view's bytes need not be aligned for the struct. */
		void *copy = malloc(p->length);
		if (!copy) {
			snprintf(why, why_size, "out of memory");
			return -1;
		}
		memcpy(copy, p->data, p->length);
		char detail[200] = "";
		int r = sp->load(m, copy, detail, sizeof(detail));
		free(copy);
		if (r < 0) {
			snprintf(why, why_size, "%s part: %s", sp->name, detail);
			return -1;
		}
	}
	return 0;
}

/* Bits of CPUID that describe the moment, not the CPU: OSXSAVE, OSPKE. */
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_7_ECX_OSPKE   (1u << 4)

/*
 * The host CPU's own features, from the `cpuid` instruction, not from
 * KVM's table: on a PVM host `cpuid` in guest user mode and in a
 * deprivileged kernel is not intercepted, so such a guest sees (and may
 * use) what the host CPU has, whatever the table says (docs/pvm-backend.md).
 * Elsewhere the guest's table is a subset of these, so asking for them is
 * the cautious side.
 */
static void host_cpu_needs(struct snapshot_host_needs *needs)
{
	unsigned a, b, c, d;
	memset(needs, 0, sizeof(*needs));
	if (__get_cpuid_count(1, 0, &a, &b, &c, &d)) {
		needs->cpuid_1_ecx = c & ~CPUID_1_ECX_OSXSAVE;
		needs->cpuid_1_edx = d;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		needs->cpuid_7_ebx = b;
		needs->cpuid_7_ecx = c & ~CPUID_7_ECX_OSPKE;
		needs->cpuid_7_edx = d;
	}
	if (__get_cpuid_count(0x80000001, 0, &a, &b, &c, &d)) {
		needs->cpuid_80000001_ecx = c;
		needs->cpuid_80000001_edx = d;
	}
	if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d))
		needs->xcr0 = a | (uint64_t)d << 32;
}

void machine_state_host_needs(struct machine *m, struct snapshot_host_needs *needs)
{
	host_cpu_needs(needs);
	needs->tsc_khz = (uint32_t)m->tsc_khz;
}

int machine_state_check_host(uint64_t tsc_khz, const struct snapshot_host_needs *needs, char *why,
			     size_t why_size)
{
	struct snapshot_host_needs host;
	host_cpu_needs(&host);
	const struct {
		const char *what;
		uint64_t need, have;
	} checks[] = {
	    {"CPUID 1 ECX", needs->cpuid_1_ecx, host.cpuid_1_ecx},
	    {"CPUID 1 EDX", needs->cpuid_1_edx, host.cpuid_1_edx},
	    {"CPUID 7 EBX", needs->cpuid_7_ebx, host.cpuid_7_ebx},
	    {"CPUID 7 ECX", needs->cpuid_7_ecx, host.cpuid_7_ecx},
	    {"CPUID 7 EDX", needs->cpuid_7_edx, host.cpuid_7_edx},
	    {"CPUID 0x80000001 ECX", needs->cpuid_80000001_ecx, host.cpuid_80000001_ecx},
	    {"CPUID 0x80000001 EDX", needs->cpuid_80000001_edx, host.cpuid_80000001_edx},
	    {"XCR0", needs->xcr0, host.xcr0},
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		uint64_t missing = checks[i].need & ~checks[i].have;
		if (missing) {
			snprintf(why, why_size,
				 "taken on a CPU with features this host lacks (%s bits 0x%" PRIx64
				 ")",
				 checks[i].what, missing);
			return -1;
		}
	}
	if (needs->tsc_khz != tsc_khz) {
		snprintf(why, why_size,
			 "taken with a TSC of %u kHz, this host's runs at %" PRIu64 " kHz",
			 needs->tsc_khz, tsc_khz);
		return -1;
	}
	return 0;
}
