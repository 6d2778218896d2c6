// SPDX-License-Identifier: MIT
/*
 * xenstore.c - a xenstore for the one domain, served inside pvxen on the
 * ring start_info names: enough of the protocol (read, write, mkdir, rm,
 * directory, watches and their events, transactions that always commit,
 * permissions that are always the domain's) that Linux's xenbus and XTF
 * come up without waiting.  The tree starts with the domain's own keys; no
 * device is offered yet, so xenbus finds no frontend to wait for.
 */
#include "pvxen.h"

#include <xen/io/xs_wire.h>

#define MAX_NODES   128
#define MAX_WATCHES 32
#define PATH_MAX_   160
#define VALUE_MAX   160
#define DOMAIN_PATH "/local/domain/1"

struct node {
	char path[PATH_MAX_]; /* absolute; "" = free */
	char value[VALUE_MAX];
	unsigned len;
};

struct watch {
	char path[PATH_MAX_]; /* absolute; "" = free */
	char token[64];
};

static struct node nodes[MAX_NODES];
static struct watch watches[MAX_WATCHES];

static size_t str_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

static bool absolute(const char *in, size_t n, char *out)
{
	size_t at = 0;
	if (n == 0 || in[0] != '/') {
		memcpy(out, DOMAIN_PATH "/", sizeof(DOMAIN_PATH));
		at = sizeof(DOMAIN_PATH);
	}
	if (at + n >= PATH_MAX_)
		return false;
	memcpy(out + at, in, n);
	out[at + n] = '\0';
	/* "a/b/" is "a/b" */
	while (at + n > 1 && out[at + n - 1] == '/')
		out[at + --n] = '\0';
	return true;
}

static struct node *find(const char *path)
{
	for (unsigned i = 0; i < MAX_NODES; i++)
		if (nodes[i].path[0] && strncmp(nodes[i].path, path, PATH_MAX_) == 0)
			return &nodes[i];
	return NULL;
}

/* Is `path` `dir` or below it? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

static struct node *create(const char *path)
{
	struct node *n = find(path);
	if (n)
		return n;
	for (unsigned i = 0; i < MAX_NODES; i++)
		if (!nodes[i].path[0]) {
			memcpy(nodes[i].path, path, strlen(path) + 1);
			nodes[i].len = 0;
			return &nodes[i];
		}
	return NULL;
}

static void set(const char *path, const char *value)
{
	struct node *n = create(path);
	if (n) {
		n->len = (unsigned)strlen(value);
		memcpy(n->value, value, n->len);
	}
}

void xenstore_init(void)
{
	set(DOMAIN_PATH "/domid", "1");
	set(DOMAIN_PATH "/name", "pvkit");
	/* What a toolstack writes for a domain: its memory target in KiB (the
	 * balloon driver reads it) and its one vCPU online (cpu_hotplug does). */
	char target[24];
	snprintf(target, sizeof(target), "%lu", (unsigned long)(xen_boot_info.nr_pages * 4));
	set(DOMAIN_PATH "/memory/target", target);
	set(DOMAIN_PATH "/cpu/0/availability", "online");
	set(DOMAIN_PATH "/control", "");
	set(DOMAIN_PATH "/device", "");
}

/* ---- the ring ---------------------------------------------------------- */

static struct xenstore_domain_interface *ring(void)
{
	return maddr_ptr(xen_boot_info.store_pfn * PAGE_SIZE,
			 sizeof(struct xenstore_domain_interface));
}

static bool reply(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *payload, uint32_t len)
{
	struct xenstore_domain_interface *r = ring();
	struct xsd_sockmsg h = {.type = type, .req_id = req_id, .tx_id = tx_id, .len = len};
	XENSTORE_RING_IDX prod = r->rsp_prod;
	if (XENSTORE_RING_SIZE - (prod - r->rsp_cons) < sizeof(h) + len)
		return false;
	const uint8_t *parts[2] = {(const uint8_t *)&h, payload};
	uint32_t sizes[2] = {sizeof(h), len};
	for (int p = 0; p < 2; p++)
		for (uint32_t i = 0; i < sizes[p]; i++)
			r->rsp[MASK_XENSTORE_IDX(prod++)] = (char)parts[p][i];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->rsp_prod = prod;
	return true;
}

static void error(uint32_t req_id, uint32_t tx_id, const char *name)
{
	reply(XS_ERROR, req_id, tx_id, name, (uint32_t)strlen(name) + 1);
}

static void ok(uint32_t req_id, uint32_t tx_id, uint32_t type)
{
	reply(type, req_id, tx_id, "OK", 3);
}

static void fire(const struct watch *w, const char *path)
{
	char ev[PATH_MAX_ + 64];
	size_t a = strlen(path) + 1, b = strlen(w->token) + 1;
	memcpy(ev, path, a);
	memcpy(ev + a, w->token, b);
	reply(XS_WATCH_EVENT, 0, 0, ev, (uint32_t)(a + b));
}

static void changed(const char *path)
{
	for (unsigned i = 0; i < MAX_WATCHES; i++)
		if (watches[i].path[0] && under(path, watches[i].path))
			fire(&watches[i], path);
}

static void directory(const char *dir, uint32_t req_id, uint32_t tx_id)
{
	char out[1024];
	size_t len = 0, dl = strlen(dir);
	if (!find(dir))
		return error(req_id, tx_id, "ENOENT");
	for (unsigned i = 0; i < MAX_NODES; i++) {
		const char *p = nodes[i].path;
		if (!p[0] || !under(p, dir) || strlen(p) == dl)
			continue;
		const char *child = p + dl + (dl > 1);
		size_t cl = 0;
		while (child[cl] && child[cl] != '/')
			cl++;
		if (child[cl] == '/') /* a grandchild: its parent is listed by itself */
			continue;
		if (len + cl + 1 > sizeof(out))
			break;
		memcpy(out + len, child, cl);
		out[len + cl] = '\0';
		len += cl + 1;
	}
	reply(XS_DIRECTORY, req_id, tx_id, out, (uint32_t)len);
}

static void handle(const struct xsd_sockmsg *h, const char *body)
{
	char path[PATH_MAX_];
	size_t first = str_len(body, h->len);
	bool has_path = absolute(body, first, path);
	uint32_t id = h->req_id, tx = h->tx_id;
	if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
		xen_log("xen: xenstore request %u %s", h->type, has_path ? path : "?");
	switch (h->type) {
	case XS_READ: {
		const struct node *n = has_path ? find(path) : NULL;
		if (!n)
			return error(id, tx, "ENOENT");
		return (void)reply(XS_READ, id, tx, n->value, n->len);
	}
	case XS_WRITE: {
		struct node *n = has_path ? create(path) : NULL;
		if (!n)
			return error(id, tx, "ENOSPC");
		size_t vlen = h->len > first + 1 ? h->len - first - 1 : 0;
		n->len = (unsigned)(vlen < VALUE_MAX ? vlen : VALUE_MAX);
		memcpy(n->value, body + first + 1, n->len);
		ok(id, tx, XS_WRITE);
		return changed(path);
	}
	case XS_MKDIR:
		if (!has_path || !create(path))
			return error(id, tx, "ENOSPC");
		ok(id, tx, XS_MKDIR);
		return changed(path);
	case XS_RM:
		if (!has_path)
			return error(id, tx, "EINVAL");
		for (unsigned i = 0; i < MAX_NODES; i++)
			if (nodes[i].path[0] && under(nodes[i].path, path))
				nodes[i].path[0] = '\0';
		ok(id, tx, XS_RM);
		return changed(path);
	case XS_DIRECTORY:
		return has_path ? directory(path, id, tx) : error(id, tx, "EINVAL");
	case XS_GET_PERMS:
		if (!has_path || !find(path))
			return error(id, tx, "ENOENT");
		return (void)reply(XS_GET_PERMS, id, tx, "b1", 3);
	case XS_SET_PERMS:
		return ok(id, tx, XS_SET_PERMS);
	case XS_WATCH: {
		for (unsigned i = 0; i < MAX_WATCHES; i++) {
			struct watch *w = &watches[i];
			if (w->path[0] || !has_path)
				continue;
			size_t tl = str_len(body + first + 1, h->len - first - 1);
			memcpy(w->path, path, strlen(path) + 1);
			memcpy(w->token, body + first + 1, tl < sizeof(w->token) - 1 ? tl : 63);
			w->token[tl < sizeof(w->token) - 1 ? tl : 63] = '\0';
			ok(id, tx, XS_WATCH);
			return fire(w, path); /* a new watch fires once, as xenstored's do */
		}
		return error(id, tx, "ENOSPC");
	}
	case XS_UNWATCH:
		for (unsigned i = 0; i < MAX_WATCHES; i++)
			if (has_path && strncmp(watches[i].path, path, PATH_MAX_) == 0)
				watches[i].path[0] = '\0';
		return ok(id, tx, XS_UNWATCH);
	case XS_RESET_WATCHES:
		memset(watches, 0, sizeof(watches));
		return ok(id, tx, XS_RESET_WATCHES);
	case XS_TRANSACTION_START:
		return (void)reply(XS_TRANSACTION_START, id, tx, "1", 2);
	case XS_TRANSACTION_END:
		return ok(id, tx, XS_TRANSACTION_END);
	case XS_GET_DOMAIN_PATH:
		return (void)reply(XS_GET_DOMAIN_PATH, id, tx, DOMAIN_PATH, sizeof(DOMAIN_PATH));
	default:
		return error(id, tx, "ENOSYS");
	}
}

/*
 * EVTCHNOP_send on the store port: take in everything the guest wrote (as
 * xenstored does: Linux notifies only when it finds the ring drained, so a
 * request written in pieces must be consumed piece by piece) and serve
 * every complete request.
 */
void xenstore_kick(void)
{
	static char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
	static size_t have;
	struct xenstore_domain_interface *r = ring();
	if (!r)
		return;
	for (;;) {
		XENSTORE_RING_IDX cons = r->req_cons, prod = r->req_prod;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		while (cons != prod && have < sizeof(msg) - 1)
			msg[have++] = r->req[MASK_XENSTORE_IDX(cons++)];
		__atomic_thread_fence(__ATOMIC_RELEASE);
		r->req_cons = cons;
		struct xsd_sockmsg h;
		if (have < sizeof(h))
			return;
		memcpy(&h, msg, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX) {
			r->error = XENSTORE_ERROR_PROTO;
			have = 0;
			return;
		}
		if (have < sizeof(h) + h.len)
			return;
		char *body = msg + sizeof(h);
		char saved = body[h.len];
		body[h.len] = '\0';
		handle(&h, body);
		body[h.len] = saved;
		have -= sizeof(h) + h.len;
		memmove(msg, msg + sizeof(h) + h.len, have);
	}
}
