/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * elf_files.c - which ELF files make up a program (see elf_files.h): a
 * running process tells what it mapped (/proc/PID/maps); a command not
 * started yet is searched in $PATH and its libraries the way ld.so finds
 * them. Nothing here needs privileges beyond reading the target's /proc.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/elf_files.h"
#include "record/elf_sym.h"
#include "util/err.h"
#include "util/path.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown"
#endif

int elf_files_init(struct elf_files *l)
{
	l->n = 0;
	l->path = calloc(ELF_FILES_MAX, sizeof(*l->path));
	return l->path ? 0 : -ENOMEM;
}

void elf_files_free(struct elf_files *l)
{
	free(l->path);
	l->path = NULL;
}

static bool list_has(const struct elf_files *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->path[i], p))
			return true;
	return false;
}

void elf_files_add(struct elf_files *l, const char *p)
{
	if (l->n < ELF_FILES_MAX && strlen(p) < PATH_MAX && !list_has(l, p))
		strcpy(l->path[l->n++], p);
}

const char *elf_files_base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool is_regular(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* The file execvp would run for argv0, as an absolute path. */
static int find_command(const char *argv0, char out[PATH_MAX])
{
	char cand[PATH_MAX];
	int rc = path_find_command(argv0, cand, sizeof(cand));

	if (rc)
		return rc;
	return realpath(cand, out) ? 0 : -errno;
}

/* A library directory list as DT_RPATH/DT_RUNPATH/LD_LIBRARY_PATH spell it. */
static bool search_dirs(const char *dirs, const char *origin, const char *name, int machine,
			char out[PATH_MAX])
{
	char dir[PATH_MAX], cand[PATH_MAX];

	while (dirs && *dirs) {
		size_t len = strcspn(dirs, ":");
		if (len < sizeof(dir)) {
			memcpy(dir, dirs, len);
			dir[len] = '\0';
			const char *rest = NULL;
			if (!strncmp(dir, "$ORIGIN", 7))
				rest = dir + 7;
			else if (!strncmp(dir, "${ORIGIN}", 9))
				rest = dir + 9;
			int w = rest ? snprintf(cand, sizeof(cand), "%s%s/%s", origin, rest, name)
				     : snprintf(cand, sizeof(cand), "%s/%s", dir, name);
			if (w > 0 && (size_t)w < sizeof(cand) && is_regular(cand)) {
				struct elf_file *ef;
				if (!elf_file_open(&ef, cand)) {
					bool same = elf_file_machine(ef) == machine;
					elf_file_close(ef);
					if (same && realpath(cand, out))
						return true;
				}
			}
		}
		dirs += len;
		if (*dirs == ':')
			dirs++;
	}
	return false;
}

/* Directories named in /etc/ld.so.conf and the files it includes. */
static bool search_ld_so_conf(const char *conf, const char *name, int machine,
			      char out[PATH_MAX], int depth)
{
	FILE *f = fopen(conf, "re");
	char line[PATH_MAX];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");
		s[strcspn(s, "#\r\n")] = '\0';
		for (size_t n = strlen(s); n && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
			s[n - 1] = '\0';
		if (!*s)
			continue;
		if (!strncmp(s, "include", 7) && (s[7] == ' ' || s[7] == '\t')) {
			if (depth > 2)
				continue;
			glob_t g;
			char pat[PATH_MAX];
			const char *p = s + 8 + strspn(s + 8, " \t");
			snprintf(pat, sizeof(pat), "%s%s", *p == '/' ? "" : "/etc/", p);
			if (!glob(pat, 0, NULL, &g)) {
				for (size_t i = 0; !found && i < g.gl_pathc; i++)
					found = search_ld_so_conf(g.gl_pathv[i], name, machine, out, depth + 1);
				globfree(&g);
			}
		} else {
			found = search_dirs(s, "", name, machine, out);
		}
	}
	fclose(f);
	return found;
}

/* Where ld.so would find library name for the object at from_path. */
int elf_files_find_library(const char *name, const char *from_path, char out[PATH_MAX])
{
	struct elf_file *ef;
	char origin[PATH_MAX];
	bool found = false;

	if (strchr(name, '/'))
		return realpath(name, out) ? 0 : -errno;
	int r = elf_file_open(&ef, from_path);
	if (r)
		return r;
	snprintf(origin, sizeof(origin), "%s", from_path);
	char *slash = strrchr(origin, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(origin, sizeof(origin), ".");
	int machine = elf_file_machine(ef);
	const char *runpath = elf_file_runpath(ef);
	if (!runpath)
		found = search_dirs(elf_file_rpath(ef), origin, name, machine, out);
	if (!found)
		found = search_dirs(getenv("LD_LIBRARY_PATH"), origin, name, machine, out);
	if (!found)
		found = search_dirs(runpath, origin, name, machine, out);
	if (!found)
		found = search_ld_so_conf("/etc/ld.so.conf", name, machine, out, 0);
	if (!found)
		found = search_dirs("/lib/" MULTIARCH ":/usr/lib/" MULTIARCH ":/lib64:/usr/lib64:/lib:/usr/lib",
				    "", name, machine, out);
	elf_file_close(ef);
	return found ? 0 : -ENOENT;
}

/* start and everything it needs, breadth first (ld.so's symbol search order). */
void elf_files_add_needed(struct elf_files *l, const char *start)
{
	size_t first = l->n;

	elf_files_add(l, start);
	for (size_t i = first; i < l->n; i++) {
		struct elf_file *ef;
		if (elf_file_open(&ef, l->path[i]))
			continue;
		const char *need;
		char lib[PATH_MAX];
		for (size_t k = 0; (need = elf_file_needed(ef, k)); k++)
			if (!elf_files_find_library(need, l->path[i], lib))
				elf_files_add(l, lib);
		elf_file_close(ef);
	}
}


bool elf_files_parse_map_line(char *line, struct elf_map_entry *m)
{
	int pos = 0;
	unsigned long long s, e, off, ino;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%llx-%llx %7s %llx %*s %llu %n", &s, &e, m->perms, &off, &ino, &pos) < 5 || !pos)
		return false;
	m->start = s;
	m->end = e;
	m->offset = off;
	m->inode = ino;
	m->path = line + pos;
	return true;
}

/* A path from /proc/PID/maps as we can open it: the same path if it is the
 * same file here, else through the target's root (containers). */
static void proc_file_path(pid_t pid, const char *path, uint64_t inode, char out[PATH_MAX])
{
	struct stat st;

	if (!stat(path, &st) && st.st_ino == inode) {
		snprintf(out, PATH_MAX, "%s", path);
		return;
	}
	if ((size_t)snprintf(out, PATH_MAX, "/proc/%d/root%s", (int)pid, path) >= PATH_MAX)
		snprintf(out, PATH_MAX, "%s", path);
}

/* Every file pid has mapped, in map order (its executable first). */
FILE *elf_files_maps_open(pid_t pid, int maps_fd)
{
	char fn[64];
	int fd;
	FILE *f;

	if (maps_fd < 0) {
		snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
		return fopen(fn, "re");
	}
	/* a dup shares the offset: rewind it, and read through a FILE of our own */
	if (lseek(maps_fd, 0, SEEK_SET) || (fd = dup(maps_fd)) < 0)
		return NULL;
	if (!(f = fdopen(fd, "re")))
		close(fd);
	return f;
}

int elf_files_add_mapped(struct elf_files *l, pid_t pid)
{
	return elf_files_add_mapped_fd(l, pid, -1);
}

int elf_files_add_mapped_fd(struct elf_files *l, pid_t pid, int maps_fd)
{
	char line[PATH_MAX + 128], p[PATH_MAX];
	struct elf_map_entry m;

	FILE *f = elf_files_maps_open(pid, maps_fd);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!elf_files_parse_map_line(line, &m) || m.path[0] != '/' || !m.inode)
			continue;
		size_t n = strlen(m.path);
		if (n > 10 && !strcmp(m.path + n - 10, " (deleted)"))
			continue;
		proc_file_path(pid, m.path, m.inode, p);
		elf_files_add(l, p);
	}
	fclose(f);
	return 0;
}

static int proc_exe(pid_t pid, char out[PATH_MAX])
{
	char fn[64];

	snprintf(fn, sizeof(fn), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(fn, out, PATH_MAX - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	struct stat st;
	if (stat(out, &st) && !stat(fn, &st))
		snprintf(out, PATH_MAX, "%s", fn);	/* other mount namespace */
	return 0;
}

/* The program: /proc/PID/exe if running, else argv0 searched like execvp. */
int elf_files_target_exe(pid_t pid, const char *argv0, char out[PATH_MAX], char *err, size_t errlen)
{
	int r;

	if (pid > 0) {
		r = proc_exe(pid, out);
		if (r)
			return errf(err, errlen, r, "cannot read /proc/%d/exe: %s", (int)pid, strerror(-r));
		return 0;
	}
	r = find_command(argv0, out);
	if (r)
		return errf(err, errlen, r, "%s: %s", argv0 ? argv0 : "(no command)",
			    r == -ENOENT ? "command not found" : strerror(-r));
	return 0;
}
