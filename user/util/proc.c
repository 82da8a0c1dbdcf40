/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* proc.c - small readers of /proc (contract in proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

int proc_start_time(pid_t pid, uint64_t *ticks)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* the name may hold anything, ')' too: fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* state is field 3; starttime field 22: skip 19 fields after it */
	p += 2;
	for (int i = 0; i < 19 && p; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (!p || sscanf(p, "%llu", &v) != 1)
		return -EIO;
	*ticks = v;
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
