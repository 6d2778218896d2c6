/* SPDX-License-Identifier: MIT */
/*
 * snapshot.h - writing a paused machine to a state file and a memory
 * file, and opening such a pair for restore (docs/snapshot.md).
 *
 * Both files are written under a temporary name in their directory and
 * renamed into place, the memory file first; the state file's header and
 * the memory file's trailer carry the same random snapshot id.  So a pvkit
 * killed in the middle leaves either the old pair, or a new memory file
 * beside an old state file, which restore refuses (the ids differ): never
 * a pair that restores wrongly.
 *
 * The memory file is the guest's RAM as one image (guest-physical layout
 * of host/vm.h: offset = position in the RAM mapping), then a 4 KiB
 * trailer.  Pages the guest never touched, and pages of zeros, are holes:
 * a 1 GiB guest that touched 64 MiB writes about 64 MiB.
 */
#ifndef PVKIT_HOST_SNAPSHOT_H
#define PVKIT_HOST_SNAPSHOT_H

#include <stdint.h>

#include "machine.h"
#include "snapshot_format.h"

#define SNAPSHOT_TRAILER_SIZE 4096
#define SNAPSHOT_MEM_MAGIC    "PVKMEM1"

struct snapshot_mem_trailer {
	char magic[8];
	uint64_t snapshot_id;
	uint64_t mem_size;
};

struct snapshot_stats {
	uint64_t mem_bytes_written; /* data, not holes */
	uint64_t state_bytes;
	uint64_t ns; /* wall time */
};

/*
 * Snapshot `m`, whose vCPU is stopped between two KVM_RUNs with nothing in
 * flight (run_loop_pause()).  -1 with one message; the files that were
 * there before are left as they were.
 */
int snapshot_write(struct machine *m, const char *state_path, const char *mem_path,
		   struct snapshot_stats *stats);

/* A state file read, checked and parsed, and its memory file open. */
struct snapshot_input {
	uint8_t *state; /* the file's bytes (the view points into them) */
	size_t state_size;
	struct snapshot_view view;
	int mem_fd;
};

/*
 * Read `state_path`, check it (format, checksum, parts, this host's CPU)
 * and open `mem_path` (its size and trailer must match).  -1 with one line
 * "pvkit: PATH: what is wrong" on failure: the caller exits with status 2.
 */
int snapshot_open(const char *state_path, const char *mem_path, struct snapshot_input *in);
void snapshot_input_free(struct snapshot_input *in);

#endif
