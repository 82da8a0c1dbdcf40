/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * adapter.c - resolves --python and --lock targets to files and offsets (see
 * adapter.h); which files make up the program is elf_files.c's, CPython's
 * functions adapter_python.c's. Nothing here needs privileges beyond
 * reading the target's /proc entries.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bpf/gilscope.h"
#include "record/adapter.h"
#include "record/elf_files.h"
#include "record/elf_sym.h"
#include "util/err.h"
#include "util/path.h"


int adapter_find_func(struct elf_file *ef, const char *name, struct elf_sym *s)
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
	struct elf_file *d;

	int r = adapter_find_func(ef, name, s);
	if (r != -ENOENT || adapter_open_debug(ef, &d))
		return r;
	r = adapter_find_func(d, name, s);
	elf_file_close(d);
	return r;
}

int adapter_func_offset(struct elf_file *ef, const char *name, uint64_t *off, bool *imported,
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
			return errf(err, errlen, r, "--lock: %s: no function '%s' in its symbol tables%s", path, name,
				    elf_file_has_symtab(ef) ? "" : " (the file is stripped)");
		if (s.type == STT_GNU_IFUNC)
			return errf(err, errlen, -EINVAL,
				    "--lock: %s: '%s' is an IFUNC (chosen at load time); name the implementation instead",
				    path, name);
	}
	r = elf_file_vaddr_to_off(ef, s.vaddr, off);
	if (r)
		return errf(err, errlen, r, "--lock: %s: address 0x%llx of '%s' is not in a loaded segment",
			    path, (unsigned long long)s.vaddr, name);
	return 0;
}

void adapter_lock_target(const struct adapter_target *a, struct lock_target *t)
{
	memset(t, 0, sizeof(*t));
	t->binary = a->binary;
	t->acquire_name = a->acquire_sym;
	t->release_name = a->release_sym;
	t->sites = a->sites;
	t->acquire_arg = a->lock_arg;
	t->release_arg = a->lock_arg;
	t->lock_addr = a->lock_addr;
	t->acquire_ok = a->lock_ok;
}

/* ---- --lock ------------------------------------------------------------------- */

/* BINARY as a file: a path, the program itself, or a library name. */
static int lock_binary_path(pid_t pid, const char *exe, const char *name, char out[PATH_MAX],
			    char *err, size_t errlen)
{
	struct elf_files l;
	int r;

	if (!*name) {
		if (!*exe)
			return errf(err, errlen, -EINVAL, "--lock: empty BINARY means the traced program, but there is none");
		snprintf(out, PATH_MAX, "%s", exe);
		return 0;
	}
	if (strchr(name, '/')) {
		if (!realpath(name, out))
			return errf(err, errlen, -errno, "--lock: %s: %s", name, strerror(errno));
		return 0;
	}
	if ((r = elf_files_init(&l)))
		return errf(err, errlen, r, "out of memory");
	if (pid > 0)
		elf_files_add_mapped(&l, pid);
	else if (*exe)
		elf_files_add_needed(&l, exe);
	size_t n = strlen(name);
	for (size_t i = 0; i < l.n; i++) {
		const char *b = elf_files_base_name(l.path[i]);
		if (!strncmp(b, name, n) && (b[n] == '\0' || b[n] == '.' || b[n] == '-')) {
			snprintf(out, PATH_MAX, "%s", l.path[i]);
			elf_files_free(&l);
			return 0;
		}
	}
	elf_files_free(&l);
	if (!elf_files_find_library(name, *exe ? exe : "/proc/self/exe", out))
		return 0;
	return errf(err, errlen, -ENOENT, "--lock: cannot find '%s' (%s); give its path",
		    name, pid > 0 ? "not in the process's memory map" : "not needed by the program, not in the library paths");
}

/* The file in l that defines function name; its offset. */
static int find_defining(struct elf_files *l, const char *name, char out[PATH_MAX], uint64_t *off)
{
	for (size_t i = 0; i < l->n; i++) {
		struct elf_file *ef;
		struct elf_sym s;
		if (elf_file_open(&ef, l->path[i]))
			continue;
		int r = adapter_find_func(ef, name, &s);
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

static int lock_funcs(struct adapter_target *a, struct elf_files *l, char *err, size_t errlen)
{
	const char *syms[2] = { a->acquire_sym, a->release_sym };
	uint64_t *offs[2] = { &a->acquire_off, &a->release_off };
	char where[2][PATH_MAX];
	struct elf_file *ef;
	bool imported;
	int r;

	r = elf_file_open(&ef, a->binary);
	if (r)
		return errf(err, errlen, r, "--lock: %s: %s", a->binary,
			    r == -ENOEXEC ? "not an ELF file" :
			    r == -EINVAL ? "not a regular file" : strerror(-r));
	for (int i = 0; i < 2; i++) {
		snprintf(where[i], PATH_MAX, "%s", a->binary);
		r = adapter_func_offset(ef, syms[i], offs[i], &imported, err, errlen, a->binary);
		if (r && imported) {
			/* ./app calls pthread_mutex_lock: trace it where it is defined. */
			r = find_defining(l, syms[i], where[i], offs[i]);
			if (r)
				r = errf(err, errlen, r, "--lock: %s imports '%s' but no library it uses defines it",
					 a->binary, syms[i]);
		}
		if (r)
			break;
	}
	elf_file_close(ef);
	if (r)
		return r;
	if (strcmp(where[0], where[1]))
		return errf(err, errlen, -EINVAL, "--lock: '%s' is in %s but '%s' in %s; they must be in one file",
			    syms[0], where[0], syms[1], where[1]);
	snprintf(a->binary, sizeof(a->binary), "%s", where[0]);
	return 0;
}

void adapter_lock_symbol_at(struct adapter_target *a, uint64_t addr)
{
	if (a->lock_deref) {
		a->lock_var_addr = addr;
		a->lock_addr = ADAPTER_LOCK_UNSET;
	} else {
		a->lock_addr = addr;
	}
	a->lock.lock_addr = a->lock_addr;
}

/* Finds the lock variable: BINARY as given, the program, the libraries. */
static int lock_symbol(struct adapter_target *a, const char *spec_file, const char *exe,
		       struct elf_files *l, char *err, size_t errlen)
{
	struct elf_files c;
	int r;

	if ((r = elf_files_init(&c)))
		return errf(err, errlen, r, "out of memory");
	elf_files_add(&c, spec_file);
	if (*exe)
		elf_files_add(&c, exe);
	for (size_t i = 0; i < l->n; i++)
		elf_files_add(&c, l->path[i]);
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
				adapter_lock_symbol_at(a, s.vaddr);	/* not relocated */
			r = s.size == sizeof(uint64_t) || !a->lock_deref ? 0 : -EINVAL;
			if (r)
				r = errf(err, errlen, r, "--lock: '%s' in %s is %llu bytes, not a pointer "
					 "(=*%s reads the lock's address from a pointer variable; "
					 "=%s names the lock itself)", a->lock_sym, c.path[i],
					 (unsigned long long)s.size, a->lock_sym, a->lock_sym);
			elf_file_close(ef);
			elf_files_free(&c);
			return r;
		}
		elf_file_close(ef);
	}
	elf_files_free(&c);
	return errf(err, errlen, r, "--lock: no variable '%s' in %s, the program or its libraries "
		    "(static variables need an unstripped file)", a->lock_sym, spec_file);
}

int adapter_lock_resolve(pid_t pid, const char *argv0, struct adapter_target *a,
			 char *err, size_t errlen)
{
	char exe[PATH_MAX] = "", spec_file[PATH_MAX];
	struct elf_files l;
	int r;

	if (pid > 0 || argv0) {
		r = elf_files_target_exe(pid, argv0, exe, err, errlen);
		if (r)
			return r;
	}
	r = lock_binary_path(pid, exe, a->spec_binary, spec_file, err, errlen);
	if (r)
		return r;
	snprintf(a->binary, sizeof(a->binary), "%s", spec_file);
	if ((r = elf_files_init(&l)))
		return errf(err, errlen, r, "out of memory");
	if (pid > 0)
		elf_files_add_mapped(&l, pid);
	else
		elf_files_add_needed(&l, spec_file);
	r = lock_funcs(a, &l, err, errlen);
	if (!r)
		adapter_lock_sites(a);	/* keeps the entries if it cannot read the code */
	if (!r && a->lock_sym[0]) {
		r = lock_symbol(a, spec_file, exe, &l, err, errlen);
		if (!r && a->lock_pending && pid > 0) {
			r = adapter_resolve_lock_addr(pid, a);
			if (r)
				r = errf(err, errlen, r, "--lock: %s is not mapped by process %d",
					 a->lock_binary, (int)pid);
		}
	}
	elf_files_free(&l);
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

static bool same_file(const char *a, const struct stat *b_st, bool b_ok, const char *map_path,
		      uint64_t inode)
{
	return !strcmp(a, map_path) || (b_ok && b_st->st_ino == inode);
}

int adapter_resolve_lock_addr(pid_t pid, struct adapter_target *a)
{
	char fn[64];
	int fd, r;

	if (!a->lock_sym[0] || !a->lock_pending)
		return 0;
	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	r = adapter_resolve_lock_addr_in(fd, a);
	close(fd);
	return r;
}

int adapter_resolve_lock_addr_in(int maps_fd, struct adapter_target *a)
{
	char line[PATH_MAX + 128];
	struct elf_file *ef;
	struct elf_map_entry m;
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
	int fd = lseek(maps_fd, 0, SEEK_SET) ? -1 : dup(maps_fd);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
	if (!f) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	r = -EAGAIN;
	while (fgets(line, sizeof(line), f)) {
		if (!elf_files_parse_map_line(line, &m) || m.offset != (off & ~(page - 1)) ||
		    !same_file(a->lock_binary, &st, st_ok, m.path, m.inode))
			continue;
		uint64_t bias = m.start - (vaddr & ~(page - 1));
		adapter_lock_symbol_at(a, bias + a->lock_sym_vaddr);
		a->lock_pending = false;
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

int adapter_read_lock_ptr(int mem_fd, struct adapter_target *a)
{
	uint64_t v;
	ssize_t n;

	if (!a->lock_deref || a->lock_pending || !a->lock_var_addr)
		return 0;
	n = pread(mem_fd, &v, sizeof(v), (off_t)a->lock_var_addr);
	if (n != (ssize_t)sizeof(v))
		return n < 0 ? -errno : -EIO;
	if (!v || v == a->lock_addr)
		return 0;
	a->lock_addr = v;
	a->lock.lock_addr = v;
	return 1;
}
