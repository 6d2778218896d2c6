// SPDX-License-Identifier: MIT
/*
 * boot_image_parse() + boot_load() end to end, into a guest memory that is
 * just an mmap, as one table: each case names the image to build, the
 * request, and what must come out (the entry, the path, or the exact error
 * and the input it blames).  What holds for every load is checked for every
 * case (run_case()): the registers of the entry mode, boot_params, the
 * command line, the initrd, the setup_data chain, start_info for PVH; a
 * failed load leaves guest memory as it was.  What only one case shows is
 * in that case's `check`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/image.h"
#include "boot/layout.h"
#include "boot/loader.h"
#include "boot/pvh_start.h"
#include "tests/unit/test_boot_images.h"

#define MiB (1ull << 20)

static const uint32_t pvh_entry = 0x200040;
static const uint32_t pvkit_abi = PVKIT_ABI_VERSION;
/* Inside the default ELF's text and data segments (test_boot_images.h). */
static const uint64_t pvm_note[2] = {0x200100, 0x301000};
static const uint8_t seed[32] = {1,  2,	 3,  4,	 5,  6,	 7,  8,	 9,  10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
/* What a host offers in pvm mode: the loader copies it whole, and starts at its trampoline. */
static const struct pvkit_pvm_info pvm_offer = {
    .version = PVKIT_PVM_INFO_VERSION, .trampoline = 0x9e800, .features = 0xf, .user_cs = 0x33};

/* ---- the images ---------------------------------------------------------- */

enum { NOTE_PVH = 1, NOTE_PVKIT = 2, NOTE_PVM = 4 };
enum image_kind { IMAGE_ELF, IMAGE_BZIMAGE, IMAGE_JUNK, IMAGE_BOMB };

struct image_spec {
	enum image_kind kind;
	unsigned notes; /* NOTE_*, in the ELF (the bzImage's payload) */
	struct img (*compress)(const uint8_t *, size_t); /* the bzImage's payload */
	void (*edit_elf)(struct elf_spec *s);		 /* before the ELF is built */
	void (*edit)(struct img *im);			 /* after the image is built */
};

static struct img build_kernel_elf(const struct image_spec *spec)
{
	struct elf_spec s = elf_spec_default();
	if (spec->notes & NOTE_PVH)
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry, 4};
	if (spec->notes & NOTE_PVKIT)
		s.note[s.nnotes++] =
		    (struct spec_note){PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_ABI, &pvkit_abi, 4};
	if (spec->notes & NOTE_PVM)
		s.note[s.nnotes++] =
		    (struct spec_note){PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_PVM, pvm_note, 16};
	if (spec->edit_elf)
		spec->edit_elf(&s);
	return build_elf(&s);
}

/* The image, and the size of its ELF (the file, or the bzImage's payload). */
static struct img build_image(const struct image_spec *spec, size_t *elf_size)
{
	struct img im = {0};
	*elf_size = 0;
	if (spec->kind == IMAGE_ELF) {
		im = build_kernel_elf(spec);
		*elf_size = im.size;
	} else if (spec->kind == IMAGE_BZIMAGE) {
		struct img elf = build_kernel_elf(spec);
		struct img z = spec->compress(elf.data, elf.size);
		im = build_bzimage(z.data, z.size);
		*elf_size = elf.size;
		img_free(&z);
		img_free(&elf);
	} else if (spec->kind == IMAGE_JUNK) {
		img_append(&im, "ABCDEFGH", 8);
		img_pad_to(&im, 4096);
	} else { /* a payload that inflates to 64 MiB */
		size_t n = 64 * MiB;
		uint8_t *zeros = calloc(1, n);
		memcpy(zeros, ELFMAG, SELFMAG);
		struct img z = compress_zstd(zeros, n);
		im = build_bzimage(z.data, z.size);
		img_free(&z);
		free(zeros);
	}
	if (spec->edit)
		spec->edit(&im);
	return im;
}

static void clear_xloadflags(struct img *im)
{
	bz_hdr(im)->xloadflags = 0;
}

/* A protected-mode part shorter than 0x200, and no payload. */
static void cut_before_entry64(struct img *im)
{
	im->size = TEST_SETUP_SIZE + 0x100;
	bz_hdr(im)->syssize = 0x10;
	bz_hdr(im)->payload_length = 0;
}

static void drop_payload(struct img *im)
{
	bz_hdr(im)->payload_length = 0;
}

static void lower_initrd_addr_max(struct img *im)
{
	bz_hdr(im)->initrd_addr_max = 0x1ffffff;
}

static void huge_init_size(struct img *im)
{
	bz_hdr(im)->init_size = 100 * MiB;
}

static void overlapping_segments(struct elf_spec *s)
{
	s->seg[1].paddr = 0x200800;
}

static void segment_past_ram(struct elf_spec *s)
{
	s->nseg = 3;
	s->seg[2] = s->seg[0];
	s->seg[2].paddr = 0x5000000;
	s->seg[2].vaddr = 0xffffffff85000000ull;
}

static void segment_below_1mib(struct elf_spec *s)
{
	s->seg[1].paddr = 0x8000; /* would overwrite start_info */
}

/* ---- the table ----------------------------------------------------------- */

enum pvm_request { PVM_NONE, PVM_OFFERED, PVM_REQUIRED };

struct load_run;

struct load_case {
	const char *name;
	struct image_spec image;
	uint64_t ram; /* 0: 64 MiB */
	enum boot_entry_choice entry;
	uint64_t initrd_size;
	uint8_t initrd_fill;
	size_t cmdline_len; /* 0: "console=ttyS0 quiet"; else this many cmdline_fill bytes */
	char cmdline_fill;
	bool subarch_given;
	uint32_t subarch;
	bool no_seed;
	enum pvm_request pvm;
	/* Expected.  error != NULL: the parse or the load fails with it. */
	const char *error;
	enum boot_input error_input;
	enum boot_cpu_mode mode;
	uint64_t rip;
	uint32_t hardware_subarch;
	const char *path; /* "%.1f" stands for the ELF's size in KiB */
	void (*check)(struct load_run *r);
};

struct load_run {
	const struct load_case *c;
	struct guest_memory mem;
	uint8_t *ram;
	uint64_t ram_size;
	struct img kernel;
	size_t elf_size;
	uint8_t *initrd;
	char *cmdline;
	struct boot_image *img;
	struct boot_request req;
	struct boot_entry entry;
};

static void *gpa(struct load_run *r, uint64_t addr, uint64_t len)
{
	void *p = guest_memory_ptr(&r->mem, addr, len);
	assert_non_null(p);
	return p;
}

static struct boot_params *zero_page(struct load_run *r)
{
	return gpa(r, LAYOUT_BOOT_PARAMS, sizeof(struct boot_params));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void check_start_info(struct load_run *r)
{
	struct boot_params *bp = zero_page(r);
	struct hvm_start_info *si = gpa(r, LAYOUT_START_INFO, sizeof(*si));
	assert_int_equal(si->magic, HVM_START_MAGIC_VALUE);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, LAYOUT_CMDLINE);
	assert_int_equal(si->nr_modules, r->c->initrd_size ? 1 : 0);
	if (r->c->initrd_size) {
		struct hvm_modlist_entry *m = gpa(r, si->modlist_paddr, sizeof(*m));
		assert_int_equal(m->paddr, bp->hdr.ramdisk_image);
		assert_int_equal(m->size, r->c->initrd_size);
	}
	/* The same map as the e820 table. */
	assert_int_equal(si->memmap_entries, bp->e820_entries);
	struct hvm_memmap_table_entry *mm =
	    gpa(r, si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		assert_int_equal(mm[i].addr, bp->e820_table[i].addr);
		assert_int_equal(mm[i].size, bp->e820_table[i].size);
		assert_int_equal(mm[i].type, bp->e820_table[i].type);
	}
}

/* The chain: the seed (when given), then pvm's entry (in pvm mode), nothing else. */
static void check_setup_data(struct load_run *r)
{
	uint64_t pa = zero_page(r)->hdr.setup_data;
	if (r->req.rng_seed) {
		assert_int_equal(pa, LAYOUT_SETUP_DATA);
		struct setup_data *sd = gpa(r, pa, sizeof(*sd) + sizeof(seed));
		assert_int_equal(sd->type, SETUP_RNG_SEED);
		assert_int_equal(sd->len, sizeof(seed));
		assert_memory_equal(sd->data, seed, sizeof(seed));
		pa = sd->next;
	}
	if (r->entry.mode == BOOT_CPU_PVM) {
		assert_int_not_equal(pa, 0);
		assert_int_equal(pa % 8, 0);
		assert_true(pa >= LAYOUT_SETUP_DATA && pa < LAYOUT_SETUP_DATA_END);
		struct setup_data *sd = gpa(r, pa, sizeof(*sd) + sizeof(pvm_offer));
		assert_int_equal(sd->type, PVKIT_SETUP_PVM);
		assert_int_equal(sd->len, sizeof(pvm_offer));
		assert_memory_equal(sd->data, &pvm_offer, sizeof(pvm_offer));
		pa = sd->next;
	}
	assert_int_equal(pa, 0);
}

/* What every successful load must give, whatever the case. */
static void check_loaded(struct load_run *r)
{
	const struct load_case *c = r->c;
	struct boot_entry *e = &r->entry;
	char path[160];
	assert_int_equal(e->mode, c->mode);
	assert_int_equal(e->rip, c->rip);
	assert_int_equal(e->rsp, LAYOUT_STACK_TOP);
	assert_int_equal(e->rbx, c->mode == BOOT_CPU_PROTECTED32 ? LAYOUT_START_INFO : 0);
	assert_int_equal(e->rsi, c->mode == BOOT_CPU_PROTECTED32 ? 0 : LAYOUT_BOOT_PARAMS);
	assert_int_equal(e->hardware_subarch, c->hardware_subarch);
	snprintf(path, sizeof(path), c->path, (double)r->elf_size / 1024);
	assert_string_equal(e->path, path);
	if (c->mode == BOOT_CPU_PVM) {
		assert_int_equal(e->pvm.syscall_entry, pvm_note[0]);
		assert_int_equal(e->pvm.idt, pvm_note[1]);
	} else {
		assert_int_equal(e->pvm.syscall_entry, 0);
	}

	struct boot_params *bp = zero_page(r);
	assert_int_equal(bp->hdr.header, SETUP_HDRS_MAGIC);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.hardware_subarch, c->hardware_subarch);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	assert_string_equal((char *)gpa(r, LAYOUT_CMDLINE, strlen(r->cmdline) + 1), r->cmdline);
	assert_int_equal(bp->hdr.ramdisk_size, c->initrd_size);
	if (c->initrd_size) {
		uint64_t at = bp->hdr.ramdisk_image;
		assert_int_equal(at % 4096, 0);
		assert_memory_equal(gpa(r, at, c->initrd_size), r->initrd, c->initrd_size);
	}
	check_setup_data(r);
	if (c->mode == BOOT_CPU_PROTECTED32)
		check_start_info(r);
	if (c->check)
		c->check(r);
}

static void run_case(const struct load_case *c)
{
	struct load_run r = {.c = c, .ram_size = c->ram ? c->ram : 64 * MiB};
	r.ram = mmap(NULL, r.ram_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(r.ram != MAP_FAILED);
	guest_memory_init(&r.mem, r.ram, r.ram_size);
	r.kernel = build_image(&c->image, &r.elf_size);
	if (c->initrd_size) {
		r.initrd = mmap(NULL, c->initrd_size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		assert_true(r.initrd != MAP_FAILED);
		if (c->initrd_fill)
			memset(r.initrd, c->initrd_fill, c->initrd_size);
	}
	if (c->cmdline_len) {
		r.cmdline = malloc(c->cmdline_len + 1);
		memset(r.cmdline, c->cmdline_fill, c->cmdline_len);
		r.cmdline[c->cmdline_len] = '\0';
	} else {
		r.cmdline = strdup("console=ttyS0 quiet");
	}
	/* Stale bytes where the default ELF's bss goes: a load must zero them. */
	if (!c->error)
		memset(gpa(&r, 0x300800, 0x1800), 0xaa, 0x1800);

	struct boot_error err = {0};
	r.img = boot_image_parse(r.kernel.data, r.kernel.size, r.ram_size, &err);
	int rc = -1;
	if (r.img) {
		r.req = (struct boot_request){
		    .image = r.img,
		    .initrd = r.initrd,
		    .initrd_size = c->initrd_size,
		    .cmdline = r.cmdline,
		    .entry = c->entry,
		    .hardware_subarch = c->subarch,
		    .subarch_given = c->subarch_given,
		    .rng_seed = c->no_seed ? NULL : seed,
		    .rng_seed_size = c->no_seed ? 0 : sizeof(seed),
		    .pvm = c->pvm != PVM_NONE ? &pvm_offer : NULL,
		    .pvm_required = c->pvm == PVM_REQUIRED,
		};
		rc = boot_load(&r.req, &r.mem, &r.entry, &err);
	}
	if (c->error) {
		assert_int_equal(rc, -1);
		assert_string_equal(err.msg, c->error);
		assert_int_equal(err.input, c->error_input);
		assert_string_equal(r.entry.path, "");
		/* Nothing was written: a failed load leaves guest memory as it was. */
		assert_true(all_zero(r.ram, r.ram_size));
	} else {
		if (rc != 0)
			fail_msg("%s: %s", c->name, err.msg);
		check_loaded(&r);
	}
	boot_image_free(r.img);
	free(r.cmdline);
	if (r.initrd)
		munmap(r.initrd, c->initrd_size);
	img_free(&r.kernel);
	munmap(r.ram, r.ram_size);
}

/* ---- what single cases show ---------------------------------------------- */

static void check_e820_small(struct load_run *r)
{
	struct boot_params *bp = zero_page(r);
	assert_int_equal(bp->e820_entries, 3);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].size, LAYOUT_LOW_RAM_END);
	assert_int_equal(bp->e820_table[0].type, E820_TYPE_RAM);
	assert_int_equal(bp->e820_table[1].addr, LAYOUT_LOW_RAM_END);
	assert_int_equal(bp->e820_table[1].size, 0x100000 - LAYOUT_LOW_RAM_END);
	assert_int_equal(bp->e820_table[1].type, E820_TYPE_RESERVED);
	assert_int_equal(bp->e820_table[2].addr, 0x100000);
	assert_int_equal(bp->e820_table[2].size, r->ram_size - 0x100000);
	assert_int_equal(bp->e820_table[2].type, E820_TYPE_RAM);
}

/* The bzImage's own header and protected-mode part, as boot.rst says. */
static void check_bzimage_64bit(struct load_run *r)
{
	/* The protected-mode part, byte for byte, at pref_address. */
	assert_memory_equal(gpa(r, 0x1000000, r->kernel.size - TEST_SETUP_SIZE),
			    r->kernel.data + TEST_SETUP_SIZE, r->kernel.size - TEST_SETUP_SIZE);
	struct boot_params *bp = zero_page(r);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.setup_sects, TEST_SETUP_SECTS);
	assert_int_equal(bp->hdr.syssize, bz_hdr(&r->kernel)->syssize);
	assert_int_equal(bp->hdr.pref_address, 0x1000000);
	assert_int_equal(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	assert_int_equal(bp->hdr.heap_end_ptr, 0xfe00);
	/* initrd: page-aligned, at the top of RAM (below initrd_addr_max 0x7fffffff). */
	assert_int_equal(bp->hdr.ramdisk_image, (64 * MiB - r->c->initrd_size) & ~0xfffull);
	assert_int_equal(bp->ext_ramdisk_image, 0);
	check_e820_small(r);
}

/* The ELF's segments at their physical addresses, bss zeroed over old contents. */
static void check_elf_segments(struct load_run *r)
{
	uint8_t *text = gpa(r, 0x200000, 0x1000), *data = gpa(r, 0x300000, 0x2000);
	for (int i = 0; i < 0x1000; i++)
		assert_int_equal(text[i], 0xc3);
	for (int i = 0; i < 0x2000; i++)
		assert_int_equal(data[i], i < 0x800 ? 0xd5 : 0);
}

static void check_initrd_at_top(struct load_run *r)
{
	assert_int_equal(zero_page(r)->hdr.ramdisk_image, 64 * MiB - r->c->initrd_size);
}

static void check_pvh_payload(struct load_run *r)
{
	check_elf_segments(r);
	check_initrd_at_top(r);
}

static void check_initrd_below_addr_max(struct load_run *r)
{
	assert_int_equal(zero_page(r)->hdr.ramdisk_image, 0x2000000 - r->c->initrd_size);
}

/* No setup header in an ELF: pvkit writes the part the kernel reads. */
static void check_elf_header(struct load_run *r)
{
	struct boot_params *bp = zero_page(r);
	assert_int_equal(bp->hdr.boot_flag, SETUP_BOOT_FLAG);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	check_e820_small(r);
}

static void check_large_memory_map(struct load_run *r)
{
	struct boot_params *bp = zero_page(r);
	assert_int_equal(bp->e820_entries, 4);
	assert_int_equal(bp->e820_table[2].addr, 0x100000);
	assert_int_equal(bp->e820_table[2].size, (3ull << 30) - 0x100000); /* up to the MMIO hole */
	assert_int_equal(bp->e820_table[3].addr, 4ull << 30);
	assert_int_equal(bp->e820_table[3].size, 2ull << 30);
	assert_int_equal(bp->e820_table[3].type, E820_TYPE_RAM);
}

/* pvm mode loads the payload's ELF, never the bzImage's own entry code. */
static void check_pvm_bzimage(struct load_run *r)
{
	check_elf_segments(r);
	assert_true(all_zero(gpa(r, 0x1000000, 0x1000), 0x1000));
}

#define ELF_ENTRY 0x200000 /* the default ELF's virtual entry, translated */
#define BZ_ENTRY  (0x1000000 + 0x200)

/* Within each group, a load that works sits next to one that fails for a related reason. */
static const struct load_case cases[] = {
    /* bzImage */
    {"bzImage, 64-bit entry as asked", .image = {IMAGE_BZIMAGE, NOTE_PVH, compress_gzip},
     .entry = BOOT_ENTRY_64, .initrd_size = 5000, .initrd_fill = 0x5a, .mode = BOOT_CPU_LONG64,
     .rip = BZ_ENTRY, .hardware_subarch = X86_SUBARCH_PC,
     .path = "64-bit entry of the bzImage (as asked)", .check = check_bzimage_64bit},
    {"bzImage, 64 asked, XLF_KERNEL_64 clear",
     .image = {IMAGE_BZIMAGE, 0, compress_lzo, .edit = clear_xloadflags}, .entry = BOOT_ENTRY_64,
     .error = "the bzImage has no 64-bit entry point (XLF_KERNEL_64 is clear)"},
    {"bzImage, AUTO takes the PVH entry of the payload ELF",
     .image = {IMAGE_BZIMAGE, NOTE_PVH, compress_lz4}, .initrd_size = 8192, .initrd_fill = 0x77,
     .mode = BOOT_CPU_PROTECTED32, .rip = 0x200040, .hardware_subarch = X86_SUBARCH_PC,
     .path = "PVH entry of the ELF in the bzImage payload (lz4, %.1f KiB)",
     .check = check_pvh_payload},
    {"bzImage, PVH asked, no PVH note", .image = {IMAGE_BZIMAGE, 0, compress_bzip2},
     .entry = BOOT_ENTRY_PVH,
     .error = "the ELF in the bzImage payload has no PVH entry note (Xen PHYS32_ENTRY)"},
    {"bzImage, AUTO: the pvkit note asks for the 64-bit entry",
     .image = {IMAGE_BZIMAGE, NOTE_PVH | NOTE_PVKIT, compress_zstd}, .mode = BOOT_CPU_LONG64,
     .rip = BZ_ENTRY, .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "64-bit entry of the bzImage (the payload ELF carries the pvkit note)"},
    {"bzImage, protected-mode part ends before the 64-bit entry",
     .image = {IMAGE_BZIMAGE, 0, compress_gzip, .edit = cut_before_entry64}, .entry = BOOT_ENTRY_64,
     .subarch_given = true,
     .error = "the protected-mode kernel (256 bytes) ends before its 64-bit entry at 0x200"},
    {"bzImage, AUTO without a PVH note", .image = {IMAGE_BZIMAGE, 0, compress_xz},
     .mode = BOOT_CPU_LONG64, .rip = BZ_ENTRY, .hardware_subarch = X86_SUBARCH_PC,
     .path = "64-bit entry of the bzImage (the payload ELF has no PVH note)"},
    {"bzImage, bad payload ELF",
     .image = {IMAGE_BZIMAGE, 0, compress_lzma, .edit_elf = overlapping_segments},
     .error = "ELF in the bzImage payload: ELF segment 1 overlaps segment 0"},
    {"bzImage without a payload: AUTO takes its 64-bit entry",
     .image = {IMAGE_BZIMAGE, 0, compress_gzip, .edit = drop_payload}, .mode = BOOT_CPU_LONG64,
     .rip = BZ_ENTRY, .hardware_subarch = X86_SUBARCH_PC,
     .path = "64-bit entry of the bzImage (the bzImage has no payload)"},
    {"bzImage without a payload: no PVH ELF to take",
     .image = {IMAGE_BZIMAGE, 0, compress_gzip, .edit = drop_payload}, .entry = BOOT_ENTRY_PVH,
     .error = "the bzImage has no payload to take a PVH ELF from"},
    {"bzImage, initrd below initrd_addr_max",
     .image = {IMAGE_BZIMAGE, NOTE_PVH, compress_gzip, .edit = lower_initrd_addr_max},
     .entry = BOOT_ENTRY_64, .initrd_size = 3 * 4096, .initrd_fill = 1, .mode = BOOT_CPU_LONG64,
     .rip = BZ_ENTRY, .hardware_subarch = X86_SUBARCH_PC,
     .path = "64-bit entry of the bzImage (as asked)", .check = check_initrd_below_addr_max},
    {"bzImage, init_size larger than RAM",
     .image = {IMAGE_BZIMAGE, 0, compress_gzip, .edit = huge_init_size}, .entry = BOOT_ENTRY_64,
     .error = "kernel needs 100 MiB at 0x1000000 (init_size), more than guest RAM (64 MiB) "
	      "holds there"},
    {"bzImage, command line as long as cmdline_size",
     .image = {IMAGE_BZIMAGE, NOTE_PVH, compress_gzip}, .cmdline_len = 2047, .cmdline_fill = 'x',
     .mode = BOOT_CPU_PROTECTED32, .rip = 0x200040, .hardware_subarch = X86_SUBARCH_PC,
     .path = "PVH entry of the ELF in the bzImage payload (gzip, %.1f KiB)"},
    {"bzImage, command line longer than cmdline_size",
     .image = {IMAGE_BZIMAGE, NOTE_PVH, compress_gzip}, .cmdline_len = 2048, .cmdline_fill = 'x',
     .error = "command line is 2048 bytes, longer than the kernel's limit of 2047",
     .error_input = BOOT_INPUT_CMDLINE},

    /* ELF */
    {"ELF, 64-bit entry with a given subarch", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 32 * MiB,
     .entry = BOOT_ENTRY_64, .subarch_given = true, .subarch = X86_SUBARCH_XEN,
     .mode = BOOT_CPU_LONG64, .rip = ELF_ENTRY, .hardware_subarch = X86_SUBARCH_XEN,
     .path = "64-bit entry of the ELF (as asked)", .check = check_elf_header},
    {"ELF, segment outside RAM", .image = {IMAGE_ELF, 0, .edit_elf = segment_past_ram},
     .entry = BOOT_ENTRY_64,
     .error = "ELF segment 2 (0x5000000-0x5001000) is outside guest RAM (64 MiB)"},
    {"ELF, AUTO takes the PVH entry", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 32 * MiB,
     .mode = BOOT_CPU_PROTECTED32, .rip = 0x200040, .hardware_subarch = X86_SUBARCH_PC,
     .path = "PVH entry of the ELF (Xen PHYS32_ENTRY note)", .check = check_elf_segments},
    {"ELF, PVH asked, no PVH note", .image = {IMAGE_ELF, NOTE_PVKIT}, .ram = 32 * MiB,
     .entry = BOOT_ENTRY_PVH, .error = "the ELF has no PVH entry note (Xen PHYS32_ENTRY)"},
    {"ELF, no seed: no setup_data", .image = {IMAGE_ELF, NOTE_PVKIT}, .ram = 32 * MiB,
     .no_seed = true, .mode = BOOT_CPU_LONG64, .rip = ELF_ENTRY,
     .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "64-bit entry of the ELF (the ELF carries the pvkit note)"},
    {"ELF, segment below 1 MiB", .image = {IMAGE_ELF, 0, .edit_elf = segment_below_1mib},
     .entry = BOOT_ENTRY_64,
     .error = "ELF segment 1 at 0x8000 is below 1 MiB, where pvkit keeps its boot data"},
    {"ELF, memory map of a guest above 4 GiB", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 5ull << 30,
     .entry = BOOT_ENTRY_PVH, .mode = BOOT_CPU_PROTECTED32, .rip = 0x200040,
     .hardware_subarch = X86_SUBARCH_PC, .path = "PVH entry of the ELF (as asked)",
     .check = check_large_memory_map},
    {"ELF, command line longer than 64 KiB", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 32 * MiB,
     .cmdline_len = LAYOUT_CMDLINE_MAX, .cmdline_fill = 'y',
     .error = "command line is 65536 bytes, longer than the kernel's limit of 65535",
     .error_input = BOOT_INPUT_CMDLINE},
    {"ELF, command line of 64 KiB with its NUL", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 32 * MiB,
     .cmdline_len = LAYOUT_CMDLINE_MAX - 1, .cmdline_fill = 'y', .mode = BOOT_CPU_PROTECTED32,
     .rip = 0x200040, .hardware_subarch = X86_SUBARCH_PC,
     .path = "PVH entry of the ELF (Xen PHYS32_ENTRY note)"},

    /* initrd */
    {"initrd at the top of RAM", .image = {IMAGE_ELF, NOTE_PVH}, .initrd_size = 4096 * 5,
     .initrd_fill = 0x42, .entry = BOOT_ENTRY_64, .mode = BOOT_CPU_LONG64, .rip = ELF_ENTRY,
     .hardware_subarch = X86_SUBARCH_PC, .path = "64-bit entry of the ELF (as asked)",
     .check = check_initrd_at_top},
    {"initrd larger than RAM", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 256 * MiB,
     .initrd_size = 300 * MiB, .error = "initrd (300 MiB) does not fit in guest RAM (256 MiB)",
     .error_input = BOOT_INPUT_INITRD},
    {"initrd does not fit beside the kernel", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 16 * MiB,
     .initrd_size = 15 * MiB,
     .error = "initrd (15 MiB) does not fit in guest RAM between the kernel's end (0x302000) "
	      "and 0x1000000 (the end of low RAM)",
     .error_input = BOOT_INPUT_INITRD},

    /* the rest */
    {"not an image", .image = {IMAGE_JUNK}, .ram = 16 * MiB,
     .error = "not a bzImage (no \"HdrS\" at 0x202) nor an ELF (first bytes 41 42 43 44)"},
    {"guest RAM below the minimum", .image = {IMAGE_ELF, NOTE_PVH}, .ram = 8 * MiB,
     .error = "guest RAM (8 MiB) is smaller than the 16 MiB pvkit needs"},
    {"bzImage, payload bomb bounded by guest RAM", .image = {IMAGE_BOMB}, .ram = 32 * MiB,
     .error = "payload decompresses to more than 32 MiB (the guest RAM)"},

    /* pvm mode */
    {"pvm: an ELF with the PVM note starts deprivileged",
     .image = {IMAGE_ELF, NOTE_PVKIT | NOTE_PVM}, .pvm = PVM_OFFERED, .mode = BOOT_CPU_PVM,
     .rip = 0x9e800, .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "pvm entry of the ELF, deprivileged (pvm mode)", .check = check_elf_segments},
    {"pvm: a bzImage's payload ELF is loaded, not the bzImage",
     .image = {IMAGE_BZIMAGE, NOTE_PVH | NOTE_PVKIT | NOTE_PVM, compress_gzip}, .initrd_size = 4096,
     .initrd_fill = 0x99, .no_seed = true, .pvm = PVM_OFFERED, .mode = BOOT_CPU_PVM, .rip = 0x9e800,
     .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "pvm entry of the ELF in the bzImage payload (gzip, %.1f KiB), deprivileged "
	     "(pvm mode)",
     .check = check_pvm_bzimage},
    {"pvm: a bzImage with an uncompressed payload (pvkernel's)",
     .image = {IMAGE_BZIMAGE, NOTE_PVH | NOTE_PVKIT | NOTE_PVM, compress_none}, .pvm = PVM_OFFERED,
     .mode = BOOT_CPU_PVM, .rip = 0x9e800, .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "pvm entry of the ELF in the bzImage payload (none, %.1f KiB), deprivileged "
	     "(pvm mode)",
     .check = check_pvm_bzimage},
    {"pvm: not offered, the note changes nothing", .image = {IMAGE_ELF, NOTE_PVKIT | NOTE_PVM},
     .mode = BOOT_CPU_LONG64, .rip = ELF_ENTRY, .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "64-bit entry of the ELF (the ELF carries the pvkit note)"},
    {"pvm: offered to a kernel without the note", .image = {IMAGE_ELF, NOTE_PVKIT},
     .pvm = PVM_OFFERED, .mode = BOOT_CPU_LONG64, .rip = ELF_ENTRY,
     .hardware_subarch = PVKIT_HARDWARE_SUBARCH,
     .path = "64-bit entry of the ELF (the ELF carries the pvkit note)"},
    {"pvm: required, no note", .image = {IMAGE_ELF, NOTE_PVKIT}, .pvm = PVM_REQUIRED,
     .error = "cannot start it deprivileged (pvm mode): the kernel has no pvkit PVM note"},
    {"pvm: offered, PVH entry asked", .image = {IMAGE_ELF, NOTE_PVH | NOTE_PVKIT | NOTE_PVM},
     .entry = BOOT_ENTRY_PVH, .pvm = PVM_OFFERED, .mode = BOOT_CPU_PROTECTED32, .rip = 0x200040,
     .hardware_subarch = PVKIT_HARDWARE_SUBARCH, .path = "PVH entry of the ELF (as asked)"},
    {"pvm: required, PVH entry asked", .image = {IMAGE_ELF, NOTE_PVH | NOTE_PVKIT | NOTE_PVM},
     .entry = BOOT_ENTRY_PVH, .pvm = PVM_REQUIRED,
     .error = "cannot start it deprivileged (pvm mode): the kernel is not started through "
	      "its 64-bit entry"},
    {"pvm: offered, the kernel told it runs on a PC", .image = {IMAGE_ELF, NOTE_PVKIT | NOTE_PVM},
     .subarch_given = true, .subarch = X86_SUBARCH_PC, .pvm = PVM_OFFERED, .mode = BOOT_CPU_LONG64,
     .rip = ELF_ENTRY, .hardware_subarch = X86_SUBARCH_PC,
     .path = "64-bit entry of the ELF (the ELF carries the pvkit note)"},
    {"pvm: required, bzImage without a payload",
     .image = {IMAGE_BZIMAGE, 0, compress_gzip, .edit = drop_payload}, .pvm = PVM_REQUIRED,
     .error = "cannot start it deprivileged (pvm mode): the kernel has no pvkit PVM note"},
    {"pvm: required, whatever the subarch", .image = {IMAGE_ELF, NOTE_PVKIT | NOTE_PVM},
     .subarch_given = true, .subarch = X86_SUBARCH_PC, .pvm = PVM_REQUIRED, .mode = BOOT_CPU_PVM,
     .rip = 0x9e800, .hardware_subarch = X86_SUBARCH_PC,
     .path = "pvm entry of the ELF, deprivileged (pvm mode)"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void test_case(void **state)
{
	run_case(*state);
}

int main(void)
{
	struct CMUnitTest tests[NCASES];
	for (size_t i = 0; i < NCASES; i++)
		tests[i] = (struct CMUnitTest){.name = cases[i].name,
					       .test_func = test_case,
					       .initial_state = (void *)&cases[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
