// SPDX-License-Identifier: MIT
/*
 * mm.c - the guest's page tables, Xen's way ("direct paging"): the tables
 * the kernel builds are the ones the CPU walks; the kernel sees them
 * read-only and changes them through mmu_update, update_va_mapping and
 * mmuext_op.  pvxen writes the entries through its direct map of guest RAM
 * after checking them:
 *
 *  - every present entry gets the U bit (the kernel runs in user mode: as
 *    64-bit Xen does, and what lets it touch its own memory here);
 *  - a leaf may map only the domain's frames, shared_info and the grant
 *    table frames (grant_table.c); never pvxen or anything else;
 *  - no superpages (L2/L3 PSE), as Xen refuses them to PV guests;
 *  - L4 slots 256-271 are the hypervisor's: pvxen fills them in every L4
 *    the guest uses and refuses updates there: 257-259 (pvxen, its direct
 *    map, the M2P) on kernel L4s, only the user view (xen/user_view.c) in
 *    slot 257 on the user base pointer's L4.
 *
 * Tables are known by level once the guest pins them or loads them (and
 * the domain builder's, from the start); an update to another frame is a
 * plain write, as Xen allows for ordinary writable pages.  A frame is a
 * page table or mapped writable, never both (Xen's page types): a writable
 * mapping of a table is refused, and so is a frame becoming a table while
 * one exists; read-only mappings of tables are fine (Linux keeps its page
 * tables mapped that way and writes them through ptwr, below).
 *
 * pvxen protects the guest's user space from the guest's own mistakes as
 * far as these checks go, not itself from the guest kernel: the VM boundary
 * is KVM's (docs/xen-pv.md).
 */
#include "pvxen.h"

#include <xen/memory.h>

/* The domain has at most as many frames as the M2P describes (1 GiB). */
#define MAX_TRACKED_FRAMES PVXEN_M2P_MAX_PAGES
#define HV_SLOT_FIRST	   256
#define HV_SLOT_LAST	   271
/* Xen marks a preempted batch in the count's top bit. */
#define MMU_UPDATE_PREEMPTED (~(~0ull >> 1))

enum { TYPE_NONE, TYPE_L1, TYPE_L2, TYPE_L3, TYPE_L4, TYPE_WRITABLE };

/*
 * Xen's page types, reference-counted: a frame is a table of one level
 * while something holds it as one (a pin, a base pointer, an entry of a
 * table one level up), or a writable page while writable mappings of it
 * exist (each present, writable entry of a table typed L1 is one
 * reference).  The type changes only while nothing holds the frame; the
 * last reference going away releases what the frame refers to in turn (a
 * table's tables, an L1's writable mappings), so that a freed page table
 * can become anything again.
 */
static uint8_t frame_type[MAX_TRACKED_FRAMES];
static uint16_t frame_refs[MAX_TRACKED_FRAMES];
static uint8_t frame_pinned[MAX_TRACKED_FRAMES / 8];
static uint64_t loaded_cr3;

static bool mfn_mappable(uint64_t mfn)
{
	return mfn_is_domain_ram(mfn) || mfn * PAGE_SIZE == xen_boot_info.shared_info ||
	       grant_frame_mappable(mfn);
}

static uint64_t *table(uint64_t mfn)
{
	return maddr_ptr(mfn * PAGE_SIZE, PAGE_SIZE);
}

/* The frame's level as a page table; TYPE_NONE for any other frame. */
static unsigned table_level(uint64_t mfn)
{
	if (mfn >= MAX_TRACKED_FRAMES || frame_type[mfn] == TYPE_WRITABLE)
		return TYPE_NONE;
	return frame_type[mfn];
}

static bool hv_slot(unsigned level, unsigned index)
{
	return level == TYPE_L4 && index >= HV_SLOT_FIRST && index <= HV_SLOT_LAST;
}

/* A reference to a tracked frame as `type` (Xen's get_page_type): 1 if it
 * is the first (the frame takes the type), 0 if another, or -errno. */
static int64_t get_type(uint64_t mfn, unsigned type)
{
	if (frame_type[mfn] == TYPE_NONE) {
		frame_type[mfn] = (uint8_t)type;
		frame_refs[mfn] = 1;
		return 1;
	}
	if (frame_type[mfn] != type || frame_refs[mfn] == UINT16_MAX)
		return -XEN_EINVAL; /* of another type, or the count is full */
	frame_refs[mfn]++;
	return 0;
}

/*
 * Frames whose last writable mapping went away since pvxen last flushed the
 * TLB: a writable translation of one may still be cached.  Linux drops the
 * RW bit of a page's direct-map entry with update_va_mapping and no flush,
 * then pins the page; without a flush it could go on writing its new page
 * table through the stale translation, behind pvxen's checks (seen with
 * `--isolation off`, where no CR3 load per system call flushes for it).
 * So, as Xen does (its tlbflush_timestamp), a frame on this list is flushed
 * out of the TLB before it becomes a page table.  Past STALE_MAX frames
 * every such change flushes until the next flush.
 */
#define STALE_MAX 64
static uint32_t stale_frames[STALE_MAX];
static unsigned nr_stale;
static bool stale_overflow;

void mm_tlb_flushed(void)
{
	nr_stale = 0;
	stale_overflow = false;
}

static bool maybe_cached_writable(uint64_t mfn)
{
	for (unsigned i = 0; i < nr_stale && !stale_overflow; i++)
		if (stale_frames[i] == mfn)
			return true;
	return stale_overflow;
}

/* Drop a reference of the frame's type: true if it was the last one. */
static bool put_type(uint64_t mfn)
{
	if (--frame_refs[mfn])
		return false;
	frame_type[mfn] = TYPE_NONE;
	return true;
}

/* A writable mapping of mfn (an L1 entry's, a grant mapping's or a grant
 * copy's).  Only the domain's RAM is counted: the other frames an L1 may
 * map (shared_info, the grant frames) never become page tables. */
int64_t get_writable(uint64_t mfn)
{
	if (!mfn_is_domain_ram(mfn) || mfn >= MAX_TRACKED_FRAMES)
		return 0;
	return get_type(mfn, TYPE_WRITABLE) < 0 ? -XEN_EBUSY : 0; /* Xen's errno */
}

void put_writable(uint64_t mfn)
{
	if (mfn < MAX_TRACKED_FRAMES && frame_type[mfn] == TYPE_WRITABLE && put_type(mfn)) {
		if (nr_stale < STALE_MAX)
			stale_frames[nr_stale++] = (uint32_t)mfn;
		else
			stale_overflow = true;
	}
}

static int64_t get_table(uint64_t mfn, unsigned level);
static void put_table(uint64_t mfn);

/* What a present entry of a table of `level` holds on its target: the
 * table one level down, or for an L1 entry, the writable type of the frame
 * it maps writable. */
static int64_t get_entry(unsigned level, uint64_t e)
{
	uint64_t target = (e & PTE_ADDR) / PAGE_SIZE;
	if (level == TYPE_L1) {
		if (!mfn_mappable(target))
			return -XEN_EINVAL;
		return (e & PTE_RW) ? get_writable(target) : 0;
	}
	if (e & PTE_PSE)
		return -XEN_EINVAL;
	return get_table(target, level - 1);
}

static void put_entry(unsigned level, uint64_t e)
{
	uint64_t target = (e & PTE_ADDR) / PAGE_SIZE;
	if (level > TYPE_L1)
		put_table(target);
	else if (e & PTE_RW)
		put_writable(target);
}

/* Drop what entries [0, upto) of a table hold on their targets. */
static void put_children(uint64_t mfn, unsigned level, unsigned upto)
{
	const uint64_t *t = table(mfn);
	for (unsigned i = 0; i < upto; i++)
		if (!hv_slot(level, i) && (t[i] & PTE_P))
			put_entry(level, t[i]);
}

static void put_table(uint64_t mfn)
{
	unsigned level = table_level(mfn);
	if (level != TYPE_NONE && put_type(mfn))
		put_children(mfn, level, 512);
}

/* A reference to mfn as a table of `level`; the first one checks its
 * entries (and takes what they hold on their targets), giving each the U
 * bit. */
static int64_t get_table(uint64_t mfn, unsigned level)
{
	if (!mfn_is_domain_ram(mfn) || mfn >= MAX_TRACKED_FRAMES)
		return -XEN_EINVAL;
	int64_t rc = get_type(mfn, level);
	if (rc <= 0)
		return rc; /* another reference, or a frame of another type */
	if (maybe_cached_writable(mfn))
		flush_tlb();
	uint64_t *t = table(mfn);
	for (unsigned i = 0; i < 512; i++) {
		if (hv_slot(level, i) || !(t[i] & PTE_P))
			continue;
		rc = get_entry(level, t[i]);
		if (rc) {
			put_children(mfn, level, i);
			frame_type[mfn] = TYPE_NONE;
			frame_refs[mfn] = 0;
			return rc;
		}
		/* Only where it is missing: a write to a table KVM shadows costs
		 * an exit into the host kernel, a read nothing. */
		if (!(t[i] & PTE_U))
			t[i] |= PTE_U;
	}
	return 0;
}

static bool pinned(uint64_t mfn)
{
	return mfn < MAX_TRACKED_FRAMES && (frame_pinned[mfn / 8] & (1u << (mfn % 8)));
}

static void set_pinned(uint64_t mfn, bool on)
{
	if (on)
		frame_pinned[mfn / 8] |= (uint8_t)(1u << (mfn % 8));
	else
		frame_pinned[mfn / 8] &= (uint8_t) ~(1u << (mfn % 8));
}

/* The user base pointer's L4 (unless it is the kernel's too) gets only the
 * user view; every other L4 all of pvxen. */
static void install_hv_slots(uint64_t l4_mfn)
{
	uint64_t maddr = l4_mfn * PAGE_SIZE;
	bool user_only = maddr == xen_vcpu.user_cr3 && maddr != xen_vcpu.kernel_cr3;
	/* Written in place, never cleared first: this may be the live L4.  And
	 * only the slots that change: the L4s are shadowed by KVM, so every
	 * write is an exit into the host kernel, and a context switch moves
	 * both base pointers. */
	uint64_t *t = table(l4_mfn);
	for (unsigned i = HV_SLOT_FIRST; i <= HV_SLOT_LAST; i++) {
		uint64_t e = user_only	? (i == 257 ? user_view_l4e : 0)
			     : i == 257 ? xen_boot_info.hv_l4e[0]
			     : i == 258 ? xen_boot_info.hv_l4e[1]
			     : i == 259 ? xen_boot_info.hv_l4e[2]
					: 0;
		if ((t[i] | PTE_A) != (e | PTE_A)) /* the CPU sets A as it walks */
			t[i] = e;
	}
}

/* A reference to mfn as an L4, with the hypervisor's slots filled in. */
static int64_t get_l4(uint64_t mfn)
{
	int64_t rc = get_table(mfn, TYPE_L4);
	if (rc == 0)
		install_hv_slots(mfn);
	return rc;
}

/*
 * Move a base pointer (kernel or user; 0: none) to new_mfn's L4.  Only the
 * L4s whose role changes get the slots of their new role: the one taking
 * the role, and the other base pointer's if it is the old or new one (an
 * L4 that was both kernel and user base, or becomes both).  An L4 that
 * just loses a role keeps its slots until it takes one again: it is not
 * loaded meanwhile, and rewriting them would cost two L4 writes each way
 * whenever Linux lends its user L4 out (every text_poke, thousands at
 * boot), each an exit into the host kernel.
 */
static int64_t set_base(uint64_t *base, uint64_t new_mfn)
{
	if (new_mfn) {
		int64_t rc = get_table(new_mfn, TYPE_L4);
		if (rc)
			return rc;
	}
	uint64_t old_mfn = *base / PAGE_SIZE;
	*base = new_mfn * PAGE_SIZE;
	if (old_mfn)
		put_table(old_mfn);
	if (new_mfn)
		install_hv_slots(new_mfn);
	uint64_t *other = base == &xen_vcpu.kernel_cr3 ? &xen_vcpu.user_cr3 : &xen_vcpu.kernel_cr3;
	uint64_t other_mfn = *other / PAGE_SIZE;
	if (other_mfn && (other_mfn == old_mfn || other_mfn == new_mfn))
		install_hv_slots(other_mfn);
	return 0;
}

void mm_init(void)
{
	/* The domain builder's L4 is pinned (as Xen's builder leaves it) and the
	 * kernel base pointer: two references. */
	uint64_t mfn = xen_boot_info.cr3 / PAGE_SIZE;
	loaded_cr3 = xen_boot_info.cr3;
	/* The first reference walks the builder's tables: their types and the
	 * writable mappings of every frame (tables are mapped read-only). */
	int64_t rc = get_l4(mfn);
	if (rc)
		xen_crash("the domain builder's page tables are not valid for Xen (%lld)",
			  (long long)rc);
	get_l4(mfn);
	set_pinned(mfn, true);
}

static void load_cr3(uint64_t cr3)
{
	if (cr3 == loaded_cr3)
		return;
	xen_write_cr3(cr3);
	loaded_cr3 = cr3;
	mm_tlb_flushed();
}

/* pvxen always runs on the kernel's L4: the user IDT's stubs load it on the
 * way in from user mode, xen_stub_0 the user's on the way out. */
void load_kernel_cr3(void)
{
	load_cr3(xen_vcpu.kernel_cr3);
}

void flush_tlb(void)
{
	xen_write_cr3(loaded_cr3);
	mm_tlb_flushed();
}

/* Check and write one entry of a table of a known level (0: untyped): the
 * new value's references are taken before the old one's are dropped, so
 * rewriting an entry with the same target never releases it. */
static int64_t write_entry(uint64_t maddr, uint64_t val, bool preserve_ad)
{
	uint64_t mfn = maddr / PAGE_SIZE;
	if (!mfn_is_domain_ram(mfn) || (maddr & 7))
		return -XEN_EINVAL;
	uint64_t *slot = maddr_ptr(maddr, 8), old = *slot;
	unsigned level = table_level(mfn);
	unsigned index = (maddr & (PAGE_SIZE - 1)) / 8;
	if (hv_slot(level, index))
		return -XEN_EPERM;
	if (level != TYPE_NONE && (val & PTE_P)) {
		int64_t rc = get_entry(level, val);
		if (rc)
			return rc;
		val |= PTE_U;
	}
	if (preserve_ad)
		val |= old & (1ull << 5 | 1ull << 6);
	*slot = val;
	if (level != TYPE_NONE && (old & PTE_P))
		put_entry(level, old);
	return 0;
}

static int64_t mmu_update_checked(const struct mmu_update *u);

static int64_t mmu_update_one(const void *req)
{
	const struct mmu_update *u = req;
	int64_t rc = mmu_update_checked(u);
	if (rc && (xen_boot_info.flags & PVXEN_BOOT_TRACE))
		xen_log("xen: mmu_update ptr 0x%llx val 0x%llx (type %u): %lld",
			(unsigned long long)u->ptr, (unsigned long long)u->val,
			table_level((u->ptr & ~7ull) / PAGE_SIZE), (long long)rc);
	return rc;
}

static int64_t mmu_update_checked(const struct mmu_update *u)
{
	switch (u->ptr & 7) {
	case MMU_NORMAL_PT_UPDATE:
	case MMU_PT_UPDATE_NO_TRANSLATE:
		return write_entry(u->ptr & ~7ull, u->val, false);
	case MMU_PT_UPDATE_PRESERVE_AD:
		return write_entry(u->ptr & ~7ull, u->val, true);
	case MMU_MACHPHYS_UPDATE:
		/* The M2P is the identity and stays so. */
		return (u->ptr >> 12) == u->val && mfn_is_domain_ram(u->val) ? 0 : -XEN_EINVAL;
	default:
		return -XEN_ENOSYS;
	}
}

/* mmu_update and mmuext_op: a list of requests, stopped at the first error;
 * how many were done goes to done_ptr (if any), as with Xen. */
static int64_t run_batch(uint64_t list, uint64_t count, uint64_t done_ptr, uint64_t domid,
			 size_t size, int64_t (*one)(const void *req))
{
	if (domid != DOMID_SELF)
		return -XEN_ESRCH;
	uint8_t req[64];
	uint64_t i;
	int64_t rc = 0;
	for (i = 0; i < (count & ~MMU_UPDATE_PREEMPTED); i++) {
		if (copy_from_guest(req, list + i * size, size) < 0) {
			rc = -XEN_EFAULT;
			break;
		}
		rc = one(req);
		if (rc)
			break;
	}
	if (done_ptr && copy_to_guest(done_ptr, &(unsigned){(unsigned)i}, sizeof(unsigned)) < 0)
		return -XEN_EFAULT;
	return rc;
}

int64_t do_mmu_update(uint64_t reqs, uint64_t count, uint64_t done_ptr, uint64_t domid)
{
	return run_batch(reqs, count, done_ptr, domid, sizeof(struct mmu_update), mmu_update_one);
}

/* The machine address of the L1 entry for va in the live tables, or 0. */
static uint64_t l1_entry(uint64_t va)
{
	uint64_t mfn = loaded_cr3 / PAGE_SIZE;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t e = table(mfn)[(va >> shift) & 511];
		if (!(e & PTE_P) || (e & PTE_PSE))
			return 0;
		mfn = (e & PTE_ADDR) / PAGE_SIZE;
		if (!maddr_ptr(mfn * PAGE_SIZE, PAGE_SIZE))
			return 0;
	}
	return mfn * PAGE_SIZE + ((va >> 12) & 511) * 8;
}

/* The entry at maddr if it is in a table typed L1, else NULL: as Xen, the
 * only place update_va_mapping or a grant mapping writes a PTE. */
uint64_t *l1_table_entry(uint64_t maddr)
{
	uint64_t mfn = maddr / PAGE_SIZE;
	if ((maddr & 7) || !mfn_is_domain_ram(mfn) || table_level(mfn) != TYPE_L1)
		return NULL;
	return maddr_ptr(maddr, 8);
}

/* The machine address of the entry that maps va in the live tables, if it
 * is in a table typed L1 (the live tables are typed from their L4 down, so
 * this holds for any guest va they reach); 0 if none. */
uint64_t l1e_maddr_of(uint64_t va)
{
	if (!is_canonical(va) || (va >= XEN_PV_HOLE_START_VA && va < XEN_PV_HOLE_END_VA))
		return 0;
	uint64_t maddr = l1_entry(va);
	return maddr && l1_table_entry(maddr) ? maddr : 0;
}

/* What a present L1 entry taken down by other means than write_entry (a
 * grant mapping's PTE replaced) held: its writable mapping. */
void put_l1e(uint64_t pte)
{
	if (pte & PTE_P)
		put_entry(TYPE_L1, pte);
}

/* Whether a present entry of any table typed L1 maps mfn: every mapping the
 * CPU can reach is in one, since tables are typed from the L4 down. */
bool frame_is_mapped(uint64_t mfn)
{
	for (uint64_t t = 0; t < MAX_TRACKED_FRAMES; t++) {
		if (table_level(t) != TYPE_L1)
			continue;
		const uint64_t *e = table(t);
		for (unsigned i = 0; i < 512; i++)
			if ((e[i] & PTE_P) && (e[i] & PTE_ADDR) == mfn * PAGE_SIZE)
				return true;
	}
	return false;
}

/*
 * A page-table frame the guest kernel writes through a read-only mapping
 * (Xen's "ptwr" emulation, which Linux relies on for some updates): the
 * machine address written, or 0 if va does not map a page table.
 */
uint64_t page_table_write_target(uint64_t va)
{
	uint64_t maddr = l1_entry(va);
	uint64_t e = maddr ? *(uint64_t *)maddr_ptr(maddr, 8) : 0;
	if (!(e & PTE_P))
		return 0;
	uint64_t mfn = (e & PTE_ADDR) / PAGE_SIZE;
	if (!mfn_is_domain_ram(mfn) || table_level(mfn) == TYPE_NONE)
		return 0;
	return mfn * PAGE_SIZE + (va & (PAGE_SIZE - 1));
}

int64_t page_table_write(uint64_t maddr, uint64_t val)
{
	return write_entry(maddr, val, false);
}

static void flush(uint64_t va, uint64_t flags)
{
	switch (flags & UVMF_FLUSHTYPE_MASK) {
	case UVMF_TLB_FLUSH:
		flush_tlb();
		break;
	case UVMF_INVLPG:
		xen_invlpg(va);
		break;
	default:
		break;
	}
}

int64_t do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags)
{
	uint64_t maddr = l1e_maddr_of(va);
	if (!maddr)
		return -XEN_EINVAL;
	int64_t rc = write_entry(maddr, val, false);
	if (rc)
		return rc;
	flush(va, flags);
	return 0;
}

static int64_t mmuext_one(const void *req)
{
	const struct mmuext_op *op = req;
	uint64_t mfn = op->arg1.mfn;
	if (xen_boot_info.flags & PVXEN_BOOT_TRACE)
		xen_log("xen: mmuext cmd %u arg 0x%llx kmode %d", op->cmd, (unsigned long long)mfn,
			xen_vcpu.kernel_mode);
	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
	case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE:
	case MMUEXT_PIN_L4_TABLE: {
		if (pinned(mfn))
			return -XEN_EINVAL;
		int64_t rc = op->cmd == MMUEXT_PIN_L4_TABLE ? get_l4(mfn)
							    : get_table(mfn, TYPE_L1 + op->cmd);
		if (rc == 0)
			set_pinned(mfn, true);
		return rc;
	}
	case MMUEXT_UNPIN_TABLE:
		if (!pinned(mfn))
			return -XEN_EINVAL;
		set_pinned(mfn, false);
		put_table(mfn);
		return 0;
	case MMUEXT_NEW_BASEPTR: {
		int64_t rc = mfn ? set_base(&xen_vcpu.kernel_cr3, mfn) : -XEN_EINVAL;
		if (rc == 0 && xen_vcpu.kernel_mode)
			load_kernel_cr3();
		return rc;
	}
	case MMUEXT_NEW_USER_BASEPTR:
		return set_base(&xen_vcpu.user_cr3, mfn);
	case MMUEXT_TLB_FLUSH_LOCAL:
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_TLB_FLUSH_ALL:
		flush_tlb();
		return 0;
	case MMUEXT_INVLPG_LOCAL:
	case MMUEXT_INVLPG_MULTI:
	case MMUEXT_INVLPG_ALL:
		if (op->arg1.linear_addr >= XEN_PV_HOLE_START_VA &&
		    op->arg1.linear_addr < XEN_PV_HOLE_END_VA)
			return -XEN_EINVAL;
		xen_invlpg(op->arg1.linear_addr);
		return 0;
	case MMUEXT_FLUSH_CACHE:
	case MMUEXT_FLUSH_CACHE_GLOBAL:
		return 0;
	case MMUEXT_SET_LDT:
		return op->arg2.nr_ents == 0 ? 0 : -XEN_EINVAL;
	case MMUEXT_CLEAR_PAGE:
		if (!mfn_is_domain_ram(mfn) || table_level(mfn) != TYPE_NONE)
			return -XEN_EINVAL;
		memset(table(mfn), 0, PAGE_SIZE);
		return 0;
	case MMUEXT_COPY_PAGE:
		if (!mfn_is_domain_ram(mfn) || table_level(mfn) != TYPE_NONE ||
		    !mfn_is_domain_ram(op->arg2.src_mfn))
			return -XEN_EINVAL;
		memcpy(table(mfn), table(op->arg2.src_mfn), PAGE_SIZE);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

int64_t do_mmuext_op(uint64_t ops, uint64_t count, uint64_t done_ptr, uint64_t domid)
{
	return run_batch(ops, count, done_ptr, domid, sizeof(struct mmuext_op), mmuext_one);
}

/* ---- the reservation ---------------------------------------------------- */

/*
 * The balloon's operations, with the p2m and M2P kept the identity: a frame
 * given back (decrease) leaves the domain's reservation (xen/main.c says
 * why it stays mappable); increase hands given-back frames out again
 * (their numbers go out in the list), populate_physmap takes the ones the
 * guest names.
 * Linux gives back the frames of its memory map's holes at boot.  A frame
 * that is a page table cannot go (Xen would keep it until unpinned; the
 * guest gains nothing by it).  Each returns how many extents were done.
 */
int64_t do_reservation_op(unsigned op, uint64_t arg, uint64_t start_extent)
{
	struct xen_memory_reservation res;
	if (copy_from_guest(&res, arg, sizeof(res)) < 0)
		return -XEN_EFAULT;
	if (res.domid != DOMID_SELF)
		return -XEN_ESRCH;
	if (res.extent_order > (op == XENMEM_decrease_reservation ? 9u : 0u))
		return start_extent < res.nr_extents ? -XEN_EINVAL : (int64_t)start_extent;
	uint64_t pages = 1ull << res.extent_order;
	uint64_t list = (uint64_t)res.extent_start.p;
	uint64_t i, next_free = 0;
	for (i = start_extent; i < res.nr_extents; i++) {
		xen_pfn_t mfn;
		if (op != XENMEM_increase_reservation &&
		    copy_from_guest(&mfn, list + i * sizeof(mfn), sizeof(mfn)) < 0)
			return i ? (int64_t)i : -XEN_EFAULT;
		if (op == XENMEM_decrease_reservation) {
			if (mfn + pages < mfn)
				break;
			uint64_t k;
			for (k = 0; k < pages; k++)
				if (!mfn_is_domain_ram(mfn + k) || frame_is_released(mfn + k) ||
				    table_level(mfn + k) != TYPE_NONE)
					break;
			if (k < pages)
				break;
			for (k = 0; k < pages; k++)
				set_frame_released(mfn + k, true);
			continue;
		}
		if (op == XENMEM_increase_reservation) {
			/* The scan goes on where the last extent's ended. */
			for (mfn = next_free;
			     mfn < xen_boot_info.nr_pages && !frame_is_released(mfn); mfn++)
				;
			if (mfn == xen_boot_info.nr_pages)
				break; /* nothing to give */
			next_free = mfn + 1;
		} else if (!frame_is_released(mfn)) {
			break; /* populated already: the p2m stays the identity */
		}
		if (copy_to_guest(list + i * sizeof(mfn), &mfn, sizeof(mfn)) < 0)
			return i ? (int64_t)i : -XEN_EFAULT;
		set_frame_released(mfn, false);
		memset(table(mfn), 0, PAGE_SIZE); /* no data of its last life */
	}
	return (int64_t)i;
}

/* ---- descriptor tables ------------------------------------------------- */

/* Xen's rule for a 64-bit PV guest's descriptor: code and data only, at
 * DPL 3 (raised if lower); a not-present or null one is fine. */
static bool fix_descriptor(uint64_t *d)
{
	if (!(*d & (1ull << 47)))
		return true; /* not present */
	if (!(*d & (1ull << 44)))
		return false; /* a system descriptor: gates, TSS, LDT */
	*d |= 3ull << 45;
	return true;
}

int64_t do_set_gdt(uint64_t frames, uint64_t entries)
{
	if (entries > XEN_FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;
	unsigned nr_frames = (unsigned)((entries + 511) / 512);
	uint64_t list[16];
	if (nr_frames && copy_from_guest(list, frames, nr_frames * sizeof(uint64_t)) < 0)
		return -XEN_EFAULT;
	static uint64_t fresh[XEN_FIRST_RESERVED_GDT_ENTRY];
	for (uint64_t i = 0; i < entries; i++) {
		uint64_t mfn = list[i / 512];
		if (!mfn_is_domain_ram(mfn))
			return -XEN_EINVAL;
		uint64_t d = table(mfn)[i % 512];
		if (!fix_descriptor(&d))
			return -XEN_EINVAL;
		fresh[i] = d;
	}
	for (uint64_t i = 0; i < XEN_FIRST_RESERVED_GDT_ENTRY; i++)
		xen_gdt[i] = i < entries ? fresh[i] : 0;
	install_hw_selectors();
	for (unsigned i = 0; i < nr_frames; i++)
		xen_vcpu.gdt_frames[i] = list[i];
	xen_vcpu.gdt_entries = (unsigned)entries;
	return 0;
}

int64_t do_update_descriptor(uint64_t maddr, uint64_t desc)
{
	uint64_t mfn = maddr / PAGE_SIZE;
	if ((maddr & 7) || !mfn_is_domain_ram(mfn) || table_level(mfn) != TYPE_NONE)
		return -XEN_EINVAL;
	if (!fix_descriptor(&desc))
		return -XEN_EINVAL;
	*(uint64_t *)maddr_ptr(maddr, 8) = desc;
	unsigned index = (maddr & (PAGE_SIZE - 1)) / 8;
	for (unsigned f = 0; f * 512 < xen_vcpu.gdt_entries; f++)
		if (xen_vcpu.gdt_frames[f] == mfn && f * 512 + index < xen_vcpu.gdt_entries)
			xen_gdt[f * 512 + index] = desc;
	install_hw_selectors();
	return 0;
}

/*
 * A self-check for tests (PVXEN_BOOT_CHECK, at poweroff): every frame's
 * writable count recomputed from the present, writable entries of the
 * tables typed L1, against what the type says.  A difference means an
 * entry changed without pvxen (a stale TLB entry, a missed path) or a count
 * went astray: the kind of bug that surfaces much later as a pin refused.
 */
void mm_check(void)
{
	static uint16_t counted[MAX_TRACKED_FRAMES];
	memset(counted, 0, sizeof(counted));
	uint64_t frames = xen_boot_info.nr_pages < MAX_TRACKED_FRAMES ? xen_boot_info.nr_pages
								      : MAX_TRACKED_FRAMES;
	for (uint64_t f = 0; f < frames; f++) {
		if (frame_type[f] != TYPE_L1)
			continue;
		const uint64_t *t = table(f);
		for (unsigned i = 0; i < 512; i++) {
			uint64_t m = (t[i] & PTE_ADDR) / PAGE_SIZE;
			if ((t[i] & PTE_P) && (t[i] & PTE_RW) && m < frames && mfn_is_domain_ram(m))
				counted[m]++;
		}
	}
	unsigned wrong = 0;
	for (uint64_t f = 0; f < frames; f++) {
		unsigned have = frame_type[f] == TYPE_WRITABLE ? frame_refs[f] : 0;
		if (have != counted[f] && wrong++ < 5)
			xen_log(
			    "xen: check: frame 0x%llx counts %u writable mappings, its L1s hold %u",
			    (unsigned long long)f, have, counted[f]);
	}
	xen_log("xen: check: %u frames with a wrong writable count", wrong);
}
