/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyread_attach.c - finding the interpreter in a process and placing its
 * layout there (pyread_attach, pyread_attach_fds, pyread_ready; see
 * pyread.h): which file, its load bias, glibc's tid offset.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/elf_files.h"
#include "record/elf_sym.h"
#include "record/pyread_priv.h"
#include "util/err.h"

/* Where the process mapped path: bias = map start - page_down(p_vaddr) for
 * the mapping of page_down(p_offset) of that file (same inode). Its maps
 * through maps_fd if >= 0. */
static int find_bias(pid_t pid, int maps_fd, const char *path, uint64_t vaddr, uint64_t off,
		     uint64_t *bias)
{
	char line[PATH_MAX + 128];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct elf_map_entry m;
	struct stat st;
	int r = -ENOENT;
	FILE *f;

	if (stat(path, &st))
		return -errno;
	f = elf_files_maps_open(pid, maps_fd);
	if (!f)
		return -errno;
	while (r && fgets(line, sizeof(line), f))
		if (elf_files_parse_map_line(line, &m) && m.inode == st.st_ino &&
		    m.offset == (off & ~(page - 1))) {
			*bias = m.start - (vaddr & ~(page - 1));
			r = 0;
		}
	fclose(f);
	return r;
}

/* glibc publishes where struct pthread keeps the tid, for debuggers: the
 * descriptor _thread_db_pthread_tid = { bits, count, offset }. */
static int64_t glibc_tid_offset(const struct elf_files *mapped)
{
	for (size_t i = 0; i < mapped->n; i++) {
		const char *b = elf_files_base_name(mapped->path[i]);
		struct elf_file *ef;
		struct elf_sym s;
		uint32_t d[3];
		int r;

		if (strncmp(b, "libc.so", 7) && strncmp(b, "libc-", 5))
			continue;
		if (elf_file_open(&ef, mapped->path[i]))
			continue;
		r = elf_file_find(ef, "_thread_db_pthread_tid", &s);
		if (!r)
			r = elf_file_read(ef, s.vaddr, d, sizeof(d));
		elf_file_close(ef);
		if (!r && d[0] == 32 && d[1] == 1 && d[2] < 4096)
			return d[2];
	}
	return -1;
}

int pyread_attach(struct pyread **out, pid_t pid, char *err, size_t errlen)
{
	char exe[PATH_MAX], why[PATH_MAX + 256] = "";
	struct pylayout *lp = malloc(sizeof(*lp));	/* 4 KiB of path: not on the stack */
	struct elf_files files;
	uint64_t bias = 0;
	int r, tried = 0;

	*out = NULL;
	if (!lp)
		return errf(err, errlen, -ENOMEM, "out of memory");
	if (kill(pid, 0) && errno == ESRCH) {
		free(lp);
		return errf(err, errlen, -ESRCH, "no process %d", (int)pid);
	}
	r = elf_files_target_exe(pid, NULL, exe, err, errlen);
	if (r || (r = elf_files_init(&files))) {
		free(lp);
		if (r == -EACCES || r == -EPERM)
			return errf(err, errlen, r, "process %d: not allowed to read it: run as root "
				    "(or as its user, where ptrace is allowed)", (int)pid);
		return r == -ENOMEM ? errf(err, errlen, r, "out of memory") : r;
	}
	elf_files_add(&files, exe);
	elf_files_add_mapped(&files, pid);
	r = -ENOENT;
	/* the executable (a static build) or a libpython it mapped */
	for (size_t i = 0; r && i < files.n; i++) {
		const char *b = elf_files_base_name(files.path[i]);

		if (i && strncmp(b, "libpython", 9))
			continue;
		tried++;
		r = pylayout_load(lp, files.path[i], why, sizeof(why));
		if (r == -ENOEXEC && i == 0)
			continue;	/* the executable is only a launcher */
		if (!r && (r = find_bias(pid, -1, lp->path, lp->load_vaddr, lp->load_off, &bias)))
			snprintf(why, sizeof(why), "%s is not mapped by process %d", lp->path, (int)pid);
	}
	if (!r) {
		r = pyread_open(out, pid, lp, bias,
				lp->tids == PYL_TID_PTHREAD ? glibc_tid_offset(&files) : -1);
		if (r == -EACCES || r == -EPERM)
			snprintf(why, sizeof(why), "process %d: not allowed to read its memory: run as "
				 "root (or as its user, where ptrace is allowed)", (int)pid);
		else if (r)
			snprintf(why, sizeof(why), "process %d: %s", (int)pid, strerror(-r));
	}
	elf_files_free(&files);
	free(lp);
	if (!r)
		return 0;
	if (r == -ENOEXEC || (r == -ENOENT && !why[0]))
		return errf(err, errlen, -ENOENT, "process %d (%s) runs no CPython 3.6+ "
			    "interpreter (%d files looked at)", (int)pid, exe, tried);
	return errf(err, errlen, r, "%s", why);
}

int pyread_attach_fds(struct pyread **out, pid_t pid, const struct pylayout *l, int maps_fd,
		      int mem_fd, char *err, size_t errlen)
{
	struct elf_files files;
	uint64_t bias;
	int r;

	*out = NULL;
	r = find_bias(pid, maps_fd, l->path, l->load_vaddr, l->load_off, &bias);
	if (r == -ENOENT)
		return errf(err, errlen, -EAGAIN, "process %d has not mapped %s (yet)", (int)pid,
			    l->path);
	if (r)
		return errf(err, errlen, r, "process %d: cannot read its maps: %s", (int)pid,
			    strerror(-r));
	if ((r = elf_files_init(&files)))
		return errf(err, errlen, r, "out of memory");
	if (l->tids == PYL_TID_PTHREAD) {
		elf_files_add_mapped_fd(&files, pid, maps_fd);
		/* ld.so may map libpython before libc: tids need libc's */
		bool libc = false;

		for (size_t i = 0; i < files.n; i++)
			libc |= !strncmp(elf_files_base_name(files.path[i]), "libc", 4);
		if (!libc) {
			elf_files_free(&files);
			return errf(err, errlen, -EAGAIN, "process %d has not mapped its C library "
				    "(yet)", (int)pid);
		}
	}
	r = pyr_open(out, pid, l, bias,
		      l->tids == PYL_TID_PTHREAD ? glibc_tid_offset(&files) : -1, maps_fd, mem_fd);
	elf_files_free(&files);
	if (r)
		return errf(err, errlen, r, "process %d: %s", (int)pid, strerror(-r));
	return 0;
}

bool pyread_ready(const struct pyread *r, enum pyl_cap cap, char *err, size_t errlen)
{
	if (!pylayout_ready(&r->l, cap, err, errlen))
		return false;
	if (r->l.tids == PYL_TID_PTHREAD && r->tid_off < 0) {
		errf(err, errlen, 0, "process %d: no glibc _thread_db_pthread_tid (not glibc?): "
		     "CPython %u.%u threads cannot be matched to kernel tids", (int)r->pid,
		     r->l.major, r->l.minor);
		return false;
	}
	return true;
}
