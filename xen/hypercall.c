// SPDX-License-Identifier: MIT
/*
 * hypercall.c - the hypercalls of a 64-bit PV kernel: `syscall` from guest
 * kernel mode, RAX = number, RDI/RSI/RDX/R10/R8 = arguments, status in RAX
 * (an -errno, Xen's values).  Unknown or refused calls get -ENOSYS, as from
 * Xen, and are named once on pvkit's stderr.
 */
#include "pvxen.h"

#include "boot/layout.h"

#include <xen/callback.h>
#include <xen/errno.h>
#include <xen/memory.h>
#include <xen/physdev.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#define NR_HYPERCALLS 64

static int64_t refuse(uint64_t nr, const char *what, uint64_t sub)
{
	static uint64_t named[NR_HYPERCALLS];
	uint64_t bit = sub < 64 ? 1ull << sub : 1ull << 63;
	if (nr < NR_HYPERCALLS && !(named[nr] & bit)) {
		named[nr] |= bit;
		xen_log("xen: refused hypercall %llu (%s) sub-op %llu with -ENOSYS",
			(unsigned long long)nr, what, (unsigned long long)sub);
	} else if (nr >= NR_HYPERCALLS && !(named[0] & (1ull << 62))) {
		named[0] |= 1ull << 62;
		xen_log("xen: refused hypercall %llu (unknown) with -ENOSYS",
			(unsigned long long)nr);
	}
	return -XEN_ENOSYS;
}

static int64_t do_set_trap_table(uint64_t list)
{
	struct xen_vcpu *v = &xen_vcpu;
	if (list == 0) {
		memset(v->traps, 0, sizeof(v->traps));
		return 0;
	}
	for (unsigned i = 0; i < 256; i++) {
		struct trap_info ti;
		if (copy_from_guest(&ti, list + i * sizeof(ti), sizeof(ti)) < 0)
			return -XEN_EFAULT;
		if (ti.address == 0)
			return 0;
		/* As Xen: the entries before a bad one stay installed. */
		if (!is_canonical(ti.address))
			return -XEN_EINVAL;
		v->traps[ti.vector].address = ti.address;
		v->traps[ti.vector].flags = ti.flags;
	}
	return 0;
}

static int64_t register_callback(const struct callback_register *cb)
{
	struct xen_vcpu *v = &xen_vcpu;
	bool mask = cb->flags & CALLBACKF_mask_events;
	switch (cb->type) {
	case CALLBACKTYPE_event:
		v->event_cb = cb->address;
		return 0;
	case CALLBACKTYPE_failsafe:
		v->failsafe_cb = cb->address;
		return 0;
	case CALLBACKTYPE_syscall:
		v->syscall_cb = cb->address;
		v->syscall_mask = mask;
		return 0;
	case CALLBACKTYPE_syscall32:
		v->syscall32_cb = cb->address;
		v->syscall32_mask = mask;
		return 0;
	case CALLBACKTYPE_sysenter:
		v->sysenter_cb = cb->address;
		v->sysenter_mask = mask;
		return 0;
	case CALLBACKTYPE_nmi:
		v->nmi_cb = cb->address;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

static int64_t do_callback_op(uint64_t cmd, uint64_t arg)
{
	if (cmd == CALLBACKOP_register) {
		struct callback_register cb;
		if (copy_from_guest(&cb, arg, sizeof(cb)) < 0)
			return -XEN_EFAULT;
		return register_callback(&cb);
	}
	if (cmd == CALLBACKOP_unregister) {
		struct callback_unregister cb;
		if (copy_from_guest(&cb, arg, sizeof(cb)) < 0)
			return -XEN_EFAULT;
		struct callback_register none = {.type = cb.type};
		return cb.type == CALLBACKTYPE_nmi ? -XEN_EINVAL : register_callback(&none);
	}
	return -XEN_ENOSYS;
}

static int64_t do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall)
{
	xen_vcpu.event_cb = event;
	xen_vcpu.failsafe_cb = failsafe;
	xen_vcpu.syscall_cb = syscall;
	return 0;
}

static int64_t copy_string(uint64_t dst, const char *s, size_t size)
{
	char buf[1024] = {0};
	size_t n = strlen(s);
	memcpy(buf, s, n < size ? n : size - 1);
	return copy_to_guest(dst, buf, size) < 0 ? -XEN_EFAULT : 0;
}

static int64_t do_xen_version(uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case XENVER_version:
		return (4 << 16) | 19; /* the interface this follows: Xen 4.19 */
	case XENVER_extraversion:
		return copy_string(arg, ".0-pvkit", sizeof(xen_extraversion_t));
	case XENVER_compile_info: {
		xen_compile_info_t info;
		memset(&info, 0, sizeof(info));
		memcpy(info.compiler, "gcc", 4);
		memcpy(info.compile_by, "pvkit", 6);
		memcpy(info.compile_domain, "pvkit", 6);
		memcpy(info.compile_date, "pvxen", 6);
		return copy_to_guest(arg, &info, sizeof(info)) < 0 ? -XEN_EFAULT : 0;
	}
	case XENVER_capabilities:
		return copy_string(arg, "xen-3.0-x86_64", sizeof(xen_capabilities_info_t));
	case XENVER_changeset:
		return copy_string(arg, "pvkit pvxen", sizeof(xen_changeset_info_t));
	case XENVER_platform_parameters: {
		xen_platform_parameters_t p = {.virt_start = XEN_PV_HOLE_START_VA};
		return copy_to_guest(arg, &p, sizeof(p)) < 0 ? -XEN_EFAULT : 0;
	}
	case XENVER_get_features: {
		xen_feature_info_t fi;
		if (copy_from_guest(&fi, arg, sizeof(fi)) < 0)
			return -XEN_EFAULT;
		fi.submap = 0;
		if (fi.submap_idx == 0)
			/* What Linux insists on (PLATFORM.md), and what a 64-bit PV
			 * guest of Xen sees. */
			fi.submap = 1u << XENFEAT_pae_pgdir_above_4gb |
				    1u << XENFEAT_mmu_pt_update_preserve_ad |
				    1u << XENFEAT_gnttab_map_avail_bits;
		return copy_to_guest(arg, &fi, sizeof(fi)) < 0 ? -XEN_EFAULT : 0;
	}
	case XENVER_pagesize:
		return PAGE_SIZE;
	case XENVER_guest_handle: {
		xen_domain_handle_t h = {0};
		return copy_to_guest(arg, h, sizeof(h)) < 0 ? -XEN_EFAULT : 0;
	}
	case XENVER_commandline:
	case XENVER_build_id:
		return -XEN_EPERM; /* Xen's answer to an unprivileged domain */
	default:
		return -XEN_ENOSYS;
	}
}

static int64_t shutdown(uint64_t reason)
{
	switch (reason) {
	case SHUTDOWN_poweroff:
		if (xen_boot_info.flags & PVXEN_BOOT_CHECK)
			mm_check();
		xen_shutdown(PVKIT_SHUTDOWN_POWEROFF);
	case SHUTDOWN_reboot:
		xen_shutdown(PVKIT_SHUTDOWN_REBOOT);
	case SHUTDOWN_crash:
		xen_crash("xen: the domain reported a crash (SCHEDOP_shutdown, SHUTDOWN_crash)");
	case SHUTDOWN_watchdog:
		xen_crash("xen: the domain's watchdog expired (SHUTDOWN_watchdog)");
	case SHUTDOWN_suspend:
	case SHUTDOWN_soft_reset:
		xen_crash("xen: the domain asked for shutdown reason %llu, which pvkit does "
			  "not do (suspend, soft reset)",
			  (unsigned long long)reason);
	default:
		return -XEN_EINVAL;
	}
}

static int64_t do_sched_op(uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case SCHEDOP_yield:
		return 0; /* one vCPU, nothing else to run */
	case SCHEDOP_block:
		/* Events on, then sleep until one is pending (its upcall goes
		 * out on the way back). */
		xen_vcpu.vcpu_info->evtchn_upcall_mask = 0;
		if (!events_pending())
			wait_for_event(UINT64_MAX);
		return 0;
	case SCHEDOP_poll: {
		struct sched_poll poll;
		if (copy_from_guest(&poll, arg, sizeof(poll)) < 0)
			return -XEN_EFAULT;
		if (poll.nr_ports > 128)
			return -XEN_EINVAL;
		for (unsigned i = 0; i < poll.nr_ports; i++) {
			evtchn_port_t port;
			if (copy_from_guest(&port, (uint64_t)poll.ports.p + i * sizeof(port),
					    sizeof(port)) < 0)
				return -XEN_EFAULT;
			if (port_pending(port))
				return 0;
		}
		/* A wakeup before the event is allowed: the guest polls again. */
		wait_for_event(poll.timeout ? poll.timeout : UINT64_MAX);
		return 0;
	}
	case SCHEDOP_shutdown: {
		struct sched_shutdown s;
		if (copy_from_guest(&s, arg, sizeof(s)) < 0)
			return -XEN_EFAULT;
		return shutdown(s.reason);
	}
	case SCHEDOP_shutdown_code:
		return 0;
	case SCHEDOP_remote_shutdown:
		return -XEN_EPERM;
	default:
		return refuse(__HYPERVISOR_sched_op, "sched_op", cmd);
	}
}

static int64_t do_sched_op_compat(uint64_t cmd, uint64_t arg)
{
	if (cmd == SCHEDOP_shutdown)
		return shutdown(arg);
	if (cmd == SCHEDOP_yield || cmd == SCHEDOP_block)
		return 0;
	return -XEN_ENOSYS;
}

static int64_t do_vm_assist(uint64_t cmd, uint64_t type)
{
	const uint64_t valid =
	    1ull << VMASST_TYPE_4gb_segments | 1ull << VMASST_TYPE_4gb_segments_notify |
	    1ull << VMASST_TYPE_writable_pagetables | 1ull << VMASST_TYPE_pae_extended_cr3 |
	    1ull << VMASST_TYPE_architectural_iopl | 1ull << VMASST_TYPE_runstate_update_flag |
	    1ull << VMASST_TYPE_m2p_strict;
	if (type >= 64 || !(valid & (1ull << type)))
		return -XEN_EINVAL;
	if (cmd == VMASST_CMD_enable)
		xen_vcpu.vm_assist |= 1ull << type;
	else if (cmd == VMASST_CMD_disable)
		xen_vcpu.vm_assist &= ~(1ull << type);
	else
		return -XEN_ENOSYS;
	return 0;
}

static int64_t do_physdev_op(uint64_t cmd, uint64_t arg)
{
	if (cmd == PHYSDEVOP_set_iopl) {
		struct physdev_set_iopl s;
		if (copy_from_guest(&s, arg, sizeof(s)) < 0)
			return -XEN_EFAULT;
		if (s.iopl > 3)
			return -XEN_EINVAL;
		xen_vcpu.iopl = s.iopl;
		return 0;
	}
	return refuse(__HYPERVISOR_physdev_op, "physdev_op", cmd);
}

static int64_t do_stack_switch(uint64_t ss, uint64_t sp)
{
	(void)ss;
	xen_vcpu.kernel_sp = sp;
	return 0;
}

static int64_t do_set_segment_base(uint64_t which, uint64_t base)
{
	if (which != SEGBASE_GS_USER_SEL && !is_canonical(base))
		return -XEN_EINVAL; /* XSA-193 */
	switch (which) {
	case SEGBASE_FS:
		write_fs_base(base);
		return 0;
	case SEGBASE_GS_USER:
		xen_vcpu.gs_base_user = base;
		return 0;
	case SEGBASE_GS_KERNEL:
		write_gs_base(base);
		xen_vcpu.gs_base_kernel = base;
		return 0;
	case SEGBASE_GS_USER_SEL:
		xen_vcpu.gs_base_user = 0;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

static int64_t do_fpu_taskswitch(uint64_t set)
{
	xen_vcpu.fpu_ts = set != 0;
	return 0;
}

static int64_t do_set_debugreg(uint64_t reg, uint64_t value)
{
	return set_debugreg((unsigned)(reg > 7 ? 8 : reg), value);
}

static int64_t do_get_debugreg(uint64_t reg)
{
	if (reg > 7 || reg == 4 || reg == 5)
		return -XEN_EINVAL;
	return (int64_t)xen_vcpu.dr[reg];
}

static int64_t do_memory_op(uint64_t cmd, uint64_t arg)
{
	/* The low bits are the operation, the rest where a preempted call of
	 * it goes on (Xen's MEMOP_CMD_MASK, MEMOP_EXTENT_SHIFT). */
	unsigned op = (unsigned)(cmd & 0x3f);
	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return do_reservation_op(op, arg, cmd >> 6);
	case XENMEM_current_reservation:
		return (int64_t)domain_pages();
	case XENMEM_maximum_reservation:
		return (int64_t)xen_boot_info.nr_pages;
	case XENMEM_machphys_mapping: {
		struct xen_machphys_mapping m = {
		    .v_start = PVXEN_M2P,
		    .v_end = PVXEN_M2P + PVXEN_M2P_MAX_PAGES * 8,
		    .max_mfn = PVXEN_M2P_MAX_PAGES - 1,
		};
		return copy_to_guest(arg, &m, sizeof(m)) < 0 ? -XEN_EFAULT : 0;
	}
	case XENMEM_maximum_ram_page:
		return (int64_t)xen_boot_info.nr_pages - 1;
	case XENMEM_memory_map: {
		struct xen_memory_map map;
		if (copy_from_guest(&map, arg, sizeof(map)) < 0)
			return -XEN_EFAULT;
		/* pvkit keeps its hypercall and time pages below 1 MiB (boot/layout.h)
		 * and writes the time page while the guest runs: reserved, with the
		 * rest of the legacy hole, as on a PC. */
		struct e820 {
			uint64_t addr, size;
			uint32_t type;
		} __attribute__((packed)) e820[3] = {
		    {0, LAYOUT_HYPERCALL_PAGE, 1},
		    {LAYOUT_HYPERCALL_PAGE, LAYOUT_HIGH_RAM - LAYOUT_HYPERCALL_PAGE, 2},
		    {LAYOUT_HIGH_RAM, xen_boot_info.nr_pages * PAGE_SIZE - LAYOUT_HIGH_RAM, 1},
		};
		if (map.nr_entries < 3)
			return -XEN_EINVAL;
		if (copy_to_guest((uint64_t)map.buffer.p, e820, sizeof(e820)) < 0)
			return -XEN_EFAULT;
		map.nr_entries = 3;
		return copy_to_guest(arg, &map, sizeof(map)) < 0 ? -XEN_EFAULT : 0;
	}
	default:
		return refuse(__HYPERVISOR_memory_op, "memory_op", cmd);
	}
}

static int64_t do_vcpu_op(uint64_t cmd, uint64_t vcpu, uint64_t arg)
{
	if (vcpu != 0)
		return -XEN_ENOENT; /* one vCPU: Linux probes them all */
	switch (cmd) {
	case VCPUOP_is_up:
		return 1;
	case VCPUOP_register_vcpu_info: {
		struct vcpu_register_vcpu_info info;
		if (copy_from_guest(&info, arg, sizeof(info)) < 0)
			return -XEN_EFAULT;
		if (info.offset + sizeof(struct vcpu_info) > PAGE_SIZE ||
		    !mfn_is_domain_ram(info.mfn))
			return -XEN_EINVAL;
		struct vcpu_info *vi =
		    maddr_ptr(info.mfn * PAGE_SIZE + info.offset, sizeof(struct vcpu_info));
		if (!vi)
			return -XEN_EINVAL;
		memcpy(vi, xen_vcpu.vcpu_info, sizeof(*vi));
		xen_vcpu.vcpu_info = vi;
		publish_vcpu_time();
		return 0;
	}
	case VCPUOP_register_runstate_memory_area: {
		struct vcpu_register_runstate_memory_area area;
		if (copy_from_guest(&area, arg, sizeof(area)) < 0)
			return -XEN_EFAULT;
		return register_runstate((uint64_t)area.addr.v);
	}
	case VCPUOP_register_vcpu_time_memory_area: {
		struct vcpu_register_time_memory_area area;
		if (copy_from_guest(&area, arg, sizeof(area)) < 0)
			return -XEN_EFAULT;
		return register_time_area((uint64_t)area.addr.v);
	}
	case VCPUOP_stop_periodic_timer:
		return 0;
	case VCPUOP_stop_singleshot_timer:
		stop_singleshot_timer();
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct vcpu_set_singleshot_timer t;
		if (copy_from_guest(&t, arg, sizeof(t)) < 0)
			return -XEN_EFAULT;
		return set_singleshot_timer(t.timeout_abs_ns, t.flags & VCPU_SSHOTTMR_future);
	}
	default:
		return refuse(__HYPERVISOR_vcpu_op, "vcpu_op", cmd);
	}
}

/* HYPERVISOR_iret: the frame the hypercall page left on the guest stack. */
int64_t do_iret(struct xen_regs *r)
{
	struct iret_context f;
	if (copy_from_guest(&f, r->rsp, sizeof(f)) < 0)
		xen_crash(
		    "pvxen: HYPERVISOR_iret with an unreadable frame at 0x%llx: domain crashed",
		    (unsigned long long)r->rsp);
	if ((f.cs & 3) == 3) {
		if (!xen_vcpu.user_cr3)
			xen_crash("pvxen: the guest switched to user mode with no user page "
				  "tables: domain crashed");
		toggle_guest_mode(r);
	}
	if (xen_vcpu.vm_assist & (1ull << VMASST_TYPE_architectural_iopl))
		xen_vcpu.iopl = (f.rflags >> 12) & 3;
	r->rip = f.rip;
	r->rflags = f.rflags & ~(RFLAGS_IOPL | RFLAGS_VM);
	r->rsp = f.rsp;
	if (f.flags & VGCF_in_syscall) {
		r->rcx = f.rip;
		r->r11 = f.rflags;
	} else {
		r->r11 = f.r11;
		r->rcx = f.rcx;
	}
	xen_vcpu.vcpu_info->evtchn_upcall_mask = !(f.rflags & RFLAGS_IF);
	return (int64_t)f.rax;
}

static int64_t dispatch(struct xen_regs *r, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			uint64_t a3, uint64_t a4);

static int64_t do_multicall(struct xen_regs *r, uint64_t list, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		struct multicall_entry e;
		uint64_t at = list + i * sizeof(e);
		if (copy_from_guest(&e, at, sizeof(e)) < 0)
			return -XEN_EFAULT;
		if (e.op == __HYPERVISOR_multicall || e.op == __HYPERVISOR_iret)
			e.result = -XEN_EINVAL;
		else
			e.result = (uint64_t)dispatch(r, e.op, e.args[0], e.args[1], e.args[2],
						      e.args[3], e.args[4]);
		if (copy_to_guest(at + offsetof(struct multicall_entry, result), &e.result,
				  sizeof(e.result)) < 0)
			return -XEN_EFAULT;
	}
	return 0;
}

static int64_t dispatch(struct xen_regs *r, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			uint64_t a3, uint64_t a4)
{
	(void)a4;
	switch (nr) {
	case __HYPERVISOR_set_trap_table:
		return do_set_trap_table(a0);
	case __HYPERVISOR_mmu_update:
		return do_mmu_update(a0, a1, a2, a3);
	case __HYPERVISOR_set_gdt:
		return do_set_gdt(a0, a1);
	case __HYPERVISOR_stack_switch:
		return do_stack_switch(a0, a1);
	case __HYPERVISOR_set_callbacks:
		return do_set_callbacks(a0, a1, a2);
	case __HYPERVISOR_fpu_taskswitch:
		return do_fpu_taskswitch(a0);
	case __HYPERVISOR_sched_op_compat:
		return do_sched_op_compat(a0, a1);
	case __HYPERVISOR_set_debugreg:
		return do_set_debugreg(a0, a1);
	case __HYPERVISOR_get_debugreg:
		return do_get_debugreg(a0);
	case __HYPERVISOR_update_descriptor:
		return do_update_descriptor(a0, a1);
	case __HYPERVISOR_memory_op:
		return do_memory_op(a0, a1);
	case __HYPERVISOR_multicall:
		return do_multicall(r, a0, a1);
	case __HYPERVISOR_update_va_mapping:
		return do_update_va_mapping(a0, a1, a2);
	case __HYPERVISOR_set_timer_op:
		if (a0 == 0) {
			stop_singleshot_timer();
			return 0;
		}
		return set_singleshot_timer(a0, false);
	case __HYPERVISOR_xen_version:
		return do_xen_version(a0, a1);
	case __HYPERVISOR_console_io:
		return do_console_io(a0, a1, a2);
	case __HYPERVISOR_grant_table_op:
		return do_grant_table_op(a0, a1, a2);
	case __HYPERVISOR_vm_assist:
		return do_vm_assist(a0, a1);
	case __HYPERVISOR_vcpu_op:
		return do_vcpu_op(a0, a1, a2);
	case __HYPERVISOR_set_segment_base:
		return do_set_segment_base(a0, a1);
	case __HYPERVISOR_mmuext_op:
		return do_mmuext_op(a0, a1, a2, a3);
	case __HYPERVISOR_sched_op:
		return do_sched_op(a0, a1);
	case __HYPERVISOR_callback_op:
		return do_callback_op(a0, a1);
	case __HYPERVISOR_event_channel_op:
		return do_event_channel_op(a0, a1);
	case __HYPERVISOR_physdev_op:
		return do_physdev_op(a0, a1);
	case __HYPERVISOR_sysctl:
	case __HYPERVISOR_domctl:
	case __HYPERVISOR_platform_op:
		return -XEN_EPERM; /* privileged: what Xen tells an ordinary domain */
	default:
		return refuse(nr, "not served", 0);
	}
}

void do_hypercall(struct xen_regs *r)
{
	if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
		xen_log("xen: hypercall %llu (%llx, %llx, %llx) from 0x%llx",
			(unsigned long long)r->rax, (unsigned long long)r->rdi,
			(unsigned long long)r->rsi, (unsigned long long)r->rdx,
			(unsigned long long)r->rip);
	if (r->rax == __HYPERVISOR_iret) {
		r->rax = (uint64_t)do_iret(r);
		return;
	}
	r->rax = (uint64_t)dispatch(r, r->rax, r->rdi, r->rsi, r->rdx, r->r10, r->r8);
}
