// SPDX-License-Identifier: MIT
/*
 * boot_load(): decide how to start the kernel, check that everything fits,
 * and only then write guest memory.  The steps:
 *
 *   1. recognise the image (bzImage or ELF64) and parse it;
 *   2. for a bzImage, take the ELF out of its payload when the choice of
 *      entry or the default hardware_subarch depends on its notes;
 *   3. choose the entry (choose_entry());
 *   4. place the kernel, the initrd and the command line, checking each;
 *   5. copy them in and write boot_params (and start_info for PVH).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "boot_params.h"
#include "bzimage.h"
#include "elf.h"
#include "error.h"
#include "layout.h"
#include "loader.h"
#include "payload.h"
#include "pvh_start.h"
#include "xen_pv.h"

#define PAGE_SIZE 4096ull

/* Everything decided before guest memory is touched. */
struct boot_plan {
	const struct bzimage_info *bz; /* NULL for an ELF image */
	const struct elf_image *elf;   /* the ELF to load, or the payload's ELF for its notes */
	bool load_elf;		       /* load elf's segments (else the bzImage's kernel) */
	bool pvh;		       /* PVH entry (else 64-bit) */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_addr, initrd_size;
	uint32_t subarch;
};

static int fail_prefixed(struct boot_error *err, const char *prefix)
{
	/* Shift the message right by the prefix, keeping the NUL inside the buffer. */
	size_t plen = strlen(prefix), cap = sizeof(err->msg);
	if (plen >= cap)
		plen = cap - 1;
	size_t mlen = strnlen(err->msg, cap - 1);
	if (mlen > cap - 1 - plen)
		mlen = cap - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	return -1;
}

/*
 * The bound on decompression: no more than any kernel pvkit boots, and no
 * more than guest RAM, since a kernel larger than RAM cannot boot by any
 * entry (the kernel's own decompressor needs that room too).
 */
static uint64_t payload_bound(const struct guest_memory *mem)
{
	return mem->size < PAYLOAD_MAX_DEFAULT ? mem->size : PAYLOAD_MAX_DEFAULT;
}

/* Take the ELF out of the bzImage payload; *buf owns the bytes elf points into. */
static int extract_payload_elf(const struct bzimage_info *bz, const struct guest_memory *mem,
			       struct elf_image *elf, uint8_t **buf, enum payload_compression *comp,
			       size_t *elf_size, struct boot_error *err)
{
	*comp = payload_detect(bz->payload, bz->payload_size);
	uint64_t bound = payload_bound(mem);
	if (payload_decompress(*comp, bz->payload, bz->payload_size, bound, buf, elf_size, err) <
	    0) {
		if (bound < PAYLOAD_MAX_DEFAULT && strstr(err->msg, "decompresses to more than")) {
			size_t len = strlen(err->msg);
			snprintf(err->msg + len, sizeof(err->msg) - len, " (the guest RAM)");
		}
		return -1;
	}
	if (elf_parse(*buf, *elf_size, elf, err) < 0)
		return fail_prefixed(err, "ELF in the bzImage payload: ");
	return 0;
}

static int choose_entry(const struct boot_request *req, struct boot_plan *plan,
			struct boot_entry *entry, enum payload_compression comp, size_t elf_size,
			struct boot_error *err)
{
	char sz[BOOT_SIZE_STR_LEN];
	const struct elf_image *elf = plan->elf;
	const char *why = "as asked";

	if (plan->bz) {
		bool want_pvh = req->entry == BOOT_ENTRY_PVH;
		if (req->entry == BOOT_ENTRY_AUTO) {
			if (!elf)
				why = "the bzImage has no payload";
			else if (elf->has_pvkit)
				why = "the payload ELF carries the pvkit note";
			else if (elf->has_pvh)
				want_pvh = true;
			else
				why = "the payload ELF has no PVH note";
		}
		if (want_pvh) {
			if (!elf)
				return boot_fail(
				    err, "the bzImage has no payload to take a PVH ELF from");
			if (!elf->has_pvh)
				return boot_fail(err, "the ELF in the bzImage payload has no PVH "
						      "entry note (Xen PHYS32_ENTRY)");
			plan->load_elf = plan->pvh = true;
			snprintf(entry->path, sizeof(entry->path),
				 "PVH entry of the ELF in the bzImage payload (%s, %s)",
				 payload_compression_name(comp),
				 boot_format_size(sz, sizeof(sz), elf_size));
			return 0;
		}
		if (!(plan->bz->hdr.xloadflags & XLF_KERNEL_64))
			return boot_fail(
			    err, "the bzImage has no 64-bit entry point (XLF_KERNEL_64 is clear)");
		if (plan->bz->kernel_size <= BZIMAGE_ENTRY64_OFFSET)
			return boot_fail(err,
					 "the protected-mode kernel (%zu bytes) ends before its "
					 "64-bit entry at 0x200",
					 plan->bz->kernel_size);
		snprintf(entry->path, sizeof(entry->path), "64-bit entry of the bzImage (%s)", why);
		return 0;
	}

	plan->load_elf = true;
	if (req->entry == BOOT_ENTRY_PVH) {
		if (!elf->has_pvh)
			return boot_fail(err, "the ELF has no PVH entry note (Xen PHYS32_ENTRY)");
		plan->pvh = true;
	} else if (req->entry == BOOT_ENTRY_AUTO) {
		if (elf->has_pvkit)
			why = "the ELF carries the pvkit note";
		else if (elf->has_pvh)
			plan->pvh = true, why = "Xen PHYS32_ENTRY note";
		else
			why = "the ELF has no PVH note";
	}
	snprintf(entry->path, sizeof(entry->path), "%s entry of the ELF (%s)",
		 plan->pvh ? "PVH" : "64-bit", why);
	return 0;
}

static int check_cmdline(const struct boot_request *req, const struct boot_plan *plan,
			 struct boot_error *err)
{
	size_t len = strlen(req->cmdline);
	uint64_t limit = LAYOUT_CMDLINE_MAX - 1;
	if (plan->bz && plan->bz->hdr.cmdline_size < limit)
		limit = plan->bz->hdr.cmdline_size;
	if (len > limit)
		return boot_fail(
		    err, "command line is %zu bytes, longer than the kernel's limit of %llu", len,
		    (unsigned long long)limit);
	return 0;
}

/* Where the kernel goes, checked against RAM and pvkit's own low-memory areas. */
static int place_kernel(struct boot_plan *plan, const struct guest_memory *mem,
			struct boot_error *err)
{
	char a[BOOT_SIZE_STR_LEN], b[BOOT_SIZE_STR_LEN];

	if (!plan->load_elf) {
		const struct bzimage_info *bz = plan->bz;
		plan->kernel_start = bz->load_address;
		plan->kernel_end = bz->load_address + bz->init_size;
		if (plan->kernel_start < LAYOUT_HIGH_RAM)
			return boot_fail(err,
					 "kernel load address 0x%llx is below 1 MiB, where pvkit "
					 "keeps its boot data",
					 (unsigned long long)plan->kernel_start);
		if (!guest_memory_ptr(mem, plan->kernel_start, bz->init_size))
			return boot_fail(err,
					 "kernel needs %s at 0x%llx (init_size), more than guest "
					 "RAM (%s) holds there",
					 boot_format_size(a, sizeof(a), bz->init_size),
					 (unsigned long long)plan->kernel_start,
					 boot_format_size(b, sizeof(b), mem->size));
		return 0;
	}
	const struct elf_image *elf = plan->elf;
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		if (s->paddr < LAYOUT_HIGH_RAM)
			return boot_fail(err,
					 "ELF segment %d at 0x%llx is below 1 MiB, where pvkit "
					 "keeps its boot data",
					 s->phdr_index, (unsigned long long)s->paddr);
		if (!guest_memory_ptr(mem, s->paddr, s->memsz))
			return boot_fail(err,
					 "ELF segment %d (0x%llx-0x%llx) is outside guest RAM (%s)",
					 s->phdr_index, (unsigned long long)s->paddr,
					 (unsigned long long)(s->paddr + s->memsz),
					 boot_format_size(a, sizeof(a), mem->size));
	}
	plan->kernel_start = elf->lowest_paddr;
	plan->kernel_end = elf->end_paddr;
	return 0;
}

/* The initrd goes page-aligned at the top of low RAM, below what the kernel can reach. */
static int place_initrd(const struct boot_request *req, struct boot_plan *plan,
			const struct guest_memory *mem, struct boot_error *err)
{
	char a[BOOT_SIZE_STR_LEN], b[BOOT_SIZE_STR_LEN];
	uint64_t size = req->initrd ? req->initrd_size : 0;

	plan->initrd_addr = plan->initrd_size = 0;
	if (size == 0)
		return 0;
	if (size > mem->size)
		return boot_fail(err, "initrd (%s) does not fit in guest RAM (%s)",
				 boot_format_size(a, sizeof(a), size),
				 boot_format_size(b, sizeof(b), mem->size));
	uint64_t limit = guest_memory_low_end(mem);
	const char *limit_name = "the end of low RAM";
	if (plan->bz && plan->bz->hdr.initrd_addr_max != 0 &&
	    (uint64_t)plan->bz->hdr.initrd_addr_max + 1 < limit) {
		limit = (uint64_t)plan->bz->hdr.initrd_addr_max + 1;
		limit_name = "initrd_addr_max";
	}
	uint64_t floor = plan->kernel_end > LAYOUT_HIGH_RAM ? plan->kernel_end : LAYOUT_HIGH_RAM;
	if (size > limit || ((limit - size) & ~(PAGE_SIZE - 1)) < floor)
		return boot_fail(err,
				 "initrd (%s) does not fit in guest RAM between the kernel's end "
				 "(0x%llx) and 0x%llx (%s)",
				 boot_format_size(a, sizeof(a), size), (unsigned long long)floor,
				 (unsigned long long)limit, limit_name);
	plan->initrd_addr = (limit - size) & ~(PAGE_SIZE - 1);
	plan->initrd_size = size;
	return 0;
}

static void load_kernel(const struct boot_plan *plan, const struct guest_memory *mem)
{
	if (!plan->load_elf) {
		const struct bzimage_info *bz = plan->bz;
		memcpy(guest_memory_ptr(mem, plan->kernel_start, bz->kernel_size), bz->kernel,
		       bz->kernel_size);
		return;
	}
	for (int i = 0; i < plan->elf->nsegments; i++) {
		const struct elf_segment *s = &plan->elf->segment[i];
		uint8_t *dst = guest_memory_ptr(mem, s->paddr, s->memsz);
		memcpy(dst, s->data, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
}

static int write_guest(const struct boot_request *req, const struct boot_plan *plan,
		       const struct guest_memory *mem, struct boot_error *err)
{
	load_kernel(plan, mem);
	if (plan->initrd_size)
		memcpy(guest_memory_ptr(mem, plan->initrd_addr, plan->initrd_size), req->initrd,
		       plan->initrd_size);
	size_t cmdline_len = strlen(req->cmdline) + 1;
	char *cmdline = guest_memory_ptr(mem, LAYOUT_CMDLINE, cmdline_len);
	if (!cmdline)
		return boot_fail(err, "guest RAM does not cover the command line area");
	memcpy(cmdline, req->cmdline, cmdline_len);

	struct boot_params_args bp = {
	    .bz = plan->bz,
	    .cmdline_addr = LAYOUT_CMDLINE,
	    .initrd_addr = plan->initrd_addr,
	    .initrd_size = plan->initrd_size,
	    .hardware_subarch = plan->subarch,
	    .rng_seed = req->rng_seed,
	    .rng_seed_size = req->rng_seed_size,
	};
	if (boot_params_build(&bp, mem, err) < 0)
		return -1;
	if (!plan->pvh)
		return 0;
	struct pvh_start_args pvh = {
	    .cmdline_addr = LAYOUT_CMDLINE,
	    .initrd_addr = plan->initrd_addr,
	    .initrd_size = plan->initrd_size,
	};
	return pvh_start_info_build(&pvh, mem, err);
}

static void fill_entry(const struct boot_plan *plan, struct boot_entry *entry)
{
	entry->hardware_subarch = plan->subarch;
	entry->rsp = LAYOUT_STACK_TOP;
	if (plan->pvh) {
		entry->mode = BOOT_CPU_PROTECTED32;
		entry->rip = plan->elf->pvh_entry;
		entry->rbx = LAYOUT_START_INFO;
		return;
	}
	entry->mode = BOOT_CPU_LONG64;
	entry->rsi = LAYOUT_BOOT_PARAMS;
	entry->rip =
	    plan->load_elf ? plan->elf->entry_paddr : plan->kernel_start + BZIMAGE_ENTRY64_OFFSET;
}

static int load(const struct boot_request *req, struct guest_memory *mem, struct boot_entry *entry,
		struct bzimage_info *bz, struct elf_image *elf, uint8_t **payload_buf,
		struct boot_error *err)
{
	char a[BOOT_SIZE_STR_LEN], b[BOOT_SIZE_STR_LEN];
	struct boot_plan plan = {0};
	enum payload_compression comp = PAYLOAD_UNKNOWN;
	size_t elf_size = 0;

	if (mem->size < LAYOUT_MIN_RAM)
		return boot_fail(err, "guest RAM (%s) is smaller than the %s pvkit needs",
				 boot_format_size(a, sizeof(a), mem->size),
				 boot_format_size(b, sizeof(b), LAYOUT_MIN_RAM));
	if (!req->kernel || req->kernel_size == 0)
		return boot_fail(err, "kernel image is empty");

	if (bzimage_detect(req->kernel, req->kernel_size)) {
		if (bzimage_parse(req->kernel, req->kernel_size, bz, err) < 0)
			return -1;
		plan.bz = bz;
		/* The payload's notes decide the entry and the default subarch. */
		bool need_notes = req->entry != BOOT_ENTRY_64 || !req->subarch_given;
		if (need_notes && bz->payload_size) {
			if (extract_payload_elf(bz, mem, elf, payload_buf, &comp, &elf_size, err) <
			    0)
				return -1;
			plan.elf = elf;
		}
	} else if (elf_detect(req->kernel, req->kernel_size)) {
		if (elf_parse(req->kernel, req->kernel_size, elf, err) < 0)
			return -1;
		plan.elf = elf;
		elf_size = req->kernel_size;
	} else {
		const uint8_t *k = req->kernel;
		size_t n = req->kernel_size;
		return boot_fail(err,
				 "not a bzImage (no \"HdrS\" at 0x202) nor an ELF (first bytes "
				 "%02x %02x %02x %02x)",
				 k[0], n > 1 ? k[1] : 0, n > 2 ? k[2] : 0, n > 3 ? k[3] : 0);
	}

	if (req->entry == BOOT_ENTRY_XEN)
		return xen_pv_load(req, plan.elf, mem, entry, err);
	if (choose_entry(req, &plan, entry, comp, elf_size, err) < 0)
		return -1;
	if (req->subarch_given)
		plan.subarch = req->hardware_subarch;
	else
		plan.subarch =
		    plan.elf && plan.elf->has_pvkit ? PVKIT_HARDWARE_SUBARCH : X86_SUBARCH_PC;

	if (check_cmdline(req, &plan, err) < 0 || place_kernel(&plan, mem, err) < 0 ||
	    place_initrd(req, &plan, mem, err) < 0)
		return -1;
	if (write_guest(req, &plan, mem, err) < 0)
		return -1;
	fill_entry(&plan, entry);
	return 0;
}

int boot_load(const struct boot_request *req, struct guest_memory *mem, struct boot_entry *entry,
	      struct boot_error *err)
{
	/* Large enough to keep off the stack of the VMM's threads and fuzzers. */
	struct bzimage_info *bz = calloc(1, sizeof(*bz));
	struct elf_image *elf = calloc(1, sizeof(*elf));
	uint8_t *payload_buf = NULL;
	int rc;

	memset(entry, 0, sizeof(*entry));
	err->msg[0] = '\0';
	if (!bz || !elf)
		rc = boot_fail(err, "out of memory");
	else
		rc = load(req, mem, entry, bz, elf, &payload_buf, err);
	if (rc < 0)
		memset(entry, 0, sizeof(*entry)); /* a failed load names no path */
	free(payload_buf);
	free(elf);
	free(bz);
	return rc;
}
