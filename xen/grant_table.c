// SPDX-License-Identifier: MIT
/*
 * grant_table.c - the domain's grant table, served as Xen serves it to a PV
 * domain that grants its pages to itself (the only domain pvxen has):
 * versions 1 and 2 (with v2's status frame), map and unmap (host and device
 * mappings, the PTE given by its linear address or by its machine address),
 * unmap_and_replace, and copy.
 *
 * A grant mapping is accounted as Xen accounts it: the grant entry is pinned
 * (GTF_reading/GTF_writing in its flags or status), and a writable mapping
 * (host or device) holds a writable type reference on the frame from mm.c,
 * so that a frame mapped writable through a grant cannot become a page
 * table, nor a page table be mapped writable through one.  The PTE a host
 * mapping writes holds no reference of its own: the mapping (its handle)
 * does, until GNTTABOP_unmap_grant_ref finds that PTE still there, with the
 * frame and access the grant gave (XSA-224, XSA-234: any other PTE at that
 * address is refused, and the references stay).  As with Xen, a guest that
 * overwrites a grant PTE by other means drops the mapping's writable
 * reference with it (mm.c's put_l1e) and can no longer unmap the grant.
 *
 * The v2 status frame is shared with the domain only while v2 is in force;
 * going back to v1 is refused with -EBUSY while the domain still maps it
 * (XSA-255).
 */
#include "pvxen.h"

#include <xen/grant_table.h>

#define GRANT_FRAMES  4
#define STATUS_FRAMES 1 /* 1024 v2 entries' 16-bit status words */
#define V1_ENTRIES    (GRANT_FRAMES * PAGE_SIZE / sizeof(grant_entry_v1_t))
#define V2_ENTRIES    (GRANT_FRAMES * PAGE_SIZE / sizeof(grant_entry_v2_t))
#define MAPTRACK_SIZE 1024 /* grant handles: mappings alive at once */
/* The grant table ops' command word: the op, then an argument only
 * GNTTABOP_cache_flush takes (Xen's GNTTABOP_CMD_MASK). */
#define GNTTABOP_CMD_BITS 12

static uint8_t grant_frames[GRANT_FRAMES * PAGE_SIZE] __attribute__((aligned(4096)));
static grant_status_t grant_status[STATUS_FRAMES * PAGE_SIZE / sizeof(grant_status_t)]
    __attribute__((aligned(4096)));
static unsigned grant_version = 1;

/* What holds a grant entry (Xen's active entry): how many mappings and
 * copies of each kind, and the frame they use. */
struct active_grant {
	uint8_t host_rw, host_ro, dev_rw, dev_ro;
	bool sub_page;		/* pinned by a copy of a v2 sub-page grant */
	uint16_t start, length; /* the bytes of the frame the grant covers */
	uint64_t mfn;
};
static struct active_grant active[V1_ENTRIES];

/* A mapping handle (Xen's maptrack entry); flags 0: free. */
struct grant_mapping {
	uint32_t flags; /* GNTMAP_*: which of host and device mapping remain */
	grant_ref_t ref;
};
static struct grant_mapping maptrack[MAPTRACK_SIZE];

static uint64_t grant_frame_mfn(unsigned i)
{
	return hv_gpa(grant_frames) / PAGE_SIZE + i;
}

static uint64_t status_frame_mfn(unsigned i)
{
	return hv_gpa(grant_status) / PAGE_SIZE + i;
}

static unsigned nr_status_frames(void)
{
	return grant_version == 2 ? STATUS_FRAMES : 0;
}

bool grant_frame_mappable(uint64_t mfn)
{
	uint64_t status = status_frame_mfn(0);
	return (mfn >= grant_frame_mfn(0) && mfn < grant_frame_mfn(GRANT_FRAMES)) ||
	       (mfn >= status && mfn < status + nr_status_frames());
}

static unsigned nr_entries(void)
{
	return grant_version == 1 ? V1_ENTRIES : V2_ENTRIES;
}

static grant_entry_v1_t *entry_v1(grant_ref_t ref)
{
	return (grant_entry_v1_t *)grant_frames + ref;
}

static grant_entry_v2_t *entry_v2(grant_ref_t ref)
{
	return (grant_entry_v2_t *)grant_frames + ref;
}

/* flags and domid: the same 4 bytes at the start of either version's entry */
static grant_entry_header_t *entry_header(grant_ref_t ref)
{
	return grant_version == 1 ? (grant_entry_header_t *)entry_v1(ref) : &entry_v2(ref)->hdr;
}

/* Where GTF_reading/GTF_writing go: v1 in the entry, v2 in the status frame. */
static uint16_t *entry_status(grant_ref_t ref)
{
	return grant_version == 1 ? &entry_v1(ref)->flags : &grant_status[ref];
}

static bool pinned(const struct active_grant *a)
{
	return a->host_rw || a->host_ro || a->dev_rw || a->dev_ro;
}

static bool pinned_writable(const struct active_grant *a)
{
	return a->host_rw || a->dev_rw;
}

/* A domain id that names this domain (Xen's rcu_lock_domain_by_any_id). */
static bool is_self(domid_t dom)
{
	return dom == DOMID_SELF || dom == XEN_DOMID;
}

/* A guest buffer Xen would accept before touching it (guest_handle_okay):
 * outside the hypervisor's hole, canonical, no wrap. */
static bool guest_range_ok(uint64_t va, uint64_t len)
{
	uint64_t end = va + len;
	return end >= va && is_canonical(va) && (len == 0 || is_canonical(end - 1)) &&
	       (end <= XEN_PV_HOLE_START_VA || va >= XEN_PV_HOLE_END_VA);
}

/*
 * Take the entry for this domain's use (Xen's _set_status): its type must
 * permit access (not a sub-page one for a mapping) to this domain, writable
 * unless readonly; GTF_reading (and GTF_writing) are set where the guest
 * sees them.
 */
static int16_t claim_entry(grant_ref_t ref, const struct active_grant *a, bool readonly,
			   bool mapping)
{
	const grant_entry_header_t *hdr = entry_header(ref);
	uint16_t mask = GTF_type_mask | (mapping ? GTF_sub_page : 0);
	uint16_t flags = __atomic_load_n(&hdr->flags, __ATOMIC_ACQUIRE);
	if (!pinned(a) && ((flags & mask) != GTF_permit_access || hdr->domid != XEN_DOMID))
		return GNTST_general_error;
	if (!readonly && (flags & GTF_readonly))
		return GNTST_general_error;
	__atomic_fetch_or(entry_status(ref), GTF_reading | (readonly ? 0 : GTF_writing),
			  __ATOMIC_SEQ_CST);
	return GNTST_okay;
}

/* Clear what the remaining pins no longer need (Xen's reduce_status_for_pin). */
static void release_status(grant_ref_t ref, const struct active_grant *a, bool readonly)
{
	uint16_t clear = pinned(a) ? 0 : GTF_reading;
	if (!readonly && !pinned_writable(a))
		clear |= GTF_writing;
	if (clear)
		__atomic_fetch_and(entry_status(ref), (uint16_t)~clear, __ATOMIC_SEQ_CST);
}

/* The frame an entry grants, with the bytes of it the grant covers. */
static int16_t granted_frame(grant_ref_t ref, struct active_grant *a)
{
	a->sub_page = false;
	a->start = 0;
	a->length = PAGE_SIZE;
	if (grant_version == 1) {
		a->mfn = entry_v1(ref)->frame;
	} else if (entry_v2(ref)->hdr.flags & GTF_sub_page) {
		a->mfn = entry_v2(ref)->sub_page.frame;
		a->sub_page = true;
		a->start = entry_v2(ref)->sub_page.page_off;
		a->length = entry_v2(ref)->sub_page.length;
	} else {
		a->mfn = entry_v2(ref)->full_page.frame;
	}
	/* The p2m is the identity; only the domain's own RAM can be granted. */
	return mfn_is_domain_ram(a->mfn) ? GNTST_okay : GNTST_bad_page;
}

/* ---- host mappings: the PTE, as Xen's create/replace_grant_pv_mapping --- */

static uint64_t grant_pte(uint64_t mfn, uint32_t flags)
{
	/* U on every guest PTE here (mm.c); GNTMAP_application_map changes
	 * nothing: the kernel and its user space are kept apart by their L4s. */
	uint64_t pte = mfn * PAGE_SIZE | PTE_P | PTE_U | PTE_NX | 1ull << 5 | 1ull << 6;
	if (!(flags & GNTMAP_readonly))
		pte |= PTE_RW;
	return pte | (uint64_t)((flags >> _GNTMAP_guest_avail0) & 7) << 9;
}

/* The L1 entry a host mapping's address names: a linear address in the
 * live tables, or with GNTMAP_contains_pte the entry's machine address. */
static uint64_t *host_l1e(uint64_t addr, uint32_t flags)
{
	if (flags & GNTMAP_contains_pte)
		return l1_table_entry(addr);
	uint64_t maddr = l1e_maddr_of(addr);
	return maddr ? maddr_ptr(maddr, 8) : NULL;
}

static int16_t create_host_mapping(uint64_t addr, uint64_t mfn, uint32_t flags)
{
	uint64_t *e = host_l1e(addr, flags);
	if (!e)
		return GNTST_general_error;
	uint64_t old = __atomic_exchange_n(e, grant_pte(mfn, flags), __ATOMIC_SEQ_CST);
	put_l1e(old); /* what the entry mapped before */
	if (old & PTE_P)
		flush_tlb();
	return GNTST_okay;
}

/* Take (zap) the PTE that maps linear, for unmap_and_replace: 0 if none. */
static bool steal_linear_address(uint64_t linear, uint64_t *pte)
{
	uint64_t *e = host_l1e(linear, 0);
	if (!e)
		return false;
	*pte = __atomic_exchange_n(e, 0, __ATOMIC_SEQ_CST);
	return true;
}

/* Destroy a host mapping: the PTE at addr must still map mfn, present and
 * with the grant's access; it becomes new_addr's PTE (stolen) or empty. */
static int16_t replace_host_mapping(uint64_t addr, uint64_t mfn, uint64_t new_addr, uint32_t flags)
{
	uint64_t replacement = 0;
	if (new_addr && (flags & GNTMAP_contains_pte))
		return GNTST_general_error;
	if (new_addr && !steal_linear_address(new_addr, &replacement))
		return GNTST_general_error;
	uint64_t *e = host_l1e(addr, flags);
	uint64_t want = grant_pte(mfn, flags);
	if (!e || (*e & PTE_ADDR) != mfn * PAGE_SIZE || ((*e ^ want) & (PTE_P | PTE_RW))) {
		/* The stolen PTE is gone, with what it held, as with Xen. */
		put_l1e(replacement);
		return GNTST_general_error;
	}
	*e = replacement;
	return GNTST_okay;
}

/* ---- map and unmap -------------------------------------------------------- */

static grant_handle_t alloc_handle(void)
{
	for (grant_handle_t h = 0; h < MAPTRACK_SIZE; h++)
		if (!maptrack[h].flags)
			return h;
	return MAPTRACK_SIZE;
}

/* Add or take away a mapping's pins: which counters, as GNTMAP_* says. */
static void pin_mapping(struct active_grant *a, uint32_t flags, int delta)
{
	bool ro = flags & GNTMAP_readonly;
	if (flags & GNTMAP_device_map)
		*(ro ? &a->dev_ro : &a->dev_rw) += delta;
	if (flags & GNTMAP_host_map)
		*(ro ? &a->host_ro : &a->host_rw) += delta;
}

static bool pin_would_overflow(const struct active_grant *a, uint32_t flags)
{
	bool ro = flags & GNTMAP_readonly;
	return ((flags & GNTMAP_device_map) && (ro ? a->dev_ro : a->dev_rw) == UINT8_MAX) ||
	       ((flags & GNTMAP_host_map) && (ro ? a->host_ro : a->host_rw) == UINT8_MAX);
}

static void map_grant_ref(struct gnttab_map_grant_ref *op)
{
	uint32_t flags = op->flags;
	bool ro = flags & GNTMAP_readonly;
	if (!(flags & (GNTMAP_host_map | GNTMAP_device_map))) {
		op->status = GNTST_bad_gntref;
		return;
	}
	/* The granting domain by its id: DOMID_SELF names no domain here. */
	if (op->dom != XEN_DOMID) {
		op->status = GNTST_bad_domain;
		return;
	}
	grant_handle_t handle = alloc_handle();
	if (handle == MAPTRACK_SIZE) {
		op->status = GNTST_no_space;
		return;
	}
	grant_ref_t ref = op->ref;
	if (ref >= nr_entries()) {
		op->status = GNTST_bad_gntref;
		return;
	}
	struct active_grant *a = &active[ref];
	if (pinned(a) && (pin_would_overflow(a, flags) || a->sub_page)) {
		op->status = GNTST_general_error;
		return;
	}
	if (!pinned(a) || (!ro && !pinned_writable(a))) {
		int16_t rc = claim_entry(ref, a, ro, true);
		if (rc == GNTST_okay && !pinned(a)) {
			rc = granted_frame(ref, a);
			if (rc != GNTST_okay)
				release_status(ref, a, ro); /* what claim_entry set */
		}
		if (rc != GNTST_okay) {
			op->status = rc;
			return;
		}
	}
	pin_mapping(a, flags, 1);

	/* A writable mapping, host or device, makes the frame a writable page
	 * (refused for a page table); each holds its own reference. */
	unsigned want = ro ? 0 : !!(flags & GNTMAP_device_map) + !!(flags & GNTMAP_host_map);
	unsigned writable_refs = 0;
	while (writable_refs < want && get_writable(a->mfn) == 0)
		writable_refs++;
	int16_t rc = writable_refs < want ? GNTST_general_error : GNTST_okay;
	if (rc == GNTST_okay && (flags & GNTMAP_host_map))
		rc = create_host_mapping(op->host_addr, a->mfn, flags);
	if (rc != GNTST_okay) {
		while (writable_refs--)
			put_writable(a->mfn);
		pin_mapping(a, flags, -1);
		release_status(ref, a, ro);
		op->status = rc;
		return;
	}
	maptrack[handle] = (struct grant_mapping){.flags = flags, .ref = ref};
	op->dev_bus_addr = a->mfn * PAGE_SIZE;
	op->handle = handle;
	op->status = GNTST_okay;
}

/* One unmap (or unmap_and_replace): what it took down, for unmap_complete
 * after the TLB flush. */
struct unmap_done {
	uint32_t flags; /* GNTMAP_host_map, _device_map, _readonly: what went */
	grant_ref_t ref;
};

static int16_t unmap_common(grant_handle_t handle, uint64_t host_addr, uint64_t dev_bus_addr,
			    uint64_t new_addr, struct unmap_done *done)
{
	done->flags = 0;
	if (handle >= MAPTRACK_SIZE || !maptrack[handle].flags)
		return GNTST_bad_handle;
	struct grant_mapping *m = &maptrack[handle];
	struct active_grant *a = &active[m->ref];
	uint32_t ro = m->flags & GNTMAP_readonly;
	done->ref = m->ref;
	if (dev_bus_addr && (m->flags & GNTMAP_device_map) && dev_bus_addr != a->mfn * PAGE_SIZE)
		return GNTST_bad_dev_addr;
	if (host_addr && (m->flags & GNTMAP_host_map)) {
		int16_t rc = replace_host_mapping(host_addr, a->mfn, new_addr, m->flags);
		if (rc != GNTST_okay)
			return rc;
		m->flags &= ~(uint32_t)GNTMAP_host_map;
		done->flags |= GNTMAP_host_map | ro;
	}
	if (dev_bus_addr && (m->flags & GNTMAP_device_map)) {
		m->flags &= ~(uint32_t)GNTMAP_device_map;
		done->flags |= GNTMAP_device_map | ro;
	}
	if (!(m->flags & (GNTMAP_host_map | GNTMAP_device_map)))
		m->flags = 0;
	return GNTST_okay;
}

/* After the flush: the references and pins of what unmap_common took down. */
static void unmap_complete(const struct unmap_done *done)
{
	if (!done->flags)
		return;
	struct active_grant *a = &active[done->ref];
	bool ro = done->flags & GNTMAP_readonly;
	for (uint32_t kind = GNTMAP_device_map; kind <= GNTMAP_host_map; kind <<= 1) {
		if (!(done->flags & kind))
			continue;
		if (!ro)
			put_writable(a->mfn);
		pin_mapping(a, kind | (done->flags & GNTMAP_readonly), -1);
	}
	release_status(done->ref, a, ro);
}

/* GNTTABOP_unmap_grant_ref and GNTTABOP_unmap_and_replace: each op's status
 * is written back, the TLB flushed once, then the references dropped. */
static int64_t unmap_batch(uint64_t arg, uint32_t count, bool replace)
{
	size_t size = replace ? sizeof(struct gnttab_unmap_and_replace)
			      : sizeof(struct gnttab_unmap_grant_ref);
	size_t status_at = replace ? offsetof(struct gnttab_unmap_and_replace, status)
				   : offsetof(struct gnttab_unmap_grant_ref, status);
	enum { BATCH = 16 };
	struct unmap_done done[BATCH];
	int64_t rc = 0;
	for (uint32_t i = 0; i < count && rc == 0;) {
		unsigned n = 0;
		for (; n < BATCH && i < count; n++, i++) {
			union {
				struct gnttab_unmap_grant_ref unmap;
				struct gnttab_unmap_and_replace ur;
			} op;
			uint64_t at = arg + (uint64_t)i * size;
			if (copy_from_guest(&op, at, size) < 0) {
				rc = -XEN_EFAULT;
				break;
			}
			int16_t status = replace ? unmap_common(op.ur.handle, op.ur.host_addr, 0,
								op.ur.new_addr, &done[n])
						 : unmap_common(op.unmap.handle, op.unmap.host_addr,
								op.unmap.dev_bus_addr, 0, &done[n]);
			if (copy_to_guest(at + status_at, &status, sizeof(status)) < 0) {
				rc = -XEN_EFAULT;
				n++;
				break;
			}
		}
		flush_tlb();
		for (unsigned j = 0; j < n; j++)
			unmap_complete(&done[j]);
	}
	return rc;
}

/* A batch of map or copy ops, `size` bytes each: each op is read, done by
 * `one` (which fills in its results), and its bytes from `results_at` on
 * written back, as Xen writes them. */
static int64_t op_batch(uint64_t arg, uint32_t count, size_t size, size_t results_at,
			void (*one)(void *op))
{
	for (uint32_t i = 0; i < count; i++) {
		union {
			struct gnttab_map_grant_ref map;
			struct gnttab_copy copy;
		} op;
		uint64_t at = arg + (uint64_t)i * size;
		if (copy_from_guest(&op, at, size) < 0)
			return -XEN_EFAULT;
		one(&op);
		const uint8_t *results = (const uint8_t *)&op + results_at;
		if (copy_to_guest(at + results_at, results, size - results_at) < 0)
			return -XEN_EFAULT;
	}
	return 0;
}

static void map_op(void *op)
{
	map_grant_ref(op);
}

/* ---- copy ------------------------------------------------------------------- */

/* One side of a copy: a granted frame (pinned for the copy) or one of the
 * domain's own frames. */
struct copy_side {
	uint64_t mfn;
	uint16_t start, length;
	bool have_grant, have_writable;
	grant_ref_t ref;
};

static int16_t acquire_grant_for_copy(grant_ref_t ref, bool ro, struct copy_side *s)
{
	if (ref >= nr_entries())
		return GNTST_bad_gntref;
	struct active_grant *a = &active[ref];
	uint8_t *pin = ro ? &a->host_ro : &a->host_rw;
	if (*pin == UINT8_MAX)
		return GNTST_general_error;
	/* A transitive grant names another domain's grant (or, pointlessly,
	 * this domain's): there is none to follow here. */
	if (grant_version == 2 && (entry_v2(ref)->hdr.flags & GTF_type_mask) == GTF_transitive)
		return GNTST_general_error;
	if (!pinned(a) || (!ro && !pinned_writable(a))) {
		int16_t rc = claim_entry(ref, a, ro, false);
		if (rc != GNTST_okay)
			return rc;
		struct active_grant now = *a;
		rc = granted_frame(ref, &now);
		/* Already pinned: the entry must still grant what it did. */
		if (rc == GNTST_okay && pinned(a) &&
		    (now.mfn != a->mfn || (a->sub_page && (!now.sub_page || now.start != a->start ||
							   now.length != a->length))))
			rc = GNTST_general_error;
		if (rc != GNTST_okay) {
			release_status(ref, a, ro);
			return rc;
		}
		if (!pinned(a))
			*a = now;
	}
	(*pin)++;
	s->have_grant = true;
	s->ref = ref;
	s->mfn = a->mfn;
	s->start = a->start;
	s->length = a->length;
	return GNTST_okay;
}

static void release_copy_side(struct copy_side *s, bool ro)
{
	if (s->have_writable)
		put_writable(s->mfn);
	if (s->have_grant) {
		struct active_grant *a = &active[s->ref];
		(*(ro ? &a->host_ro : &a->host_rw))--;
		release_status(s->ref, a, ro);
	}
	*s = (struct copy_side){0};
}

static int16_t claim_copy_side(const struct gnttab_copy_ptr *p, bool is_gref, bool ro,
			       struct copy_side *s)
{
	if (is_gref) {
		int16_t rc = acquire_grant_for_copy(p->u.ref, ro, s);
		if (rc != GNTST_okay)
			return rc;
	} else {
		if (!mfn_is_domain_ram(p->u.gmfn))
			return GNTST_bad_page;
		s->mfn = p->u.gmfn;
		s->start = 0;
		s->length = PAGE_SIZE;
	}
	if (!ro) {
		if (get_writable(s->mfn))
			return GNTST_general_error;
		s->have_writable = true;
	}
	return GNTST_okay;
}

static bool within(const struct copy_side *s, uint16_t offset, uint16_t len)
{
	return offset >= s->start && offset + len <= s->start + s->length;
}

static int16_t copy_one(const struct gnttab_copy *op)
{
	bool src_gref = op->flags & GNTCOPY_source_gref, dest_gref = op->flags & GNTCOPY_dest_gref;
	if (op->len == 0)
		return GNTST_okay;
	/* Only a grant reference may name a domain by its id. */
	if ((!src_gref && op->source.domid != DOMID_SELF) ||
	    (!dest_gref && op->dest.domid != DOMID_SELF))
		return GNTST_permission_denied;
	if (!is_self(op->source.domid) || !is_self(op->dest.domid))
		return GNTST_bad_domain;
	struct copy_side src = {0}, dest = {0};
	int16_t rc = claim_copy_side(&op->source, src_gref, true, &src);
	if (rc == GNTST_okay)
		rc = claim_copy_side(&op->dest, dest_gref, false, &dest);
	if (rc == GNTST_okay) {
		if (op->source.offset + op->len > PAGE_SIZE ||
		    op->dest.offset + op->len > PAGE_SIZE)
			rc = GNTST_bad_copy_arg;
		else if (!within(&src, op->source.offset, op->len) ||
			 !within(&dest, op->dest.offset, op->len))
			rc = GNTST_general_error;
	}
	if (rc == GNTST_okay)
		memmove(maddr_ptr(dest.mfn * PAGE_SIZE + op->dest.offset, op->len),
			maddr_ptr(src.mfn * PAGE_SIZE + op->source.offset, op->len), op->len);
	release_copy_side(&src, true);
	release_copy_side(&dest, false);
	return rc;
}

static void copy_op(void *op)
{
	struct gnttab_copy *c = op;
	c->status = copy_one(c);
}

/* ---- the table's frames and version ------------------------------------- */

/* setup_table and get_status_frames (the op at arg, its fields read): nr
 * of the `have` frames mfn(i) listed for the guest at list; Xen writes back
 * only the op's status, at status_at. */
static int64_t list_frames(uint64_t arg, size_t status_at, uint64_t list, uint32_t nr, domid_t dom,
			   unsigned have, uint64_t (*mfn)(unsigned))
{
	if (!guest_range_ok(list, (uint64_t)nr * sizeof(uint64_t)))
		return -XEN_EFAULT;
	int16_t status = GNTST_okay;
	if (!is_self(dom))
		status = GNTST_bad_domain;
	else if (nr > have)
		status = GNTST_general_error;
	for (uint32_t i = 0; status == GNTST_okay && i < nr; i++) {
		uint64_t frame = mfn(i);
		if (copy_to_guest(list + i * sizeof(frame), &frame, sizeof(frame)) < 0)
			status = GNTST_bad_virt_addr;
	}
	return copy_to_guest(arg + status_at, &status, sizeof(status)) < 0 ? -XEN_EFAULT : 0;
}

static int64_t setup_table(uint64_t arg)
{
	struct gnttab_setup_table s;
	if (copy_from_guest(&s, arg, sizeof(s)) < 0)
		return -XEN_EFAULT;
	return list_frames(arg, offsetof(struct gnttab_setup_table, status),
			   (uint64_t)s.frame_list.p, s.nr_frames, s.dom, GRANT_FRAMES,
			   grant_frame_mfn);
}

static int64_t get_status_frames(uint64_t arg)
{
	struct gnttab_get_status_frames g;
	if (copy_from_guest(&g, arg, sizeof(g)) < 0)
		return -XEN_EFAULT;
	return list_frames(arg, offsetof(struct gnttab_get_status_frames, status),
			   (uint64_t)g.frame_list.p, g.nr_frames, g.dom, nr_status_frames(),
			   status_frame_mfn);
}

/*
 * Switch versions as Xen does: refused while any entry but the 8 reserved
 * ones is in use; the reserved entries are carried over (refused if one
 * cannot be written as v1), the rest cleared; leaving v2 is refused while the
 * domain maps its status frame.
 */
static int64_t switch_version(unsigned version)
{
	grant_entry_v1_t reserved[GNTTAB_NR_RESERVED_ENTRIES];
	if (version == grant_version)
		return 0;
	for (grant_ref_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < nr_entries(); ref++)
		if (pinned(&active[ref]))
			return -XEN_EBUSY;
	for (grant_ref_t ref = 0; ref < GNTTAB_NR_RESERVED_ENTRIES; ref++) {
		if (grant_version == 1) {
			reserved[ref] = *entry_v1(ref);
			continue;
		}
		const grant_entry_v2_t *e = entry_v2(ref);
		unsigned type = e->hdr.flags & GTF_type_mask;
		if (type == GTF_transitive ||
		    (type == GTF_permit_access && (e->full_page.frame >> 32)))
			return -XEN_ERANGE;
		reserved[ref] = (grant_entry_v1_t){0};
		if (type == GTF_permit_access)
			reserved[ref] = (grant_entry_v1_t){
			    .flags = e->hdr.flags | grant_status[ref],
			    .domid = e->hdr.domid,
			    .frame = (uint32_t)e->full_page.frame,
			};
	}
	if (grant_version == 2) {
		for (unsigned i = 0; i < STATUS_FRAMES; i++)
			if (frame_is_mapped(status_frame_mfn(i)))
				return -XEN_EBUSY;
	} else {
		memset(grant_status, 0, sizeof(grant_status));
	}
	memset(grant_frames, 0, sizeof(grant_frames));
	grant_version = version;
	for (grant_ref_t ref = 0; ref < GNTTAB_NR_RESERVED_ENTRIES; ref++) {
		if (version == 1) {
			*entry_v1(ref) = reserved[ref];
			continue;
		}
		grant_status[ref] = reserved[ref].flags & (GTF_reading | GTF_writing);
		grant_entry_v2_t *e = entry_v2(ref);
		e->hdr.flags = reserved[ref].flags & ~(GTF_reading | GTF_writing);
		e->hdr.domid = reserved[ref].domid;
		e->full_page.frame = reserved[ref].frame;
	}
	return 0;
}

static int64_t set_version(uint64_t arg)
{
	struct gnttab_set_version v;
	if (copy_from_guest(&v, arg, sizeof(v)) < 0)
		return -XEN_EFAULT;
	int64_t rc = v.version == 1 || v.version == 2 ? switch_version(v.version) : -XEN_EINVAL;
	/* The version in force goes back, whatever the outcome. */
	v.version = grant_version;
	return copy_to_guest(arg, &v, sizeof(v)) < 0 ? -XEN_EFAULT : rc;
}

int64_t do_grant_table_op(uint64_t cmd_arg, uint64_t arg, uint64_t count_arg)
{
	/* Xen takes both as unsigned int and refuses counts above INT_MAX. */
	uint32_t cmd = (uint32_t)cmd_arg, count = (uint32_t)count_arg;
	if ((int32_t)count < 0)
		return -XEN_EINVAL;
	uint32_t opaque = cmd >> GNTTABOP_CMD_BITS;
	cmd &= (1u << GNTTABOP_CMD_BITS) - 1;
	if (opaque && cmd != GNTTABOP_cache_flush)
		return -XEN_EINVAL;
	switch (cmd) {
	case GNTTABOP_map_grant_ref:
		return op_batch(arg, count, sizeof(struct gnttab_map_grant_ref), 0, map_op);
	case GNTTABOP_unmap_grant_ref:
		return unmap_batch(arg, count, false);
	case GNTTABOP_unmap_and_replace:
		return unmap_batch(arg, count, true);
	case GNTTABOP_copy:
		return op_batch(arg, count, sizeof(struct gnttab_copy),
				offsetof(struct gnttab_copy, status), copy_op);
	case GNTTABOP_setup_table:
		return count == 1 ? setup_table(arg) : -XEN_EINVAL;
	case GNTTABOP_get_status_frames:
		return count == 1 ? get_status_frames(arg) : -XEN_EINVAL;
	case GNTTABOP_query_size: {
		struct gnttab_query_size q;
		if (count != 1)
			return -XEN_EINVAL;
		if (copy_from_guest(&q, arg, sizeof(q)) < 0)
			return -XEN_EFAULT;
		q.nr_frames = q.max_nr_frames = GRANT_FRAMES;
		q.status = is_self(q.dom) ? GNTST_okay : GNTST_bad_domain;
		return copy_to_guest(arg, &q, sizeof(q)) < 0 ? -XEN_EFAULT : 0;
	}
	case GNTTABOP_set_version:
		return set_version(arg);
	case GNTTABOP_get_version: {
		struct gnttab_get_version v;
		if (copy_from_guest(&v, arg, sizeof(v)) < 0)
			return -XEN_EFAULT;
		if (!is_self(v.dom))
			return -XEN_ESRCH;
		v.version = grant_version;
		return copy_to_guest(arg, &v, sizeof(v)) < 0 ? -XEN_EFAULT : 0;
	}
	default:
		/* transfer, swap_grant_ref, cache_flush, dump_table */
		return -XEN_ENOSYS;
	}
}
