/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * outfile.h - every file gilscope writes for its user (record -o, live -o and
 * its temp recording, `s` saves, export -o, lesson saves) is created here,
 * so that running as root destroys nothing:
 *  - created with O_EXCL|O_NOFOLLOW: never clobbered, never through a link;
 *  - OUTFILE_FORCE replaces an existing *regular file* only (unlinked, then
 *    created anew); a symlink, device, fifo, socket or directory is refused;
 *  - under sudo (root with SUDO_UID/SUDO_GID set) the file is made with the
 *    invoking user's file-system identity (setfsuid/setfsgid): where that
 *    user may not write, neither do we, and the file is theirs; --force
 *    replaces only a file that user owns;
 *  - outfile_discard() removes only the file this module created (same
 *    device and inode still at the path), never something put there since.
 *
 * Functions return 0 or a negative errno and write a one-line reason into
 * err (no prefix, no newline). A struct outfile is the caller's; zero it or
 * let outfile_create() fill it.
 */
#ifndef UTIL_OUTFILE_H
#define UTIL_OUTFILE_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum outfile_flags {
	OUTFILE_FORCE = 1 << 0,	/* replace an existing regular file */
	OUTFILE_TEMP = 1 << 1,	/* path is a template ending in XXXXXX (mkostemp) */
};

struct outfile {
	int fd;			/* open for writing; -1 once taken or closed */
	char path[PATH_MAX];	/* where it is (a TEMP template filled in) */
	dev_t dev;		/* what we created, for outfile_discard() */
	ino_t ino;
	bool made;		/* we created it and have not discarded it */
};

int outfile_create(struct outfile *o, const char *path, unsigned flags, char *err,
		   size_t errlen);
/* outfile_create() for a stream: the FILE is the caller's (fclose it), the
 * file stays when it is written. NULL and the reason in err. */
FILE *outfile_fopen(const char *path, unsigned flags, char *err, size_t errlen);
/* The fd, now the caller's (a trace writer takes it); o->fd becomes -1. */
int outfile_take_fd(struct outfile *o);
/* Closes the fd if still held; the file stays. */
void outfile_close(struct outfile *o);
/* Closes, and removes the file if it is still the one we made. */
void outfile_discard(struct outfile *o);

#endif
