// SPDX-License-Identifier: MIT
/*
 * `pvkit inspect IMAGE [--json]`: what pvkit sees in a kernel image, without
 * booting it.  The whole image is analysed first (setup header, payload,
 * ELF) with the same boot/ code the loader uses; only when all of it is
 * valid is anything printed, so a bad file gives one error line and no
 * partial report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/error.h"
#include "boot/loader.h"
#include "boot/payload.h"
#include "boot/pvh.h"
#include "host/cmd_inspect.h"

#define INSPECT_MAX_FILE (1ull << 30)
#define HEX_DUMP_MAX	 256 /* note descriptors longer than this are cut */

struct report {
	const char *path;
	const uint8_t *image;
	size_t size;
	bool is_bzimage;
	struct bzimage_info bz;
	enum payload_compression comp;
	uint8_t *payload_elf; /* decompressed, owned */
	size_t payload_elf_size;
	bool has_elf;
	struct elf_image elf;
};

/* ---- reading and analysing ---------------------------------------------- */

static int read_file(const char *path, uint8_t **data, size_t *size, struct boot_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return boot_fail(err, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return boot_fail(err, "not a regular file");
	}
	if ((uint64_t)st.st_size > INSPECT_MAX_FILE) {
		close(fd);
		return boot_fail(err, "file is larger than 1 GiB");
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		close(fd);
		return boot_fail(err, "out of memory");
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return boot_fail(err, "read failed: %s", strerror(e));
		}
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*size = n;
	return 0;
}

static int analyse(struct report *r, struct boot_error *err)
{
	if (r->size == 0)
		return boot_fail(err, "file is empty");
	if (bzimage_detect(r->image, r->size)) {
		r->is_bzimage = true;
		if (bzimage_parse(r->image, r->size, &r->bz, err) < 0)
			return -1;
		if (!r->bz.payload_size)
			return 0;
		r->comp = payload_detect(r->bz.payload, r->bz.payload_size);
		if (payload_decompress(r->comp, r->bz.payload, r->bz.payload_size,
				       PAYLOAD_MAX_DEFAULT, &r->payload_elf, &r->payload_elf_size,
				       err) < 0)
			return -1;
		if (elf_parse(r->payload_elf, r->payload_elf_size, &r->elf, err) < 0) {
			char msg[sizeof(err->msg)];
			memcpy(msg, err->msg, sizeof(msg));
			return boot_fail(err, "ELF in the bzImage payload: %.200s", msg);
		}
		r->has_elf = true;
		return 0;
	}
	if (elf_detect(r->image, r->size)) {
		if (elf_parse(r->image, r->size, &r->elf, err) < 0)
			return -1;
		r->has_elf = true;
		return 0;
	}
	return boot_fail(err, "not a bzImage (no \"HdrS\" at 0x202) nor an ELF");
}

/* ---- decoding notes ------------------------------------------------------ */

enum note_kind { NOTE_HEX, NOTE_NUM, NOTE_STR };

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
    {PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_ABI, "ABI (pvkit ABI version)", NOTE_NUM},
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

static void print_payload(struct out *o, const struct report *r)
{
	open_block(o, "payload", false);
	put_hex(o, "offset", r->bz.hdr.payload_offset);
	put_cstr(o, "compression", payload_compression_name(r->comp));
	put_size(o, "compressed_size", r->bz.payload_size);
	put_size(o, "decompressed_size", r->payload_elf_size);
	close_block(o, false);
}

static void segment_flags(uint32_t f, char out[4])
{
	out[0] = (f & 4) ? 'R' : '-';
	out[1] = (f & 2) ? 'W' : '-';
	out[2] = (f & 1) ? 'X' : '-';
	out[3] = '\0';
}

static void print_note(struct out *o, const struct elf_note *n, int index)
{
	struct note_view v;
	view_note(n, &v);
	open_element(o, index);
	put_str(o, "name", n->name, n->namesz);
	put_u64(o, "type", n->type);
	if (v.type_name)
		put_cstr(o, "type_name", v.type_name);
	put_u64(o, "descsz", n->descsz);
	if (v.kind == NOTE_NUM)
		put_hex(o, "value", v.num);
	else if (v.kind == NOTE_STR)
		put_str(o, "string", (const char *)n->desc, v.str_len);
	else
		put_hexdump(o, "hex", n->desc, n->descsz);
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
		put_hex(o, "pvkit_abi", elf->pvkit_abi);
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
		print_note(o, &elf->note[i], i);
	close_block(o, true);
	close_block(o, false);
}

static void print_report(const struct report *r, bool json)
{
	struct out o = {.f = stdout, .json = json};
	if (json) {
		fputc('{', o.f);
		o.depth = 1;
	}
	put_cstr(&o, "file", r->path);
	put_cstr(&o, "format", r->is_bzimage ? "bzImage" : "ELF");
	put_size(&o, "file_size", r->size);
	if (r->is_bzimage) {
		print_setup_header(&o, &r->bz);
		if (r->bz.payload_size)
			print_payload(&o, r);
	}
	if (r->has_elf)
		print_elf(&o, &r->elf);
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

	struct report *r = calloc(1, sizeof(*r));
	struct boot_error err;
	uint8_t *data = NULL;
	int status = 2;
	if (!r) {
		fprintf(stderr, "pvkit: %s: out of memory\n", path);
		return 2;
	}
	r->path = path;
	if (read_file(path, &data, &r->size, &err) == 0) {
		r->image = data;
		if (analyse(r, &err) == 0) {
			print_report(r, json);
			status = fflush(stdout) == 0 ? 0 : 1;
		}
	}
	if (status == 2)
		fprintf(stderr, "pvkit: %s: %s\n", path, err.msg);
	free(r->payload_elf);
	free(data);
	free(r);
	return status;
}
