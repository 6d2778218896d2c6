// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpora of the boot fuzzers (fuzz/corpus/<target>/) from
 * the same image builders the unit tests use.  Run by fuzz/corpus/generate.sh;
 * the generated files are committed, so fuzzing needs no generation step.
 */
#include <stdio.h>

#include "boot/layout.h"
#include "tests/unit/test_boot_images.h"

static const uint32_t pvh_entry = 0x200040;
static const uint32_t pvkit_abi = 0x00010000;
/* PVKIT_ELFNOTE_PVM: a syscall entry in the text, a 4 KiB IDT in data + bss. */
static const uint64_t pvm_note[2] = {0x200010, 0x300000};
static const char guest_os[] = "linux";

static void write_file(const char *dir, const char *name, const void *a, size_t an, const void *b,
		       size_t bn)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(a, 1, an, f) != an || (bn && fwrite(b, 1, bn, f) != bn) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static struct img seed_elf(int variant)
{
	struct elf_spec s = elf_spec_default();
	if (variant >= 1)
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_GUEST_OS, guest_os, sizeof(guest_os)};
	if (variant >= 1)
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry, 4};
	if (variant >= 2)
		s.note[s.nnotes++] = (struct spec_note){"pvkit", PVKIT_ELFNOTE_ABI, &pvkit_abi, 4};
	if (variant >= 3)
		s.note[s.nnotes++] = (struct spec_note){"pvkit", PVKIT_ELFNOTE_PVM, pvm_note, 16};
	/* Small files fuzz faster: shrink the segments. */
	s.seg[0].filesz = s.seg[0].memsz = 0x100;
	s.seg[1].filesz = 0x80;
	return build_elf(&s);
}

/* Xen PV kernels: Linux's notes (variant 0) and XTF's (variant 1). */
static struct img seed_xen_pv(int variant)
{
	static const uint64_t entry = 0xffffffff80200000ull, virt_base = 0xffffffff80000000ull;
	static const uint64_t zero = 0, hv_start = 0xffff800000000000ull, p2m = 0x8000000000ull;
	static const uint64_t hypercall_page = 0x200000;
	static const char version[] = "xen-3.0", features[] = "!writable_page_tables";
	struct elf_spec s = elf_spec_default();
	if (variant == 0) {
		s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_ENTRY, &entry, 8};
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_VIRT_BASE, &virt_base, 8};
		s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_PADDR_OFFSET, &zero, 8};
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_HV_START_LOW, &hv_start, 8};
		s.note[s.nnotes++] = (struct spec_note){"Xen", XEN_ELFNOTE_INIT_P2M, &p2m, 8};
	} else {
		s.entry = 0x200010;
		s.seg[0].vaddr = 0x200000;
		s.seg[1].vaddr = 0x300000;
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_HYPERCALL_PAGE, &hypercall_page, 8};
		s.note[s.nnotes++] =
		    (struct spec_note){"Xen", XEN_ELFNOTE_XEN_VERSION, version, sizeof(version)};
	}
	s.note[s.nnotes++] =
	    (struct spec_note){"Xen", XEN_ELFNOTE_FEATURES, features, sizeof(features)};
	s.seg[0].filesz = s.seg[0].memsz = 0x100;
	s.seg[1].filesz = 0x80;
	return build_elf(&s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds CORPUS_DIR\n");
		return 2;
	}
	char dir[400];
	const char *root = argv[1];
	char name[64];

	snprintf(dir, sizeof(dir), "%s/fuzz_boot_elf", root);
	for (int v = 0; v < 4; v++) {
		struct img e = seed_elf(v);
		snprintf(name, sizeof(name), "elf-notes%d", v);
		write_file(dir, name, e.data, e.size, NULL, 0);
		img_free(&e);
	}

	struct img elf = seed_elf(1);
	struct img elf_pvkit = seed_elf(2);
	for (size_t i = 0; i < NCOMPRESSORS; i++) {
		const struct compressor *c = &compressors[i];
		struct img z = c->compress(elf.data, elf.size);
		uint8_t fmt = (uint8_t)c->format;

		snprintf(dir, sizeof(dir), "%s/fuzz_boot_payload", root);
		snprintf(name, sizeof(name), "payload-%s", c->name);
		write_file(dir, name, &fmt, 1, z.data, z.size);

		struct img bz = build_bzimage(z.data, z.size);
		snprintf(dir, sizeof(dir), "%s/fuzz_boot_bzimage", root);
		snprintf(name, sizeof(name), "bzimage-%s", c->name);
		write_file(dir, name, bz.data, bz.size, NULL, 0);

		/* For the 16 MiB guest of fuzz_boot_load: kernel at 4 MiB, a command line, an
		 * initrd. */
		bz_hdr(&bz)->pref_address = 0x400000;
		static const char cmdline[] = "console=ttyS0";
		uint8_t initrd[64];
		memset(initrd, 0x11, sizeof(initrd));
		uint8_t head[6] = {
		    (uint8_t)(i % 3) | 0x40, sizeof(cmdline) - 1, 0, sizeof(initrd), 0, 0};
		struct img in = {0};
		img_append(&in, head, sizeof(head));
		img_append(&in, cmdline, sizeof(cmdline) - 1);
		img_append(&in, initrd, sizeof(initrd));
		img_append(&in, bz.data, bz.size);
		snprintf(dir, sizeof(dir), "%s/fuzz_boot_load", root);
		snprintf(name, sizeof(name), "load-bzimage-%s", c->name);
		write_file(dir, name, in.data, in.size, NULL, 0);
		img_free(&in);
		img_free(&bz);
		img_free(&z);
	}
	struct img elf_pvm = seed_elf(3);
	for (int v = 0; v < 4; v++) {
		/* v 3: the kernel that can run deprivileged, pvm mode offered (0x10). */
		const struct img *e = v == 3 ? &elf_pvm : v == 2 ? &elf_pvkit : &elf;
		uint8_t head[6] = {v == 3 ? 0x10 : (uint8_t)v, 0, 0, 0, 0, 0};
		snprintf(dir, sizeof(dir), "%s/fuzz_boot_load", root);
		snprintf(name, sizeof(name), "load-elf-%d", v);
		write_file(dir, name, head, sizeof(head), e->data, e->size);
	}
	img_free(&elf);
	img_free(&elf_pvkit);
	img_free(&elf_pvm);
	snprintf(dir, sizeof(dir), "%s/fuzz_boot_xen_pv", root);
	for (int v = 0; v < 2; v++) {
		struct img x = seed_xen_pv(v);
		snprintf(name, sizeof(name), "xen-pv-%s", v ? "xtf" : "linux");
		write_file(dir, name, x.data, x.size, NULL, 0);
		img_free(&x);
	}
	return 0;
}
