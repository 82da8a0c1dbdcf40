/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyscan.c - which processes run a CPython, and where its GIL functions are
 * (see pyscan.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "record/adapter.h"
#include "record/elf_files.h"
#include "record/elf_sym.h"
#include "record/pyscan.h"
#include "util/proc.h"

#define MAPS_LINE_MAX (PATH_MAX + 256)

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The file of a map line reachable from here, with its identity; -ESTALE
 * if the process maps a file no longer at that path. */
static int reach(pid_t pid, const struct elf_map_entry *m, struct pyscan_hit *hit)
{
	struct stat st;
	size_t n = strlen(m->path);

	if (n > 10 && !strcmp(m->path + n - 10, " (deleted)"))
		return -ESTALE;
	if (snprintf(hit->path, sizeof(hit->path), "/proc/%d/root%s", (int)pid, m->path) >=
	    (int)sizeof(hit->path))
		return -ENAMETOOLONG;
	if (stat(hit->path, &st))
		return -errno;
	if ((uint64_t)st.st_ino != m->inode)
		return -ESTALE;
	hit->dev = st.st_dev;
	hit->ino = st.st_ino;
	return 0;
}

int pyscan_process(pid_t pid, struct pyscan_hit *hit)
{
	struct elf_map_entry m, exe = { 0 }, lib = { 0 };
	char fn[64], *line = malloc(MAPS_LINE_MAX), exe_path[MAPS_LINE_MAX];
	char lib_path[MAPS_LINE_MAX];
	bool have_exe = false, have_lib = false;
	FILE *f;
	int r;

	if (!line)
		return -ENOMEM;
	memset(hit, 0, sizeof(*hit));
	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
	f = fopen(fn, "re");
	if (!f) {
		r = -errno;
		free(line);
		return r;
	}
	/* the executable is the first file mapped; a libpython anywhere */
	while (fgets(line, MAPS_LINE_MAX, f)) {
		if (!elf_files_parse_map_line(line, &m) || m.path[0] != '/')
			continue;
		if (!have_exe) {
			have_exe = true;
			exe = m;
			snprintf(exe_path, sizeof(exe_path), "%s", m.path);
			exe.path = exe_path;
		}
		if (!have_lib && starts(elf_files_base_name(m.path), "libpython")) {
			have_lib = true;
			lib = m;
			snprintf(lib_path, sizeof(lib_path), "%s", m.path);
			lib.path = lib_path;
		}
	}
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	free(line);
	if (r)
		return r;
	if (have_lib)
		r = reach(pid, &lib, hit);
	else if (have_exe && starts(elf_files_base_name(exe.path), "python"))
		r = reach(pid, &exe, hit);
	else
		return 0;
	if (r)
		return r;
	if (proc_comm(pid, pid, hit->comm))
		snprintf(hit->comm, sizeof(hit->comm), "?");
	return 1;
}

enum pyscan_file_state pyscan_file_probe(const char *path, struct lock_sites *p,
					 char *why, size_t whylen)
{
	struct elf_file *ef;
	bool symtab;
	int r = adapter_python_file(path, p);

	if (!r) {
		snprintf(why, whylen, "traced");
		return PYSCAN_FILE_OK;
	}
	if (elf_file_open(&ef, path)) {
		snprintf(why, whylen, "not an ELF file");
		return PYSCAN_FILE_BAD;
	}
	symtab = elf_file_has_symtab(ef);
	elf_file_close(ef);
	snprintf(why, whylen, "%s", symtab ? "no take_gil/drop_gil symbols" : "stripped");
	return symtab ? PYSCAN_FILE_NOSYMS : PYSCAN_FILE_STRIPPED;
}

int pyscan_each_pid(int (*fn)(void *ctx, pid_t pid), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		if (fn(ctx, (pid_t)pid))
			break;
	}
	closedir(d);
	return 0;
}
