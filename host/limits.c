// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "limits.h"
#include "log.h"
#include "seccomp.h"

int limits_highest_open_fd(void)
{
	int highest = -1;
	DIR *dir = opendir("/proc/self/fd");
	if (dir) {
		int own = dirfd(dir);
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			int fd = atoi(e->d_name);
			if (fd != own && fd > highest)
				highest = fd;
		}
		closedir(dir);
		return highest;
	}
	/* No /proc: probe the usual range. */
	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			highest = fd;
	return highest;
}

static int lower_limit(int resource, rlim_t value, const char *name)
{
	struct rlimit now;
	if (getrlimit(resource, &now) < 0)
		return -1;
	/* Only ever lower: a limit already tighter stays. */
	if (now.rlim_max != RLIM_INFINITY && now.rlim_max < value)
		value = now.rlim_max;
	struct rlimit lim = {.rlim_cur = value, .rlim_max = value};
	if (setrlimit(resource, &lim) < 0) {
		log_msg("cannot lower %s to %llu: %s", name, (unsigned long long)value,
			strerror(errno));
		return -1;
	}
	return 0;
}

int limits_bound_process(void)
{
	return limits_bound_process_with(0);
}

int limits_bound_process_with(int spare_fds)
{
	rlim_t fds = (rlim_t)(limits_highest_open_fd() + 1 + spare_fds);
	if (seccomp_sanitizer_build())
		fds += LIMITS_SANITIZER_SPARE_FDS;
	if (lower_limit(RLIMIT_NOFILE, fds, "RLIMIT_NOFILE") < 0)
		return -1;
	/* LeakSanitizer's exit check clones a tracer task: keep NPROC for it. */
	if (!seccomp_sanitizer_build() && lower_limit(RLIMIT_NPROC, 0, "RLIMIT_NPROC") < 0)
		return -1;
	return 0;
}
