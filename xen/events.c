// SPDX-License-Identifier: MIT
/*
 * events.c - the console (console_io and the PV console ring) and event
 * channels.
 *
 * The domain's console is the ring on start_info's console page: pvxen
 * drains it to pvkit's console on every EVTCHNOP_send to the console port.
 * console_io is Xen's own log; pvkit shows it too until the domain first
 * uses the ring (XTF and Linux write both once the ring is up, and a person
 * wants each line once).
 *
 * Event channels: the two ports start_info names are bound "interdomain" to
 * domain 0: the console (drained to pvkit) and xenstore (xenstore.c); EVTCHNOP_alloc_unbound and
 * bind_virq hand out further ports that nothing signals yet.
 */
#include "pvxen.h"

#include <xen/event_channel.h>
#include <xen/io/console.h>

#define NR_PORTS 64

enum { PORT_FREE, PORT_STORE, PORT_CONSOLE, PORT_UNBOUND, PORT_VIRQ, PORT_IPI };

static uint8_t port_state[NR_PORTS] = {
    [PVXEN_STORE_EVTCHN] = PORT_STORE,
    [PVXEN_CONSOLE_EVTCHN] = PORT_CONSOLE,
};
static uint32_t port_virq[NR_PORTS];
static domid_t port_remote[NR_PORTS]; /* PORT_UNBOUND: who may bind it */
static bool ring_used;

/* The 2-level ABI: the port's pending bit, then its selector bit and the
 * vCPU's upcall_pending unless the port is masked. */
static void set_pending(uint32_t port)
{
	shared_info_t *s = xen_shared_info;
	struct vcpu_info *vi = xen_vcpu.vcpu_info;
	unsigned word = port / 64;
	uint64_t bit = 1ull << (port % 64);
	if (__atomic_fetch_or(&s->evtchn_pending[word], bit, __ATOMIC_SEQ_CST) & bit)
		return;
	if (s->evtchn_mask[word] & bit)
		return;
	if (!(__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << word, __ATOMIC_SEQ_CST) &
	      (1ull << word)))
		vi->evtchn_upcall_pending = 1;
	vi->evtchn_upcall_pending = 1;
}

void raise_virq(unsigned virq)
{
	for (uint32_t p = 1; p < NR_PORTS; p++)
		if (port_state[p] == PORT_VIRQ && port_virq[p] == virq)
			set_pending(p);
}

bool events_pending(void)
{
	return xen_vcpu.vcpu_info->evtchn_upcall_pending;
}

bool port_pending(uint32_t port)
{
	return port < NR_PORTS &&
	       (xen_shared_info->evtchn_pending[port / 64] & (1ull << (port % 64)));
}

static void drain_console_ring(void)
{
	struct xencons_interface *ring =
	    maddr_ptr(xen_boot_info.console_pfn * PAGE_SIZE, sizeof(*ring));
	if (!ring)
		return;
	ring_used = true;
	XENCONS_RING_IDX cons = ring->out_cons, prod = ring->out_prod;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(ring->out))
		cons = prod - sizeof(ring->out); /* a guest that overran its ring */
	while (cons != prod) {
		unsigned at = cons % sizeof(ring->out);
		unsigned n = prod - cons;
		if (n > sizeof(ring->out) - at)
			n = sizeof(ring->out) - at;
		pvkit_write(ring->out + at, n);
		cons += n;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring->out_cons = cons;
}

/* Console input from pvkit into the ring's `in` half, and the event. */
void console_input(void)
{
	struct xencons_interface *ring =
	    maddr_ptr(xen_boot_info.console_pfn * PAGE_SIZE, sizeof(*ring));
	static char buf[sizeof(ring->in)];
	if (!ring)
		return;
	XENCONS_RING_IDX cons = ring->in_cons, prod = ring->in_prod;
	uint64_t room = sizeof(ring->in) - (prod - cons);
	if (room == 0 || room > sizeof(ring->in))
		return;
	int64_t n = pvkit_call(PVKIT_HC_CONSOLE_READ,
			       xen_boot_info.hv_base + ((uint64_t)buf - PVXEN_VIRT_BASE), room, 0);
	for (int64_t i = 0; i < n; i++)
		ring->in[MASK_XENCONS_IDX(prod++, ring->in)] = buf[i];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring->in_prod = prod;
	if (n > 0)
		set_pending(PVXEN_CONSOLE_EVTCHN);
}

int64_t do_console_io(uint64_t cmd, uint64_t count, uint64_t buf)
{
	if (cmd == CONSOLEIO_read)
		return 0; /* input comes through the ring */
	if (cmd != CONSOLEIO_write)
		return -XEN_ENOSYS;
	char chunk[512];
	uint64_t done = 0;
	while (done < count) {
		size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
		if (copy_from_guest(chunk, buf + done, n) < 0)
			return -XEN_EFAULT;
		if (!ring_used)
			pvkit_write(chunk, n);
		done += n;
	}
	return 0;
}

static int64_t evtchn_send(uint32_t port)
{
	if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
		xen_log("xen: send on port %u (state %u)", port,
			port < NR_PORTS ? port_state[port] : 99);
	if (port >= NR_PORTS || port_state[port] == PORT_FREE)
		return -XEN_EINVAL;
	if (port_state[port] == PORT_CONSOLE) {
		drain_console_ring();
	} else if (port_state[port] == PORT_STORE) {
		xenstore_kick();
		set_pending(port); /* replies are on the ring */
	} else if (port_state[port] == PORT_IPI) {
		set_pending(port);
	}
	return 0;
}

static int64_t evtchn_status(struct evtchn_status *s)
{
	if (s->dom != DOMID_SELF)
		return -XEN_ESRCH;
	if (s->port >= NR_PORTS)
		return -XEN_EINVAL;
	s->vcpu = 0;
	switch (port_state[s->port]) {
	case PORT_FREE:
		s->status = EVTCHNSTAT_closed;
		break;
	case PORT_CONSOLE:
	case PORT_STORE:
		s->status = EVTCHNSTAT_interdomain;
		s->u.interdomain.dom = 0;
		s->u.interdomain.port = s->port;
		break;
	case PORT_UNBOUND:
		s->status = EVTCHNSTAT_unbound;
		s->u.unbound.dom = port_remote[s->port];
		break;
	case PORT_IPI:
		s->status = EVTCHNSTAT_ipi;
		break;
	default:
		s->status = EVTCHNSTAT_virq;
		s->u.virq = port_virq[s->port];
		break;
	}
	return 0;
}

static int64_t alloc_port(unsigned state)
{
	for (uint32_t p = 1; p < NR_PORTS; p++)
		if (port_state[p] == PORT_FREE) {
			port_state[p] = (uint8_t)state;
			return p;
		}
	return -XEN_ENOSPC;
}

/* Take a free port for a checked request and write the request (at arg,
 * read into req) back with the port in it. */
static int64_t bind_port(uint64_t arg, void *req, size_t size, unsigned state, uint32_t virq,
			 evtchn_port_t *port_field)
{
	int64_t port = alloc_port(state);
	if (port < 0)
		return port;
	port_virq[port] = virq;
	*port_field = (evtchn_port_t)port;
	return copy_to_guest(arg, req, size) < 0 ? -XEN_EFAULT : 0;
}

int64_t do_event_channel_op(uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case EVTCHNOP_send: {
		struct evtchn_send s;
		if (copy_from_guest(&s, arg, sizeof(s)) < 0)
			return -XEN_EFAULT;
		return evtchn_send(s.port);
	}
	case EVTCHNOP_status: {
		struct evtchn_status s;
		if (copy_from_guest(&s, arg, sizeof(s)) < 0)
			return -XEN_EFAULT;
		int64_t rc = evtchn_status(&s);
		if (rc == 0 && copy_to_guest(arg, &s, sizeof(s)) < 0)
			return -XEN_EFAULT;
		return rc;
	}
	case EVTCHNOP_alloc_unbound: {
		struct evtchn_alloc_unbound a;
		if (copy_from_guest(&a, arg, sizeof(a)) < 0)
			return -XEN_EFAULT;
		if (a.dom != DOMID_SELF)
			return -XEN_ESRCH;
		/* The remote end: this domain (by any name) or domain 0, the
		 * only other one the domain knows of (console, xenstore). */
		domid_t remote = a.remote_dom == DOMID_SELF ? XEN_DOMID : a.remote_dom;
		if (remote != XEN_DOMID && remote != 0)
			return -XEN_ESRCH;
		int64_t rc = bind_port(arg, &a, sizeof(a), PORT_UNBOUND, 0, &a.port);
		if (rc == 0)
			port_remote[a.port] = remote;
		return rc;
	}
	case EVTCHNOP_bind_virq: {
		struct evtchn_bind_virq b;
		if (copy_from_guest(&b, arg, sizeof(b)) < 0)
			return -XEN_EFAULT;
		if (b.vcpu != 0)
			return -XEN_ENOENT;
		return bind_port(arg, &b, sizeof(b), PORT_VIRQ, b.virq, &b.port);
	}
	case EVTCHNOP_bind_ipi: {
		struct evtchn_bind_ipi b;
		if (copy_from_guest(&b, arg, sizeof(b)) < 0)
			return -XEN_EFAULT;
		if (b.vcpu != 0)
			return -XEN_ENOENT;
		return bind_port(arg, &b, sizeof(b), PORT_IPI, 0, &b.port);
	}
	case EVTCHNOP_close: {
		struct evtchn_close c;
		if (copy_from_guest(&c, arg, sizeof(c)) < 0)
			return -XEN_EFAULT;
		if (c.port >= NR_PORTS || port_state[c.port] == PORT_FREE)
			return -XEN_EINVAL;
		if (port_state[c.port] >= PORT_UNBOUND)
			port_state[c.port] = PORT_FREE;
		return 0;
	}
	case EVTCHNOP_init_control: {
		/* The FIFO ABI is not offered (guests fall back to the 2-level
		 * one); a bad control block is refused first, as Xen does. */
		struct evtchn_init_control c;
		if (copy_from_guest(&c, arg, sizeof(c)) < 0)
			return -XEN_EFAULT;
		if (!mfn_is_domain_ram(c.control_gfn) || c.offset > PAGE_SIZE - 64 ||
		    (c.offset & 7) || c.vcpu != 0)
			return -XEN_EINVAL;
		return -XEN_EOPNOTSUPP;
	}
	case EVTCHNOP_expand_array:
		return -XEN_EOPNOTSUPP;
	case EVTCHNOP_unmask: {
		struct evtchn_unmask u;
		if (copy_from_guest(&u, arg, sizeof(u)) < 0)
			return -XEN_EFAULT;
		if (u.port >= NR_PORTS)
			return -XEN_EINVAL;
		/* Clear the mask; a pending event then reaches the vCPU. */
		uint64_t bit = 1ull << (u.port % 64);
		__atomic_fetch_and(&xen_shared_info->evtchn_mask[u.port / 64], ~bit,
				   __ATOMIC_SEQ_CST);
		if (port_pending(u.port)) {
			struct vcpu_info *vi = xen_vcpu.vcpu_info;
			__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << (u.port / 64),
					  __ATOMIC_SEQ_CST);
			vi->evtchn_upcall_pending = 1;
		}
		return 0;
	}
	default:
		return -XEN_ENOSYS;
	}
}
