/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * outfile.c - safe output files (contract in outfile.h). Under sudo every
 * path operation runs with the invoking user's file-system ids (util/sudo.h),
 * so the kernel checks their permissions, not root's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/err.h"
#include "util/outfile.h"
#include "util/sudo.h"

static const char *kind(mode_t m)
{
	return S_ISLNK(m) ? "a symbolic link" : S_ISDIR(m) ? "a directory" :
	       S_ISCHR(m) || S_ISBLK(m) ? "a device" : S_ISFIFO(m) ? "a fifo" :
	       S_ISSOCK(m) ? "a socket" : "not a regular file";
}

static int create(struct outfile *o, const char *path, unsigned flags, const struct sudo_fs *a,
		  char *err, size_t errlen)
{
	struct stat st;

	if (flags & OUTFILE_TEMP) {
		o->fd = mkostemp(o->path, O_CLOEXEC);
		if (o->fd < 0)
			return errf(err, errlen, -errno, "cannot create a temporary file in %s: %s",
				    path, strerror(errno));
		return 0;
	}
	if (!lstat(path, &st)) {
		if (!S_ISREG(st.st_mode))
			return errf(err, errlen, -EEXIST, "%s exists and is %s%s: not writing there",
				    path, kind(st.st_mode),
				    S_ISLNK(st.st_mode) ? " (never followed)" : "");
		if (!(flags & OUTFILE_FORCE))
			return errf(err, errlen, -EEXIST, "%s exists; use --force to overwrite it",
				    path);
		if (a->on && st.st_uid != a->uid)
			return errf(err, errlen, -EPERM, "%s belongs to uid %u, not to you (SUDO_UID "
				    "%u): not replacing it", path, (unsigned)st.st_uid,
				    (unsigned)a->uid);
		if (unlink(path))
			return errf(err, errlen, -errno, "cannot replace %s: %s", path,
				    strerror(errno));
	}
	o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (o->fd < 0)
		return errf(err, errlen, -errno, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

int outfile_create(struct outfile *o, const char *path, unsigned flags, char *err,
		   size_t errlen)
{
	struct sudo_fs a;
	struct stat st;
	int rc;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!path || !*path)
		return errf(err, errlen, -EINVAL, "no file name given");
	if (strlen(path) >= sizeof(o->path))
		return errf(err, errlen, -ENAMETOOLONG, "file name too long");
	strcpy(o->path, path);
	sudo_fs_enter(&a);
	rc = create(o, path, flags, &a, err, errlen);
	sudo_fs_leave(&a);
	if (rc)
		return rc;
	if (fstat(o->fd, &st)) {
		rc = errf(err, errlen, -errno, "%s: %s", o->path, strerror(errno));
		close(o->fd);
		o->fd = -1;
		return rc;
	}
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->made = true;
	return 0;
}

FILE *outfile_fopen(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct outfile o;
	FILE *f;

	if (outfile_create(&o, path, flags, err, errlen))
		return NULL;
	if (!(f = fdopen(o.fd, "w"))) {
		errf(err, errlen, -errno, "cannot write %s: %s", path, strerror(errno));
		outfile_discard(&o);
	}
	return f;
}

int outfile_take_fd(struct outfile *o)
{
	int fd = o->fd;

	o->fd = -1;
	return fd;
}

void outfile_close(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

void outfile_discard(struct outfile *o)
{
	struct sudo_fs a;
	struct stat st;

	outfile_close(o);
	if (!o->made)
		return;
	o->made = false;
	sudo_fs_enter(&a);
	if (!lstat(o->path, &st) && S_ISREG(st.st_mode) && st.st_dev == o->dev &&
	    st.st_ino == o->ino)
		unlink(o->path);
	sudo_fs_leave(&a);
}
