// SPDX-License-Identifier: MIT
/*
 * The Xen PV domain builder (see xen_pv.h for the layout).  Like the other
 * loaders it decides and checks everything first, then writes: a hostile
 * image gets one sentence and guest memory stays untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xen/elfnote.h>
#include <xen/xen.h>

#include "elf.h"
#include "error.h"
#include "loader.h"
#include "pvh.h"
#include "xen_pv.h"

#define PAGE	     4096ull
#define PAGE_MASK    (~(PAGE - 1))
#define PTRS	     512u
#define REGION_PAD   (512ull << 10) /* xen.h: at least 512 KiB after the last element */
#define REGION_ALIGN (4ull << 20)   /* ... and the region ends 4 MiB-aligned */

/* Page-table entry bits. */
#define PTE_P	 (1ull << 0)
#define PTE_RW	 (1ull << 1)
#define PTE_U	 (1ull << 2)
#define PTE_A	 (1ull << 5)
#define PTE_D	 (1ull << 6)
#define PTE_ADDR 0x000ffffffffff000ull

/* What 64-bit PV start_info's magic says. */
#define START_INFO_MAGIC "xen-3.0-x86_64"

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool is_canonical(uint64_t va)
{
	return va < 0x0000800000000000ull || va >= 0xffff800000000000ull;
}

static uint64_t note_value(const struct elf_note *n)
{
	if (n->descsz == 4) {
		uint32_t v;
		memcpy(&v, n->desc, sizeof(v));
		return v;
	}
	uint64_t v;
	memcpy(&v, n->desc, sizeof(v));
	return v;
}

static const char *note_name(uint32_t type)
{
	switch (type) {
	case XEN_ELFNOTE_ENTRY:
		return "ENTRY";
	case XEN_ELFNOTE_HYPERCALL_PAGE:
		return "HYPERCALL_PAGE";
	case XEN_ELFNOTE_VIRT_BASE:
		return "VIRT_BASE";
	case XEN_ELFNOTE_PADDR_OFFSET:
		return "PADDR_OFFSET";
	case XEN_ELFNOTE_HV_START_LOW:
		return "HV_START_LOW";
	default:
		return "INIT_P2M";
	}
}

/* A numeric note: 4 or 8 bytes, as Xen reads them. */
static int numeric_note(const struct elf_note *n, bool *has, uint64_t *value,
			struct boot_error *err)
{
	if (n->descsz != 4 && n->descsz != 8)
		return boot_fail(err, "Xen %s note has a %u-byte descriptor, not 4 or 8",
				 note_name(n->type), n->descsz);
	*has = true;
	*value = note_value(n);
	return 0;
}

static int collect_notes(const struct elf_image *elf, struct xen_pv_notes *x, bool *has_entry,
			 bool *has_virt_base, bool *has_paddr_offset, struct boot_error *err)
{
	for (int i = 0; i < elf->nnotes; i++) {
		const struct elf_note *n = &elf->note[i];
		if (!(n->namesz == 3 && memcmp(n->name, XEN_ELFNOTE_NAME, 3) == 0))
			continue;
		int rc = 0;
		switch (n->type) {
		case XEN_ELFNOTE_ENTRY:
			rc = numeric_note(n, has_entry, &x->entry, err);
			x->present = true;
			break;
		case XEN_ELFNOTE_HYPERCALL_PAGE:
			rc = numeric_note(n, &x->has_hypercall_page, &x->hypercall_page, err);
			x->present = true;
			break;
		case XEN_ELFNOTE_VIRT_BASE:
			rc = numeric_note(n, has_virt_base, &x->virt_base, err);
			break;
		case XEN_ELFNOTE_PADDR_OFFSET:
			rc = numeric_note(n, has_paddr_offset, &x->paddr_offset, err);
			break;
		case XEN_ELFNOTE_HV_START_LOW:
			rc = numeric_note(n, &x->has_hv_start_low, &x->hv_start_low, err);
			break;
		case XEN_ELFNOTE_INIT_P2M:
			rc = numeric_note(n, &x->has_init_p2m, &x->init_p2m, err);
			break;
		case XEN_ELFNOTE_XEN_VERSION:
			x->present = true;
			break;
		case XEN_ELFNOTE_FEATURES: {
			size_t len = n->descsz;
			const char *s = (const char *)n->desc;
			len = strnlen(s, len);
			if (len >= sizeof(x->features))
				return boot_fail(err, "Xen FEATURES note is longer than %zu bytes",
						 sizeof(x->features) - 1);
			memcpy(x->features, s, len);
			x->features[len] = '\0';
			break;
		}
		default:
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* "Xen NOTE 0x... RELATION the segments (start-end)" */
static int fail_vs_segments(struct boot_error *err, const char *note, uint64_t value,
			    const char *relation, const struct xen_pv_notes *x)
{
	return boot_fail(err, "Xen %s 0x%llx %s the segments (0x%llx-0x%llx)", note,
			 (unsigned long long)value, relation, (unsigned long long)x->kernel_start,
			 (unsigned long long)x->kernel_end);
}

int xen_pv_read_notes(const struct elf_image *elf, struct xen_pv_notes *x, struct boot_error *err)
{
	bool has_entry = false, has_virt_base = false, has_paddr_offset = false;
	memset(x, 0, sizeof(*x));
	if (collect_notes(elf, x, &has_entry, &has_virt_base, &has_paddr_offset, err) < 0)
		return -1;
	if (!x->present)
		return boot_fail(err, "the ELF has no Xen PV notes (ENTRY, HYPERCALL_PAGE or "
				      "XEN_VERSION): not a Xen PV kernel");
	if (!has_entry)
		x->entry = elf->entry;
	/* Xen: a kernel described by notes has PADDR_OFFSET 0 unless it says. */
	(void)has_virt_base;
	(void)has_paddr_offset;
	if (x->virt_base & ~PAGE_MASK)
		return boot_fail(err, "Xen VIRT_BASE 0x%llx is not page-aligned",
				 (unsigned long long)x->virt_base);
	if (x->paddr_offset > elf->lowest_paddr)
		return boot_fail(err,
				 "Xen PADDR_OFFSET 0x%llx is above the lowest segment (0x%llx): "
				 "the kernel would start below VIRT_BASE",
				 (unsigned long long)x->paddr_offset,
				 (unsigned long long)elf->lowest_paddr);
	uint64_t span = elf->end_paddr - x->paddr_offset;
	x->kernel_start = x->virt_base + (elf->lowest_paddr - x->paddr_offset);
	x->kernel_end = x->virt_base + span;
	if (x->kernel_end < x->virt_base || x->kernel_start < x->virt_base ||
	    !is_canonical(x->kernel_start) || !is_canonical(x->kernel_end - 1) ||
	    (x->kernel_start < XEN_PV_HOLE_START) != (x->kernel_end - 1 < XEN_PV_HOLE_START))
		return boot_fail(err,
				 "Xen VIRT_BASE 0x%llx puts the segments (%llu bytes) beyond "
				 "the canonical address space",
				 (unsigned long long)x->virt_base, (unsigned long long)span);
	if (x->entry < x->kernel_start || x->entry >= x->kernel_end)
		return fail_vs_segments(err, "entry", x->entry, "is outside", x);
	if (x->has_hypercall_page &&
	    (x->hypercall_page & ~PAGE_MASK || x->hypercall_page < x->kernel_start ||
	     x->hypercall_page >= x->kernel_end))
		return fail_vs_segments(err, "HYPERCALL_PAGE", x->hypercall_page,
					"is not a page inside", x);
	if (x->has_hv_start_low) {
		if (x->hv_start_low > XEN_PV_HV_START)
			return boot_fail(err,
					 "Xen HV_START_LOW 0x%llx leaves no room for the "
					 "hypervisor at 0x%llx",
					 (unsigned long long)x->hv_start_low,
					 (unsigned long long)XEN_PV_HV_START);
		if (x->hv_start_low < x->kernel_end && x->kernel_start < XEN_PV_HOLE_END)
			return boot_fail(err,
					 "Xen HV_START_LOW 0x%llx is below the kernel (0x%llx-"
					 "0x%llx): the hypervisor's hole would cover it",
					 (unsigned long long)x->hv_start_low,
					 (unsigned long long)x->kernel_start,
					 (unsigned long long)x->kernel_end);
	}
	if (x->has_init_p2m) {
		if (x->init_p2m & ~PAGE_MASK || !is_canonical(x->init_p2m))
			return boot_fail(err, "Xen INIT_P2M 0x%llx is not a canonical page address",
					 (unsigned long long)x->init_p2m);
		if (x->init_p2m >= XEN_PV_HOLE_START && x->init_p2m < XEN_PV_HOLE_END)
			return boot_fail(err, "Xen INIT_P2M 0x%llx is inside the hypervisor's hole",
					 (unsigned long long)x->init_p2m);
		if (x->init_p2m < x->kernel_end && x->init_p2m >= x->kernel_start)
			return fail_vs_segments(err, "INIT_P2M", x->init_p2m, "overlaps", x);
	}
	return 0;
}

/* ---- the layout -------------------------------------------------------- */

/* A virtual range to map, and the frame its first page maps to. */
struct map_range {
	uint64_t va, end, pfn;
};

/* Tables for the sorted, disjoint ranges: distinct prefixes per level. */
static uint64_t count_tables(const struct map_range *r, int n)
{
	uint64_t count = 1; /* the L4 */
	for (int shift = 39; shift >= 21; shift -= 9) {
		bool have_last = false;
		uint64_t last = 0;
		for (int i = 0; i < n; i++) {
			if (r[i].end <= r[i].va)
				continue;
			uint64_t first = r[i].va >> shift, end = (r[i].end - 1) >> shift;
			count += end - first + 1;
			if (have_last && first == last)
				count--;
			last = end;
			have_last = true;
		}
	}
	return count;
}

struct layout {
	struct map_range range[2]; /* the bootstrap region, the INIT_P2M list */
	int nranges;
	uint64_t kernel_pfn;  /* first frame of the kernel */
	uint64_t frames_used; /* frames 0.. in use by the domain's boot */
};

static int fail_no_room(struct boot_error *err, uint64_t need, uint64_t have)
{
	return boot_fail(err,
			 "the Xen PV domain needs %llu pages for its bootstrap region, more than "
			 "its %llu",
			 (unsigned long long)need, (unsigned long long)have);
}

static void sort_ranges(struct layout *l)
{
	if (l->nranges == 2 && l->range[1].va < l->range[0].va) {
		struct map_range t = l->range[0];
		l->range[0] = l->range[1];
		l->range[1] = t;
	}
}

static int plan_layout(const struct xen_pv_request *req, const struct xen_pv_notes *x,
		       struct xen_pv_plan *p, struct layout *l, struct boot_error *err)
{
	memset(p, 0, sizeof(*p));
	memset(l, 0, sizeof(*l));
	p->virt_base = x->virt_base;
	p->kernel_start = x->kernel_start;
	p->kernel_end = x->kernel_end;
	p->entry = x->entry;
	p->hypercall_page = x->has_hypercall_page ? x->hypercall_page : 0;
	p->nr_pages = req->nr_pages;
	p->shared_info = req->shared_info;
	p->hv_start_low = x->has_hv_start_low ? x->hv_start_low : XEN_PV_HOLE_START;
	if (req->nr_pages > (UINT64_MAX >> 16))
		return boot_fail(err, "the domain's %llu pages are too many",
				 (unsigned long long)req->nr_pages);

	uint64_t v = round_up(x->kernel_end, PAGE);
	if (v < x->kernel_end)
		return fail_no_room(err, UINT64_MAX / PAGE, req->nr_pages);
	p->initrd = req->initrd_size ? v : 0;
	p->initrd_len = req->initrd_size;
	v += round_up(req->initrd_size, PAGE);
	uint64_t p2m_bytes = round_up(req->nr_pages * 8, PAGE);
	p->p2m_frames = p2m_bytes / PAGE;
	if (!x->has_init_p2m) {
		p->p2m = v;
		v += p2m_bytes;
	}
	p->start_info = v;
	v += PAGE;
	p->store_pfn = (v - x->virt_base) / PAGE;
	v += PAGE;
	p->console_pfn = (v - x->virt_base) / PAGE;
	v += PAGE;
	p->pt_base = v;

	/* The tables map the region they sit in: grow until it holds them. */
	uint64_t tables = 1, end = 0;
	for (int round = 0; round < 8; round++) {
		uint64_t after = v + tables * PAGE + PAGE; /* tables, then the stack */
		end = round_up(after + REGION_PAD, REGION_ALIGN);
		l->nranges = 0;
		l->range[l->nranges++] = (struct map_range){x->virt_base, end, 0};
		if (x->has_init_p2m)
			l->range[l->nranges++] = (struct map_range){
			    x->init_p2m, x->init_p2m + p2m_bytes, (end - x->virt_base) / PAGE};
		sort_ranges(l);
		uint64_t need = count_tables(l->range, l->nranges);
		if (need <= tables)
			break;
		tables = need;
	}
	if (end < v || !is_canonical(end - 1) ||
	    (x->virt_base < XEN_PV_HOLE_START) != (end - 1 < XEN_PV_HOLE_START) ||
	    (end > XEN_PV_HOLE_START && x->virt_base < XEN_PV_HOLE_END))
		return boot_fail(err,
				 "the bootstrap region (0x%llx-0x%llx) leaves the usable "
				 "address space",
				 (unsigned long long)x->virt_base, (unsigned long long)end);
	if (x->has_init_p2m && x->init_p2m < end && x->init_p2m + p2m_bytes > x->virt_base)
		return boot_fail(
		    err, "Xen INIT_P2M 0x%llx overlaps the bootstrap region (0x%llx-0x%llx)",
		    (unsigned long long)x->init_p2m, (unsigned long long)x->virt_base,
		    (unsigned long long)end);
	p->pt_frames = tables;
	p->pt_pfn = (v - x->virt_base) / PAGE;
	p->stack_top = v + tables * PAGE + PAGE;
	p->region_end = end;
	uint64_t frames = (end - x->virt_base) / PAGE;
	if (x->has_init_p2m) {
		p->p2m = x->init_p2m;
		p->p2m_pfn = frames;
		frames += p->p2m_frames;
	} else {
		p->p2m_pfn = (p->p2m - x->virt_base) / PAGE;
	}
	if (frames > req->nr_pages)
		return fail_no_room(err, frames, req->nr_pages);
	l->frames_used = frames;
	p->cr3 = p->pt_pfn * PAGE;
	return 0;
}

/* ---- writing ----------------------------------------------------------- */

struct pt_writer {
	struct guest_memory *mem;
	uint64_t next_pfn, end_pfn; /* the table frames */
};

static uint64_t *table_at(const struct pt_writer *w, uint64_t pfn)
{
	return guest_memory_ptr(w->mem, pfn * PAGE, PAGE);
}

/* Map one page; intermediate tables come from the table frames in order. */
static void map_page(struct pt_writer *w, uint64_t root_pfn, uint64_t va, uint64_t pfn,
		     uint64_t flags)
{
	uint64_t table = root_pfn;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *t = table_at(w, table);
		unsigned idx = (va >> shift) & (PTRS - 1);
		if (!(t[idx] & PTE_P)) {
			uint64_t fresh = w->next_pfn++;
			memset(table_at(w, fresh), 0, PAGE);
			t[idx] = fresh * PAGE | PTE_P | PTE_RW | PTE_U | PTE_A;
		}
		table = (t[idx] & PTE_ADDR) / PAGE;
	}
	table_at(w, table)[(va >> 12) & (PTRS - 1)] = pfn * PAGE | flags;
}

static void write_page_tables(struct guest_memory *mem, const struct xen_pv_plan *p,
			      const struct layout *l)
{
	struct pt_writer w = {
	    .mem = mem, .next_pfn = p->pt_pfn + 1, .end_pfn = p->pt_pfn + p->pt_frames};
	memset(table_at(&w, p->pt_pfn), 0, PAGE);
	for (int i = 0; i < l->nranges; i++) {
		const struct map_range *r = &l->range[i];
		for (uint64_t va = r->va, pfn = r->pfn; va < r->end; va += PAGE, pfn++) {
			uint64_t flags = PTE_P | PTE_U | PTE_A;
			/* Page tables are the guest's to read, Xen's to write. */
			if (pfn < p->pt_pfn || pfn >= p->pt_pfn + p->pt_frames)
				flags |= PTE_RW | PTE_D;
			map_page(&w, p->pt_pfn, va, pfn, flags);
		}
	}
}

/* Xen's 64-bit PV hypercall page: 32 bytes per call, `syscall` into Xen. */
static void fill_hypercall_page(uint8_t *page)
{
	memset(page, 0xcc, PAGE);
	for (uint32_t i = 0; i < PAGE / 32; i++) {
		uint8_t *s = page + i * 32;
		if (i == __HYPERVISOR_iret) {
			/* push %rcx; push %r11; push %rax; mov $iret, %eax; syscall */
			const uint8_t iret[] = {0x51, 0x41, 0x53, 0x50, 0xb8, 0,
						0,    0,    0,	  0x0f, 0x05};
			memcpy(s, iret, sizeof(iret));
			memcpy(s + 5, &i, 4);
			continue;
		}
		/* push %rcx; push %r11; mov $i, %eax; syscall; pop %r11; pop %rcx; ret */
		const uint8_t call[] = {0x51, 0x41, 0x53, 0xb8, 0,    0,    0,
					0,    0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3};
		memcpy(s, call, sizeof(call));
		memcpy(s + 4, &i, 4);
	}
}

static void *frame_ptr(struct guest_memory *mem, uint64_t pfn, uint64_t len)
{
	return guest_memory_ptr(mem, pfn * PAGE, len);
}

static void write_start_info(struct guest_memory *mem, const struct xen_pv_request *req,
			     const struct xen_pv_notes *x, const struct xen_pv_plan *p)
{
	start_info_t *si = frame_ptr(mem, (p->start_info - x->virt_base) / PAGE, sizeof(*si));
	memset(si, 0, PAGE);
	memcpy(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC));
	si->nr_pages = p->nr_pages;
	si->shared_info = p->shared_info;
	si->flags = 0;
	si->store_mfn = p->store_pfn;
	si->store_evtchn = XEN_PV_STORE_EVTCHN;
	si->console.domU.mfn = p->console_pfn;
	si->console.domU.evtchn = XEN_PV_CONSOLE_EVTCHN;
	si->pt_base = p->pt_base;
	si->nr_pt_frames = p->pt_frames;
	si->mfn_list = p->p2m;
	si->mod_start = p->initrd;
	si->mod_len = p->initrd_len;
	memcpy(si->cmd_line, req->cmdline, strlen(req->cmdline) + 1);
	if (x->has_init_p2m) {
		si->first_p2m_pfn = p->p2m_pfn;
		si->nr_p2m_frames = p->p2m_frames;
	}
}

static void write_domain(struct guest_memory *mem, const struct xen_pv_request *req,
			 const struct xen_pv_notes *x, const struct xen_pv_plan *p,
			 const struct layout *l)
{
	/* Everything the boot uses starts zeroed, like fresh Xen frames. */
	memset(frame_ptr(mem, 0, l->frames_used * PAGE), 0, l->frames_used * PAGE);
	const struct elf_image *elf = req->elf;
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		uint8_t *dst = guest_memory_ptr(mem, s->paddr - x->paddr_offset, s->memsz);
		memcpy(dst, s->data, s->filesz);
	}
	if (p->initrd_len)
		memcpy(frame_ptr(mem, (p->initrd - x->virt_base) / PAGE, p->initrd_len),
		       req->initrd, p->initrd_len);
	uint64_t *p2m = frame_ptr(mem, p->p2m_pfn, p->p2m_frames * PAGE);
	for (uint64_t pfn = 0; pfn < p->nr_pages; pfn++)
		p2m[pfn] = pfn; /* machine frames are guest-physical frames */
	write_start_info(mem, req, x, p);
	write_page_tables(mem, p, l);
	if (p->hypercall_page)
		fill_hypercall_page(
		    frame_ptr(mem, (p->hypercall_page - x->virt_base) / PAGE, PAGE));
}

int xen_pv_build(const struct xen_pv_request *req, struct guest_memory *mem,
		 struct xen_pv_plan *plan, struct boot_error *err)
{
	struct xen_pv_notes notes;
	struct layout l;
	char a[BOOT_SIZE_STR_LEN], b[BOOT_SIZE_STR_LEN];

	if (xen_pv_read_notes(req->elf, &notes, err) < 0)
		return -1;
	size_t cmdline_len = strlen(req->cmdline);
	if (cmdline_len >= MAX_GUEST_CMDLINE)
		return boot_fail(err, "command line is %zu bytes, longer than Xen's limit of %d",
				 cmdline_len, MAX_GUEST_CMDLINE - 1);
	if (plan_layout(req, &notes, plan, &l, err) < 0)
		return -1;
	if (!guest_memory_ptr(mem, 0, l.frames_used * PAGE) ||
	    !guest_memory_ptr(mem, req->shared_info, PAGE))
		return boot_fail(err, "the Xen PV domain's %s do not fit in guest RAM (%s)",
				 boot_format_size(a, sizeof(a), l.frames_used * PAGE),
				 boot_format_size(b, sizeof(b), mem->size));
	if (req->shared_info / PAGE < req->nr_pages)
		return boot_fail(err, "shared_info 0x%llx lies inside the domain's own memory",
				 (unsigned long long)req->shared_info);
	write_domain(mem, req, &notes, plan, &l);
	return 0;
}

int xen_pv_load(const struct boot_request *req, const struct elf_image *elf,
		struct guest_memory *mem, struct boot_entry *entry, struct boot_error *err)
{
	if (!elf)
		return boot_fail(err, "the bzImage has no payload to take a Xen PV ELF from");
	uint64_t low_end = guest_memory_low_end(mem);
	if (low_end < 2 * XEN_PV_HV_SIZE)
		return boot_fail(err, "guest RAM is too small for a Xen PV domain");
	uint64_t hv_base = (low_end - XEN_PV_HV_SIZE) & ~((2ull << 20) - 1);
	/* pvxen's M2P and page-type tables cover this many frames (1 GiB). */
	uint64_t nr_pages = hv_base / PAGE;
	if (nr_pages > PVXEN_M2P_MAX_PAGES)
		nr_pages = PVXEN_M2P_MAX_PAGES;
	struct xen_pv_request xreq = {
	    .elf = elf,
	    .initrd = req->initrd,
	    .initrd_size = req->initrd ? req->initrd_size : 0,
	    .cmdline = req->cmdline,
	    .nr_pages = nr_pages,
	    .shared_info = hv_base,
	};
	if (xen_pv_build(&xreq, mem, &entry->xen, err) < 0)
		return -1;
	entry->mode = BOOT_CPU_XEN_PV;
	entry->rip = entry->xen.entry;
	entry->rsi = entry->xen.start_info;
	entry->rsp = entry->xen.stack_top;
	return 0;
}
