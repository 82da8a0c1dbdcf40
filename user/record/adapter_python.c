/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * adapter_python.c - --python: CPython's GIL functions in the interpreter or
 * its libpython (see adapter.h). CPython 3 has take_gil/drop_gil; Python 2
 * a plain lock behind the pointer interpreter_lock, traced as the --lock
 * target =*interpreter_lock.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record/adapter.h"
#include "util/gs_types.h"
#include "bpf/gilscope.h"
#include "record/elf_files.h"
#include "record/elf_sym.h"
#include "util/err.h"
#include "util/path.h"

static bool is_script(const char *path)
{
	char buf[2] = { 0 };
	int fd = path_open_regular(path);

	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, 2);
	close(fd);
	return n == 2 && buf[0] == '#' && buf[1] == '!';
}

/* "3.11" out of python3.11, python3.11d, libpython3.11.so.1.0, or "3". */
static void python_version(const char *path, char *ver, size_t len)
{
	const char *b = elf_files_base_name(path), *p = strstr(b, "python");

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
	int r = adapter_func_offset(ef, "take_gil", &a->acquire_off, &imp, NULL, 0, path);
	if (!r)
		r = adapter_func_offset(ef, "drop_gil", &a->release_off, &imp, NULL, 0, path);
	elf_file_close(ef);
	if (r || adapter_python_sites(path, a))
		return -ENOENT;
	snprintf(a->binary, sizeof(a->binary), "%s", path);
	return 0;
}

/* A variable (not code) in ef or its debug file by build-id. */
static int find_var_or_debug(struct elf_file *ef, const char *name, struct elf_sym *s)
{
	struct elf_file *d;
	int r = elf_file_find(ef, name, s);

	if (r == -ENOENT && !adapter_open_debug(ef, &d)) {
		r = elf_file_find(d, name, s);
		elf_file_close(d);
	}
	if (!r && (s->type == STT_FUNC || s->type == STT_GNU_IFUNC))
		r = -ENOENT;
	return r;
}

/*
 * Python 2 has no take_gil: its GIL is a plain lock that
 * PyThread_acquire_lock/PyThread_release_lock take and drop like any other,
 * whose address the static pointer interpreter_lock holds once threads
 * start. So it is exactly
 *   --lock FILE:PyThread_acquire_lock:PyThread_release_lock:arg0=*interpreter_lock:ok=nz
 * (the acquire returns 1 when it got the lock): the other locks the program
 * takes through the same functions (threading.Lock, the import lock) are
 * left out by the filter, which follows the pointer.
 */
static int python2_try(const char *path, struct adapter_target *a)
{
	struct elf_file *ef;
	struct elf_sym s;
	bool imp;
	int r;

	if (elf_file_open(&ef, path))
		return -ENOEXEC;
	r = adapter_func_offset(ef, "PyThread_acquire_lock", &a->acquire_off, &imp, NULL, 0, path);
	if (!r)
		r = adapter_func_offset(ef, "PyThread_release_lock", &a->release_off, &imp, NULL, 0, path);
	if (!r)
		r = find_var_or_debug(ef, "interpreter_lock", &s);
	if (!r && s.size != sizeof(uint64_t))
		r = -ENOENT;
	if (r) {
		elf_file_close(ef);
		return -ENOENT;
	}
	snprintf(a->acquire_sym, sizeof(a->acquire_sym), "PyThread_acquire_lock");
	snprintf(a->release_sym, sizeof(a->release_sym), "PyThread_release_lock");
	snprintf(a->lock_sym, sizeof(a->lock_sym), "interpreter_lock");
	snprintf(a->lock_binary, sizeof(a->lock_binary), "%s", path);
	snprintf(a->binary, sizeof(a->binary), "%s", path);
	a->lock_arg = 0;
	a->lock_ok = GS_LOCK_OK_NONZERO;
	a->lock_deref = true;
	a->lock_sym_vaddr = s.vaddr;
	a->lock_pending = elf_file_type(ef) != ET_EXEC;
	a->lock_addr = ADAPTER_LOCK_UNSET;
	if (!a->lock_pending)
		adapter_lock_symbol_at(a, s.vaddr);
	elf_file_close(ef);
	adapter_lock_sites(a);	/* keeps the entries if it cannot read the code */
	return 0;
}

/* Why path has neither CPython 3's nor Python 2's lock, into why. */
static void python_why_not(const char *path, char *why, size_t len)
{
	struct elf_file *ef, *d;

	if (elf_file_open(&ef, path)) {
		snprintf(why, len, "%s is not a readable ELF file", path);
		return;
	}
	if (elf_file_has_symtab(ef))
		snprintf(why, len, "%s has a symbol table without them", path);
	else if (!adapter_open_debug(ef, &d)) {
		snprintf(why, len, "%s is stripped and its debug file (by build-id) lacks them", path);
		elf_file_close(d);
	} else
		snprintf(why, len, "%s is stripped (no symbol table, no debug file in "
			 "/usr/lib/debug/.build-id)", path);
	elf_file_close(ef);
}

int adapter_python_resolve(pid_t pid, const char *argv0, struct adapter_target *a,
			   char *err, size_t errlen)
{
	char exe[PATH_MAX], lib[PATH_MAX], ver[16];
	struct elf_files l;
	struct elf_file *ef;
	int r;

	memset(a, 0, sizeof(*a));
	a->lock_arg = -1;
	a->lock_addr = ADAPTER_PYTHON_LOCK_ID;
	a->lock_ok = GS_LOCK_OK_ANY;	/* take_gil returns nothing (3.x) */
	snprintf(a->adapter, sizeof(a->adapter), "python");
	snprintf(a->acquire_sym, sizeof(a->acquire_sym), "take_gil");
	snprintf(a->release_sym, sizeof(a->release_sym), "drop_gil");
	r = elf_files_target_exe(pid, argv0, exe, err, errlen);
	if (r)
		return r;
	r = elf_file_open(&ef, exe);
	if (r) {
		if (r == -ENOEXEC && is_script(exe))
			return errf(err, errlen, -ENOEXEC,
				    "%s is a script, not a Python interpreter (a pyenv shim?): give the "
				    "interpreter's path, e.g. $(pyenv which python3)", exe);
		return errf(err, errlen, r, "%s: %s", exe,
			    r == -ENOEXEC ? "not an ELF executable" :
			    r == -EINVAL ? "not a regular file" : strerror(-r));
	}
	if ((r = elf_files_init(&l))) {
		elf_file_close(ef);
		return errf(err, errlen, r, "out of memory");
	}
	/* The interpreter itself (static build), then any libpython it uses. */
	elf_files_add(&l, exe);
	if (pid > 0) {
		struct elf_files m;
		if (!elf_files_init(&m)) {
			elf_files_add_mapped(&m, pid);
			for (size_t i = 0; i < m.n; i++)
				if (!strncmp(elf_files_base_name(m.path[i]), "libpython", 9))
					elf_files_add(&l, m.path[i]);
			elf_files_free(&m);
		}
	} else {
		const char *need;
		for (size_t k = 0; (need = elf_file_needed(ef, k)); k++)
			if (!strncmp(need, "libpython", 9) && !elf_files_find_library(need, exe, lib))
				elf_files_add(&l, lib);
	}
	elf_file_close(ef);
	/* CPython 3 first: a Python 3 has PyThread_acquire_lock too */
	for (int py2 = 0; py2 < 2; py2++)
		for (size_t i = 0; i < l.n; i++) {
			if (py2 ? python2_try(l.path[i], a) : python_try(l.path[i], a))
				continue;
			elf_files_free(&l);
			adapter_lock_target(a, &a->lock);
			return 0;
		}
	const char *last = l.path[l.n - 1];
	char why[PATH_MAX + 96];
	python_why_not(last, why, sizeof(why));
	if (l.n == 1 && !strstr(elf_files_base_name(exe), "python"))
		r = errf(err, errlen, -ENOENT,
			 "%s is not a Python interpreter: looked for CPython's GIL functions "
			 "(take_gil/drop_gil; Python 2: PyThread_acquire_lock and interpreter_lock) in "
			 "it and in a libpython it uses: %s, and it uses no libpython; run the "
			 "interpreter itself: --python -- python3.X script.py", exe, why);
	else {
		python_version(last, ver, sizeof(ver));
		r = errf(err, errlen, -ENOENT,
			 "looked for CPython's GIL functions (take_gil/drop_gil; Python 2: "
			 "PyThread_acquire_lock and interpreter_lock) in %s%s%s: %s; use an interpreter "
			 "with symbols, e.g. Debian's python%s-dbg (apt install python%s-dbg, then run "
			 "python%s-dbg) or a pyenv build (its libpython%s.so keeps them)",
			 exe, l.n > 1 ? " and " : "", l.n > 1 ? last : "", why, ver, ver, ver, ver);
	}
	elf_files_free(&l);
	return r;
}

int adapter_python_file(const char *path, struct lock_sites *sites)
{
	struct adapter_target *a = calloc(1, sizeof(*a));	/* PATH_MAX strings: not on the stack */
	int r;

	memset(sites, 0, sizeof(*sites));
	if (!a)
		return -ENOMEM;
	r = python_try(path, a);
	if (!r)
		*sites = a->sites;
	free(a);
	return r;
}
