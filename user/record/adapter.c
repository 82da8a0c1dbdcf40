/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * adapter.c - resolves --python and --lock targets to files and offsets (see
 * adapter.h). Finding files: a running process tells us what it mapped
 * (/proc/PID/maps); a command not started yet is searched in $PATH and its
 * libraries the way ld.so will find them. Nothing here needs privileges
 * beyond reading the target's /proc entries.
 */
#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/adapter.h"
#include "record/elf_sym.h"
#include "record/recorder.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown"
#endif

#define MAX_FILES 48	/* libraries searched for a symbol: plenty for real programs */

struct file_list {
	char (*path)[PATH_MAX];
	size_t n;
};

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int list_init(struct file_list *l)
{
	l->n = 0;
	l->path = calloc(MAX_FILES, sizeof(*l->path));
	return l->path ? 0 : -ENOMEM;
}

static void list_free(struct file_list *l)
{
	free(l->path);
	l->path = NULL;
}

static bool list_has(const struct file_list *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->path[i], p))
			return true;
	return false;
}

static void list_add(struct file_list *l, const char *p)
{
	if (l->n < MAX_FILES && strlen(p) < PATH_MAX && !list_has(l, p))
		strcpy(l->path[l->n++], p);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool is_regular(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* Like execvp's search: argv0 with a '/' is a path, else each $PATH entry. */
static int find_command(const char *argv0, char out[PATH_MAX])
{
	char cand[PATH_MAX];

	if (!argv0 || !*argv0)
		return -ENOENT;
	if (strchr(argv0, '/'))
		return realpath(argv0, out) ? 0 : -errno;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if ((size_t)snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, len ? path : ".", argv0) < sizeof(cand) &&
		    is_regular(cand) && !access(cand, X_OK))
			return realpath(cand, out) ? 0 : -errno;
		path += len;
		if (*path == ':')
			path++;
	}
	return -ENOENT;
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
static int find_library(const char *name, const char *from_path, char out[PATH_MAX])
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
static void add_needed_tree(struct file_list *l, const char *start)
{
	size_t first = l->n;

	list_add(l, start);
	for (size_t i = first; i < l->n; i++) {
		struct elf_file *ef;
		if (elf_file_open(&ef, l->path[i]))
			continue;
		const char *need;
		char lib[PATH_MAX];
		for (size_t k = 0; (need = elf_file_needed(ef, k)); k++)
			if (!find_library(need, l->path[i], lib))
				list_add(l, lib);
		elf_file_close(ef);
	}
}

struct map_entry {
	uint64_t start, end, offset, inode;
	char perms[8];
	const char *path;	/* points into the line buffer */
};

static bool parse_map_line(char *line, struct map_entry *m)
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
static int add_mapped_files(struct file_list *l, pid_t pid)
{
	char fn[64], line[PATH_MAX + 128], p[PATH_MAX];
	struct map_entry m;

	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_map_line(line, &m) || m.path[0] != '/' || !m.inode)
			continue;
		size_t n = strlen(m.path);
		if (n > 10 && !strcmp(m.path + n - 10, " (deleted)"))
			continue;
		proc_file_path(pid, m.path, m.inode, p);
		list_add(l, p);
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
static int target_exe(pid_t pid, const char *argv0, char out[PATH_MAX], char *err, size_t errlen)
{
	int r;

	if (pid > 0) {
		r = proc_exe(pid, out);
		if (r)
			return fail(err, errlen, r, "cannot read /proc/%d/exe: %s", (int)pid, strerror(-r));
		return 0;
	}
	r = find_command(argv0, out);
	if (r)
		return fail(err, errlen, r, "%s: %s", argv0 ? argv0 : "(no command)",
			    r == -ENOENT ? "command not found" : strerror(-r));
	return 0;
}

static bool is_script(const char *path)
{
	char buf[2] = { 0 };
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	size_t n = fread(buf, 1, 2, f);
	fclose(f);
	return n == 2 && buf[0] == '#' && buf[1] == '!';
}

/* 0 if path defines name as something code can be (not a variable). */
static int find_func(struct elf_file *ef, const char *name, struct elf_sym *s)
{
	int r = elf_file_find(ef, name, s);

	if (r)
		return r;
	if (s->type == STT_OBJECT || s->type == STT_TLS || s->type == STT_SECTION || s->type == STT_FILE)
		return -ENOENT;
	return 0;
}

/* Looks name up in the file, or in its separate debug file found by build-id
 * (/usr/lib/debug/.build-id/xx/yyyy.debug, e.g. from a -dbgsym package). */
static int find_func_or_debug(struct elf_file *ef, const char *name, struct elf_sym *s)
{
	char id[128], dbg[PATH_MAX];
	struct elf_file *d;

	int r = find_func(ef, name, s);
	if (r != -ENOENT || elf_file_build_id(ef, id, sizeof(id)) || strlen(id) < 3)
		return r;
	snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	if (elf_file_open(&d, dbg))
		return r;
	r = find_func(d, name, s);
	elf_file_close(d);
	return r;
}

/* Resolves a function name or 0xADDR in ef to a file offset. */
static int func_offset(struct elf_file *ef, const char *name, uint64_t *off, bool *imported,
		       char *err, size_t errlen, const char *path)
{
	struct elf_sym s;
	int r;

	*imported = false;
	if (name[0] >= '0' && name[0] <= '9') {
		s.vaddr = strtoull(name, NULL, 0);
		s.type = STT_FUNC;
	} else {
		r = find_func_or_debug(ef, name, &s);
		if (r == -ENXIO) {
			*imported = true;
			return r;
		}
		if (r)
			return fail(err, errlen, r, "--lock: %s: no function '%s' in its symbol tables%s", path, name,
				    elf_file_has_symtab(ef) ? "" : " (the file is stripped)");
		if (s.type == STT_GNU_IFUNC)
			return fail(err, errlen, -EINVAL,
				    "--lock: %s: '%s' is an IFUNC (chosen at load time); name the implementation instead",
				    path, name);
	}
	r = elf_file_vaddr_to_off(ef, s.vaddr, off);
	if (r)
		return fail(err, errlen, r, "--lock: %s: address 0x%llx of '%s' is not in a loaded segment",
			    path, (unsigned long long)s.vaddr, name);
	return 0;
}

void adapter_lock_target(const struct adapter_target *a, struct lock_target *t)
{
	memset(t, 0, sizeof(*t));
	t->binary = a->binary;
	t->acquire_off = a->acquire_off;
	t->release_off = a->release_off;
	t->acquire_arg = a->lock_arg;
	t->release_arg = a->lock_arg;
	t->lock_addr = a->lock_addr;
}

/* ---- CPython ---------------------------------------------------------------- */

/* "3.11" out of python3.11, python3.11d, libpython3.11.so.1.0, or "3". */
static void python_version(const char *path, char *ver, size_t len)
{
	const char *b = base_name(path), *p = strstr(b, "python");

	snprintf(ver, len, "3.X");
	if (!p)
		return;
	p += 6;
	size_t n = strspn(p, "0123456789.");
	while (n && p[n - 1] == '.')
		n--;
	if (n && n < len)
		snprintf(ver, len, "%.*s", (int)n, p);
}

static int python_try(const char *path, struct adapter_target *a)
{
	struct elf_file *ef;
	bool imp;

	if (elf_file_open(&ef, path))
		return -ENOEXEC;
	int r = func_offset(ef, "take_gil", &a->acquire_off, &imp, NULL, 0, path);
	if (!r)
		r = func_offset(ef, "drop_gil", &a->release_off, &imp, NULL, 0, path);
	elf_file_close(ef);
	if (r)
		return -ENOENT;
	snprintf(a->binary, sizeof(a->binary), "%s", path);
	return 0;
}

int adapter_python_resolve(pid_t pid, const char *argv0, struct adapter_target *a,
			   char *err, size_t errlen)
{
	char exe[PATH_MAX], lib[PATH_MAX], ver[16];
	struct file_list l;
	struct elf_file *ef;
	int r;

	memset(a, 0, sizeof(*a));
	a->lock_arg = -1;
	a->lock_addr = ADAPTER_PYTHON_LOCK_ID;
	snprintf(a->adapter, sizeof(a->adapter), "python");
	snprintf(a->acquire_sym, sizeof(a->acquire_sym), "take_gil");
	snprintf(a->release_sym, sizeof(a->release_sym), "drop_gil");
	r = target_exe(pid, argv0, exe, err, errlen);
	if (r)
		return r;
	r = elf_file_open(&ef, exe);
	if (r) {
		if (r == -ENOEXEC && is_script(exe))
			return fail(err, errlen, -ENOEXEC,
				    "%s is a script, not a Python interpreter (a pyenv shim?): give the "
				    "interpreter's path, e.g. $(pyenv which python3)", exe);
		return fail(err, errlen, r, "%s: %s", exe,
			    r == -ENOEXEC ? "not an ELF executable" : strerror(-r));
	}
	if ((r = list_init(&l))) {
		elf_file_close(ef);
		return fail(err, errlen, r, "out of memory");
	}
	/* The interpreter itself (static build), then any libpython it uses. */
	list_add(&l, exe);
	if (pid > 0) {
		struct file_list m;
		if (!list_init(&m)) {
			add_mapped_files(&m, pid);
			for (size_t i = 0; i < m.n; i++)
				if (!strncmp(base_name(m.path[i]), "libpython", 9))
					list_add(&l, m.path[i]);
			list_free(&m);
		}
	} else {
		const char *need;
		for (size_t k = 0; (need = elf_file_needed(ef, k)); k++)
			if (!strncmp(need, "libpython", 9) && !find_library(need, exe, lib))
				list_add(&l, lib);
	}
	elf_file_close(ef);
	for (size_t i = 0; i < l.n; i++) {
		if (!python_try(l.path[i], a)) {
			list_free(&l);
			adapter_lock_target(a, &a->lock);
			return 0;
		}
	}
	const char *last = l.path[l.n - 1];
	if (l.n == 1 && !strstr(base_name(exe), "python"))
		r = fail(err, errlen, -ENOENT,
			 "%s is not a Python interpreter with take_gil/drop_gil symbols (and uses no "
			 "libpython); run the interpreter itself: --python -- python3.X script.py", exe);
	else {
		python_version(last, ver, sizeof(ver));
		r = fail(err, errlen, -ENOENT,
			 "%s has no take_gil/drop_gil symbols (stripped): use an interpreter with symbols, "
			 "e.g. Debian's python%s-dbg (apt install python%s-dbg, then run python%s-dbg) "
			 "or a pyenv build (its libpython%s.so keeps them)",
			 last, ver, ver, ver, ver);
	}
	list_free(&l);
	return r;
}

/* ---- --lock ------------------------------------------------------------------- */

/* BINARY as a file: a path, the program itself, or a library name. */
static int lock_binary_path(pid_t pid, const char *exe, const char *name, char out[PATH_MAX],
			    char *err, size_t errlen)
{
	struct file_list l;
	int r;

	if (!*name) {
		if (!*exe)
			return fail(err, errlen, -EINVAL, "--lock: empty BINARY means the traced program, but there is none");
		snprintf(out, PATH_MAX, "%s", exe);
		return 0;
	}
	if (strchr(name, '/')) {
		if (!realpath(name, out))
			return fail(err, errlen, -errno, "--lock: %s: %s", name, strerror(errno));
		return 0;
	}
	if ((r = list_init(&l)))
		return fail(err, errlen, r, "out of memory");
	if (pid > 0)
		add_mapped_files(&l, pid);
	else if (*exe)
		add_needed_tree(&l, exe);
	size_t n = strlen(name);
	for (size_t i = 0; i < l.n; i++) {
		const char *b = base_name(l.path[i]);
		if (!strncmp(b, name, n) && (b[n] == '\0' || b[n] == '.' || b[n] == '-')) {
			snprintf(out, PATH_MAX, "%s", l.path[i]);
			list_free(&l);
			return 0;
		}
	}
	list_free(&l);
	if (!find_library(name, *exe ? exe : "/proc/self/exe", out))
		return 0;
	return fail(err, errlen, -ENOENT, "--lock: cannot find '%s' (%s); give its path",
		    name, pid > 0 ? "not in the process's memory map" : "not needed by the program, not in the library paths");
}

/* The file in l that defines function name; its offset. */
static int find_defining(struct file_list *l, const char *name, char out[PATH_MAX], uint64_t *off)
{
	for (size_t i = 0; i < l->n; i++) {
		struct elf_file *ef;
		struct elf_sym s;
		if (elf_file_open(&ef, l->path[i]))
			continue;
		int r = find_func(ef, name, &s);
		if (!r && s.type != STT_GNU_IFUNC)
			r = elf_file_vaddr_to_off(ef, s.vaddr, off);
		elf_file_close(ef);
		if (!r) {
			snprintf(out, PATH_MAX, "%s", l->path[i]);
			return 0;
		}
	}
	return -ENOENT;
}

static int lock_funcs(struct adapter_target *a, struct file_list *l, char *err, size_t errlen)
{
	const char *syms[2] = { a->acquire_sym, a->release_sym };
	uint64_t *offs[2] = { &a->acquire_off, &a->release_off };
	char where[2][PATH_MAX];
	struct elf_file *ef;
	bool imported;
	int r;

	r = elf_file_open(&ef, a->binary);
	if (r)
		return fail(err, errlen, r, "--lock: %s: %s", a->binary,
			    r == -ENOEXEC ? "not an ELF file" : strerror(-r));
	for (int i = 0; i < 2; i++) {
		snprintf(where[i], PATH_MAX, "%s", a->binary);
		r = func_offset(ef, syms[i], offs[i], &imported, err, errlen, a->binary);
		if (r && imported) {
			/* ./app calls pthread_mutex_lock: trace it where it is defined. */
			r = find_defining(l, syms[i], where[i], offs[i]);
			if (r)
				r = fail(err, errlen, r, "--lock: %s imports '%s' but no library it uses defines it",
					 a->binary, syms[i]);
		}
		if (r)
			break;
	}
	elf_file_close(ef);
	if (r)
		return r;
	if (strcmp(where[0], where[1]))
		return fail(err, errlen, -EINVAL, "--lock: '%s' is in %s but '%s' in %s; they must be in one file",
			    syms[0], where[0], syms[1], where[1]);
	snprintf(a->binary, sizeof(a->binary), "%s", where[0]);
	return 0;
}

/* Finds the lock variable: BINARY as given, the program, the libraries. */
static int lock_symbol(struct adapter_target *a, const char *spec_file, const char *exe,
		       struct file_list *l, char *err, size_t errlen)
{
	struct file_list c;
	int r;

	if ((r = list_init(&c)))
		return fail(err, errlen, r, "out of memory");
	list_add(&c, spec_file);
	if (*exe)
		list_add(&c, exe);
	for (size_t i = 0; i < l->n; i++)
		list_add(&c, l->path[i]);
	r = -ENOENT;
	for (size_t i = 0; r && i < c.n; i++) {
		struct elf_file *ef;
		struct elf_sym s;
		if (elf_file_open(&ef, c.path[i]))
			continue;
		if (!elf_file_find(ef, a->lock_sym, &s) && s.type != STT_FUNC && s.type != STT_GNU_IFUNC) {
			snprintf(a->lock_binary, sizeof(a->lock_binary), "%s", c.path[i]);
			a->lock_sym_vaddr = s.vaddr;
			a->lock_pending = elf_file_type(ef) != ET_EXEC;
			if (!a->lock_pending)
				a->lock_addr = s.vaddr;	/* not relocated */
			r = 0;
		}
		elf_file_close(ef);
	}
	list_free(&c);
	if (r)
		return fail(err, errlen, r, "--lock: no variable '%s' in %s, the program or its libraries "
			    "(static variables need an unstripped file)", a->lock_sym, spec_file);
	return 0;
}

int adapter_lock_resolve(pid_t pid, const char *argv0, struct adapter_target *a,
			 char *err, size_t errlen)
{
	char exe[PATH_MAX] = "", spec_file[PATH_MAX];
	struct file_list l;
	int r;

	if (pid > 0 || argv0) {
		r = target_exe(pid, argv0, exe, err, errlen);
		if (r)
			return r;
	}
	r = lock_binary_path(pid, exe, a->spec_binary, spec_file, err, errlen);
	if (r)
		return r;
	snprintf(a->binary, sizeof(a->binary), "%s", spec_file);
	if ((r = list_init(&l)))
		return fail(err, errlen, r, "out of memory");
	if (pid > 0)
		add_mapped_files(&l, pid);
	else
		add_needed_tree(&l, spec_file);
	r = lock_funcs(a, &l, err, errlen);
	if (!r && a->lock_sym[0]) {
		r = lock_symbol(a, spec_file, exe, &l, err, errlen);
		if (!r && a->lock_pending && pid > 0) {
			r = adapter_resolve_lock_addr(pid, a);
			if (r)
				r = fail(err, errlen, r, "--lock: %s is not mapped by process %d",
					 a->lock_binary, (int)pid);
		}
	}
	list_free(&l);
	if (!r)
		adapter_lock_target(a, &a->lock);
	return r;
}

int adapter_setup(struct adapter_target *a, bool python, const char *lock_spec, pid_t pid,
		  const char *argv0, bool *usage, char *err, size_t errlen)
{
	int r;

	*usage = false;
	if (!python) {
		r = adapter_lock_parse(lock_spec, a, err, errlen);
		if (r) {
			char why[512];
			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "--lock: %s", why);
			*usage = true;
			return r;
		}
	}
	r = python ? adapter_python_resolve(pid, argv0, a, err, errlen)
		   : adapter_lock_resolve(pid, argv0, a, err, errlen);
	if (r)
		return r;
	if (pid > 0 && a->lock_pending && !adapter_resolve_lock_addr(pid, a))
		a->lock_pending = false;
	adapter_lock_target(a, &a->lock);
	return 0;
}

int adapter_configure(struct recorder_opts *ro, bool python, const char *lock_spec,
		      struct adapter_target **out, char *err, size_t errlen)
{
	struct adapter_target *a;
	bool usage = false;

	*out = NULL;
	if (!python && !lock_spec)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	if (adapter_setup(a, python, lock_spec, ro->pid, ro->argv ? ro->argv[0] : NULL,
			  &usage, err, errlen)) {
		free(a);
		return usage ? 2 : 1;
	}
	if (a->lock_pending) {
		/* a PIE's lock is placed at exec: stop there to set the filter */
		ro->on_exec = adapter_on_exec;
		ro->exec_ctx = a;
	}
	ro->lock = &a->lock;
	ro->adapter = a->adapter;
	*out = a;
	return 0;
}

void adapter_on_exec(void *exec_ctx, struct recorder *r, pid_t pid)
{
	struct adapter_target *a = exec_ctx;

	if (a && a->lock_pending && !adapter_resolve_lock_addr(pid, a))
		recorder_set_lock_filter(r, a->lock_addr);
}

static bool same_file(const char *a, const struct stat *b_st, bool b_ok, const char *map_path,
		      uint64_t inode)
{
	return !strcmp(a, map_path) || (b_ok && b_st->st_ino == inode);
}

int adapter_resolve_lock_addr(pid_t pid, struct adapter_target *a)
{
	char fn[64], line[PATH_MAX + 128];
	struct elf_file *ef;
	struct map_entry m;
	uint64_t vaddr, off;
	struct stat st;
	int r;

	if (!a->lock_sym[0] || !a->lock_pending)
		return 0;
	if ((r = elf_file_open(&ef, a->lock_binary)))
		return r;
	r = elf_file_first_load(ef, &vaddr, &off);
	elf_file_close(ef);
	if (r)
		return r;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	bool st_ok = !stat(a->lock_binary, &st);
	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "re");
	if (!f)
		return -errno;
	r = -EAGAIN;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_map_line(line, &m) || m.offset != (off & ~(page - 1)) ||
		    !same_file(a->lock_binary, &st, st_ok, m.path, m.inode))
			continue;
		uint64_t bias = m.start - (vaddr & ~(page - 1));
		a->lock_addr = bias + a->lock_sym_vaddr;
		a->lock.lock_addr = a->lock_addr;
		a->lock_pending = false;
		r = 0;
		break;
	}
	fclose(f);
	return r;
}
