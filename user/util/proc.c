/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* proc.c - small readers of /proc (contract in proc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/proc.h"

int proc_comm(pid_t pid, pid_t tid, char name[16])
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, name, 15);
	close(fd);
	if (n <= 0)
		return -EIO;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

/* A number from /proc/PID/status ("Uid:", "Tgid:"...), first one on the line. */
int proc_status_u32(pid_t pid, const char *field, unsigned *val)
{
	char path[64], line[256];
	size_t n = strlen(field);
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && sscanf(line + n, "%u", val) == 1) {
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* /proc/PID/stat's fields after the command name (which may hold spaces
 * and parentheses: they start after the last ')'), from the state on. */
static int stat_fields(pid_t pid, char *buf, size_t len, char **fields)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')) || p[1] != ' ')
		return -EIO;
	*fields = p + 2;
	return 0;
}

int proc_start_time(pid_t pid, uint64_t *ticks)
{
	char buf[1024], *p;
	unsigned long long v;
	int err = stat_fields(pid, buf, sizeof(buf), &p);

	if (err)
		return err;
	/* state is field 3; starttime field 22: skip 19 fields after it */
	for (int i = 0; i < 19 && p; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (!p || sscanf(p, "%llu", &v) != 1)
		return -EIO;
	*ticks = v;
	return 0;
}

int proc_cpu_ns(pid_t pid, uint64_t *ns)
{
	char buf[1024], *p;
	unsigned long long ut, st, cut, cst;
	long hz = sysconf(_SC_CLK_TCK);
	int err = stat_fields(pid, buf, sizeof(buf), &p);

	if (err)
		return err;
	if (hz <= 0 || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			      &ut, &st, &cut, &cst) != 4)
		return -EIO;
	*ns = (ut + st + cut + cst) * (1000000000ull / (unsigned long long)hz);
	return 0;
}

int proc_status_ids(pid_t pid, const char *field, unsigned ids[4])
{
	char path[64], line[256];
	size_t n = strlen(field);
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n)) {
			if (sscanf(line + n, "%u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]) == 4)
				err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int proc_each_tid(pid_t pid, int (*fn)(void *ctx, pid_t tid), void *ctx)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return -errno;
	while (!rc && (d = readdir(dir))) {
		char *end;
		long tid = strtol(d->d_name, &end, 10);

		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' && !*end && tid > 0)
			rc = fn(ctx, (pid_t)tid);
	}
	closedir(dir);
	return rc;
}

void proc_cmdline(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	out[n] = '\0';
	for (ssize_t i = 0; i + 1 < n; i++)
		if (!out[i])
			out[i] = ' ';
}

void proc_join_args(char *out, size_t len, char *const *argv)
{
	size_t off = 0;

	out[0] = '\0';
	for (; *argv && off + 1 < len; argv++)
		off += snprintf(out + off, len - off, "%s%s", off ? " " : "", *argv);
}
