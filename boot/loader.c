// SPDX-License-Identifier: MIT
/*L:220 boot_load(): decide how to start the kernel, check that everything
 * fits, and only then write guest memory.  It never touches KVM, which is
 * what lets the unit tests and fuzzers run every path against a malloc'd
 * buffer.  The image comes parsed (boot/image.c), the payload's ELF
 * included.  The steps, in load() at the end of this file:
 *
 *   1. choose the entry (choose_entry()) and the hardware_subarch;
 *   2. where the host offers pvm mode, start a kernel that can run
 *      deprivileged that way instead (choose_pvm());
 *   3. place the kernel, the initrd and the command line, checking each;
 *   4. copy them in and write boot_params with its setup_data chain (and
 *      start_info for PVH);
 *   5. tell the VMM how to start the CPU (fill_entry()). :*/
#include <stdio.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "boot_params.h"
#include "layout.h"
#include "loader.h"
#include "pvh_start.h"
#include "xen_pv.h"

#define PAGE_SIZE 4096ull

/* Everything decided before guest memory is touched. */
struct boot_plan {
	const struct boot_image *img;
	const struct bzimage_info *bz; /* NULL for an ELF image */
	const struct elf_image *elf;   /* the ELF to load, or the payload's ELF for its notes */
	bool load_elf;		       /* load elf's segments (else the bzImage's kernel) */
	enum boot_cpu_mode mode;
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_addr, initrd_size;
	uint32_t subarch;
	const char *why; /* for the Xen PV path's boot line */
};

/* "the ELF" or "the ELF in the bzImage payload (lz4, 50.8 MiB)": what an ELF entry loads. */
static const char *elf_source(const struct boot_plan *plan, char *buf, size_t len)
{
	char sz[BOOT_SIZE_STR_LEN];
	if (!plan->bz)
		return "the ELF";
	snprintf(buf, len, "the ELF in the bzImage payload (%s, %s)",
		 payload_compression_name(plan->img->compression),
		 boot_format_size(sz, sizeof(sz), plan->img->elf_size));
	return buf;
}

/*L:230 Which door into the kernel.  Given no choice (--entry auto), pvkit
 * takes the fastest correct one: a kernel with the pvkit note, its 64-bit
 * entry with boot_params (pvkernel; pvm mode may still replace it in the
 * next step); where the host starts kernels deprivileged (ring 0 emulated),
 * a kernel with the Xen ENTRY note, its Xen PV entry under pvxen
 * (boot/xen_pv.c), which runs natively; a kernel whose ELF has a Xen PVH
 * note, that PVH entry, which for a bzImage means loading the ELF out of its
 * payload and skipping the kernel's own decompressor, slow where ring 0 is
 * emulated; anything else, the 64-bit entry.  The path, with the reason, is
 * what the "booting ... via" line shows. :*/
static bool is_xen_pv_kernel(const struct elf_image *elf)
{
	return elf && elf->has_xen_entry && !elf->has_pvkit;
}

/* Why --entry auto passed over the Xen PV entry of a Xen PV kernel, for the
 * boot line: "not Xen PV: ..." or "". */
static const char *why_not_xen(const struct boot_request *req, const struct elf_image *elf,
			       char *buf, size_t len)
{
	buf[0] = '\0';
	if (req->entry == BOOT_ENTRY_AUTO && is_xen_pv_kernel(elf) && req->why_ring0)
		snprintf(buf, len, "not Xen PV: %s", req->why_ring0);
	return buf;
}

static int choose_entry(const struct boot_request *req, struct boot_plan *plan,
			struct boot_entry *entry, struct boot_error *err)
{
	char src[96], not_xen[120];
	const struct elf_image *elf = plan->elf;
	const char *why = "as asked";

	if (req->entry == BOOT_ENTRY_XEN ||
	    (req->entry == BOOT_ENTRY_AUTO && req->deprivilege && is_xen_pv_kernel(elf))) {
		if (!elf)
			return boot_fail(err,
					 "the bzImage has no payload to take a Xen PV ELF from");
		if (req->entry == BOOT_ENTRY_AUTO)
			why = "ring 0 is emulated here and the kernel has the Xen ENTRY note";
		plan->mode = BOOT_CPU_XEN_PV;
		plan->load_elf = true;
		plan->why = why; /* the path names the domain's size too: load() */
		return 0;
	}
	plan->mode = BOOT_CPU_LONG64;
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
			plan->load_elf = true;
			plan->mode = BOOT_CPU_PROTECTED32;
			why_not_xen(req, elf, not_xen, sizeof(not_xen));
			snprintf(entry->path, sizeof(entry->path), "PVH entry of %s%s%s",
				 elf_source(plan, src, sizeof(src)), *not_xen ? "; " : "", not_xen);
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
		why_not_xen(req, elf, not_xen, sizeof(not_xen));
		snprintf(entry->path, sizeof(entry->path), "64-bit entry of the bzImage (%s%s%s)",
			 why, *not_xen ? "; " : "", not_xen);
		return 0;
	}

	plan->load_elf = true;
	if (req->entry == BOOT_ENTRY_PVH) {
		if (!elf->has_pvh)
			return boot_fail(err, "the ELF has no PVH entry note (Xen PHYS32_ENTRY)");
		plan->mode = BOOT_CPU_PROTECTED32;
	} else if (req->entry == BOOT_ENTRY_AUTO) {
		if (elf->has_pvkit)
			why = "the ELF carries the pvkit note";
		else if (elf->has_pvh)
			plan->mode = BOOT_CPU_PROTECTED32, why = "Xen PHYS32_ENTRY note";
		else
			why = "the ELF has no PVH note";
	}
	why_not_xen(req, elf, not_xen, sizeof(not_xen));
	snprintf(entry->path, sizeof(entry->path), "%s entry of the ELF (%s%s%s)",
		 plan->mode == BOOT_CPU_PROTECTED32 ? "PVH" : "64-bit", why, *not_xen ? "; " : "",
		 not_xen);
	return 0;
}

/*L:240 pvm mode takes the place of the 64-bit entry: the kernel's ELF is
 * loaded (the PVM note's addresses are in its segments) and entered through
 * the host's trampoline, never through the bzImage's own entry code.  Only
 * for a kernel told it runs under pvkit (its hardware_subarch), unless pvm
 * mode is required (--pv-mode pvm).  Here the bundled pvkernel, on a host
 * like this one, takes the deprivileged road that the story follows. :*/
static int choose_pvm(const struct boot_request *req, struct boot_plan *plan,
		      struct boot_entry *entry, struct boot_error *err)
{
	char src[96];
	const char *why_not = NULL;
	if (!req->pvm)
		return 0;
	if (!plan->elf || !plan->elf->has_pvm)
		why_not = "the kernel has no pvkit PVM note";
	else if (plan->mode != BOOT_CPU_LONG64)
		why_not = "the kernel is not started through its 64-bit entry";
	else if (plan->subarch != PVKIT_HARDWARE_SUBARCH && !req->pvm_required)
		return 0;
	if (why_not)
		return req->pvm_required
			   ? boot_fail(err, "cannot start it deprivileged (pvm mode): %s", why_not)
			   : 0;
	plan->mode = BOOT_CPU_PVM;
	plan->load_elf = true;
	snprintf(entry->path, sizeof(entry->path), "pvm entry of %s, deprivileged (pvm mode)",
		 elf_source(plan, src, sizeof(src)));
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
		return boot_fail_input(
		    err, BOOT_INPUT_CMDLINE,
		    "command line is %zu bytes, longer than the kernel's limit of %llu", len,
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
		return boot_fail_input(err, BOOT_INPUT_INITRD,
				       "initrd (%s) does not fit in guest RAM (%s)",
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
		return boot_fail_input(err, BOOT_INPUT_INITRD,
				       "initrd (%s) does not fit in guest RAM between the kernel's "
				       "end (0x%llx) and 0x%llx (%s)",
				       boot_format_size(a, sizeof(a), size),
				       (unsigned long long)floor, (unsigned long long)limit,
				       limit_name);
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

/*L:250 Only now is guest memory written, everything having been checked
 * above (check_cmdline(), place_kernel(), place_initrd()), so that a bad
 * input is one line with nothing started.  The kernel (its ELF segments, or
 * the bzImage's protected-mode part at its load address), the initrd at the
 * top of low RAM, the command line, boot_params, and for PVH hvm_start_info
 * (boot/pvh.c), each where boot/layout.h says.
 * Next: boot/boot_params.c. :*/
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
	    .pvm = plan->mode == BOOT_CPU_PVM ? req->pvm : NULL,
	};
	if (boot_params_build(&bp, mem, err) < 0)
		return -1;
	if (plan->mode != BOOT_CPU_PROTECTED32)
		return 0;
	struct pvh_start_args pvh = {
	    .cmdline_addr = LAYOUT_CMDLINE,
	    .initrd_addr = plan->initrd_addr,
	    .initrd_size = plan->initrd_size,
	};
	return pvh_start_info_build(&pvh, mem, err);
}

/*L:270 What the loader hands back: the CPU mode and the registers the
 * chosen entry's protocol defines.  64-bit: RIP at the entry, RSI =
 * boot_params.  PVH: 32-bit protected mode, EBX = hvm_start_info.  pvm: RIP
 * on the trampoline in the hypercall page, RSI = boot_params, and the PVM
 * note's syscall entry and IDT.  No vCPU exists yet: the L:300s build one.
 * Next: host/cmd_run.c. :*/
static void fill_entry(const struct boot_request *req, const struct boot_plan *plan,
		       struct boot_entry *entry)
{
	entry->mode = plan->mode;
	entry->hardware_subarch = plan->subarch;
	entry->rsp = LAYOUT_STACK_TOP;
	switch (plan->mode) {
	case BOOT_CPU_PROTECTED32:
		entry->rip = plan->elf->pvh_entry;
		entry->rbx = LAYOUT_START_INFO;
		break;
	case BOOT_CPU_PVM:
		entry->rip = req->pvm->trampoline;
		entry->rsi = LAYOUT_BOOT_PARAMS;
		entry->pvm = plan->elf->pvm;
		break;
	case BOOT_CPU_LONG64:
		entry->rsi = LAYOUT_BOOT_PARAMS;
		entry->rip = plan->load_elf ? plan->elf->entry_paddr
					    : plan->kernel_start + BZIMAGE_ENTRY64_OFFSET;
		break;
	case BOOT_CPU_XEN_PV:
		break; /* xen_pv_load() fills its own entry */
	}
}

static int load(const struct boot_request *req, struct guest_memory *mem, struct boot_entry *entry,
		struct boot_error *err)
{
	char a[BOOT_SIZE_STR_LEN], b[BOOT_SIZE_STR_LEN];
	const struct boot_image *img = req->image;
	struct boot_plan plan = {
	    .img = img,
	    .bz = img->format == BOOT_IMAGE_BZIMAGE ? &img->bz : NULL,
	    .elf = img->has_elf ? &img->elf : NULL,
	};

	if (mem->size < LAYOUT_MIN_RAM)
		return boot_fail(err, "guest RAM (%s) is smaller than the %s pvkit needs",
				 boot_format_size(a, sizeof(a), mem->size),
				 boot_format_size(b, sizeof(b), LAYOUT_MIN_RAM));
	if (choose_entry(req, &plan, entry, err) < 0)
		return -1;
	/* The default command line is the chosen entry's: where its console is. */
	struct boot_request with_cmdline = *req;
	if (!req->cmdline)
		with_cmdline.cmdline =
		    plan.mode == BOOT_CPU_XEN_PV ? BOOT_CMDLINE_XEN_PV : BOOT_CMDLINE_DEFAULT;
	req = &with_cmdline;
	if (plan.mode == BOOT_CPU_XEN_PV) {
		if (xen_pv_load(req, plan.elf, mem, entry, err) < 0)
			return -1;
		char src[96];
		snprintf(entry->path, sizeof(entry->path), "Xen PV entry of %s, a %s domain (%s)",
			 elf_source(&plan, src, sizeof(src)),
			 boot_format_size(a, sizeof(a), entry->xen.nr_pages * PAGE_SIZE), plan.why);
		return 0;
	}
	if (req->subarch_given)
		plan.subarch = req->hardware_subarch;
	else
		plan.subarch =
		    plan.elf && plan.elf->has_pvkit ? PVKIT_HARDWARE_SUBARCH : X86_SUBARCH_PC;
	if (choose_pvm(req, &plan, entry, err) < 0)
		return -1;

	if (check_cmdline(req, &plan, err) < 0 || place_kernel(&plan, mem, err) < 0 ||
	    place_initrd(req, &plan, mem, err) < 0)
		return -1;
	if (write_guest(req, &plan, mem, err) < 0)
		return -1;
	fill_entry(req, &plan, entry);
	return 0;
}

int boot_load(const struct boot_request *req, struct guest_memory *mem, struct boot_entry *entry,
	      struct boot_error *err)
{
	memset(entry, 0, sizeof(*entry));
	memset(err, 0, sizeof(*err));
	if (load(req, mem, entry, err) == 0)
		return 0;
	memset(entry, 0, sizeof(*entry)); /* a failed load names no path */
	return -1;
}
