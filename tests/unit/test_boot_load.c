// SPDX-License-Identifier: MIT
/*
 * boot_load() end to end, into a guest memory that is just an mmap: where
 * the kernel, initrd and command line land, what boot_params and start_info
 * say, which entry AUTO picks, and the exact message for each misfit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "boot/loader.h"
#include "boot/pvh_start.h"
#include "tests/unit/test_boot_images.h"

#define MiB (1ull << 20)

static const uint32_t pvh_entry = 0x200040;
static const uint32_t pvkit_abi = PVKIT_ABI_VERSION;
static const uint8_t seed[32] = {1,  2,	 3,  4,	 5,  6,	 7,  8,	 9,  10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

struct guest {
	struct guest_memory mem;
	uint8_t *host;
	uint64_t size;
};

static struct guest guest_new(uint64_t size)
{
	struct guest g = {.size = size};
	g.host = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(g.host != MAP_FAILED);
	guest_memory_init(&g.mem, g.host, size);
	return g;
}

static void guest_free(struct guest *g)
{
	munmap(g->host, g->size);
}

static void *gpa(struct guest *g, uint64_t addr, uint64_t len)
{
	void *p = guest_memory_ptr(&g->mem, addr, len);
	assert_non_null(p);
	return p;
}

static struct boot_params *zero_page(struct guest *g)
{
	return gpa(g, LAYOUT_BOOT_PARAMS, sizeof(struct boot_params));
}

/* The small two-segment kernel, with the notes asked for. */
static struct img kernel_elf(bool pvh, bool pvkit)
{
	struct elf_spec s = elf_spec_default();
	if (pvh)
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry, 4};
	if (pvkit)
		s.note[s.nnotes++] = (struct spec_note){"pvkit", PVKIT_ELFNOTE_ABI, &pvkit_abi, 4};
	return build_elf(&s);
}

/* A bzImage whose payload is that kernel, compressed by `compress`. */
static struct img kernel_bzimage(bool pvh, bool pvkit,
				 struct img (*compress)(const uint8_t *, size_t))
{
	struct img elf = kernel_elf(pvh, pvkit);
	struct img z = compress(elf.data, elf.size);
	struct img bz = build_bzimage(z.data, z.size);
	img_free(&z);
	img_free(&elf);
	return bz;
}

static struct boot_request request(const struct img *kernel, enum boot_entry_choice entry)
{
	return (struct boot_request){.kernel = kernel->data,
				     .kernel_size = kernel->size,
				     .cmdline = "console=ttyS0 quiet",
				     .entry = entry,
				     .rng_seed = seed,
				     .rng_seed_size = sizeof(seed)};
}

static void expect_load_error(const struct boot_request *req, struct guest *g, const char *msg)
{
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(req, &g->mem, &e, &err), -1);
	assert_string_equal(err.msg, msg);
	assert_string_equal(e.path, "");
}

static void check_e820_small(const struct boot_params *bp, uint64_t ram)
{
	assert_int_equal(bp->e820_entries, 3);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].size, LAYOUT_LOW_RAM_END);
	assert_int_equal(bp->e820_table[0].type, E820_TYPE_RAM);
	assert_int_equal(bp->e820_table[1].addr, LAYOUT_LOW_RAM_END);
	assert_int_equal(bp->e820_table[1].size, 0x100000 - LAYOUT_LOW_RAM_END);
	assert_int_equal(bp->e820_table[1].type, E820_TYPE_RESERVED);
	assert_int_equal(bp->e820_table[2].addr, 0x100000);
	assert_int_equal(bp->e820_table[2].size, ram - 0x100000);
	assert_int_equal(bp->e820_table[2].type, E820_TYPE_RAM);
}

static void test_bzimage_64bit_entry(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(true, false, compress_gzip);
	uint8_t initrd[5000];
	memset(initrd, 0x5a, sizeof(initrd));
	struct boot_request req = request(&bz, BOOT_ENTRY_64);
	req.initrd = initrd;
	req.initrd_size = sizeof(initrd);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);

	assert_int_equal(e.mode, BOOT_CPU_LONG64);
	assert_int_equal(e.rip, 0x1000000 + 0x200);
	assert_int_equal(e.rsi, LAYOUT_BOOT_PARAMS);
	assert_int_equal(e.rsp, LAYOUT_STACK_TOP);
	assert_int_equal(e.hardware_subarch, X86_SUBARCH_PC);
	assert_string_equal(e.path, "64-bit entry of the bzImage (as asked)");

	/* The protected-mode part, byte for byte, at pref_address. */
	assert_memory_equal(gpa(&g, 0x1000000, bz.size - TEST_SETUP_SIZE),
			    bz.data + TEST_SETUP_SIZE, bz.size - TEST_SETUP_SIZE);

	struct boot_params *bp = zero_page(&g);
	assert_int_equal(bp->hdr.header, SETUP_HDRS_MAGIC);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.setup_sects, TEST_SETUP_SECTS);
	assert_int_equal(bp->hdr.syssize, bz_hdr(&bz)->syssize);
	assert_int_equal(bp->hdr.pref_address, 0x1000000);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	assert_int_equal(bp->hdr.heap_end_ptr, 0xfe00);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	assert_string_equal((char *)gpa(&g, LAYOUT_CMDLINE, 1), "console=ttyS0 quiet");
	assert_int_equal(bp->hdr.hardware_subarch, X86_SUBARCH_PC);

	/* initrd: page-aligned, at the top of RAM (below initrd_addr_max 0x7fffffff). */
	uint64_t initrd_at = (64 * MiB - sizeof(initrd)) & ~0xfffull;
	assert_int_equal(bp->hdr.ramdisk_image, initrd_at);
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_memory_equal(gpa(&g, initrd_at, sizeof(initrd)), initrd, sizeof(initrd));

	check_e820_small(bp, 64 * MiB);

	/* setup_data: one RNG seed entry. */
	assert_int_equal(bp->hdr.setup_data, LAYOUT_SETUP_DATA);
	struct setup_data *sd = gpa(&g, LAYOUT_SETUP_DATA, sizeof(*sd) + sizeof(seed));
	assert_int_equal(sd->next, 0);
	assert_int_equal(sd->type, SETUP_RNG_SEED);
	assert_int_equal(sd->len, sizeof(seed));
	assert_memory_equal(sd->data, seed, sizeof(seed));
	img_free(&bz);
	guest_free(&g);
}

static void check_start_info(struct guest *g, uint64_t initrd_at, uint64_t initrd_size)
{
	struct hvm_start_info *si = gpa(g, LAYOUT_START_INFO, sizeof(*si));
	assert_int_equal(si->magic, HVM_START_MAGIC_VALUE);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, LAYOUT_CMDLINE);
	assert_int_equal(si->nr_modules, initrd_size ? 1 : 0);
	if (initrd_size) {
		struct hvm_modlist_entry *m = gpa(g, si->modlist_paddr, sizeof(*m));
		assert_int_equal(m->paddr, initrd_at);
		assert_int_equal(m->size, initrd_size);
	}
	/* The same map as the e820 table. */
	struct boot_params *bp = zero_page(g);
	assert_int_equal(si->memmap_entries, bp->e820_entries);
	struct hvm_memmap_table_entry *mm =
	    gpa(g, si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		assert_int_equal(mm[i].addr, bp->e820_table[i].addr);
		assert_int_equal(mm[i].size, bp->e820_table[i].size);
		assert_int_equal(mm[i].type, bp->e820_table[i].type);
	}
}

static void test_bzimage_auto_takes_pvh_from_payload(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img elf = kernel_elf(true, false);
	struct img z = compress_lz4(elf.data, elf.size);
	struct img bz = build_bzimage(z.data, z.size);
	memset(gpa(&g, 0x300000, 0x2000), 0xaa, 0x2000); /* bss must come out zeroed */
	uint8_t initrd[8192];
	memset(initrd, 0x77, sizeof(initrd));
	struct boot_request req = request(&bz, BOOT_ENTRY_AUTO);
	req.initrd = initrd;
	req.initrd_size = sizeof(initrd);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);

	assert_int_equal(e.mode, BOOT_CPU_PROTECTED32);
	assert_int_equal(e.rip, pvh_entry);
	assert_int_equal(e.rbx, LAYOUT_START_INFO);
	char path[96];
	snprintf(path, sizeof(path), "PVH entry of the ELF in the bzImage payload (lz4, %.1f KiB)",
		 (double)elf.size / 1024);
	assert_string_equal(e.path, path);

	/* The ELF's segments at their physical addresses, bss zeroed. */
	uint8_t *text = gpa(&g, 0x200000, 0x1000), *data = gpa(&g, 0x300000, 0x2000);
	for (int i = 0; i < 0x1000; i++)
		assert_int_equal(text[i], 0xc3);
	for (int i = 0; i < 0x2000; i++)
		assert_int_equal(data[i], i < 0x800 ? 0xd5 : 0);
	check_start_info(&g, 64 * MiB - sizeof(initrd), sizeof(initrd));
	img_free(&bz);
	img_free(&z);
	img_free(&elf);
	guest_free(&g);
}

static void test_bzimage_auto_pvkit_note_uses_64bit(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(true, true, compress_zstd);
	struct boot_request req = request(&bz, BOOT_ENTRY_AUTO);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(e.mode, BOOT_CPU_LONG64);
	assert_int_equal(e.rip, 0x1000200);
	assert_int_equal(e.hardware_subarch, PVKIT_HARDWARE_SUBARCH);
	assert_int_equal(zero_page(&g)->hdr.hardware_subarch, PVKIT_HARDWARE_SUBARCH);
	assert_string_equal(e.path,
			    "64-bit entry of the bzImage (the payload ELF carries the pvkit note)");
	img_free(&bz);
	guest_free(&g);
}

static void test_bzimage_auto_without_pvh_uses_64bit(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(false, false, compress_xz);
	struct boot_request req = request(&bz, BOOT_ENTRY_AUTO);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(e.mode, BOOT_CPU_LONG64);
	assert_int_equal(e.hardware_subarch, X86_SUBARCH_PC);
	assert_string_equal(e.path,
			    "64-bit entry of the bzImage (the payload ELF has no PVH note)");
	img_free(&bz);
	guest_free(&g);
}

static void test_bzimage_pvh_without_note(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(false, false, compress_bzip2);
	struct boot_request req = request(&bz, BOOT_ENTRY_PVH);
	expect_load_error(
	    &req, &g, "the ELF in the bzImage payload has no PVH entry note (Xen PHYS32_ENTRY)");
	img_free(&bz);
	guest_free(&g);
}

static void test_bzimage_64_without_xlf(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(false, false, compress_lzo);
	bz_hdr(&bz)->xloadflags = 0;
	struct boot_request req = request(&bz, BOOT_ENTRY_64);
	expect_load_error(&req, &g,
			  "the bzImage has no 64-bit entry point (XLF_KERNEL_64 is clear)");
	img_free(&bz);
	guest_free(&g);
}

static void test_bzimage_too_small_for_64bit_entry(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(false, false, compress_gzip);
	bz.size = TEST_SETUP_SIZE + 0x100; /* a protected-mode part shorter than 0x200 */
	bz_hdr(&bz)->syssize = 0x10;
	bz_hdr(&bz)->payload_length = 0;
	struct boot_request req = request(&bz, BOOT_ENTRY_64);
	req.subarch_given = true;
	expect_load_error(
	    &req, &g,
	    "the protected-mode kernel (256 bytes) ends before its 64-bit entry at 0x200");
	img_free(&bz);
	guest_free(&g);
}

static void test_bzimage_bad_payload_elf(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct elf_spec s = elf_spec_default();
	s.seg[1].paddr = 0x200800;
	struct img elf = build_elf(&s);
	struct img z = compress_lzma(elf.data, elf.size);
	struct img bz = build_bzimage(z.data, z.size);
	struct boot_request req = request(&bz, BOOT_ENTRY_AUTO);
	expect_load_error(&req, &g, "ELF in the bzImage payload: ELF segment 1 overlaps segment 0");
	img_free(&bz);
	img_free(&z);
	img_free(&elf);
	guest_free(&g);
}

static void test_elf_64bit_entry(void **state)
{
	(void)state;
	struct guest g = guest_new(32 * MiB);
	struct img elf = kernel_elf(true, false);
	struct boot_request req = request(&elf, BOOT_ENTRY_64);
	req.subarch_given = true;
	req.hardware_subarch = X86_SUBARCH_XEN;
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(e.mode, BOOT_CPU_LONG64);
	assert_int_equal(e.rip, 0x200000); /* virtual 0xffffffff80200000, translated */
	assert_int_equal(e.rsi, LAYOUT_BOOT_PARAMS);
	assert_string_equal(e.path, "64-bit entry of the ELF (as asked)");
	struct boot_params *bp = zero_page(&g);
	/* No setup header in an ELF: pvkit writes the part the kernel reads. */
	assert_int_equal(bp->hdr.header, SETUP_HDRS_MAGIC);
	assert_int_equal(bp->hdr.boot_flag, SETUP_BOOT_FLAG);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.hardware_subarch, X86_SUBARCH_XEN);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	check_e820_small(bp, 32 * MiB);
	img_free(&elf);
	guest_free(&g);
}

static void test_elf_auto_pvh(void **state)
{
	(void)state;
	struct guest g = guest_new(32 * MiB);
	struct img elf = kernel_elf(true, false);
	struct boot_request req = request(&elf, BOOT_ENTRY_AUTO);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(e.mode, BOOT_CPU_PROTECTED32);
	assert_int_equal(e.rip, pvh_entry);
	assert_string_equal(e.path, "PVH entry of the ELF (Xen PHYS32_ENTRY note)");
	check_start_info(&g, 0, 0);
	img_free(&elf);
	guest_free(&g);
}

static void test_elf_pvh_without_note(void **state)
{
	(void)state;
	struct guest g = guest_new(32 * MiB);
	struct img elf = kernel_elf(false, true);
	struct boot_request req = request(&elf, BOOT_ENTRY_PVH);
	expect_load_error(&req, &g, "the ELF has no PVH entry note (Xen PHYS32_ENTRY)");
	img_free(&elf);
	guest_free(&g);
}

static void test_large_guest_memory_map(void **state)
{
	(void)state;
	struct guest g = guest_new(5ull << 30);
	struct img elf = kernel_elf(true, false);
	struct boot_request req = request(&elf, BOOT_ENTRY_PVH);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	struct boot_params *bp = zero_page(&g);
	assert_int_equal(bp->e820_entries, 4);
	assert_int_equal(bp->e820_table[2].addr, 0x100000);
	assert_int_equal(bp->e820_table[2].size, (3ull << 30) - 0x100000); /* up to the MMIO hole */
	assert_int_equal(bp->e820_table[3].addr, 4ull << 30);
	assert_int_equal(bp->e820_table[3].size, 2ull << 30);
	assert_int_equal(bp->e820_table[3].type, E820_TYPE_RAM);
	check_start_info(&g, 0, 0);
	img_free(&elf);
	guest_free(&g);
}

static void test_initrd_larger_than_memory(void **state)
{
	(void)state;
	struct guest g = guest_new(256 * MiB);
	struct img elf = kernel_elf(true, false);
	uint64_t size = 300 * MiB;
	uint8_t *initrd =
	    mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(initrd != MAP_FAILED);
	struct boot_request req = request(&elf, BOOT_ENTRY_AUTO);
	req.initrd = initrd;
	req.initrd_size = size;
	expect_load_error(&req, &g, "initrd (300 MiB) does not fit in guest RAM (256 MiB)");
	munmap(initrd, size);
	img_free(&elf);
	guest_free(&g);
}

static void test_initrd_does_not_fit_beside_kernel(void **state)
{
	(void)state;
	struct guest g = guest_new(16 * MiB);
	struct img elf = kernel_elf(true, false);
	size_t size = 15 * MiB;
	uint8_t *initrd = calloc(1, size);
	struct boot_request req = request(&elf, BOOT_ENTRY_AUTO);
	req.initrd = initrd;
	req.initrd_size = size;
	expect_load_error(&req, &g,
			  "initrd (15 MiB) does not fit in guest RAM between the kernel's end "
			  "(0x302000) and 0x1000000 (the end of low RAM)");
	free(initrd);
	img_free(&elf);
	guest_free(&g);
}

static void test_initrd_below_initrd_addr_max(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(true, false, compress_gzip);
	bz_hdr(&bz)->initrd_addr_max = 0x1ffffff;
	uint8_t initrd[4096 * 3];
	memset(initrd, 1, sizeof(initrd));
	struct boot_request req = request(&bz, BOOT_ENTRY_64);
	req.initrd = initrd;
	req.initrd_size = sizeof(initrd);
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(zero_page(&g)->hdr.ramdisk_image, 0x2000000 - sizeof(initrd));
	img_free(&bz);
	guest_free(&g);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_cmdline_too_long(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(true, false, compress_gzip);
	char cmdline[2049];
	memset(cmdline, 'x', 2048);
	cmdline[2048] = '\0';
	struct boot_request req = request(&bz, BOOT_ENTRY_AUTO);
	req.cmdline = cmdline;
	expect_load_error(&req, &g,
			  "command line is 2048 bytes, longer than the kernel's limit of 2047");
	/* Nothing was written: a failed load leaves guest memory as it was. */
	assert_true(all_zero(g.host, 64 * MiB));
	cmdline[2047] = '\0';
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(strlen(gpa(&g, LAYOUT_CMDLINE, 2048)), 2047);
	img_free(&bz);
	guest_free(&g);
}

static void test_cmdline_limit_for_elf(void **state)
{
	(void)state;
	struct guest g = guest_new(32 * MiB);
	struct img elf = kernel_elf(true, false);
	char *cmdline = malloc(LAYOUT_CMDLINE_MAX + 1);
	memset(cmdline, 'y', LAYOUT_CMDLINE_MAX);
	cmdline[LAYOUT_CMDLINE_MAX] = '\0';
	struct boot_request req = request(&elf, BOOT_ENTRY_AUTO);
	req.cmdline = cmdline;
	expect_load_error(&req, &g,
			  "command line is 65536 bytes, longer than the kernel's limit of 65535");
	cmdline[LAYOUT_CMDLINE_MAX - 1] = '\0';
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	free(cmdline);
	img_free(&elf);
	guest_free(&g);
}

static void test_kernel_larger_than_memory(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct img bz = kernel_bzimage(false, false, compress_gzip);
	bz_hdr(&bz)->init_size = 100 * MiB;
	struct boot_request req = request(&bz, BOOT_ENTRY_64);
	expect_load_error(&req, &g,
			  "kernel needs 100 MiB at 0x1000000 (init_size), more than guest RAM (64 "
			  "MiB) holds there");
	img_free(&bz);
	guest_free(&g);
}

static void test_elf_segment_outside_memory(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct elf_spec s = elf_spec_default();
	s.nseg = 3;
	s.seg[2] = s.seg[0];
	s.seg[2].paddr = 0x5000000;
	s.seg[2].vaddr = 0xffffffff85000000ull;
	struct img elf = build_elf(&s);
	struct boot_request req = request(&elf, BOOT_ENTRY_64);
	expect_load_error(&req, &g,
			  "ELF segment 2 (0x5000000-0x5001000) is outside guest RAM (64 MiB)");
	img_free(&elf);
	guest_free(&g);
}

static void test_elf_segment_below_1mib(void **state)
{
	(void)state;
	struct guest g = guest_new(64 * MiB);
	struct elf_spec s = elf_spec_default();
	s.seg[1].paddr = 0x8000; /* would overwrite start_info */
	struct img elf = build_elf(&s);
	struct boot_request req = request(&elf, BOOT_ENTRY_64);
	expect_load_error(
	    &req, &g, "ELF segment 1 at 0x8000 is below 1 MiB, where pvkit keeps its boot data");
	img_free(&elf);
	guest_free(&g);
}

static void test_payload_bomb_bounded_by_guest_ram(void **state)
{
	(void)state;
	struct guest g = guest_new(32 * MiB);
	size_t n = 64 * MiB;
	uint8_t *zeros = calloc(1, n);
	memcpy(zeros, ELFMAG, SELFMAG);
	struct img z = compress_zstd(zeros, n);
	struct img bz = build_bzimage(z.data, z.size);
	struct boot_request req = request(&bz, BOOT_ENTRY_AUTO);
	expect_load_error(&req, &g, "payload decompresses to more than 32 MiB (the guest RAM)");
	free(zeros);
	img_free(&z);
	img_free(&bz);
	guest_free(&g);
}

static void test_not_an_image(void **state)
{
	(void)state;
	struct guest g = guest_new(16 * MiB);
	struct img junk = {0};
	img_append(&junk, "ABCDEFGH", 8);
	img_pad_to(&junk, 4096);
	struct boot_request req = request(&junk, BOOT_ENTRY_AUTO);
	expect_load_error(
	    &req, &g, "not a bzImage (no \"HdrS\" at 0x202) nor an ELF (first bytes 41 42 43 44)");
	img_free(&junk);
	guest_free(&g);
}

static void test_guest_too_small(void **state)
{
	(void)state;
	struct guest g = guest_new(8 * MiB);
	struct img elf = kernel_elf(true, false);
	struct boot_request req = request(&elf, BOOT_ENTRY_AUTO);
	expect_load_error(&req, &g, "guest RAM (8 MiB) is smaller than the 16 MiB pvkit needs");
	img_free(&elf);
	guest_free(&g);
}

static void test_no_seed_no_setup_data(void **state)
{
	(void)state;
	struct guest g = guest_new(32 * MiB);
	struct img elf = kernel_elf(false, true);
	struct boot_request req = request(&elf, BOOT_ENTRY_AUTO);
	req.rng_seed = NULL;
	req.rng_seed_size = 0;
	struct boot_entry e;
	struct boot_error err = {{0}};
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(zero_page(&g)->hdr.setup_data, 0);
	assert_int_equal(e.hardware_subarch, PVKIT_HARDWARE_SUBARCH);
	assert_string_equal(e.path, "64-bit entry of the ELF (the ELF carries the pvkit note)");
	img_free(&elf);
	guest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bzimage_64bit_entry),
	    cmocka_unit_test(test_bzimage_auto_takes_pvh_from_payload),
	    cmocka_unit_test(test_bzimage_auto_pvkit_note_uses_64bit),
	    cmocka_unit_test(test_bzimage_auto_without_pvh_uses_64bit),
	    cmocka_unit_test(test_bzimage_pvh_without_note),
	    cmocka_unit_test(test_bzimage_64_without_xlf),
	    cmocka_unit_test(test_bzimage_too_small_for_64bit_entry),
	    cmocka_unit_test(test_bzimage_bad_payload_elf),
	    cmocka_unit_test(test_elf_64bit_entry),
	    cmocka_unit_test(test_elf_auto_pvh),
	    cmocka_unit_test(test_elf_pvh_without_note),
	    cmocka_unit_test(test_large_guest_memory_map),
	    cmocka_unit_test(test_initrd_larger_than_memory),
	    cmocka_unit_test(test_initrd_does_not_fit_beside_kernel),
	    cmocka_unit_test(test_initrd_below_initrd_addr_max),
	    cmocka_unit_test(test_cmdline_too_long),
	    cmocka_unit_test(test_cmdline_limit_for_elf),
	    cmocka_unit_test(test_kernel_larger_than_memory),
	    cmocka_unit_test(test_elf_segment_outside_memory),
	    cmocka_unit_test(test_elf_segment_below_1mib),
	    cmocka_unit_test(test_payload_bomb_bounded_by_guest_ram),
	    cmocka_unit_test(test_not_an_image),
	    cmocka_unit_test(test_guest_too_small),
	    cmocka_unit_test(test_no_seed_no_setup_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
