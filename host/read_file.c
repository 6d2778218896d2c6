// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/error.h"
#include "log.h"
#include "read_file.h"

static int fail(const char *path, int fd, const char *why)
{
	log_msg("%s: %s", path, why);
	if (fd >= 0)
		close(fd);
	return -1;
}

int read_file(const char *path, uint8_t **data, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, -1, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return fail(path, fd, "not a regular file");
	if ((uint64_t)st.st_size > READ_FILE_MAX) {
		char limit[BOOT_SIZE_STR_LEN], why[64];
		snprintf(why, sizeof(why), "larger than %s",
			 boot_format_size(limit, sizeof(limit), READ_FILE_MAX));
		return fail(path, fd, why);
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return fail(path, fd, "out of memory");
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return fail(path, fd,
				    r < 0 ? strerror(errno) : "file shrank while reading");
		}
		done += (size_t)r;
	}
	close(fd);
	*data = buf;
	*size = n;
	return 0;
}
