// SPDX-License-Identifier: MIT
/*
 * The Xen PV domain builder (boot/xen_pv.c): the notes and their lies, and
 * the start-of-day layout read back the way the guest sees it, through the
 * page tables the builder wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <xen/elfnote.h>
#include <xen/xen.h>

#include "abi/pvkit_abi.h"
#include "boot/elf.h"
#include "boot/image.h"
#include "boot/layout.h"
#include "boot/loader.h"
#include "boot/xen_pv.h"
#include "tests/unit/test_boot_images.h"

#define MEM_SIZE    (64ull << 20)
#define NR_PAGES    ((MEM_SIZE - XEN_PV_HV_SIZE) / 4096)
#define SHARED_INFO (MEM_SIZE - XEN_PV_HV_SIZE)
#define PTE_P	    1ull
#define PTE_RW	    2ull
#define PTE_U	    4ull
#define PTE_ADDR    0x000ffffffffff000ull

static const uint64_t linux_entry = 0xffffffff80200000ull;
static const uint64_t linux_virt_base = 0xffffffff80000000ull;
static const uint64_t zero = 0;
static const uint64_t hv_start_low = 0xffff800000000000ull;
static const uint64_t init_p2m = 0x8000000000ull;
static const char features[] = "!writable_page_tables|pae_pgdir_above_4gb";

struct guest {
	uint8_t *ram;
	struct guest_memory mem;
};

static struct guest guest_new(void)
{
	struct guest g = {.ram = calloc(1, MEM_SIZE)};
	assert_non_null(g.ram);
	guest_memory_init(&g.mem, g.ram, MEM_SIZE);
	return g;
}

/* A small Linux-like kernel with Linux's Xen notes. */
static struct elf_spec linux_spec(void)
{
	struct elf_spec s = elf_spec_default();
	s.nnotes = 0;
	s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_ENTRY, &linux_entry, 8};
	s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_VIRT_BASE, &linux_virt_base, 8};
	s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_PADDR_OFFSET, &zero, 8};
	s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_HV_START_LOW, &hv_start_low, 8};
	s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_INIT_P2M, &init_p2m, 8};
	s.note[s.nnotes++] =
	    (struct spec_note){"Xen", XEN_ELFNOTE_FEATURES, features, sizeof(features)};
	return s;
}

/* Translate a virtual address through the domain's tables: the gpa, or -1;
 * *flags gets the leaf entry. */
static uint64_t walk(const struct guest *g, uint64_t cr3, uint64_t va, uint64_t *flags)
{
	uint64_t table = cr3;
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t *t = guest_memory_ptr(&g->mem, table, 4096);
		assert_non_null(t);
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return (uint64_t)-1;
		assert_true(e & PTE_U); /* every level: the kernel runs in ring 3 */
		if (shift == 12) {
			*flags = e;
			return (e & PTE_ADDR) | (va & 0xfff);
		}
		table = e & PTE_ADDR;
	}
	return (uint64_t)-1;
}

static int build(struct guest *g, const struct img *im, const uint8_t *initrd, size_t initrd_size,
		 const char *cmdline, struct xen_pv_plan *plan, struct boot_error *err)
{
	static struct elf_image elf;
	if (elf_parse(im->data, im->size, &elf, err) < 0)
		return -1;
	struct xen_pv_request req = {
	    .elf = &elf,
	    .initrd = initrd,
	    .initrd_size = initrd_size,
	    .cmdline = cmdline,
	    .nr_pages = NR_PAGES,
	    .shared_info = SHARED_INFO,
	};
	return xen_pv_build(&req, &g->mem, plan, err);
}

static void test_linux_layout(void **state)
{
	(void)state;
	struct elf_spec s = linux_spec();
	struct img im = build_elf(&s);
	struct guest g = guest_new();
	struct xen_pv_plan p;
	struct boot_error err = {0};
	static const uint8_t initrd[5000] = {[0] = 0x1f, [4999] = 0x8b};
	assert_int_equal(build(&g, &im, initrd, sizeof(initrd), "console=hvc0", &p, &err), 0);

	assert_int_equal(p.entry, linux_entry);
	assert_int_equal(p.kernel_start, 0xffffffff80200000ull);
	assert_int_equal(p.kernel_end, 0xffffffff80302000ull);
	assert_int_equal(p.hypercall_page, 0);
	/* The order of xen.h: initrd, (p2m elsewhere), start_info, rings, tables, stack. */
	assert_int_equal(p.initrd, 0xffffffff80302000ull);
	assert_int_equal(p.start_info, p.initrd + 0x2000);
	assert_int_equal(p.store_pfn, (p.start_info - linux_virt_base) / 4096 + 1);
	assert_int_equal(p.console_pfn, p.store_pfn + 1);
	assert_int_equal(p.pt_base, p.start_info + 3 * 4096);
	assert_int_equal(p.stack_top, p.pt_base + (p.pt_frames + 1) * 4096);
	assert_int_equal(p.region_end % (4 << 20), 0);
	assert_true(p.region_end - p.stack_top >= (512 << 10));
	assert_int_equal(p.p2m, init_p2m);
	assert_int_equal(p.p2m_pfn, (p.region_end - linux_virt_base) / 4096);
	assert_int_equal(p.cr3, p.pt_pfn * 4096);

	uint64_t f;
	/* Segments at VIRT_BASE + paddr, writable. */
	assert_int_equal(walk(&g, p.cr3, 0xffffffff80200000ull, &f), 0x200000);
	assert_true(f & PTE_RW);
	assert_int_equal(g.ram[0x200000], 0xc3);
	assert_int_equal(g.ram[0x300800], 0); /* bss zeroed */
	/* The bootstrap tables are mapped, read-only. */
	assert_int_equal(walk(&g, p.cr3, p.pt_base, &f), p.cr3);
	assert_false(f & PTE_RW);
	/* The initrd where mod_start says. */
	uint64_t initrd_gpa = walk(&g, p.cr3, p.initrd, &f);
	assert_int_equal(g.ram[initrd_gpa], 0x1f);
	assert_int_equal(g.ram[walk(&g, p.cr3, p.initrd + 4999, &f)], 0x8b);
	/* The p2m at INIT_P2M: the identity. */
	uint64_t *p2m = guest_memory_ptr(&g.mem, walk(&g, p.cr3, init_p2m, &f), 4096);
	assert_int_equal(p2m[0], 0);
	assert_int_equal(p2m[511], 511);
	uint64_t last = init_p2m + (NR_PAGES - 1) * 8;
	assert_int_equal(*(uint64_t *)guest_memory_ptr(&g.mem, walk(&g, p.cr3, last, &f), 8),
			 NR_PAGES - 1);
	/* Nothing mapped in the hypervisor's hole. */
	assert_int_equal(walk(&g, p.cr3, 0xffff808000000000ull, &f), (uint64_t)-1);

	start_info_t *si = guest_memory_ptr(&g.mem, walk(&g, p.cr3, p.start_info, &f), 4096);
	assert_string_equal(si->magic, "xen-3.0-x86_64");
	assert_int_equal(si->nr_pages, NR_PAGES);
	assert_int_equal(si->shared_info, SHARED_INFO);
	assert_int_equal(si->flags, 0);
	assert_int_equal(si->store_mfn, p.store_pfn);
	assert_int_equal(si->store_evtchn, XEN_PV_STORE_EVTCHN);
	assert_int_equal(si->console.domU.mfn, p.console_pfn);
	assert_int_equal(si->console.domU.evtchn, XEN_PV_CONSOLE_EVTCHN);
	assert_int_equal(si->pt_base, p.pt_base);
	assert_int_equal(si->nr_pt_frames, p.pt_frames);
	assert_int_equal(si->mfn_list, init_p2m);
	assert_int_equal(si->mod_start, p.initrd);
	assert_int_equal(si->mod_len, sizeof(initrd));
	assert_string_equal((const char *)si->cmd_line, "console=hvc0");
	assert_int_equal(si->first_p2m_pfn, p.p2m_pfn);
	assert_int_equal(si->nr_p2m_frames, NR_PAGES * 8 / 4096);
	img_free(&im);
	free(g.ram);
}

/* XTF's notes: no VIRT_BASE (0), a hypercall page, the p2m in the region. */
static void test_xtf_layout_and_hypercall_page(void **state)
{
	(void)state;
	static const uint64_t hypercall_page = 0x200000;
	static const char version[] = "xen-3.0";
	struct elf_spec s = elf_spec_default();
	s.entry = 0x200010;
	s.seg[0].vaddr = 0x200000;
	s.seg[1].vaddr = 0x300000;
	s.nnotes = 0;
	s.note[s.nnotes++] =
	    (struct spec_note){"Xen", XEN_ELFNOTE_HYPERCALL_PAGE, &hypercall_page, 8};
	s.note[s.nnotes++] =
	    (struct spec_note){"Xen", XEN_ELFNOTE_XEN_VERSION, version, sizeof(version)};
	struct img im = build_elf(&s);
	struct guest g = guest_new();
	struct xen_pv_plan p;
	struct boot_error err = {0};
	assert_int_equal(build(&g, &im, NULL, 0, "", &p, &err), 0);
	assert_int_equal(p.entry, 0x200010);
	assert_int_equal(p.virt_base, 0);
	assert_int_equal(p.p2m, 0x302000);
	assert_int_equal(p.p2m_pfn, 0x302);
	assert_int_equal(p.start_info, 0x302000 + NR_PAGES * 8);
	assert_int_equal(p.initrd, 0);
	uint64_t f;
	assert_int_equal(walk(&g, p.cr3, 0x1000, &f), 0x1000); /* 1:1 from frame 0 */
	/* hypercall 17 (xen_version): push rcx; push r11; mov $17, %eax; syscall; ... */
	const uint8_t *hc = g.ram + 0x200000 + 17 * 32;
	static const uint8_t want[] = {0x51, 0x41, 0x53, 0xb8, 17,   0,	   0,
				       0,    0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3};
	assert_memory_equal(hc, want, sizeof(want));
	/* iret keeps RAX on the stack and never returns. */
	const uint8_t *iret = g.ram + 0x200000 + __HYPERVISOR_iret * 32;
	static const uint8_t want_iret[] = {0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05};
	assert_memory_equal(iret, want_iret, sizeof(want_iret));
	img_free(&im);
	free(g.ram);
}

static void expect_build_error(struct elf_spec *s, const char *msg)
{
	struct img im = build_elf(s);
	struct guest g = guest_new();
	struct xen_pv_plan p;
	struct boot_error err = {0};
	int rc = build(&g, &im, NULL, 0, "", &p, &err);
	if (rc == 0) {
		free(g.ram);
		fail_msg("built, but expected: %s", msg);
	}
	assert_string_equal(err.msg, msg);
	/* Nothing written. */
	for (uint64_t i = 0; i < MEM_SIZE; i += 4096)
		assert_int_equal(g.ram[i], 0);
	img_free(&im);
	free(g.ram);
}

/* One note of Linux's set replaced by a lie, and the sentence that refuses it. */
static const struct lie {
	int note; /* index in linux_spec() */
	uint64_t value;
	const char *msg;
} lies[] = {
    {0, 0xffffffff90000000ull,
     "Xen entry 0xffffffff90000000 is outside the segments (0xffffffff80200000-"
     "0xffffffff80302000)"},
    {2, 0x400000,
     "Xen PADDR_OFFSET 0x400000 is above the lowest segment (0x200000): the kernel would start "
     "below VIRT_BASE"},
    {1, 0xffffffffffe00000ull,
     "Xen VIRT_BASE 0xffffffffffe00000 puts the segments (3153920 bytes) beyond the canonical "
     "address space"},
    {4, 0xffffffff80300000ull,
     "Xen INIT_P2M 0xffffffff80300000 overlaps the segments (0xffffffff80200000-"
     "0xffffffff80302000)"},
    {4, 0xffffffff80380000ull,
     "Xen INIT_P2M 0xffffffff80380000 overlaps the bootstrap region (0xffffffff80000000-"
     "0xffffffff80400000)"},
    {3, 0xffffffff80000000ull,
     "Xen HV_START_LOW 0xffffffff80000000 leaves no room for the hypervisor at "
     "0xffff808000000000"},
};

static void test_lying_notes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		struct elf_spec s = linux_spec();
		s.note[lies[i].note].desc = &lies[i].value;
		expect_build_error(&s, lies[i].msg);
	}

	/* A kernel inside the hole, whose HV_START_LOW leaves it there. */
	struct elf_spec s = linux_spec();
	s.entry = s.seg[0].vaddr = 0xffff800000200000ull;
	s.seg[1].vaddr = 0xffff800000300000ull;
	static const uint64_t hole_base = 0xffff800000000000ull;
	static const uint64_t hole_entry = 0xffff800000200000ull;
	s.note[0].desc = &hole_entry;
	s.note[1].desc = &hole_base;
	expect_build_error(&s, "Xen HV_START_LOW 0xffff800000000000 is below the kernel "
			       "(0xffff800000200000-0xffff800000302000): the hypervisor's hole "
			       "would cover it");

	s = linux_spec();
	s.note[0].descsz = 2;
	expect_build_error(&s, "Xen ENTRY note has a 2-byte descriptor, not 4 or 8");

	s = elf_spec_default();
	expect_build_error(&s, "the ELF has no Xen PV notes (ENTRY, HYPERCALL_PAGE or "
			       "XEN_VERSION): not a Xen PV kernel");
}

static void test_too_little_memory(void **state)
{
	(void)state;
	struct elf_spec s = linux_spec();
	struct img im = build_elf(&s);
	struct guest g = guest_new();
	static struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im.data, im.size, &elf, &err), 0);
	struct xen_pv_request req = {
	    .elf = &elf, .cmdline = "", .nr_pages = 1024, .shared_info = SHARED_INFO};
	struct xen_pv_plan p;
	assert_int_equal(xen_pv_build(&req, &g.mem, &p, &err), -1);
	assert_string_equal(err.msg, "the Xen PV domain needs 1026 pages for its bootstrap region, "
				     "more than its 1024");
	char longline[1100];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	req.nr_pages = NR_PAGES;
	req.cmdline = longline;
	assert_int_equal(xen_pv_build(&req, &g.mem, &p, &err), -1);
	assert_string_equal(err.msg, "command line is 1099 bytes, longer than Xen's limit of 1023");
	img_free(&im);
	free(g.ram);
}

/* Through boot_load(), as `pvkit run --entry xen` does it. */
static void test_boot_load_entry_xen(void **state)
{
	(void)state;
	struct elf_spec s = linux_spec();
	struct img im = build_elf(&s);
	struct guest g = guest_new();
	struct boot_error err = {0};
	struct boot_image *img = boot_image_parse(im.data, im.size, g.mem.size, &err);
	assert_non_null(img);
	struct boot_request req = {
	    .image = img,
	    .cmdline = "quiet",
	    .entry = BOOT_ENTRY_XEN,
	};
	struct boot_entry e;
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), 0);
	assert_int_equal(e.mode, BOOT_CPU_XEN_PV);
	assert_int_equal(e.rip, linux_entry);
	assert_int_equal(e.rsi, e.xen.start_info);
	assert_int_equal(e.rsp, e.xen.stack_top);
	assert_int_equal(e.xen.shared_info, MEM_SIZE - XEN_PV_HV_SIZE);
	assert_int_equal(e.xen.nr_pages, (MEM_SIZE - XEN_PV_HV_SIZE) / 4096);
	assert_string_equal(e.path, "Xen PV entry of the ELF, a 60 MiB domain (as asked)");
	boot_image_free(img);
	img_free(&im);

	/* A kernel without the notes is refused, with the reason. */
	struct elf_spec plain = elf_spec_default();
	im = build_elf(&plain);
	img = boot_image_parse(im.data, im.size, g.mem.size, &err);
	assert_non_null(img);
	req.image = img;
	assert_int_equal(boot_load(&req, &g.mem, &e, &err), -1);
	assert_string_equal(err.msg, "the ELF has no Xen PV notes (ENTRY, HYPERCALL_PAGE or "
				     "XEN_VERSION): not a Xen PV kernel");
	boot_image_free(img);
	img_free(&im);
	free(g.ram);
}

/* --entry auto on a kernel with the Xen ENTRY note and a PVH note (Debian's
 * has both): the Xen PV entry where the host deprivileges, with console=hvc0
 * when no command line is given; PVH elsewhere, saying why; --entry pvh is
 * PVH whatever the host; a pvkit kernel keeps its own paths. */
static const uint32_t pvh_entry = 0x200000;
static const uint32_t pvkit_abi = PVKIT_ABI_VERSION;

static struct boot_entry load_auto(struct guest *g, struct elf_spec *s, struct boot_request req)
{
	struct img im = build_elf(s);
	struct boot_error err = {0};
	struct boot_image *img = boot_image_parse(im.data, im.size, g->mem.size, &err);
	assert_non_null(img);
	req.image = img;
	struct boot_entry e;
	if (boot_load(&req, &g->mem, &e, &err) < 0)
		fail_msg("boot_load: %s", err.msg);
	boot_image_free(img);
	img_free(&im);
	return e;
}

static void test_boot_load_auto_xen(void **state)
{
	(void)state;
	struct guest g = guest_new();
	struct elf_spec s = linux_spec();
	s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry, 4};
	uint64_t f;

	struct boot_entry e =
	    load_auto(&g, &s, (struct boot_request){.entry = BOOT_ENTRY_AUTO, .deprivilege = true});
	assert_int_equal(e.mode, BOOT_CPU_XEN_PV);
	assert_string_equal(e.path, "Xen PV entry of the ELF, a 60 MiB domain (ring 0 is emulated "
				    "here and the kernel has the Xen ENTRY note)");
	start_info_t *si =
	    guest_memory_ptr(&g.mem, walk(&g, e.xen.cr3, e.xen.start_info, &f), 4096);
	assert_string_equal((const char *)si->cmd_line, BOOT_CMDLINE_XEN_PV);

	e = load_auto(
	    &g, &s,
	    (struct boot_request){.entry = BOOT_ENTRY_AUTO, .why_ring0 = "--pv-mode ring0"});
	assert_int_equal(e.mode, BOOT_CPU_PROTECTED32);
	assert_string_equal(
	    e.path, "PVH entry of the ELF (Xen PHYS32_ENTRY note; not Xen PV: --pv-mode ring0)");
	assert_string_equal(guest_memory_ptr(&g.mem, LAYOUT_CMDLINE, 1), BOOT_CMDLINE_DEFAULT);

	e = load_auto(&g, &s,
		      (struct boot_request){
			  .entry = BOOT_ENTRY_PVH, .deprivilege = true, .cmdline = "quiet"});
	assert_int_equal(e.mode, BOOT_CPU_PROTECTED32);
	assert_string_equal(e.path, "PVH entry of the ELF (as asked)");
	assert_string_equal(guest_memory_ptr(&g.mem, LAYOUT_CMDLINE, 1), "quiet");

	/* --entry xen with no command line: hvc0 too. */
	e = load_auto(&g, &s, (struct boot_request){.entry = BOOT_ENTRY_XEN});
	si = guest_memory_ptr(&g.mem, walk(&g, e.xen.cr3, e.xen.start_info, &f), 4096);
	assert_string_equal((const char *)si->cmd_line, BOOT_CMDLINE_XEN_PV);

	/* A pvkit kernel that also carries a Xen ENTRY note keeps its 64-bit entry. */
	s.note[s.nnotes++] =
	    (struct spec_note){PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_ABI, &pvkit_abi, 4};
	e = load_auto(&g, &s, (struct boot_request){.entry = BOOT_ENTRY_AUTO, .deprivilege = true});
	assert_int_equal(e.mode, BOOT_CPU_LONG64);
	assert_string_equal(e.path, "64-bit entry of the ELF (the ELF carries the pvkit note)");
	free(g.ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_linux_layout),
	    cmocka_unit_test(test_xtf_layout_and_hypercall_page),
	    cmocka_unit_test(test_lying_notes),
	    cmocka_unit_test(test_too_little_memory),
	    cmocka_unit_test(test_boot_load_entry_xen),
	    cmocka_unit_test(test_boot_load_auto_xen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
