// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hypercall.h"
#include "log.h"
#include "machine_state.h"
#include "read_file.h"
#include "snapshot.h"
#include "version.h"
#include "vm.h"

#define PAGE  4096u
#define CHUNK (2u << 20)

static int write_all(int fd, const void *buf, size_t len, off_t at)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = pwrite(fd, p, len, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, len -= (size_t)w, at += w;
	}
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[PAGE];
	return memcmp(p, zero, PAGE) == 0;
}

/*
 * Mark in `pages` the pages of [at, at + len) that the memory file a VM
 * was restored from holds data for (SEEK_DATA/SEEK_HOLE): the guest may
 * not have touched them, and they are not zero.  Its holes are zero until
 * the guest writes them, and then they are resident.
 */
static void mark_file_data(int ram_fd, uint64_t at, uint64_t len, unsigned char *pages)
{
	off_t pos = (off_t)at, end = (off_t)(at + len);
	while (pos < end) {
		off_t data = lseek(ram_fd, pos, SEEK_DATA);
		if (data < 0 || data >= end)
			return;
		off_t hole = lseek(ram_fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		for (off_t p = data & ~(off_t)(PAGE - 1); p < hole; p += PAGE)
			pages[(uint64_t)(p - (off_t)at) / PAGE] |= 1;
		pos = hole;
	}
}

/*
 * The RAM image: only pages that may hold data are looked at (resident
 * ones, and for a restored VM those its memory file has data for), only
 * non-zero ones written.  So neither an untouched 8 GiB guest nor one
 * restored from a sparse file makes pvkit read gigabytes of zeros.
 */
static int write_ram(struct vm *vm, int fd, uint64_t *written)
{
	uint64_t size = vm->mem.size;
	unsigned char resident[CHUNK / PAGE];
	*written = 0;
	for (uint64_t at = 0; at < size; at += CHUNK) {
		uint64_t len = size - at < CHUNK ? size - at : CHUNK;
		uint64_t npages = (len + PAGE - 1) / PAGE;
		if (mincore(vm->ram + at, len, resident) < 0)
			memset(resident, 1, npages);
		else if (vm->ram_fd >= 0)
			mark_file_data(vm->ram_fd, at, len, resident);
		uint64_t run_start = 0, run_len = 0;
		for (uint64_t i = 0; i <= npages; i++) {
			bool data = i < npages && (resident[i] & 1) &&
				    !page_is_zero(vm->ram + at + i * PAGE);
			if (data) {
				if (!run_len)
					run_start = at + i * PAGE;
				run_len += PAGE;
				continue;
			}
			if (run_len) {
				if (run_start + run_len > size)
					run_len = size - run_start;
				if (write_all(fd, vm->ram + run_start, run_len, (off_t)run_start) <
				    0)
					return -1;
				*written += run_len;
				run_len = 0;
			}
		}
	}
	return 0;
}

/* "DIR/.NAME.tmp-PID" beside `path`. */
static void temp_name(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	snprintf(out, size, "%.*s.%s.tmp-%d", dir_len, path, slash ? slash + 1 : path, getpid());
}

/*
 * Write `path` through `fill` under a temporary name beside it, then rename
 * it into place: a reader finds the old file or the whole new one.  -1
 * with a message, and no temporary file left.
 */
static int write_renamed(const char *path, int (*fill)(int fd, void *ctx), void *ctx)
{
	char tmp[4200];
	temp_name(path, tmp, sizeof(tmp));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_msg("%s: %s", tmp, strerror(errno));
		return -1;
	}
	int r = fill(fd, ctx);
	if (r < 0)
		log_msg("%s: %s", tmp, strerror(errno));
	close(fd);
	if (r == 0 && rename(tmp, path) < 0) {
		log_msg("%s: %s", path, strerror(errno));
		r = -1;
	}
	if (r < 0)
		unlink(tmp);
	return r;
}

struct mem_file {
	struct vm *vm;
	uint64_t id;
	uint64_t written;
};

/* The RAM image (holes where there is nothing), then the trailer. */
static int fill_mem_file(int fd, void *ctx)
{
	struct mem_file *f = ctx;
	uint64_t size = f->vm->mem.size;
	struct snapshot_mem_trailer t = {.snapshot_id = f->id, .mem_size = size};
	memcpy(t.magic, SNAPSHOT_MEM_MAGIC, sizeof(SNAPSHOT_MEM_MAGIC));
	if (ftruncate(fd, (off_t)(size + SNAPSHOT_TRAILER_SIZE)) < 0 ||
	    write_ram(f->vm, fd, &f->written) < 0)
		return -1;
	return write_all(fd, &t, sizeof(t), (off_t)size);
}

static int fill_state_file(int fd, void *ctx)
{
	const struct snapshot_builder *b = ctx;
	return write_all(fd, b->buf, b->len, 0);
}

int snapshot_write(struct machine *m, const char *state_path, const char *mem_path,
		   struct snapshot_stats *stats)
{
	uint64_t t0 = hypercall_monotonic_now();
	if (m->entry_mode == BOOT_CPU_XEN_PV) {
		log_msg(
		    "snapshot: a Xen PV machine cannot be snapshotted yet (pvxen's state is not "
		    "saved)");
		return -1;
	}
	uint64_t id;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = t0 ^ ((uint64_t)getpid() << 32);
	struct snapshot_header h = {.mem_size = m->vm.mem.size};
	h.snapshot_id = id;
	machine_state_host_needs(m, &h.host);
	snprintf(h.pvkit_version, sizeof(h.pvkit_version), "pvkit %s", PVKIT_VERSION);
	struct snapshot_builder b;
	snapshot_builder_init(&b, &h);
	int r = machine_state_save(m, &b);
	if (r == 0 && snapshot_builder_finish(&b) < 0) {
		log_msg("snapshot: the state does not fit in a state file");
		r = -1;
	}
	struct mem_file mem = {.vm = &m->vm, .id = id};
	if (r == 0)
		r = write_renamed(mem_path, fill_mem_file, &mem);
	stats->mem_bytes_written = mem.written;
	if (r == 0)
		r = write_renamed(state_path, fill_state_file, &b);
	stats->state_bytes = b.len;
	snapshot_builder_free(&b);
	stats->ns = hypercall_monotonic_now() - t0;
	return r;
}

static int refuse(const char *path, const char *why)
{
	log_msg("%s: %s", path, why);
	return -1;
}

int snapshot_open(const char *state_path, const char *mem_path, struct snapshot_input *in)
{
	memset(in, 0, sizeof(*in));
	in->mem_fd = -1;
	char why[300];
	if (read_file(state_path, &in->state, &in->state_size) < 0)
		return -1;
	if (in->state_size > SNAPSHOT_MAX_FILE_SIZE)
		return refuse(state_path, "larger than any pvkit state file");
	if (snapshot_parse(in->state, in->state_size, &in->view, why, sizeof(why)) < 0)
		return refuse(state_path, why);
	struct machine_part mp;
	if (machine_state_config(&in->view, &mp, why, sizeof(why)) < 0)
		return refuse(state_path, why);

	in->mem_fd = open(mem_path, O_RDONLY | O_CLOEXEC);
	if (in->mem_fd < 0)
		return refuse(mem_path, strerror(errno));
	struct stat st;
	uint64_t size = in->view.header.mem_size;
	if (fstat(in->mem_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(mem_path, "not a regular file");
	if ((uint64_t)st.st_size != size + SNAPSHOT_TRAILER_SIZE) {
		snprintf(why, sizeof(why),
			 "%" PRIu64 " bytes, the snapshot's memory file has %" PRIu64
			 " (truncated, or another snapshot's)",
			 (uint64_t)st.st_size, size + SNAPSHOT_TRAILER_SIZE);
		return refuse(mem_path, why);
	}
	struct snapshot_mem_trailer t;
	if (pread(in->mem_fd, &t, sizeof(t), (off_t)size) != (ssize_t)sizeof(t) ||
	    memcmp(t.magic, SNAPSHOT_MEM_MAGIC, sizeof(SNAPSHOT_MEM_MAGIC)) != 0)
		return refuse(mem_path, "not a pvkit snapshot memory file");
	if (t.snapshot_id != in->view.header.snapshot_id || t.mem_size != size)
		return refuse(mem_path, "the memory file of another snapshot");
	return 0;
}

void snapshot_input_free(struct snapshot_input *in)
{
	free(in->state);
	in->state = NULL;
	if (in->mem_fd >= 0)
		close(in->mem_fd);
	in->mem_fd = -1;
}
