/* SPDX-License-Identifier: MIT */
/*
 * bootparam.h - the Linux x86 boot protocol structures, as laid out in
 * Documentation/arch/x86/boot.rst and zero-page.rst: the setup header found
 * at offset 0x1f1 of a bzImage, the 4 KiB boot_params ("zero page") a loader
 * hands to the kernel, the e820 memory map and the setup_data chain.
 *
 * Freestanding (guest and host both use it).  Offsets are checked at
 * compile time; they are ABI fixed by Linux, not by us.
 */
#ifndef PVKIT_BOOT_BOOTPARAM_H
#define PVKIT_BOOT_BOOTPARAM_H

#include <stdint.h>

#define SETUP_HEADER_OFFSET 0x1f1
#define SETUP_HDRS_MAGIC    0x53726448u /* "HdrS" */
#define SETUP_BOOT_FLAG	    0xaa55
#define SETUP_SECT_SIZE	    512
#define SETUP_DEFAULT_SECTS 4 /* setup_sects == 0 means 4 */

/* loadflags */
#define LOADED_HIGH   (1u << 0)
#define KASLR_FLAG    (1u << 1)
#define QUIET_FLAG    (1u << 5)
#define KEEP_SEGMENTS (1u << 6)
#define CAN_USE_HEAP  (1u << 7)

/* xloadflags */
#define XLF_KERNEL_64		   (1u << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define XLF_EFI_HANDOVER_32	   (1u << 2)
#define XLF_EFI_HANDOVER_64	   (1u << 3)
#define XLF_EFI_KEXEC		   (1u << 4)
#define XLF_5LEVEL		   (1u << 5)
#define XLF_5LEVEL_ENABLED	   (1u << 6)

/* hardware_subarch values Linux defines */
#define X86_SUBARCH_PC	      0u
#define X86_SUBARCH_LGUEST    1u
#define X86_SUBARCH_XEN	      2u
#define X86_SUBARCH_INTEL_MID 3u
#define X86_SUBARCH_CE4100    4u

/* type_of_loader: 0xff is "undefined"; pvkit uses the "other" value 0xff
 * with ext_loader_type, as boot.rst allows for loaders without an ID. */
#define LOADER_TYPE_UNDEFINED 0xff

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

/* E820 memory types */
#define E820_TYPE_RAM		  1u
#define E820_TYPE_RESERVED	  2u
#define E820_TYPE_ACPI		  3u
#define E820_TYPE_NVS		  4u
#define E820_TYPE_UNUSABLE	  5u
#define E820_TYPE_PMEM		  7u
#define E820_MAX_ENTRIES_ZEROPAGE 128

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* setup_data types */
#define SETUP_NONE	       0u
#define SETUP_E820_EXT	       1u
#define SETUP_DTB	       2u
#define SETUP_PCI	       3u
#define SETUP_EFI	       4u
#define SETUP_APPLE_PROPERTIES 5u
#define SETUP_JAILHOUSE	       6u
#define SETUP_CC_BLOB	       7u
#define SETUP_IMA	       8u
#define SETUP_RNG_SEED	       9u

struct setup_data {
	uint64_t next;
	uint32_t type;
	uint32_t len;
	uint8_t data[];
} __attribute__((packed));

struct boot_params {
	uint8_t screen_info[0x40];	 /* 0x000 */
	uint8_t apm_bios_info[0x14];	 /* 0x040 */
	uint8_t _pad2[4];		 /* 0x054 */
	uint64_t tboot_addr;		 /* 0x058 */
	uint8_t ist_info[0x10];		 /* 0x060 */
	uint64_t acpi_rsdp_addr;	 /* 0x070 */
	uint8_t _pad3[8];		 /* 0x078 */
	uint8_t hd0_info[16];		 /* 0x080 */
	uint8_t hd1_info[16];		 /* 0x090 */
	uint8_t sys_desc_table[0x10];	 /* 0x0a0 */
	uint8_t olpc_ofw_header[0x10];	 /* 0x0b0 */
	uint32_t ext_ramdisk_image;	 /* 0x0c0 */
	uint32_t ext_ramdisk_size;	 /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;	 /* 0x0c8 */
	uint8_t _pad4[112];		 /* 0x0cc */
	uint32_t cc_blob_address;	 /* 0x13c */
	uint8_t edid_info[0x80];	 /* 0x140 */
	uint8_t efi_info[0x20];		 /* 0x1c0 */
	uint32_t alt_mem_k;		 /* 0x1e0 */
	uint32_t scratch;		 /* 0x1e4 */
	uint8_t e820_entries;		 /* 0x1e8 */
	uint8_t eddbuf_entries;		 /* 0x1e9 */
	uint8_t edd_mbr_sig_buf_entries; /* 0x1ea */
	uint8_t kbd_status;		 /* 0x1eb */
	uint8_t secure_boot;		 /* 0x1ec */
	uint8_t _pad5[2];		 /* 0x1ed */
	uint8_t sentinel;		 /* 0x1ef */
	uint8_t _pad6[1];		 /* 0x1f0 */
	struct setup_header hdr;	 /* 0x1f1 */
	uint8_t _pad7[0x290 - 0x1f1 - sizeof(struct setup_header)];
	uint32_t edd_mbr_sig_buffer[16];			      /* 0x290 */
	struct boot_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]; /* 0x2d0 */
	uint8_t _pad8[48];					      /* 0xcd0 */
	uint8_t eddbuf[6 * 82];					      /* 0xd00 */
	uint8_t _pad9[276];					      /* 0xeec */
} __attribute__((packed));

_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "setup_header size");
_Static_assert(__builtin_offsetof(struct boot_params, hdr) == 0x1f1, "hdr offset");
_Static_assert(__builtin_offsetof(struct boot_params, e820_table) == 0x2d0, "e820 offset");
_Static_assert(__builtin_offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(__builtin_offsetof(struct boot_params, ext_ramdisk_image) == 0xc0, "ext fields");
_Static_assert(sizeof(struct boot_params) == 4096, "boot_params is one page");

#endif
