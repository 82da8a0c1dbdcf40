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
#include "record/gilstat.h"
#include "record/gilwatch.h"
#include "record/pyread.h"
#include "record/pyscan.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/hash.h"
#include "util/proc.h"

#define MS 1000000ull
#define EXEC_FIRST_LOOK (100 * MS)	/* ld.so has mapped libpython by then */
#define EXEC_SECOND_LOOK (2000 * MS)	/* a slow start, or a dlopen()ed one */
#define NAMES_MIN_NS (1000 * MS)	/* names of a process re-read at most this often */
#define NAMES_MAX_NS (10000 * MS)	/* ... and at least this often (renames) */
#define NAMES_RETRY_NS (30000 * MS)	/* after a reader could not attach */
#define ATTACH_PER_SNAPSHOT 4		/* name readers opened per snapshot */

struct gw_file {
	uint64_t dev, ino;		/* identity */
	bool ok;			/* probed */
	char why[GILSNAP_WHY_MAX];	/* not ok: why */
};

struct gw_name {
	uint32_t tid;
	char name[GILSNAP_NAME_MAX];
};

struct gw_proc {
	pid_t pid;
	uint64_t start;			/* start time: a reused pid has another */
	int file;			/* index in files; -1: no Python */
	char why[GILSNAP_WHY_MAX];	/* file -1 but a Python anyway: why not traceable */
	bool python;			/* runs a Python */
	char comm[16];
	struct pyread *rd;		/* reads its thread names, or NULL */
	uint64_t rd_failed_at;		/* the reader could not attach then (0: never) */
	uint64_t names_at;		/* names last read then */
	struct gw_name *names;		/* by tid, ascending */
	size_t nnames;
	bool listed;			/* in the latest /proc listing */
};

struct gw_pending {
	pid_t pid;
	uint64_t at;			/* look at it then */
	bool second;			/* the second look */
};

struct gilwatch {
	struct gilwatch_opts o;
	pid_t *pids;			/* a copy of o.pids */
	struct gilstat *gs;
	struct gw_file files[GILWATCH_FILES];
	size_t nfiles;
	struct gw_proc *procs;		/* known processes */
	size_t nprocs, cap_procs;
	struct hmap by_pid;		/* pid -> index in procs */
	struct gw_pending pending[GILWATCH_PENDING];
	size_t npending;
	bool rescan_all;		/* look at every process again */
	uint64_t next_list;		/* next /proc listing */
	uint64_t execs_lost;		/* as last seen */
	size_t named;			/* processes with a names reader */
	struct pyread_thread *pt;	/* pyread_threads() buffer */
	uint32_t *order;		/* snapshot: thread records by (pid, tid) */
	uint32_t *pidlist;		/* snapshot: its processes */
	size_t cap_pidlist;
	uint64_t now;			/* time of the work in progress */
	const struct gilstat_reading *rd;	/* for the sort */
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool wanted(const struct gilwatch *w, pid_t pid)
{
	if (!w->o.pids)
		return true;
	for (size_t i = 0; i < w->o.npids; i++)
		if (w->o.pids[i] == pid)
			return true;
	return false;
}

static struct gw_proc *known(struct gilwatch *w, pid_t pid)
{
	uint64_t i;

	return hmap_get(&w->by_pid, hkey_u64((uint64_t)pid), &i) ? &w->procs[i] : NULL;
}

static void proc_release(struct gilwatch *w, struct gw_proc *p)
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
	proc_release(w, &w->procs[i]);
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

	if (w->nprocs == w->cap_procs) {
		size_t cap = w->cap_procs ? 2 * w->cap_procs : 256;
		struct gw_proc *n = realloc(w->procs, cap * sizeof(*n));

		if (!n)
			return NULL;
		w->procs = n;
		w->cap_procs = cap;
	}
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
	uint64_t take, drop;
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
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	f->dev = hit->dev;
	f->ino = hit->ino;
	if (pyscan_file_probe(path, &take, &drop, f->why, sizeof(f->why)) == PYSCAN_FILE_OK) {
		int r = gilstat_attach(w->gs, path, take, drop, err, sizeof(err));

		if (r == -EPERM || r == -EACCES)	/* started after the privilege drop */
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
	struct gw_proc *p = known(w, pid);
	uint64_t start = 0;
	int r;

	if (!wanted(w, pid))
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
	proc_release(w, p);	/* an exec: other names, other file */
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

	if (wanted(w, pid))
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
		p = known(w, e.pid);
		if (p && !p->python && k < GILWATCH_PENDING)
			w->pending[k++] = (struct gw_pending){ e.pid, w->now + EXEC_SECOND_LOOK, true };
	}
	/* examine() may have queued nothing; entries past n cannot exist */
	w->npending = k;
}

static int list_one(void *ctx, pid_t pid)
{
	struct gilwatch *w = ctx;
	struct gw_proc *p = known(w, pid);

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
	w->next_list = w->now + (w->o.rescan_ns ? w->o.rescan_ns : 10000 * MS);
}

/* ---- thread names --------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	const struct gw_name *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static const char *name_of(const struct gw_proc *p, uint32_t tid)
{
	size_t lo = 0, hi = p->nnames;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->names[mid].tid == tid)
			return p->names[mid].name;
		if (p->names[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Re-reads p's thread names if one of its threads has none, or they are old. */
static void refresh_names(struct gilwatch *w, struct gw_proc *p, bool missing, int *attaches)
{
	struct gw_name *names;
	char err[256];
	size_t n = 0, k = 0;

	if (w->o.no_names || !p->python || p->file < 0 || !w->files[p->file].ok)
		return;
	if (p->names_at && w->now - p->names_at < (missing ? NAMES_MIN_NS : NAMES_MAX_NS))
		return;
	if (!p->rd) {
		if (w->named >= GILWATCH_NAMED || *attaches >= ATTACH_PER_SNAPSHOT ||
		    (p->rd_failed_at && w->now - p->rd_failed_at < NAMES_RETRY_NS))
			return;
		++*attaches;
		if (pyread_attach(&p->rd, p->pid, err, sizeof(err)) ||
		    !pyread_ready(p->rd, PYL_CAP_NAMES, err, sizeof(err))) {
			pyread_close(p->rd);
			p->rd = NULL;
			p->rd_failed_at = w->now;
			return;
		}
		w->named++;
	}
	p->names_at = w->now;
	/* a thread list cut at the bound, or a read that failed midway, still names some */
	pyread_threads(p->rd, w->pt, PYREAD_MAX_THREADS, &n, PYREAD_NAMES);
	names = n ? malloc(n * sizeof(*names)) : NULL;
	if (n && !names)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!w->pt[i].tid || !w->pt[i].named)
			continue;
		names[k].tid = w->pt[i].tid;
		/* a name from the program: printable, cut at a whole character */
		fmt_printable(names[k].name, sizeof(names[k].name), w->pt[i].name,
			      sizeof(names[k].name) - 1);
		k++;
	}
	qsort(names, k, sizeof(*names), name_cmp);
	free(p->names);
	p->names = names;
	p->nnames = k;
}

/* ---- the snapshot --------------------------------------------------------------- */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct gilwatch *sort_ctx;	/* qsort has no context argument */

static int thread_cmp(const void *a, const void *b)
{
	const struct gilstat_thread_rec *x = &sort_ctx->rd->threads[*(const uint32_t *)a];
	const struct gilstat_thread_rec *y = &sort_ctx->rd->threads[*(const uint32_t *)b];

	if (x->v.pid != y->v.pid)
		return x->v.pid < y->v.pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static uint64_t since(uint64_t now, uint64_t t)
{
	return t && now > t ? now - t : 0;
}

/* The thread's totals with what is in progress, into the snapshot's thread
 * and its process. */
static void add_thread(struct gilsnap_proc *sp, struct gilsnap_thread *st,
		       const struct gilstat_thread_rec *r, const struct gilstat_reading *rd)
{
	uint64_t held = since(rd->now_ns, r->v.acquired_ns), waited = since(rd->now_ns, r->v.request_ns);
	uint64_t longest = r->v.t.max_epoch == rd->epoch ? r->v.t.max_wait_ns : 0;

	st->t = r->v.t;
	st->hold_ns = r->v.t.hold_ns + held;
	st->wait_ns = r->v.t.wait_ns + waited;
	st->holding = r->v.acquired_ns != 0;
	st->waiting = r->v.request_ns != 0;
	st->longest_ns = waited > longest ? waited : longest;
	sp->hold_ns += held;
	sp->wait_ns += waited;
	if (st->longest_ns > sp->longest_ns)
		sp->longest_ns = st->longest_ns;
	if (st->holding)
		sp->holder = st->tid;
}

static int build(struct gilwatch *w, const struct gilstat_reading *rd, struct gilsnap *s)
{
	struct hmap bpf_proc = { 0 };
	size_t np = 0, ti = 0, need = w->nprocs + rd->nprocs + rd->nthreads;
	uint64_t k;
	int r = 0;

	if (need > w->cap_pidlist) {
		uint32_t *n = realloc(w->pidlist, need * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->pidlist = n;
		w->cap_pidlist = need;
	}
	/* which processes: the known Pythons, and whoever the counters name */
	for (size_t i = 0; i < w->nprocs; i++)
		if (w->procs[i].python)
			w->pidlist[np++] = w->procs[i].pid;
	for (size_t i = 0; i < rd->nprocs; i++) {
		if (wanted(w, rd->procs[i].pid))
			w->pidlist[np++] = rd->procs[i].pid;
		if (hmap_put(&bpf_proc, hkey_u64(rd->procs[i].pid), i))
			r = -ENOMEM;
	}
	for (size_t i = 0; i < rd->nthreads; i++) {
		w->order[i] = i;
		if (wanted(w, rd->threads[i].v.pid))
			w->pidlist[np++] = rd->threads[i].v.pid;
	}
	qsort(w->pidlist, np, sizeof(*w->pidlist), u32_cmp);
	sort_ctx = w;
	w->rd = rd;
	qsort(w->order, rd->nthreads, sizeof(*w->order), thread_cmp);
	for (size_t i = 0; !r && i < np; i++) {
		uint32_t pid = w->pidlist[i];
		struct gw_proc *kp = known(w, pid);
		struct gilsnap_proc *sp;

		if (i && pid == w->pidlist[i - 1])
			continue;
		if (!(sp = gilsnap_add_proc(s, pid))) {
			r = -ENOMEM;
			break;
		}
		if (kp) {
			memcpy(sp->comm, kp->comm, sizeof(sp->comm));
			sp->names = kp->rd != NULL;
			if (!kp->python || kp->file < 0 || !w->files[kp->file].ok) {
				sp->state = GILSNAP_UNTRACEABLE;
				snprintf(sp->why, sizeof(sp->why), "%s",
					 kp->file >= 0 ? w->files[kp->file].why : kp->why);
			}
		} else if (proc_comm(pid, pid, sp->comm)) {
			snprintf(sp->comm, sizeof(sp->comm), "?");
		}
		if (hmap_get(&bpf_proc, hkey_u64(pid), &k)) {
			if (!kp && rd->procs[k].v.comm[0])	/* gone before we could look */
				memcpy(sp->comm, rd->procs[k].v.comm, sizeof(sp->comm));
			sp->t = rd->procs[k].v.t;
			sp->hold_ns = sp->t.hold_ns;
			sp->wait_ns = sp->t.wait_ns;
			sp->exited = rd->procs[k].v.exited_ns != 0;
			if (sp->t.max_epoch == rd->epoch)
				sp->longest_ns = sp->t.max_wait_ns;
		}
		/* its threads: the next ones in (pid, tid) order */
		while (ti < rd->nthreads && rd->threads[w->order[ti]].v.pid < pid)
			ti++;
		for (; ti < rd->nthreads && rd->threads[w->order[ti]].v.pid == pid; ti++) {
			const struct gilstat_thread_rec *tr = &rd->threads[w->order[ti]];
			struct gilsnap_thread *st = gilsnap_add_thread(s, tr->tid);
			const char *nm;

			if (!st) {
				r = -ENOMEM;
				break;
			}
			add_thread(sp, st, tr, rd);
			if (kp && (nm = name_of(kp, tr->tid)))
				snprintf(st->name, sizeof(st->name), "%s", nm);
		}
	}
	hmap_free(&bpf_proc);
	return r;
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

int gilwatch_snapshot(struct gilwatch *w, struct gilsnap *s)
{
	struct gilstat_reading rd;
	int attaches = 0, r;
	uint64_t lost;

	gilsnap_clear(s);
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
	if ((r = gilstat_read(w->gs, &rd)))
		return r;
	/* a fork of a Python (no exec) shows up in the counters first */
	for (size_t i = 0; i < rd.nprocs; i++)
		if (!known(w, rd.procs[i].pid) && !rd.procs[i].v.exited_ns)
			examine(w, rd.procs[i].pid);
	for (size_t i = 0; i < rd.nthreads; i++)
		if (!known(w, rd.threads[i].v.pid))
			examine(w, rd.threads[i].v.pid);
	for (size_t i = 0; i < w->nprocs; i++) {
		struct gw_proc *p = &w->procs[i];
		bool missing = false;

		for (size_t j = 0; j < rd.nthreads && p->python && !missing; j++)
			missing = rd.threads[j].v.pid == (uint32_t)p->pid &&
				  !name_of(p, rd.threads[j].tid);
		refresh_names(w, p, missing, &attaches);
	}
	s->ts_ns = rd.now_ns;
	s->wall_ns = clock_ns(CLOCK_REALTIME);
	for (size_t i = 0; i < w->nfiles; i++) {
		s->files_traced += w->files[i].ok;
		s->files_untraceable += !w->files[i].ok;
	}
	s->execs_lost = lost;
	r = build(w, &rd, s);
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
		proc_release(w, &w->procs[i]);
	hmap_free(&w->by_pid);
	gilstat_close(w->gs);
	free(w->procs);
	free(w->pids);
	free(w->pt);
	free(w->order);
	free(w->pidlist);
	free(w);
}
