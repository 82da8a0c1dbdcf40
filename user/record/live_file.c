/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * live_file.c - the recording behind a live view (see live_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "record/live_file.h"
#include "trace/trace_writer.h"

struct live_file {
	struct trace_writer *w;		/* the recording, from begin to finish */
	int fd;				/* until the writer owns it */
	bool temp;			/* path is ours: removed at the end */
	char path[4096];		/* the recording */
	char saved[4096];		/* where `s` copied it, or "" */
};

/* Under sudo, files we make belong to the user who ran sudo. */
static int give_to_sudo_user(int fd)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	if (!uid || !gid || geteuid() != 0)
		return 0;
	return fchown(fd, (uid_t)atoi(uid), (gid_t)atoi(gid)) ? -errno : 0;
}

int live_file_create(struct live_file **out, const char *path, char *err, size_t errlen)
{
	struct live_file *f = calloc(1, sizeof(*f));
	int rc;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (path) {
		snprintf(f->path, sizeof(f->path), "%s", path);
		f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	} else {
		const char *dir = getenv("TMPDIR");

		snprintf(f->path, sizeof(f->path), "%s/gilscope-live-XXXXXX",
			 dir && dir[0] ? dir : "/tmp");
		f->fd = mkostemp(f->path, O_CLOEXEC);
		f->temp = true;
	}
	if (f->fd < 0) {
		rc = -errno;
		if (path)
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
		else
			snprintf(err, errlen, "cannot create a temp file: %s", strerror(-rc));
		free(f);
		return rc;
	}
	/* the recorder may drop to SUDO_UID once attached: it must still be
	 * able to write and remove the file */
	if ((rc = give_to_sudo_user(f->fd))) {
		snprintf(err, errlen, "cannot give %s to SUDO_UID: %s", f->path, strerror(-rc));
		live_file_abandon(f);
		live_file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int live_file_begin(struct live_file *f, const struct trace_meta *meta)
{
	int rc = trace_writer_fdopen(&f->w, f->fd, meta, NULL);

	if (!rc)
		f->fd = -1;	/* the writer's now */
	return rc;
}

int live_file_append(struct live_file *f, const struct gs_event *ev, size_t n)
{
	return f->w ? trace_writer_append(f->w, ev, n) : 0;
}

int live_file_flush(struct live_file *f)
{
	return f->w ? trace_writer_flush(f->w) : 0;
}

/* Copy src to dst (made, or emptied: never followed if a link). */
static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, err = 0;
	struct stat st;
	off_t off = 0;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	err = give_to_sudo_user(out);
	if (!err && fstat(in, &st))
		err = -errno;
	while (!err && off < st.st_size) {
		ssize_t k = sendfile(out, in, &off, st.st_size - off);

		if (k <= 0)
			err = k < 0 ? -errno : -EIO;
	}
	if (close(out) && !err)
		err = -errno;
	close(in);
	return err;
}

/* Blocks are sealed by the flush, and a file without its footer is read by
 * scanning, so the copy is usable at once; at the end it is made again,
 * complete. */
int live_file_save(struct live_file *f, char *msg, size_t len)
{
	int err;

	if (!f->temp) {
		snprintf(msg, len, "recording to %s already", f->path);
		return 0;
	}
	if (!f->saved[0]) {
		char stamp[32];
		time_t t = time(NULL);

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
		snprintf(f->saved, sizeof(f->saved), "gilscope-%s.gst", stamp);
	}
	if ((err = live_file_flush(f))) {
		snprintf(msg, len, "could not save: %s", strerror(-err));
		return err;
	}
	if ((err = copy_file(f->path, f->saved))) {
		snprintf(msg, len, "could not save %s: %s", f->saved, strerror(-err));
		f->saved[0] = '\0';
		return err;
	}
	snprintf(msg, len, "saved to %s%s", f->saved, f->w ? " (completed when you quit)" : "");
	return 0;
}

int live_file_finish(struct live_file *f, char *err, size_t errlen)
{
	int rc = trace_writer_close(f->w), c;

	f->w = NULL;
	if (rc)
		snprintf(err, errlen, "cannot finish %s: %s", f->path, strerror(-rc));
	if (f->saved[0] && (c = copy_file(f->path, f->saved))) {
		if (!rc)
			snprintf(err, errlen, "could not save %s: %s", f->saved, strerror(-c));
		rc = rc ? rc : c;
	}
	if (f->temp)
		unlink(f->path);
	return rc;
}

const char *live_file_where(const struct live_file *f)
{
	return f->temp ? f->saved : f->path;
}

bool live_file_is_temp(const struct live_file *f)
{
	return f->temp;
}

void live_file_abandon(struct live_file *f)
{
	if (f)
		unlink(f->path);
}

void live_file_free(struct live_file *f)
{
	if (!f)
		return;
	trace_writer_close(f->w);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
