/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilwatch.c - every CPython on the host, always on (see gilwatch.h).
 *
 * The watch keeps a table of the processes it has looked at ("known"):
 * whether each runs a Python, from which interpreter file, and its thread
 * names. The BPF maps hold the numbers; a snapshot joins the two.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "record/gilwatch_impl.h"
#include "record/loader.h"
#include "record/pyscan.h"
#include "util/err.h"
#include "util/grow.h"
#include "util/proc.h"

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool gw_wanted(const struct gilwatch *w, pid_t pid)
{
	if (!w->o.pids)
		return true;
	for (size_t i = 0; i < w->o.npids; i++)
		if (w->o.pids[i] == pid)
			return true;
	return false;
}

struct gw_proc *gw_known(struct gilwatch *w, pid_t pid)
{
	uint64_t i;

	return hmap_get(&w->by_pid, hkey_u64((uint64_t)pid), &i) ? &w->procs[i] : NULL;
}

void gw_proc_release(struct gilwatch *w, struct gw_proc *p)
{
	if (p->rd) {
		pyread_close(p->rd);
		w->named--;
	}
	free(p->names);
	p->rd = NULL;
	p->names = NULL;
	p->nnames = 0;
}

static void forget(struct gilwatch *w, pid_t pid)
{
	uint64_t i;

	if (!hmap_get(&w->by_pid, hkey_u64((uint64_t)pid), &i))
		return;
	gw_proc_release(w, &w->procs[i]);
	hmap_del(&w->by_pid, hkey_u64((uint64_t)pid));
	if (i != w->nprocs - 1) {	/* the last one takes its place */
		w->procs[i] = w->procs[w->nprocs - 1];
		hmap_put(&w->by_pid, hkey_u64((uint64_t)w->procs[i].pid), i);	/* replaces: no alloc */
	}
	w->nprocs--;
}

static struct gw_proc *add_known(struct gilwatch *w, pid_t pid)
{
	struct gw_proc *p;

	if (grow_array(&w->procs, &w->cap_procs, w->nprocs + 1, sizeof(*w->procs)))
		return NULL;
	if (hmap_put(&w->by_pid, hkey_u64((uint64_t)pid), w->nprocs))
		return NULL;
	p = &w->procs[w->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->file = -1;
	return p;
}

/* The interpreter file of hit: looked up, or probed and attached now. */
static int file_of(struct gilwatch *w, const struct pyscan_hit *hit, char *why, size_t whylen)
{
	char err[256], path[64];
	struct gw_file *f;
	struct gs_py_cfg cfg;
	struct lock_sites probes;
	int fd;

	for (size_t i = 0; i < w->nfiles; i++)
		if (w->files[i].dev == hit->dev && w->files[i].ino == hit->ino)
			return (int)i;
	if (w->nfiles == GILWATCH_FILES) {
		snprintf(why, whylen, "over %d interpreter files", GILWATCH_FILES);
		return -1;
	}
	/*
	 * Held open while it is read and probed: hit->path goes through
	 * /proc/PID/root, which vanishes with the process, and the kernel
	 * resolves the path again at each attach. A probe keeps the file
	 * itself, so the fd can go after.
	 */
	fd = open(hit->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open its interpreter: %s", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);	/* to read it */
	f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	f->dev = hit->dev;
	f->ino = hit->ino;
	if (pyscan_file_probe(path, &probes, f->why, sizeof(f->why)) == PYSCAN_FILE_OK) {
		int r;

		/* the layout by name: its version may be only in the name */
		f->funcs = w->o.functions && gw_file_cfg(hit->path, f->dev, f->ino, &cfg);
		r = gilstat_attach(w->gs, fd, &probes, f->funcs ? &cfg : NULL, err, sizeof(err));

		if ((r == -EPERM || r == -EACCES) && w->o.attach_once)	/* seen after the drop */
			snprintf(f->why, sizeof(f->why), "new since the privileges were dropped");
		else if (r)
			snprintf(f->why, sizeof(f->why), "cannot attach: %s", strerror(-r));
		else
			f->ok = true;
	}
	close(fd);
	return (int)w->nfiles++;
}

/*
 * Looks at pid: a Python or not, from which file. Known processes are
 * looked at again (after an exec). 0, or -ESRCH when it is gone.
 */
static int examine(struct gilwatch *w, pid_t pid)
{
	struct pyscan_hit hit;
	struct gw_proc *p = gw_known(w, pid);
	uint64_t start = 0;
	int r;

	if (!gw_wanted(w, pid))
		return 0;
	if (proc_start_time(pid, &start)) {
		forget(w, pid);
		return -ESRCH;
	}
	if (p && p->start != start) {	/* another process now has this pid */
		forget(w, pid);
		p = NULL;
	}
	if (!p && !(p = add_known(w, pid)))
		return -ENOMEM;
	p->start = start;
	p->listed = true;
	r = pyscan_process(pid, &hit);
	if (r == -ENOENT || r == -ESRCH) {
		forget(w, pid);
		return -ESRCH;
	}
	if (r < 0 && r != -ESTALE) {	/* cannot read its maps (yet): not a Python for now */
		p->python = false;
		return 0;
	}
	if (p->python && p->file >= 0 && r == 1 && w->files[p->file].dev == hit.dev &&
	    w->files[p->file].ino == hit.ino)
		return 0;	/* the same as before */
	gw_proc_release(w, p);	/* an exec: other names, other file */
	p->python = r != 0;
	p->file = -1;
	p->why[0] = '\0';
	if (r == -ESTALE) {
		proc_comm(pid, pid, p->comm);
		snprintf(p->why, sizeof(p->why), "interpreter file replaced on disk");
	} else if (r == 1) {
		snprintf(p->comm, sizeof(p->comm), "%s", hit.comm);
		p->file = file_of(w, &hit, p->why, sizeof(p->why));
	}
	return 0;
}

static void queue(struct gilwatch *w, pid_t pid, uint64_t at, bool second)
{
	if (w->npending == GILWATCH_PENDING) {
		w->rescan_all = true;	/* too many at once: look at everything */
		return;
	}
	w->pending[w->npending++] = (struct gw_pending){ pid, at, second };
}

static void on_exec(void *ctx, pid_t pid)
{
	struct gilwatch *w = ctx;

	if (gw_wanted(w, pid))
		queue(w, pid, w->now + EXEC_FIRST_LOOK, false);
}

static void run_pending(struct gilwatch *w)
{
	size_t k = 0, n = w->npending;

	for (size_t i = 0; i < n; i++) {
		struct gw_pending e = w->pending[i];
		struct gw_proc *p;

		if (e.at > w->now) {
			w->pending[k++] = e;
			continue;
		}
		if (examine(w, e.pid) || e.second)
			continue;
		p = gw_known(w, e.pid);
		if (p && !p->python && k < GILWATCH_PENDING)
			w->pending[k++] = (struct gw_pending){ e.pid, w->now + EXEC_SECOND_LOOK, true };
	}
	/* examine() may have queued nothing; entries past n cannot exist */
	w->npending = k;
}

static int list_one(void *ctx, pid_t pid)
{
	struct gilwatch *w = ctx;
	struct gw_proc *p = gw_known(w, pid);

	if (p && !w->rescan_all)
		p->listed = true;
	else
		examine(w, pid);
	return 0;
}

/* Every pid in /proc: new ones looked at; known ones no longer there go. */
static void list_procs(struct gilwatch *w)
{
	for (size_t i = 0; i < w->nprocs; i++)
		w->procs[i].listed = false;
	if (w->o.pids) {
		for (size_t i = 0; i < w->o.npids; i++)
			list_one(w, w->o.pids[i]);
	} else {
		pyscan_each_pid(list_one, w);
	}
	for (size_t i = w->nprocs; i-- > 0;)
		if (!w->procs[i].listed)
			forget(w, w->procs[i].pid);
	w->rescan_all = false;
	w->next_list = w->now + (w->o.rescan_ns ? w->o.rescan_ns : 10000 * GW_MS);
}

/* Processes gone: the ones the counters say exited, and known Pythons whose
 * pid is no longer there. */
static void reap(struct gilwatch *w, struct gilsnap *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct gilsnap_proc *p = &s->procs[i];

		if (!p->exited && kill((pid_t)p->pid, 0) && errno == ESRCH)
			p->exited = true;
		if (!p->exited)
			continue;
		gilstat_forget(w->gs, (pid_t)p->pid);
		forget(w, (pid_t)p->pid);
	}
}

int gilwatch_work(struct gilwatch *w)
{
	uint64_t lost;

	w->now = clock_ns(CLOCK_MONOTONIC);
	gilstat_execs(w->gs, on_exec, w);
	lost = gilstat_execs_lost(w->gs);
	if (lost != w->execs_lost) {	/* which processes exec'd is not known: all */
		w->execs_lost = lost;
		w->rescan_all = true;
	}
	run_pending(w);
	if (w->rescan_all || w->now >= w->next_list)
		list_procs(w);
	return 0;
}

int gilwatch_snapshot(struct gilwatch *w, struct gilsnap *s)
{
	struct gilstat_reading rd;
	int attaches = 0, r;

	gilsnap_clear(s);
	gilwatch_work(w);
	if ((r = gilstat_read(w->gs, &rd)))
		return r;
	/* when the values were read: the names below can take a while */
	s->wall_ns = clock_ns(CLOCK_REALTIME);
	/* a fork of a Python (no exec) shows up in the counters first */
	for (size_t i = 0; i < rd.nprocs; i++)
		if (!gw_known(w, rd.procs[i].pid) && !rd.procs[i].v.exited_ns)
			examine(w, rd.procs[i].pid);
	for (size_t i = 0; i < rd.nthreads; i++)
		if (!gw_known(w, rd.threads[i].v.pid))
			examine(w, rd.threads[i].v.pid);
	/* whose threads lack a name, in one pass */
	for (size_t i = 0; i < w->nprocs; i++)
		w->procs[i].missing = false;
	for (size_t i = 0; i < rd.nthreads; i++) {
		struct gw_proc *p = gw_known(w, rd.threads[i].v.pid);

		if (p && p->python && !p->missing && !gw_name_of(p, rd.threads[i].tid))
			p->missing = true;
	}
	gw_refresh_all_names(w, &attaches);
	s->ts_ns = rd.now_ns;
	for (size_t i = 0; i < w->nfiles; i++) {
		s->files_traced += w->files[i].ok;
		s->files_untraceable += !w->files[i].ok;
	}
	s->execs_lost = w->execs_lost;
	r = gw_build(w, &rd, s);
	if (!r && w->o.functions)
		r = gw_funcs(w, &rd, s, rd.now_ns - w->read_ns);
	w->read_ns = rd.now_ns;
	reap(w, s);
	return r;
}

void gilwatch_rescan(struct gilwatch *w)
{
	w->rescan_all = true;
}

size_t gilwatch_pythons(const struct gilwatch *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nprocs; i++)
		n += w->procs[i].python;
	return n;
}

int gilwatch_open(struct gilwatch **out, const struct gilwatch_opts *opts, char *err,
		  size_t errlen)
{
	struct gilwatch *w = calloc(1, sizeof(*w));
	int r;

	*out = w;
	if (!w)
		return errf(err, errlen, -ENOMEM, "out of memory");
	w->o = *opts;
	if (opts->pids) {
		w->pids = malloc(opts->npids * sizeof(*w->pids));
		if (!w->pids)
			return errf(err, errlen, -ENOMEM, "out of memory");
		memcpy(w->pids, opts->pids, opts->npids * sizeof(*w->pids));
		w->o.pids = w->pids;
	}
	w->pt = calloc(PYREAD_MAX_THREADS, sizeof(*w->pt));
	w->order = calloc(GILSTAT_MAX_THREADS, sizeof(*w->order));
	if (!w->pt || !w->order)
		return errf(err, errlen, -ENOMEM, "out of memory");
	if ((r = gilstat_open(&w->gs, err, errlen)))
		return r;
	if (!opts->attach_once && (r = gilstat_spawn_attacher(w->gs, err, errlen)))
		return r;
	w->now = clock_ns(CLOCK_MONOTONIC);
	w->execs_lost = gilstat_execs_lost(w->gs);
	list_procs(w);
	return 0;
}

void gilwatch_close(struct gilwatch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nprocs; i++)
		gw_proc_release(w, &w->procs[i]);
	hmap_free(&w->by_pid);
	gilstat_close(w->gs);
	free(w->procs);
	free(w->pids);
	free(w->pt);
	free(w->order);
	free(w->pidlist);
	free(w->ages);
	free(w);
}
