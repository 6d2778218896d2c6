/* SPDX-License-Identifier: MIT */
/*
 * boot_info.c - normalize what the loader gave into struct boot_info.
 *
 * boot_params (bzImage 64-bit and 32-bit entries, our real-mode setup) and
 * hvm_start_info (PVH) carry the same facts in different places: memory
 * map, command line, ACPI RSDP.  Everything is copied here so that the
 * loader's memory (below 1 MiB, or wherever it put it) can be reused.
 */
#include "boot/bootparam.h"
#include "boot/pvh.h"
#include "boot_info.h"
#include "boot_kind.h"
#include "pv.h"
#include "x86.h"

struct boot_info boot_info;

#define SETUP_DATA_MAX_CHAIN 64

static void add_region(struct boot_info *bi, uint64_t addr, uint64_t size, uint32_t type)
{
	if (bi->mem_count < BOOT_MEM_MAX && size)
		bi->mem[bi->mem_count++] = (struct mem_region){addr, size, type};
}

static void copy_cmdline(struct boot_info *bi, uint64_t pa)
{
	bi->cmdline[0] = 0;
	if (!pa)
		return;
	const char *src = (const char *)pa;
	size_t i = 0;
	for (; i < BOOT_CMDLINE_MAX - 1 && src[i]; i++)
		bi->cmdline[i] = src[i];
	bi->cmdline[i] = 0;
}

/*G:610 boot_info_parse() below reads boot_params or hvm_start_info by the
 * kind of entry; this walks the setup_data chain of L:260, with a bound (a
 * loop or a huge chain just stops it).  The PVKIT_SETUP_PVM entry lands in
 * boot_info.pvm: for a deprivileged kernel it is all it hears from pvkit,
 * and the pvm backend's probe insists on it.
 * Next: guest/kernel/main.c. :*/
static void parse_setup_data(struct boot_info *bi, uint64_t pa)
{
	for (unsigned n = 0; pa && n < SETUP_DATA_MAX_CHAIN; n++) {
		const struct setup_data *sd = (const struct setup_data *)pa;
		bi->setup_data_count++;
		if (sd->type == SETUP_RNG_SEED && sd->len)
			bi->has_rng_seed = true;
		if (sd->type == PVKIT_SETUP_PVM && sd->len >= sizeof(bi->pvm)) {
			memcpy(&bi->pvm, sd->data, sizeof(bi->pvm));
			bi->has_pvm = bi->pvm.version >= PVKIT_PVM_INFO_VERSION;
		}
		if (sd->type == SETUP_E820_EXT) {
			const struct boot_e820_entry *e = (const void *)sd->data;
			for (uint32_t i = 0; i < sd->len / sizeof(*e); i++)
				add_region(bi, e[i].addr, e[i].size, e[i].type);
		}
		pa = sd->next;
	}
}

static int parse_boot_params(struct boot_info *bi, const struct boot_params *bp, const char **why)
{
	bi->has_boot_params = true;
	if (bp->hdr.header != SETUP_HDRS_MAGIC) {
		*why = "boot_params has no \"HdrS\" setup header";
		return -1;
	}
	bi->hardware_subarch = bp->hdr.hardware_subarch;
	bi->loader_type = bp->hdr.type_of_loader;
	bi->protocol_version = bp->hdr.version;
	unsigned n = MIN(bp->e820_entries, (unsigned)E820_MAX_ENTRIES_ZEROPAGE);
	for (unsigned i = 0; i < n; i++)
		add_region(bi, bp->e820_table[i].addr, bp->e820_table[i].size,
			   bp->e820_table[i].type);
	uint64_t cmd = bp->hdr.cmd_line_ptr | ((uint64_t)bp->ext_cmd_line_ptr << 32);
	copy_cmdline(bi, cmd);
	if (bp->hdr.version >= 0x0209)
		parse_setup_data(bi, bp->hdr.setup_data);
	bi->rsdp = bp->acpi_rsdp_addr;
	return 0;
}

static int parse_start_info(struct boot_info *bi, const struct hvm_start_info *si, const char **why)
{
	if (si->magic != HVM_START_MAGIC_VALUE) {
		*why = "hvm_start_info magic is wrong";
		return -1;
	}
	if (si->version < 1 || !si->memmap_paddr) {
		*why = "hvm_start_info has no memory map (version < 1)";
		return -1;
	}
	const struct hvm_memmap_table_entry *e = (const void *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries && i < BOOT_MEM_MAX; i++)
		add_region(bi, e[i].addr, e[i].size, e[i].type);
	copy_cmdline(bi, si->cmdline_paddr);
	bi->rsdp = si->rsdp_paddr;
	return 0;
}

int boot_info_parse(struct boot_info *bi, int kind, uint64_t info, uint64_t entry_cr0,
		    uint64_t entry_cs, const char **why)
{
	bi->kind = kind;
	bi->entry_cpl = entry_cs & 3;
	bi->entry_paging = (entry_cr0 & X86_CR0_PG) != 0;
	int r;
	switch (kind) {
	case BOOT_KIND_64BIT:
		bi->entry_name = "64-bit (startup_64, boot_params)";
		r = parse_boot_params(bi, (const void *)info, why);
		break;
	case BOOT_KIND_32BIT:
		bi->entry_name = "32-bit (startup_32, boot_params)";
		r = parse_boot_params(bi, (const void *)info, why);
		break;
	case BOOT_KIND_REALMODE:
		bi->entry_name = "real-mode setup (BIOS e820) -> startup_32";
		r = parse_boot_params(bi, (const void *)info, why);
		break;
	case BOOT_KIND_PVM:
		bi->entry_name = "pvm (syscall from pvkit's CPL3 trampoline, boot_params)";
		r = parse_boot_params(bi, (const void *)info, why);
		break;
	case BOOT_KIND_PVH:
		bi->entry_name = "PVH (pvh_start32, hvm_start_info)";
		r = parse_start_info(bi, (const void *)info, why);
		break;
	default:
		*why = "unknown entry kind";
		return -1;
	}
	if (r == 0 && bi->mem_count == 0) {
		*why = "the loader gave no memory map";
		return -1;
	}
	return r;
}

/*G:600 The first C code of every boot path (head.S and pvm_entry.S call it
 * with the raw entry registers): copy what the loader gave into boot_info,
 * then start the kernel with that alone.  Parsing prints nothing, so the
 * console for its errors can be chosen from what it found: pv_early_init()
 * (guest/pv/select.c) takes one that works where the kernel woke up (at
 * CPL3 `out` faults, so pvm's is the console hypercall). :*/
void boot_entry(uint32_t kind, uint64_t info, uint64_t entry_cr0, uint64_t entry_cs);
void boot_entry(uint32_t kind, uint64_t info, uint64_t entry_cr0, uint64_t entry_cs)
{
	const char *why = "";
	int r = boot_info_parse(&boot_info, (int)kind, info, entry_cr0, entry_cs, &why);
	pv_early_init(&boot_info);
	if (r)
		panic("boot: %s", why);
	kernel_main(&boot_info);
}
