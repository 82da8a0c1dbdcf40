/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* path.c - execvp's search (contract in path.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/path.h"

static int runnable(const char *p)
{
	struct stat st;

	if (stat(p, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(p, X_OK) ? -errno : 0;
}

int path_find_command(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (!name || !*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		int rc = runnable(name);

		if (rc)
			return rc;
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (;;) {
		size_t n = strcspn(path, ":");
		int w = snprintf(out, len, "%.*s%s%s", (int)n, path, n ? "/" : "", name);

		if (w >= 0 && (size_t)w < len && !runnable(out))
			return 0;
		if (!path[n])
			break;
		path += n + 1;
	}
	return -ENOENT;
}

int path_open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	int e = fstat(fd, &st) ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;

	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

int path_self_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len);
	char *slash;

	if (n < 0)
		return -errno;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	return 0;
}
