// SPDX-License-Identifier: MIT
/*
 * Two passes over the tree: the first lists every entry with its lstat()
 * and sizes the archive, the second writes it.  Sizing first means one
 * allocation and a hard bound (INITRD_DIR_MAX) checked before any file is
 * read; a file that changes size in between is an error, never a short or
 * garbled archive.  Entries are sorted by name so the same tree always
 * packs to the same bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "boot/cpio.h"
#include "boot/loader.h"
#include "initrd_dir.h"
#include "log.h"

#define MAX_DEPTH 128

struct tree_entry {
	char *path; /* relative to the packed directory, no leading '/' */
	struct stat st;
};

struct tree {
	const char *root; /* as the user wrote it, for messages */
	int root_fd;
	struct tree_entry *entry;
	size_t count, cap;
	uint64_t archive_size;
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fail_errno(const struct tree *t, const char *path)
{
	log_msg("%s%s%s: %s", t->root, *path ? "/" : "", path, strerror(errno));
	return -1;
}

static int add_entry(struct tree *t, const char *path, const struct stat *st)
{
	if (t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct tree_entry *grown = realloc(t->entry, cap * sizeof(*grown));
		if (!grown) {
			log_msg("%s: out of memory listing the tree", t->root);
			return -1;
		}
		t->entry = grown;
		t->cap = cap;
	}
	uint64_t data = S_ISREG(st->st_mode) || S_ISLNK(st->st_mode) ? (uint64_t)st->st_size : 0;
	if (data > UINT32_MAX) {
		log_msg("%s/%s: larger than the 4 GiB a cpio (newc) entry can hold", t->root, path);
		return -1;
	}
	t->archive_size += cpio_entry_size(strlen(path), data);
	if (t->archive_size > INITRD_DIR_MAX) {
		log_msg("%s: more than %llu MiB to pack", t->root, INITRD_DIR_MAX >> 20);
		return -1;
	}
	char *copy = strdup(path);
	if (!copy) {
		log_msg("%s: out of memory listing the tree", t->root);
		return -1;
	}
	t->entry[t->count++] = (struct tree_entry){.path = copy, .st = *st};
	return 0;
}

/* List the directory `path` (relative; "" is the root) and everything below it. */
static int list_dir(struct tree *t, const char *path, int depth)
{
	if (depth > MAX_DEPTH) {
		log_msg("%s/%s: more than %d directories deep", t->root, path, MAX_DEPTH);
		return -1;
	}
	int fd =
	    openat(t->root_fd, *path ? path : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(t, path);
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return fail_errno(t, path);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *d;
	errno = 0;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			char **grown = realloc(names, cap * sizeof(*grown));
			if (!grown) {
				rc = -1;
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(d->d_name))) {
			rc = -1;
			break;
		}
		n++;
		errno = 0;
	}
	if (rc == 0 && errno)
		rc = fail_errno(t, path);
	else if (rc < 0)
		log_msg("%s: out of memory listing the tree", t->root);
	closedir(dir);
	if (rc == 0 && n)
		qsort(names, n, sizeof(*names), compare_names);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char child[PATH_MAX];
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", path, *path ? "/" : "",
				     names[i]) >= sizeof(child)) {
			log_msg("%s/%s/%s: path too long", t->root, path, names[i]);
			rc = -1;
			break;
		}
		struct stat st;
		if (fstatat(t->root_fd, child, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = fail_errno(t, child);
			break;
		}
		rc = add_entry(t, child, &st);
		if (rc == 0 && S_ISDIR(st.st_mode))
			rc = list_dir(t, child, depth + 1);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Read exactly `size` bytes of an entry's data (file contents or link target). */
static int read_entry_data(const struct tree *t, const struct tree_entry *e, uint8_t *buf,
			   size_t size)
{
	if (S_ISLNK(e->st.st_mode)) {
		ssize_t r = readlinkat(t->root_fd, e->path, (char *)buf, size + 1);
		if (r < 0)
			return fail_errno(t, e->path);
		if ((size_t)r != size) {
			log_msg("%s/%s: changed while packing", t->root, e->path);
			return -1;
		}
		return 0;
	}
	int fd = openat(t->root_fd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(t, e->path);
	size_t done = 0;
	int rc = 0;
	while (done < size) {
		ssize_t r = read(fd, buf + done, size - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail_errno(t, e->path);
			break;
		}
		if (r == 0) {
			log_msg("%s/%s: changed while packing", t->root, e->path);
			rc = -1;
			break;
		}
		done += (size_t)r;
	}
	close(fd);
	return rc;
}

static int write_archive(const struct tree *t, uint8_t *archive, size_t size)
{
	struct cpio_writer w = {.buf = archive, .cap = size, .next_ino = 1};
	struct boot_error err;
	for (size_t i = 0; i < t->count; i++) {
		const struct tree_entry *e = &t->entry[i];
		bool has_data = S_ISREG(e->st.st_mode) || S_ISLNK(e->st.st_mode);
		size_t data_size = has_data ? (size_t)e->st.st_size : 0;
		/* One spare byte: readlinkat() reports truncation by filling it. */
		uint8_t *data = malloc(data_size + 1);
		if (!data) {
			log_msg("%s/%s: out of memory", t->root, e->path);
			return -1;
		}
		if (has_data && read_entry_data(t, e, data, data_size) < 0) {
			free(data);
			return -1;
		}
		struct cpio_entry entry = {
		    .name = e->path,
		    .mode = (uint32_t)e->st.st_mode,
		    .mtime = e->st.st_mtime < 0			     ? 0
			     : (uint64_t)e->st.st_mtime > UINT32_MAX ? UINT32_MAX
								     : (uint32_t)e->st.st_mtime,
		    .rdev_major = major(e->st.st_rdev),
		    .rdev_minor = minor(e->st.st_rdev),
		    .data = data,
		    .size = (uint32_t)data_size,
		};
		int rc = cpio_add(&w, &entry, &err);
		free(data);
		if (rc < 0) {
			log_msg("%s: %s", t->root, err.msg);
			return -1;
		}
	}
	if (cpio_finish(&w, &err) < 0) {
		log_msg("%s: %s", t->root, err.msg);
		return -1;
	}
	return 0;
}

int initrd_pack_dir(const char *dir, uint8_t **archive, size_t *size)
{
	struct tree t = {.root = dir};
	t.root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.root_fd < 0) {
		log_msg("%s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = list_dir(&t, "", 0);
	uint8_t *buf = NULL;
	size_t total = (size_t)t.archive_size + cpio_trailer_size();
	if (rc == 0 && !(buf = malloc(total))) {
		log_msg("%s: out of memory for a %zu-byte archive", dir, total);
		rc = -1;
	}
	if (rc == 0)
		rc = write_archive(&t, buf, total);
	for (size_t i = 0; i < t.count; i++)
		free(t.entry[i].path);
	free(t.entry);
	close(t.root_fd);
	if (rc < 0) {
		free(buf);
		return -1;
	}
	*archive = buf;
	*size = total;
	return 0;
}
