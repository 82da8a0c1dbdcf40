/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * live_file.c - the recording behind a live view (see live_file.h). Both the
 * recording and a saved copy are made by util/outfile.h; the copy's fd stays
 * open, so a later `s` and the final copy rewrite the file we made, never
 * one put in its place.
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
#include "util/err.h"
#include "util/outfile.h"

struct live_file {
	struct trace_writer *w;		/* the recording, from begin to finish */
	struct outfile rec;		/* its file (fd held until the writer owns it) */
	bool temp;			/* the recording is ours: removed at the end */
	bool save_failed;		/* `s` could not make the copy: keep the temp */
	struct outfile saved;		/* where `s` copied it (made on the first `s`) */
	uint64_t bytes;			/* written, as of the writer's close */
};

int live_file_create(struct live_file **out, const char *path, bool force, char *err,
		     size_t errlen)
{
	struct live_file *f = calloc(1, sizeof(*f));
	char tmpl[PATH_MAX];
	int rc;

	*out = NULL;
	if (!f)
		return errf(err, errlen, -ENOMEM, "out of memory");
	f->saved.fd = -1;
	if (path) {
		rc = outfile_create(&f->rec, path, force ? OUTFILE_FORCE : 0, err, errlen);
	} else {
		const char *dir = getenv("TMPDIR");

		snprintf(tmpl, sizeof(tmpl), "%s/gilscope-live-XXXXXX", dir && dir[0] ? dir : "/tmp");
		rc = outfile_create(&f->rec, tmpl, OUTFILE_TEMP, err, errlen);
		f->temp = true;
	}
	if (rc) {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int live_file_begin(struct live_file *f, const struct trace_meta *meta)
{
	int rc = trace_writer_fdopen(&f->w, f->rec.fd, meta, NULL);

	if (!rc)
		outfile_take_fd(&f->rec);	/* the writer's now */
	return rc;
}

int live_file_append(struct live_file *f, const struct gs_event *ev, size_t n)
{
	return f->w ? trace_writer_append(f->w, ev, n) : 0;
}

int live_file_cost(struct live_file *f, const struct trace_cost *c)
{
	return f->w ? trace_writer_cost(f->w, c) : 0;
}

int live_file_flush(struct live_file *f)
{
	return f->w ? trace_writer_flush(f->w) : 0;
}

struct trace_writer *live_file_writer(struct live_file *f)
{
	return f ? f->w : NULL;
}

/* The recording so far into the saved copy, replacing what it held. */
static int copy_to_saved(struct live_file *f)
{
	int in = open(f->rec.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err = 0;
	struct stat st;
	off_t off = 0;

	if (in < 0)
		return -errno;
	if (fstat(in, &st) || ftruncate(f->saved.fd, 0) || lseek(f->saved.fd, 0, SEEK_SET))
		err = -errno;
	while (!err && off < st.st_size) {
		ssize_t k = sendfile(f->saved.fd, in, &off, st.st_size - off);

		if (k <= 0)
			err = k < 0 ? -errno : -EIO;
	}
	close(in);
	return err;
}

/* Blocks are sealed by the flush, and a file without its footer is read by
 * scanning, so the copy is usable at once; at the end it is made again,
 * complete. */
int live_file_save(struct live_file *f, char *msg, size_t len)
{
	char name[64], why[256];
	int err;

	if (!f->temp) {
		snprintf(msg, len, "recording to %s already", f->rec.path);
		return 0;
	}
	if (!f->saved.made) {
		time_t t = time(NULL);

		strftime(name, sizeof(name), "gilscope-%Y%m%d-%H%M%S.gst", localtime(&t));
		if ((err = outfile_create(&f->saved, name, 0, why, sizeof(why)))) {
			f->save_failed = true;
			snprintf(msg, len, "could not save: %s; the recording stays in %s", why,
				 f->rec.path);
			return err;
		}
	}
	if ((err = live_file_flush(f)) || (err = copy_to_saved(f))) {
		snprintf(msg, len, "could not save %s: %s", f->saved.path, strerror(-err));
		return err;
	}
	snprintf(msg, len, "saved to %s%s", f->saved.path, f->w ? " (completed when you quit)" : "");
	return 0;
}

int live_file_finish(struct live_file *f, char *err, size_t errlen)
{
	int rc, c;

	f->bytes = live_file_bytes(f);
	rc = trace_writer_close(f->w);
	f->w = NULL;
	if (rc)
		errf(err, errlen, rc, "cannot finish %s: %s", f->rec.path, strerror(-rc));
	if (f->saved.made && (c = copy_to_saved(f))) {
		if (!rc)
			errf(err, errlen, c, "could not save %s: %s", f->saved.path, strerror(-c));
		rc = rc ? rc : c;
	}
	outfile_close(&f->saved);
	/* a save that failed must not lose the recording: it stays where it is */
	if (f->temp && !(f->save_failed && !f->saved.made))
		outfile_discard(&f->rec);
	return rc;
}

const char *live_file_where(const struct live_file *f)
{
	if (f->temp && !f->saved.made)
		return f->save_failed ? f->rec.path : "";
	return f->temp ? f->saved.path : f->rec.path;
}

bool live_file_is_temp(const struct live_file *f)
{
	return f->temp;
}

uint64_t live_file_bytes(const struct live_file *f)
{
	struct trace_write_stats ws;

	if (!f->w)
		return f->bytes;
	trace_writer_stats(f->w, &ws);
	return ws.bytes;
}

void live_file_abandon(struct live_file *f)
{
	if (!f)
		return;
	trace_writer_close(f->w);
	f->w = NULL;
	outfile_discard(&f->rec);
}

void live_file_free(struct live_file *f)
{
	if (!f)
		return;
	trace_writer_close(f->w);
	outfile_close(&f->rec);
	outfile_close(&f->saved);
	free(f);
}
