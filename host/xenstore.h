/* SPDX-License-Identifier: MIT */
/*
 * xenstore.h - the xenstore a Xen PV guest talks to, served by pvkit.
 *
 * Linux's xenbus expects a store daemon on the other end of one shared page
 * (start_info.store_mfn, struct xenstore_domain_interface in Xen's
 * io/xs_wire.h): requests in one ring, replies and watch events in the
 * other, a notification on an event channel each way.  pvkit has one guest
 * and no other domains, so the store is small: a tree of nodes seeded by
 * pvkit (the domain's name, id, memory target), reads and writes by the
 * guest, watches that fire at once when set and again on every change below
 * their path, and transactions that always commit (nobody else writes).
 *
 * Everything in the shared page is the guest's and may change under pvkit
 * or lie: indices are read once and checked, a message longer than
 * XENSTORE_PAYLOAD_MAX or an index that runs ahead of the ring breaks the
 * connection (ring->error, as xenstored does) instead of being followed,
 * and the tree has fixed bounds.
 */
#ifndef PVKIT_HOST_XENSTORE_H
#define PVKIT_HOST_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#define XENSTORE_MAX_NODES   1024
#define XENSTORE_MAX_WATCHES 128
/* Replies and events not yet taken by the guest, beyond the ring. */
#define XENSTORE_MAX_PENDING (64 * 1024)

struct xenstore_node {
	char *path; /* absolute, e.g. "/local/domain/1/name" */
	char *value;
	uint32_t len; /* of value, which may hold any bytes */
};

struct xenstore_watch {
	char *path; /* absolute, or "@introduceDomain"-style special */
	char *token;
	bool relative; /* set with a relative path: events report relative paths */
};

struct xenstore {
	uint32_t domid;
	char home[32]; /* "/local/domain/<domid>": where relative paths start */
	struct xenstore_node node[XENSTORE_MAX_NODES];
	int nnodes;
	struct xenstore_watch watch[XENSTORE_MAX_WATCHES];
	int nwatches;
	uint32_t next_transaction;
	/* A request being assembled from the ring, and replies waiting for room. */
	uint8_t request[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	uint32_t request_len;
	uint8_t pending[XENSTORE_MAX_PENDING];
	uint32_t pending_len;
	bool broken;	   /* the guest broke the protocol: serve nothing more */
	uint64_t requests; /* served, for --stats */
};

/* An empty store for domain `domid` with its home directory.  -1 if out of memory. */
int xenstore_init(struct xenstore *xs, uint32_t domid);
void xenstore_destroy(struct xenstore *xs);

/*
 * pvkit's own writes (seeding the tree).  A relative path is below the home
 * directory.  -1 if the path is invalid or the store is full.
 */
int xenstore_write(struct xenstore *xs, const char *path, const char *value);

/* The value at path (NUL-terminated) or NULL. */
const char *xenstore_read(const struct xenstore *xs, const char *path);

/*
 * Take every request the guest has put in ring->req, answer it, and write
 * replies and watch events to ring->rsp as far as there is room (the rest
 * waits for the next call).  Returns true if anything was written to or
 * consumed from the rings, i.e. the guest should get an event.
 */
bool xenstore_serve(struct xenstore *xs, struct xenstore_domain_interface *ring);

#endif
