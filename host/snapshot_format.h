/* SPDX-License-Identifier: MIT */
/*
 * snapshot_format.h - the state file of a snapshot (docs/snapshot.md).
 *
 * A snapshot is two files: the guest's RAM as a plain image (restore maps it
 * copy-on-write, host/vm.h) and this small state file:
 *
 *	struct snapshot_header            magic, version, size, CRC-32, and
 *	                                  what the snapshot needs of the host
 *	N x { struct snapshot_section,    a named, versioned part of the
 *	      data, padded to 8 bytes }   machine (host/machine_state.h)
 *
 * Everything is little endian (x86-64 only).  The CRC-32 (zlib's) covers
 * the whole file with the crc field taken as 0, so a flipped bit anywhere
 * is caught before any part is believed.  The parser is the code that
 * reads untrusted bytes; it checks every length against the buffer and is
 * fuzzed (fuzz/fuzz_snapshot_state.c).
 */
#ifndef PVKIT_HOST_SNAPSHOT_FORMAT_H
#define PVKIT_HOST_SNAPSHOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_MAGIC	       "PVKSNAP"
#define SNAPSHOT_VERSION       1
#define SNAPSHOT_MAX_SECTIONS  64
#define SNAPSHOT_NAME_LEN      16
#define SNAPSHOT_MAX_FILE_SIZE (16u << 20)

/* The host CPU a snapshot depends on: what the guest was shown (its CPUID)
 * must be there, and its TSC must tick at the same rate. */
struct snapshot_host_needs {
	uint32_t cpuid_1_ecx, cpuid_1_edx;
	uint32_t cpuid_7_ebx, cpuid_7_ecx, cpuid_7_edx;
	uint32_t cpuid_80000001_ecx, cpuid_80000001_edx;
	uint32_t tsc_khz;
	uint64_t xcr0; /* the XSAVE components the guest may have enabled */
};

struct snapshot_header {
	char magic[8]; /* "PVKSNAP\0" */
	uint32_t version;
	uint32_t header_size; /* sizeof(struct snapshot_header) */
	uint64_t file_size;
	uint32_t crc32; /* of the whole file with this field 0 */
	uint32_t nsections;
	uint64_t mem_size; /* bytes of the memory file */
	struct snapshot_host_needs host;
	char pvkit_version[16]; /* who wrote it, for messages */
	uint64_t snapshot_id;	/* random; the memory file's trailer repeats it */
	uint64_t reserved[3];
};

struct snapshot_section {
	char name[SNAPSHOT_NAME_LEN]; /* NUL-padded */
	uint32_t version;
	uint32_t reserved;
	uint64_t length; /* bytes of data that follow (then padding to 8) */
};

/* A parsed state file: views into the caller's buffer. */
struct snapshot_part_view {
	char name[SNAPSHOT_NAME_LEN + 1];
	uint32_t version;
	const uint8_t *data;
	size_t length;
};

struct snapshot_view {
	struct snapshot_header header;
	int nparts;
	struct snapshot_part_view part[SNAPSHOT_MAX_SECTIONS];
};

/* The header's crc32 for the state file `buf` of `len` bytes (at least a
 * header): CRC-32 as zlib's, with the crc32 field counted as 0. */
uint32_t snapshot_file_crc(const uint8_t *buf, size_t len);

/*
 * Check `buf` as a state file and describe it in `out`.  0, or -1 with
 * what is wrong in `why` (one phrase: "truncated: ...", "not a pvkit
 * snapshot", "checksum mismatch", ...).
 */
int snapshot_parse(const uint8_t *buf, size_t len, struct snapshot_view *out, char *why,
		   size_t why_size);

/* The part called `name`, or NULL. */
const struct snapshot_part_view *snapshot_find_part(const struct snapshot_view *v,
						    const char *name);

/* A state file being built in memory. */
struct snapshot_builder {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nsections;
	int failed; /* out of memory or too many sections */
};

void snapshot_builder_init(struct snapshot_builder *b, const struct snapshot_header *header);
void snapshot_builder_add(struct snapshot_builder *b, const char *name, uint32_t version,
			  const void *data, size_t length);
/* Size, count and CRC into the header; -1 if anything failed. */
int snapshot_builder_finish(struct snapshot_builder *b);
void snapshot_builder_free(struct snapshot_builder *b);

#endif
