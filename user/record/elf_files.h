/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * elf_files.h - which ELF files make up a program, for the adapters that
 * look symbols up in them: the executable execvp would run (or
 * /proc/PID/exe), the libraries ld.so would load for it (DT_NEEDED, in its
 * breadth-first order, through DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH with
 * $ORIGIN, /etc/ld.so.conf and the default directories), and the files a
 * running process has mapped (/proc/PID/maps, through /proc/PID/root when
 * the process sees another file system).
 *
 * A struct elf_files is a bounded list of distinct paths (ELF_FILES_MAX);
 * init/free pair; functions return 0 or a negative errno.
 */
#ifndef ELF_FILES_H
#define ELF_FILES_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ELF_FILES_MAX 48	/* libraries searched for a symbol: plenty for real programs */

struct elf_files {
	char (*path)[PATH_MAX];
	size_t n;
};

struct elf_map_entry {
	uint64_t start, end, offset, inode;
	char perms[8];
	const char *path;	/* points into the line buffer */
};

int elf_files_init(struct elf_files *l);
void elf_files_free(struct elf_files *l);
/* Adds p unless it is there already or the list is full. */
void elf_files_add(struct elf_files *l, const char *p);
/* The last part of a path. */
const char *elf_files_base_name(const char *p);
/* Where ld.so would find library name (a DT_NEEDED entry) for the object
 * at from_path: 0 and out, or -ENOENT. */
int elf_files_find_library(const char *name, const char *from_path, char out[PATH_MAX]);
/* start and everything it needs, breadth first (ld.so's symbol search order). */
void elf_files_add_needed(struct elf_files *l, const char *start);
/* One line of /proc/PID/maps, cut in place (m->path points into line). */
bool elf_files_parse_map_line(char *line, struct elf_map_entry *m);
/* Every file pid has mapped, in map order (its executable first). */
int elf_files_add_mapped(struct elf_files *l, pid_t pid);
/* The same from maps_fd, an open /proc/PID/maps (-1: open it now). The
 * kernel checks the right to read a process's maps when the file is opened,
 * so an fd opened before a privilege drop still reads them after it. */
int elf_files_add_mapped_fd(struct elf_files *l, pid_t pid, int maps_fd);
/* pid's maps from their start, as a FILE of the caller's (fclose it):
 * through maps_fd if >= 0 (rewound; the fd stays the caller's), else opened
 * now. NULL with errno on failure. */
FILE *elf_files_maps_open(pid_t pid, int maps_fd);
/* The program: /proc/PID/exe if pid > 0, else argv0 searched like execvp,
 * as an absolute path; on failure err says why. */
int elf_files_target_exe(pid_t pid, const char *argv0, char out[PATH_MAX], char *err,
			 size_t errlen);

#endif
