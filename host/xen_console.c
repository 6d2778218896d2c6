// SPDX-License-Identifier: MIT
#include "log.h"
#include "xen_console.h"

static bool indices_sane(struct xen_console *xc, uint32_t cons, uint32_t prod, uint32_t size,
			 const char *which)
{
	if (prod - cons <= size)
		return true;
	xc->broken = true;
	log_msg("xen console: the guest's %s ring claims %u bytes in %u: ignoring the ring", which,
		prod - cons, size);
	return false;
}

size_t xen_console_drain(struct xen_console *xc, struct console *con)
{
	struct xencons_interface *r = xc->ring;
	if (xc->broken || !r)
		return 0;
	/* Each index read once: the guest may move them while we look. */
	uint32_t cons = r->out_cons;
	uint32_t prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
	if (!indices_sane(xc, cons, prod, sizeof(r->out), "output"))
		return 0;
	size_t n = prod - cons;
	/* At most two pieces: up to the end of the ring, then from its start. */
	while (cons != prod) {
		uint32_t at = MASK_XENCONS_IDX(cons, r->out);
		uint32_t chunk = prod - cons;
		if (chunk > sizeof(r->out) - at)
			chunk = (uint32_t)sizeof(r->out) - at;
		console_write(con, (const uint8_t *)r->out + at, chunk);
		cons += chunk;
	}
	__atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
	return n;
}

size_t xen_console_feed(struct xen_console *xc, const uint8_t *bytes, size_t n)
{
	struct xencons_interface *r = xc->ring;
	if (xc->broken || !r)
		return 0;
	uint32_t cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
	uint32_t prod = r->in_prod;
	if (!indices_sane(xc, cons, prod, sizeof(r->in), "input"))
		return 0;
	size_t done = 0;
	while (done < n && prod - cons < sizeof(r->in))
		r->in[MASK_XENCONS_IDX(prod++, r->in)] = (char)bytes[done++];
	__atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
	return done;
}
