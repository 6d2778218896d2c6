// SPDX-License-Identifier: MIT
/*
 * `pvkit inspect IMAGE [--json]`: what pvkit sees in a kernel image, without
 * booting it.  The whole image is parsed first (setup header, payload,
 * ELF) by boot_image_parse(), the parse `pvkit run` loads from; only when
 * all of it is valid is anything printed, so a bad file gives one error line
 * and no partial report.  Every note is shown; pvkit's own as the parse
 * decoded and checked them.  For a kernel with Xen PV notes, the domain
 * `pvkit run --entry xen` would build for the default --mem: boot_load()
 * itself builds it into scratch memory, so the plan shown is the one run
 * makes, not a second computation of it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>

#include "abi/pvkit_abi.h"
#include "boot/image.h"
#include "boot/loader.h"
#include "boot/pvh.h"
#include "boot/xen_pv.h"
#include "host/cmd_inspect.h"
#include "host/cmd_run.h"
#include "host/parse_size.h"
#include "host/read_file.h"
#include "host/vm.h"

#define HEX_DUMP_MAX 256 /* note descriptors longer than this are cut */

/* ---- decoding notes ------------------------------------------------------ */

/* NOTE_PVKIT_*: pvkit's own notes, shown as the parse decoded and checked them. */
enum note_kind { NOTE_HEX, NOTE_NUM, NOTE_STR, NOTE_PVKIT_ABI, NOTE_PVKIT_PVM };

struct note_type {
	const char *owner;
	uint32_t type;
	const char *name;
	enum note_kind kind;
};

static const struct note_type note_types[] = {
    {"Xen", XEN_ELFNOTE_ENTRY, "ENTRY", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_HYPERCALL_PAGE, "HYPERCALL_PAGE", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_VIRT_BASE, "VIRT_BASE", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_PADDR_OFFSET, "PADDR_OFFSET", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_XEN_VERSION, "XEN_VERSION", NOTE_STR},
    {"Xen", XEN_ELFNOTE_GUEST_OS, "GUEST_OS", NOTE_STR},
    {"Xen", XEN_ELFNOTE_GUEST_VERSION, "GUEST_VERSION", NOTE_STR},
    {"Xen", XEN_ELFNOTE_LOADER, "LOADER", NOTE_STR},
    {"Xen", XEN_ELFNOTE_PAE_MODE, "PAE_MODE", NOTE_STR},
    {"Xen", XEN_ELFNOTE_FEATURES, "FEATURES", NOTE_STR},
    {"Xen", XEN_ELFNOTE_BSD_SYMTAB, "BSD_SYMTAB", NOTE_STR},
    {"Xen", XEN_ELFNOTE_HV_START_LOW, "HV_START_LOW", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_L1_MFN_VALID, "L1_MFN_VALID", NOTE_HEX},
    {"Xen", XEN_ELFNOTE_SUSPEND_CANCEL, "SUSPEND_CANCEL", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_INIT_P2M, "INIT_P2M", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_MOD_START_PFN, "MOD_START_PFN", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_SUPPORTED_FEATURES, "SUPPORTED_FEATURES", NOTE_NUM},
    {"Xen", XEN_ELFNOTE_PHYS32_ENTRY, "PHYS32_ENTRY (PVH entry)", NOTE_NUM},
    {"GNU", 1, "ABI_TAG", NOTE_HEX},
    {"GNU", 3, "BUILD_ID", NOTE_HEX},
    {"GNU", 4, "GOLD_VERSION", NOTE_STR},
    {"GNU", 5, "PROPERTY_TYPE_0", NOTE_HEX},
    {"Linux", 0x100, "BUILD_SALT", NOTE_STR},
    {"Linux", 0x101, "LTO_INFO", NOTE_NUM},
    {PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_ABI, "ABI (pvkit ABI version)", NOTE_PVKIT_ABI},
    {PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_PVM, "PVM (can run deprivileged: pvm mode)", NOTE_PVKIT_PVM},
};

struct note_view {
	const char *type_name; /* NULL: unknown */
	enum note_kind kind;
	uint64_t num;
	size_t str_len;
};

static void view_note(const struct elf_note *n, struct note_view *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = NOTE_HEX;
	for (size_t i = 0; i < sizeof(note_types) / sizeof(note_types[0]); i++) {
		if (elf_note_is(n, note_types[i].owner, note_types[i].type)) {
			v->type_name = note_types[i].name;
			v->kind = note_types[i].kind;
			break;
		}
	}
	if (v->kind == NOTE_NUM) {
		if (n->descsz == 1 || n->descsz == 2 || n->descsz == 4 || n->descsz == 8) {
			for (uint32_t i = 0; i < n->descsz; i++)
				v->num |= (uint64_t)n->desc[i] << (8 * i);
		} else {
			v->kind = NOTE_HEX;
		}
	} else if (v->kind == NOTE_STR) {
		size_t len = strnlen((const char *)n->desc, n->descsz);
		for (size_t i = 0; i < len; i++) {
			if (n->desc[i] < 0x20 || n->desc[i] >= 0x7f) {
				v->kind = NOTE_HEX;
				break;
			}
		}
		v->str_len = len;
	}
}

/* ---- flag names ---------------------------------------------------------- */

struct flag_name {
	uint32_t bit;
	const char *name;
};

static const struct flag_name loadflag_names[] = {
    {LOADED_HIGH, "LOADED_HIGH"},     {KASLR_FLAG, "KASLR_FLAG"},     {QUIET_FLAG, "QUIET_FLAG"},
    {KEEP_SEGMENTS, "KEEP_SEGMENTS"}, {CAN_USE_HEAP, "CAN_USE_HEAP"},
};

static const struct flag_name xloadflag_names[] = {
    {XLF_KERNEL_64, "XLF_KERNEL_64"},
    {XLF_CAN_BE_LOADED_ABOVE_4G, "XLF_CAN_BE_LOADED_ABOVE_4G"},
    {XLF_EFI_HANDOVER_32, "XLF_EFI_HANDOVER_32"},
    {XLF_EFI_HANDOVER_64, "XLF_EFI_HANDOVER_64"},
    {XLF_EFI_KEXEC, "XLF_EFI_KEXEC"},
    {XLF_5LEVEL, "XLF_5LEVEL"},
    {XLF_5LEVEL_ENABLED, "XLF_5LEVEL_ENABLED"},
};

/* ---- output: one printer drives both formats ----------------------------- */

struct out {
	FILE *f;
	bool json;
	int depth;
	bool need_comma;
};

static void json_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x",
				c); /* bytes >= 0x80 read as Latin-1: always valid JSON */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void indent(struct out *o)
{
	for (int i = 0; i < o->depth; i++)
		fputs("  ", o->f);
}

/* Start "key": in JSON (with the comma before it) or "key: " in text. */
static void key(struct out *o, const char *k)
{
	if (o->json) {
		fputs(o->need_comma ? ",\n" : "\n", o->f);
		indent(o);
		if (k) {
			json_string(o->f, k, strlen(k));
			fputs(": ", o->f);
		}
	} else {
		indent(o);
		if (k)
			fprintf(o->f, "%s: ", k);
	}
	o->need_comma = true;
}

static void end_value(struct out *o)
{
	if (!o->json)
		fputc('\n', o->f);
}

static void put_str(struct out *o, const char *k, const char *v, size_t len)
{
	key(o, k);
	if (o->json)
		json_string(o->f, v, len);
	else
		fprintf(o->f, "%.*s", (int)len, v);
	end_value(o);
}

static void put_cstr(struct out *o, const char *k, const char *v)
{
	put_str(o, k, v, strlen(v));
}

static void put_u64(struct out *o, const char *k, uint64_t v)
{
	key(o, k);
	fprintf(o->f, "%llu", (unsigned long long)v);
	end_value(o);
}

/* Addresses: hex strings, since JSON numbers lose precision above 2^53. */
static void put_hex(struct out *o, const char *k, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	put_cstr(o, k, buf);
}

static void put_size(struct out *o, const char *k, uint64_t v)
{
	if (o->json) {
		put_u64(o, k, v);
		return;
	}
	char h[BOOT_SIZE_STR_LEN];
	key(o, k);
	fprintf(o->f, "%llu (%s)", (unsigned long long)v, boot_format_size(h, sizeof(h), v));
	end_value(o);
}

static void put_bool(struct out *o, const char *k, bool v)
{
	key(o, k);
	fputs(v ? (o->json ? "true" : "yes") : (o->json ? "false" : "no"), o->f);
	end_value(o);
}

static void put_hexdump(struct out *o, const char *k, const uint8_t *p, size_t n)
{
	size_t shown = n > HEX_DUMP_MAX ? HEX_DUMP_MAX : n;
	char *buf = malloc(shown * 2 + 4);
	if (!buf)
		return;
	for (size_t i = 0; i < shown; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	strcpy(buf + 2 * shown, shown < n ? "..." : "");
	put_cstr(o, k, buf);
	free(buf);
}

static void open_block(struct out *o, const char *k, bool array)
{
	if (o->json) {
		key(o, k);
		fputc(array ? '[' : '{', o->f);
		o->need_comma = false;
	} else {
		indent(o);
		fprintf(o->f, "%s:\n", k);
	}
	o->depth++;
}

static void close_block(struct out *o, bool array)
{
	o->depth--;
	if (o->json) {
		fputc('\n', o->f);
		indent(o);
		fputc(array ? ']' : '}', o->f);
	}
	o->need_comma = true;
}

/* Elements of arrays: JSON objects; in text, "- " then the fields on one level. */
static void open_element(struct out *o, int index)
{
	if (o->json) {
		open_block(o, NULL, false);
		return;
	}
	indent(o);
	fprintf(o->f, "[%d]\n", index);
	o->depth++;
}

static void close_element(struct out *o)
{
	if (o->json)
		close_block(o, false);
	else
		o->depth--;
}

static void put_flags(struct out *o, const char *k, uint32_t value, const struct flag_name *names,
		      size_t count)
{
	key(o, k);
	if (o->json)
		fputc('[', o->f);
	bool first = true;
	uint32_t left = value;
	for (size_t i = 0; i < count; i++) {
		if (!(value & names[i].bit))
			continue;
		left &= ~names[i].bit;
		if (o->json)
			fprintf(o->f, "%s\"%s\"", first ? "" : ", ", names[i].name);
		else
			fprintf(o->f, "%s%s", first ? "" : " ", names[i].name);
		first = false;
	}
	for (int bit = 0; bit < 32; bit++) {
		if (!(left & (1u << bit)))
			continue;
		if (o->json)
			fprintf(o->f, "%s\"0x%x\"", first ? "" : ", ", 1u << bit);
		else
			fprintf(o->f, "%s0x%x", first ? "" : " ", 1u << bit);
		first = false;
	}
	if (o->json)
		fputc(']', o->f);
	else if (first)
		fputs("(none)", o->f);
	if (!o->json)
		fprintf(o->f, " (0x%x)", value);
	end_value(o);
}

static void print_setup_header(struct out *o, const struct bzimage_info *bz)
{
	char proto[16];
	snprintf(proto, sizeof(proto), "%u.%02u", bz->version >> 8, bz->version & 0xff);
	put_cstr(o, "boot_protocol", proto);
	put_u64(o, "setup_sects", bz->setup_sects);
	put_flags(o, "loadflags", bz->hdr.loadflags, loadflag_names,
		  sizeof(loadflag_names) / sizeof(loadflag_names[0]));
	put_flags(o, "xloadflags", bz->hdr.xloadflags, xloadflag_names,
		  sizeof(xloadflag_names) / sizeof(xloadflag_names[0]));
	put_hex(o, "pref_address", bz->hdr.pref_address);
	put_size(o, "init_size", bz->hdr.init_size);
	put_hex(o, "kernel_alignment", bz->hdr.kernel_alignment);
	put_bool(o, "relocatable", bz->hdr.relocatable_kernel != 0);
	put_u64(o, "cmdline_size", bz->hdr.cmdline_size);
	put_hex(o, "initrd_addr_max", bz->hdr.initrd_addr_max);
	put_cstr(o, "kernel_version", bz->version_string);
}

static void print_payload(struct out *o, const struct boot_image *img)
{
	open_block(o, "payload", false);
	put_hex(o, "offset", img->bz.hdr.payload_offset);
	put_cstr(o, "compression", payload_compression_name(img->compression));
	put_size(o, "compressed_size", img->bz.payload_size);
	put_size(o, "decompressed_size", img->payload_elf_size);
	close_block(o, false);
}

static void put_abi_version(struct out *o, const char *k, uint32_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%u.%u", v >> 16, v & 0xffff);
	put_cstr(o, k, buf);
}

static void segment_flags(uint32_t f, char out[4])
{
	out[0] = (f & 4) ? 'R' : '-';
	out[1] = (f & 2) ? 'W' : '-';
	out[2] = (f & 1) ? 'X' : '-';
	out[3] = '\0';
}

static void print_note(struct out *o, const struct elf_image *elf, const struct elf_note *n,
		       int index)
{
	struct note_view v;
	view_note(n, &v);
	open_element(o, index);
	put_str(o, "name", n->name, n->namesz);
	put_u64(o, "type", n->type);
	if (v.type_name)
		put_cstr(o, "type_name", v.type_name);
	put_u64(o, "descsz", n->descsz);
	switch (v.kind) {
	case NOTE_NUM:
		put_hex(o, "value", v.num);
		break;
	case NOTE_STR:
		put_str(o, "string", (const char *)n->desc, v.str_len);
		break;
	case NOTE_PVKIT_ABI: /* the parse allows one of each pvkit note */
		put_abi_version(o, "abi_version", elf->pvkit_abi);
		break;
	case NOTE_PVKIT_PVM:
		put_hex(o, "syscall_entry", elf->pvm.syscall_entry);
		put_hex(o, "idt", elf->pvm.idt);
		break;
	case NOTE_HEX:
		put_hexdump(o, "hex", n->desc, n->descsz);
		break;
	}
	close_element(o);
}

static void print_elf(struct out *o, const struct elf_image *elf)
{
	char fl[4];
	open_block(o, "elf", false);
	/* Less than the file when data follows the ELF (Linux appends its relocations). */
	put_size(o, "extent", elf->file_size);
	put_hex(o, "entry", elf->entry);
	put_hex(o, "entry_physical", elf->entry_paddr);
	put_bool(o, "pvh", elf->has_pvh);
	if (elf->has_pvh)
		put_hex(o, "pvh_entry", elf->pvh_entry);
	put_bool(o, "pvkit_note", elf->has_pvkit);
	if (elf->has_pvkit)
		put_abi_version(o, "pvkit_abi", elf->pvkit_abi);
	put_bool(o, "pvm_note", elf->has_pvm);
	if (elf->has_pvm) {
		put_hex(o, "pvm_syscall_entry", elf->pvm.syscall_entry);
		put_hex(o, "pvm_idt", elf->pvm.idt);
	}
	open_block(o, "segments", true);
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		open_element(o, s->phdr_index);
		put_u64(o, "phdr", (uint64_t)s->phdr_index);
		put_hex(o, "paddr", s->paddr);
		put_hex(o, "vaddr", s->vaddr);
		put_size(o, "filesz", s->filesz);
		put_size(o, "memsz", s->memsz);
		segment_flags(s->flags, fl);
		put_cstr(o, "flags", fl);
		close_element(o);
	}
	close_block(o, true);
	open_block(o, "notes", true);
	for (int i = 0; i < elf->nnotes; i++)
		print_note(o, elf, &elf->note[i], i);
	close_block(o, true);
	close_block(o, false);
}

/* ---- the Xen PV plan ------------------------------------------------------ */

/* What `pvkit run --entry xen` builds for this image with the default --mem
 * and no initrd, or why it cannot. */
struct xen_plan_view {
	bool shown;					   /* the image has Xen PV notes */
	uint64_t mem;					   /* the --mem it is planned for */
	struct boot_entry entry;			   /* entry.xen: the plan */
	char cmdline[MAX_GUEST_CMDLINE];		   /* start_info.cmd_line */
	char error[sizeof(((struct boot_error *)0)->msg)]; /* "": planned */
};

static int plan_xen_pv(const struct boot_image *img, struct xen_plan_view *v)
{
	memset(v, 0, sizeof(*v));
	struct xen_pv_notes notes;
	struct boot_error err;
	if (!img->has_elf)
		return 0;
	if (xen_pv_read_notes(&img->elf, &notes, &err) < 0 && !notes.present)
		return 0;
	v->shown = true;
	if (parse_size(RUN_DEFAULT_MEM, &v->mem) < 0)
		return -1;
	struct vm vm;
	if (vm_alloc_ram(&vm, v->mem) < 0)
		return -1;
	struct boot_request req = {.image = img, .entry = BOOT_ENTRY_XEN};
	if (boot_load(&req, &vm.mem, &v->entry, &err) < 0) {
		snprintf(v->error, sizeof(v->error), "%s", err.msg);
	} else {
		/* start_info's cmd_line, as the guest will read it */
		const struct xen_pv_plan *p = &v->entry.xen;
		const start_info_t *si =
		    guest_memory_ptr(&vm.mem, p->start_info - p->virt_base, sizeof(*si));
		if (si)
			snprintf(v->cmdline, sizeof(v->cmdline), "%.*s", (int)sizeof(si->cmd_line),
				 (const char *)si->cmd_line);
	}
	vm_destroy(&vm);
	return 0;
}

/* ADDRESS and the frame it is in, "0x... (pfn 0x...)" in text; two keys in JSON. */
static void put_va_pfn(struct out *o, const char *k, uint64_t va, uint64_t pfn)
{
	char pk[48];
	put_hex(o, k, va);
	snprintf(pk, sizeof(pk), "%s_pfn", k);
	put_hex(o, pk, pfn);
}

static void print_xen_pv_plan(struct out *o, const struct xen_plan_view *v)
{
	const struct xen_pv_plan *p = &v->entry.xen;
	open_block(o, "xen_pv_plan", false);
	put_size(o, "for_mem", v->mem);
	if (v->error[0]) {
		put_cstr(o, "error", v->error);
		close_block(o, false);
		return;
	}
	put_cstr(o, "path", v->entry.path);
	put_cstr(o, "cmdline", v->cmdline);
	put_u64(o, "nr_pages", p->nr_pages);
	put_hex(o, "virt_base", p->virt_base);
	put_hex(o, "entry", p->entry);
	put_hex(o, "kernel_start", p->kernel_start);
	put_hex(o, "kernel_end", p->kernel_end);
	if (p->hypercall_page)
		put_hex(o, "hypercall_page", p->hypercall_page);
	if (p->initrd_len) {
		put_hex(o, "initrd", p->initrd);
		put_size(o, "initrd_len", p->initrd_len);
	}
	put_va_pfn(o, "p2m", p->p2m, p->p2m_pfn);
	put_u64(o, "p2m_frames", p->p2m_frames);
	put_va_pfn(o, "start_info", p->start_info, (p->start_info - p->virt_base) / 4096);
	put_hex(o, "xenstore_pfn", p->store_pfn);
	put_hex(o, "console_pfn", p->console_pfn);
	put_va_pfn(o, "page_tables", p->pt_base, p->pt_pfn);
	put_u64(o, "page_table_frames", p->pt_frames);
	put_hex(o, "cr3", p->cr3);
	put_hex(o, "stack_top", p->stack_top);
	put_hex(o, "bootstrap_end", p->region_end);
	put_hex(o, "hv_start_low", p->hv_start_low);
	/* pvxen's area (host/xen_machine.c), from the shared_info page up. */
	put_hex(o, "shared_info_gpa", p->shared_info);
	put_hex(o, "hypervisor_end_gpa", p->shared_info + XEN_PV_HV_SIZE);
	put_hex(o, "hypervisor_virt", PVXEN_VIRT_BASE);
	put_hex(o, "hypervisor_direct_map", PVXEN_DIRECT_MAP);
	put_hex(o, "hypervisor_m2p", PVXEN_M2P);
	close_block(o, false);
}

static void print_report(const char *path, const struct boot_image *img,
			 const struct xen_plan_view *xen, bool json)
{
	struct out o = {.f = stdout, .json = json};
	if (json) {
		fputc('{', o.f);
		o.depth = 1;
	}
	put_cstr(&o, "file", path);
	put_cstr(&o, "format", img->format == BOOT_IMAGE_BZIMAGE ? "bzImage" : "ELF");
	put_size(&o, "file_size", img->size);
	if (img->format == BOOT_IMAGE_BZIMAGE) {
		print_setup_header(&o, &img->bz);
		if (img->bz.payload_size)
			print_payload(&o, img);
	}
	if (img->has_elf)
		print_elf(&o, &img->elf);
	if (xen->shown)
		print_xen_pv_plan(&o, xen);
	if (json)
		fputs("\n}\n", o.f);
}

struct inspect_options {
	const char *path;
	bool json;
};

static const struct cli_option inspect_table[] = {
    {NULL, "IMAGE", "a bzImage or an ELF kernel", CLI_STRING(struct inspect_options, path)},
    {"json", NULL, "one JSON object instead of lines",
     CLI_FLAG(struct inspect_options, json, true)},
};

const struct cli_command cmd_inspect_command = {
    .name = "inspect",
    .summary = "describe a kernel image without booting it",
    CLI_OPTIONS(inspect_table),
    .main = cmd_inspect,
};

int cmd_inspect(int argc, char **argv)
{
	struct inspect_options opts = {0};
	if (cli_parse(&cmd_inspect_command, argc, argv, &opts) < 0)
		return 2;
	const char *path = opts.path;
	bool json = opts.json;

	uint8_t *data;
	size_t size;
	if (read_file(path, &data, &size) < 0)
		return 2;
	struct boot_error err;
	/* The whole image is parsed before anything is printed. */
	struct boot_image *img = boot_image_parse(data, size, 0, &err);
	int status = 2;
	static struct xen_plan_view xen;
	if (img && plan_xen_pv(img, &xen) < 0) {
		status = 1;
	} else if (img) {
		print_report(path, img, &xen, json);
		status = fflush(stdout) == 0 ? 0 : 1;
	} else {
		fprintf(stderr, "pvkit: %s: %s\n", path, err.msg);
	}
	boot_image_free(img);
	free(data);
	return status;
}
