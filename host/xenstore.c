// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xenstore.h"

/* ---- the tree ---- */

static bool valid_char(char c)
{
	/* xenstore's path alphabet (docs/misc/xenstore.txt). */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '/' || c == '_' || c == '@';
}

/*
 * Make `path` absolute in out (relative paths are below the home
 * directory) and check it: the alphabet, no empty components, no trailing
 * slash, the length limits.  Special watch paths start with '@'.
 */
static int canonical_path(const struct xenstore *xs, const char *path, char *out, size_t size)
{
	size_t n = strlen(path);
	if (n == 0 || n > XENSTORE_REL_PATH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!valid_char(path[i]))
			return -EINVAL;
	int w = path[0] == '/' || path[0] == '@' ? snprintf(out, size, "%s", path)
						 : snprintf(out, size, "%s/%s", xs->home, path);
	if (w < 0 || (size_t)w >= size || (size_t)w > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	if (out[0] == '@')
		return strchr(out, '/') ? -EINVAL : 0;
	if (strstr(out, "//") || (w > 1 && out[w - 1] == '/'))
		return -EINVAL;
	return 0;
}

static int find_node(const struct xenstore *xs, const char *path)
{
	for (int i = 0; i < xs->nnodes; i++)
		if (strcmp(xs->node[i].path, path) == 0)
			return i;
	return -1;
}

/* Is `path` the node `top` or below it? */
static bool is_below(const char *path, const char *top)
{
	size_t n = strlen(top);
	if (strcmp(top, "/") == 0)
		return path[0] == '/';
	return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int set_value(struct xenstore_node *node, const void *value, uint32_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, len);
	copy[len] = '\0';
	free(node->value);
	node->value = copy;
	node->len = len;
	return 0;
}

/* Find or create path and its missing parents (as xenstored does, with empty values). */
static int make_node(struct xenstore *xs, const char *path)
{
	int i = find_node(xs, path);
	if (i >= 0)
		return i;
	if (strcmp(path, "/") != 0) {
		char parent[XENSTORE_ABS_PATH_MAX + 1];
		snprintf(parent, sizeof(parent), "%s", path);
		char *slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else
			*slash = '\0';
		int p = make_node(xs, parent);
		if (p < 0)
			return p;
	}
	if (xs->nnodes == XENSTORE_MAX_NODES)
		return -ENOSPC;
	struct xenstore_node *node = &xs->node[xs->nnodes];
	*node = (struct xenstore_node){.path = strdup(path)};
	if (!node->path || set_value(node, "", 0) < 0) {
		free(node->path);
		free(node->value);
		return -ENOMEM;
	}
	return xs->nnodes++;
}

static void remove_subtree(struct xenstore *xs, const char *top)
{
	int kept = 0;
	for (int i = 0; i < xs->nnodes; i++) {
		if (is_below(xs->node[i].path, top)) {
			free(xs->node[i].path);
			free(xs->node[i].value);
		} else {
			xs->node[kept++] = xs->node[i];
		}
	}
	xs->nnodes = kept;
}

int xenstore_init(struct xenstore *xs, uint32_t domid)
{
	*xs = (struct xenstore){.domid = domid, .next_transaction = 1};
	snprintf(xs->home, sizeof(xs->home), "/local/domain/%u", domid);
	return make_node(xs, xs->home) < 0 ? -1 : 0;
}

void xenstore_destroy(struct xenstore *xs)
{
	remove_subtree(xs, "/");
	for (int i = 0; i < xs->nwatches; i++) {
		free(xs->watch[i].path);
		free(xs->watch[i].token);
	}
	xs->nwatches = 0;
}

int xenstore_write(struct xenstore *xs, const char *path, const char *value)
{
	char abs[XENSTORE_ABS_PATH_MAX + 1];
	if (canonical_path(xs, path, abs, sizeof(abs)) < 0 || abs[0] != '/')
		return -1;
	int i = make_node(xs, abs);
	return i < 0 || set_value(&xs->node[i], value, (uint32_t)strlen(value)) < 0 ? -1 : 0;
}

const char *xenstore_read(const struct xenstore *xs, const char *path)
{
	char abs[XENSTORE_ABS_PATH_MAX + 1];
	if (canonical_path(xs, path, abs, sizeof(abs)) < 0)
		return NULL;
	int i = find_node(xs, abs);
	return i < 0 ? NULL : xs->node[i].value;
}

/* ---- replies ---- */

/* Queue one message for the guest; false if the queue is full (the guest stopped reading). */
static bool queue_message(struct xenstore *xs, uint32_t type, uint32_t req_id, uint32_t tx_id,
			  const void *body, uint32_t len)
{
	struct xsd_sockmsg hdr = {.type = type, .req_id = req_id, .tx_id = tx_id, .len = len};
	if (xs->pending_len + sizeof(hdr) + len > sizeof(xs->pending))
		return false;
	memcpy(xs->pending + xs->pending_len, &hdr, sizeof(hdr));
	memcpy(xs->pending + xs->pending_len + sizeof(hdr), body, len);
	xs->pending_len += (uint32_t)sizeof(hdr) + len;
	return true;
}

static const char *error_name(int err)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL";
}

/*
 * A watch set with a relative path reports relative paths, as xenstored
 * does: Linux compares them with the paths it asked about.
 */
static void queue_watch_event(struct xenstore *xs, const struct xenstore_watch *w, const char *path)
{
	size_t home = strlen(xs->home);
	if (w->relative && strncmp(path, xs->home, home) == 0 && path[home] == '/')
		path += home + 1;
	char body[2 * (XENSTORE_ABS_PATH_MAX + 1)];
	int n = snprintf(body, sizeof(body), "%s%c%s", path, '\0', w->token);
	if (n > 0 && (size_t)n < sizeof(body))
		queue_message(xs, XS_WATCH_EVENT, 0, 0, body, (uint32_t)n + 1);
}

/* Fire every watch on `changed` or above it, with the changed path, as xenstored does. */
static void fire_watches(struct xenstore *xs, const char *changed)
{
	for (int i = 0; i < xs->nwatches; i++) {
		const struct xenstore_watch *w = &xs->watch[i];
		/* A removed subtree also fires the watches set below it. */
		const char *report = is_below(changed, w->path)	  ? changed
				     : is_below(w->path, changed) ? w->path
								  : NULL;
		if (!report)
			continue;
		queue_watch_event(xs, w, report);
	}
}

/* ---- requests ---- */

struct request {
	uint32_t type, req_id, tx_id;
	const char *body; /* len bytes; the last one is a NUL (checked) */
	uint32_t len;
};

/* The body's first string, made absolute; -EINVAL if it is not a valid path. */
static int request_path(struct xenstore *xs, const struct request *r, char *abs, size_t size)
{
	if (r->len == 0 || memchr(r->body, '\0', r->len) == NULL)
		return -EINVAL;
	return canonical_path(xs, r->body, abs, size);
}

static int do_write(struct xenstore *xs, const struct request *r)
{
	/* "path\0value": the value runs to the end and has no NUL of its own. */
	const char *nul = memchr(r->body, '\0', r->len);
	char abs[XENSTORE_ABS_PATH_MAX + 1];
	if (!nul || canonical_path(xs, r->body, abs, sizeof(abs)) < 0 || abs[0] != '/')
		return -EINVAL;
	int i = make_node(xs, abs);
	if (i < 0)
		return i;
	uint32_t value_len = r->len - (uint32_t)(nul + 1 - r->body);
	int err = set_value(&xs->node[i], nul + 1, value_len);
	if (err == 0)
		fire_watches(xs, abs);
	return err;
}

static int do_watch(struct xenstore *xs, const struct request *r, const char *abs)
{
	const char *token = r->body + strlen(r->body) + 1;
	if (token >= r->body + r->len || !memchr(token, '\0', r->len - (size_t)(token - r->body)))
		return -EINVAL;
	for (int i = 0; i < xs->nwatches; i++)
		if (strcmp(xs->watch[i].path, abs) == 0 && strcmp(xs->watch[i].token, token) == 0)
			return -EEXIST;
	if (xs->nwatches == XENSTORE_MAX_WATCHES)
		return -ENOSPC;
	struct xenstore_watch *w = &xs->watch[xs->nwatches];
	w->path = strdup(abs);
	w->token = strdup(token);
	w->relative = r->body[0] != '/' && r->body[0] != '@';
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		return -ENOMEM;
	}
	xs->nwatches++;
	return 0;
}

static int do_unwatch(struct xenstore *xs, const struct request *r, const char *abs)
{
	const char *token = r->body + strlen(r->body) + 1;
	if (token >= r->body + r->len || !memchr(token, '\0', r->len - (size_t)(token - r->body)))
		return -EINVAL;
	for (int i = 0; i < xs->nwatches; i++) {
		if (strcmp(xs->watch[i].path, abs) == 0 && strcmp(xs->watch[i].token, token) == 0) {
			free(xs->watch[i].path);
			free(xs->watch[i].token);
			xs->watch[i] = xs->watch[--xs->nwatches];
			return 0;
		}
	}
	return -ENOENT;
}

/* The names of path's children, each NUL-terminated, into out. */
static int list_children(const struct xenstore *xs, const char *abs, char *out, uint32_t *len)
{
	size_t prefix = strcmp(abs, "/") == 0 ? 1 : strlen(abs) + 1;
	uint32_t used = 0;
	for (int i = 0; i < xs->nnodes; i++) {
		const char *p = xs->node[i].path;
		if (strcmp(p, "/") == 0 || !is_below(p, abs) || strcmp(p, abs) == 0 ||
		    strchr(p + prefix, '/'))
			continue;
		size_t n = strlen(p + prefix) + 1;
		if (used + n > XENSTORE_PAYLOAD_MAX)
			return -E2BIG;
		memcpy(out + used, p + prefix, n);
		used += (uint32_t)n;
	}
	*len = used;
	return 0;
}

/* Answer one request: queue its reply (or XS_ERROR) and any watch events. */
static void serve_request(struct xenstore *xs, const struct request *r)
{
	static char reply[XENSTORE_PAYLOAD_MAX];
	uint32_t reply_len = 3;
	memcpy(reply, "OK", 3);
	char abs[XENSTORE_ABS_PATH_MAX + 1];
	int err = 0;
	bool fire_new_watch = false;

	switch (r->type) {
	case XS_READ:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0) {
			int i = find_node(xs, abs);
			if (i < 0) {
				err = -ENOENT;
			} else {
				reply_len = xs->node[i].len;
				memcpy(reply, xs->node[i].value, reply_len);
			}
		}
		break;
	case XS_DIRECTORY:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0)
			err = find_node(xs, abs) < 0 ? -ENOENT
						     : list_children(xs, abs, reply, &reply_len);
		break;
	case XS_WRITE:
		err = do_write(xs, r);
		break;
	case XS_MKDIR:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0 && abs[0] == '/' &&
		    find_node(xs, abs) < 0) {
			int i = make_node(xs, abs);
			err = i < 0 ? i : 0;
			if (i >= 0)
				fire_watches(xs, abs);
		}
		break;
	case XS_RM:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0) {
			if (abs[0] != '/' || strcmp(abs, "/") == 0) {
				err = -EINVAL;
			} else if (find_node(xs, abs) < 0) {
				err = -ENOENT;
			} else {
				remove_subtree(xs, abs);
				fire_watches(xs, abs);
			}
		}
		break;
	case XS_GET_PERMS:
		/* Everything belongs to this domain: "b" + domid = read and write. */
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0) {
			if (find_node(xs, abs) < 0)
				err = -ENOENT;
			else
				reply_len =
				    (uint32_t)snprintf(reply, sizeof(reply), "b%u", xs->domid) + 1;
		}
		break;
	case XS_SET_PERMS:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0 && find_node(xs, abs) < 0)
			err = -ENOENT;
		break;
	case XS_WATCH:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0 &&
		    (err = do_watch(xs, r, abs)) == 0)
			fire_new_watch = true;
		break;
	case XS_UNWATCH:
		if ((err = request_path(xs, r, abs, sizeof(abs))) == 0)
			err = do_unwatch(xs, r, abs);
		break;
	case XS_RESET_WATCHES:
		for (int i = 0; i < xs->nwatches; i++) {
			free(xs->watch[i].path);
			free(xs->watch[i].token);
		}
		xs->nwatches = 0;
		break;
	case XS_TRANSACTION_START:
		/* One writer, so every transaction sees only its own changes
		 * and commits: it needs no copy of the tree. */
		reply_len =
		    (uint32_t)snprintf(reply, sizeof(reply), "%u", xs->next_transaction++) + 1;
		if (xs->next_transaction == 0)
			xs->next_transaction = 1;
		break;
	case XS_TRANSACTION_END:
		if (r->len != 2 || (r->body[0] != 'T' && r->body[0] != 'F') || r->tx_id == 0)
			err = -EINVAL;
		break;
	case XS_GET_DOMAIN_PATH:
		reply_len = (uint32_t)snprintf(reply, sizeof(reply), "%s", xs->home) + 1;
		break;
	default:
		/* Control, introducing and releasing domains: a guest may not. */
		err = r->type < XS_TYPE_COUNT ? -EACCES : -EINVAL;
		break;
	}

	xs->requests++;
	if (err) {
		const char *name = error_name(-err);
		queue_message(xs, XS_ERROR, r->req_id, r->tx_id, name, (uint32_t)strlen(name) + 1);
	} else {
		queue_message(xs, r->type, r->req_id, r->tx_id, reply, reply_len);
	}
	/* A new watch fires once at once, so the guest reads the current state. */
	if (fire_new_watch)
		queue_watch_event(xs, &xs->watch[xs->nwatches - 1], abs);
}

/* ---- the rings ---- */

static void break_connection(struct xenstore *xs, struct xenstore_domain_interface *ring,
			     uint32_t error, const char *why)
{
	xs->broken = true;
	ring->error = error;
	log_msg("xenstore: the guest broke the ring protocol (%s); the store stops serving it",
		why);
}

bool xenstore_serve(struct xenstore *xs, struct xenstore_domain_interface *ring)
{
	if (xs->broken)
		return false;
	bool progress = false;
	/* Each index is read once: the guest may change it at any time. */
	uint32_t cons = ring->req_cons;
	uint32_t prod = __atomic_load_n(&ring->req_prod, __ATOMIC_ACQUIRE);
	if (prod - cons > XENSTORE_RING_SIZE) {
		break_connection(xs, ring, XENSTORE_ERROR_RINGIDX, "request index out of range");
		return false;
	}
	while (cons != prod) {
		/* Take bytes until the header, then the whole body, is here. */
		uint32_t want = sizeof(struct xsd_sockmsg);
		const struct xsd_sockmsg *hdr = (const void *)xs->request;
		while (cons != prod && xs->request_len < want)
			xs->request[xs->request_len++] =
			    (uint8_t)ring->req[MASK_XENSTORE_IDX(cons++)];
		if (xs->request_len >= want) {
			if (hdr->len > XENSTORE_PAYLOAD_MAX) {
				break_connection(xs, ring, XENSTORE_ERROR_PROTO,
						 "a request longer than XENSTORE_PAYLOAD_MAX");
				return false;
			}
			want += hdr->len;
		}
		while (cons != prod && xs->request_len < want)
			xs->request[xs->request_len++] =
			    (uint8_t)ring->req[MASK_XENSTORE_IDX(cons++)];
		progress = true;
		if (xs->request_len < sizeof(*hdr) || xs->request_len < want)
			continue;
		struct request r = {
		    .type = hdr->type,
		    .req_id = hdr->req_id,
		    .tx_id = hdr->tx_id,
		    .body = (const char *)xs->request + sizeof(*hdr),
		    .len = hdr->len,
		};
		/* Every request body ends in a NUL except a write's value. */
		if (r.type != XS_WRITE && (r.len == 0 || r.body[r.len - 1] != '\0'))
			r.type = XS_INVALID;
		serve_request(xs, &r);
		xs->request_len = 0;
	}
	__atomic_store_n(&ring->req_cons, cons, __ATOMIC_RELEASE);

	/* Replies, as much as fits. */
	uint32_t rsp_cons = __atomic_load_n(&ring->rsp_cons, __ATOMIC_ACQUIRE);
	uint32_t rsp_prod = ring->rsp_prod;
	if (rsp_prod - rsp_cons > XENSTORE_RING_SIZE) {
		break_connection(xs, ring, XENSTORE_ERROR_RINGIDX, "reply index out of range");
		return false;
	}
	uint32_t room = XENSTORE_RING_SIZE - (rsp_prod - rsp_cons);
	uint32_t n = xs->pending_len < room ? xs->pending_len : room;
	for (uint32_t i = 0; i < n; i++)
		ring->rsp[MASK_XENSTORE_IDX(rsp_prod++)] = (char)xs->pending[i];
	if (n) {
		memmove(xs->pending, xs->pending + n, xs->pending_len - n);
		xs->pending_len -= n;
		__atomic_store_n(&ring->rsp_prod, rsp_prod, __ATOMIC_RELEASE);
		progress = true;
	}
	return progress;
}
