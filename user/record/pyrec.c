/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyrec.c - the Python stage of a recording (contract in pyrec.h): the
 * layout and what the kernel side gets of it, the process, properties and
 * thread names; the function of each GIL event is pyrec_funcs.c's.
 *
 * Small tables keep the stage's cost per event at a hash lookup or two:
 * code object address -> (fingerprint, id) of what was read there last,
 * which function ids were written, which name each thread (tid, thread
 * state) was last written with, and each thread's last release (the
 * function its next request carries). The process is read only on a miss:
 * an address not seen, or seen with another fingerprint (pyread_code then
 * re-reads and validates; see pyread.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "record/pylayout.h"
#include "record/pyrec_priv.h"
#include "record/pyread.h"
#include "trace/trace_names.h"
#include "trace/trace_writer.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/hash.h"
#include "util/proc.h"


uint64_t pyrec_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void say_missing(struct pyrec *py, const char *why)
{
	if (!py->missing[0] && why && why[0])
		snprintf(py->missing, sizeof(py->missing), "%s", why);
}

int pyrec_new(struct pyrec **out, const char *interp, bool functions)
{
	struct pyrec *py = calloc(1, sizeof(*py));
	struct gs_py_cfg cfg;
	char why[512] = "";

	*out = NULL;
	if (!py || !(py->l = malloc(sizeof(*py->l))) || trace_names_new(&py->store)) {
		pyrec_free(py);
		return -ENOMEM;
	}
	py->maps_fd = py->mem_fd = -1;
	if (pylayout_load(py->l, interp, why, sizeof(why))) {
		say_missing(py, why);
		*out = py;
		return 0;
	}
	py->layout = true;
	py->names = pylayout_ready(py->l, PYL_CAP_THREADS, why, sizeof(why)) &&
		    pylayout_ready(py->l, PYL_CAP_NAMES, why, sizeof(why));
	if (!py->names)
		say_missing(py, why);
	if (functions) {
		py->funcs = pylayout_bpf_cfg(py->l, &cfg, why, sizeof(why));
		if (!py->funcs)
			say_missing(py, why);
	}
	*out = py;
	return 0;
}

int pyrec_new_reader(struct pyrec **out, struct pyread *r, pid_t pid)
{
	char why[8];
	int err = pyrec_new(out, "", false);

	if (err) {
		pyread_close(r);
		return err;
	}
	*(*out)->l = *pyread_layout(r);
	(*out)->missing[0] = '\0';
	(*out)->layout = (*out)->funcs = true;
	(*out)->names = pyread_ready(r, PYL_CAP_NAMES, why, sizeof(why));
	(*out)->r = r;
	(*out)->pid = pid;
	(*out)->st.attached = true;
	return 0;
}

void pyrec_free(struct pyrec *py)
{
	if (!py)
		return;
	if (py->maps_fd >= 0)
		close(py->maps_fd);
	if (py->mem_fd >= 0)
		close(py->mem_fd);
	pyread_close(py->r);
	trace_names_free(py->store);
	hmap_free(&py->code);
	hmap_free(&py->written);
	hmap_free(&py->known);
	hmap_free(&py->named);
	hmap_free(&py->asked);
	free(py->thr);
	free(py->out);
	free(py->l);
	free(py);
}

bool pyrec_bpf_cfg(const struct pyrec *py, struct gs_py_cfg *cfg)
{
	char why[8];

	return py->funcs && pylayout_bpf_cfg(py->l, cfg, why, sizeof(why));
}

void pyrec_open_proc(struct pyrec *py, pid_t pid, bool running)
{
	char fn[64];
	ssize_t n;

	if (!py->layout || py->maps_fd >= 0)
		return;
	py->pid = pid;
	py->running = running;
	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
	py->maps_fd = open(fn, O_RDONLY | O_CLOEXEC);
	snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)pid);
	py->mem_fd = open(fn, O_RDONLY | O_CLOEXEC);
	snprintf(fn, sizeof(fn), "/proc/%d/exe", (int)pid);
	if ((n = readlink(fn, py->exe, sizeof(py->exe) - 1)) > 0)
		py->exe[n] = '\0';
	if (py->maps_fd < 0) {
		char why[256];

		snprintf(why, sizeof(why), "process %d: not allowed to read its memory (%s): run "
			 "gilscope as root", (int)pid, strerror(errno));
		say_missing(py, why);
	}
}

/* A property to the file and the store. */
static int put_prop(struct pyrec *py, uint32_t pid, const char *key, const char *value)
{
	trace_names_put_prop(py->store, pid, key, value);
	return py->w ? trace_writer_prop(py->w, pid, key, value) : 0;
}

int pyrec_attach(struct pyrec *py, uint64_t now)
{
	char why[512];
	int rc;

	if (py->r || py->attach_failed || !py->layout || !py->pid || now < py->next_attach_ns)
		return 0;
	rc = pyread_attach_fds(&py->r, py->pid, py->l, py->maps_fd, py->mem_fd, why, sizeof(why));
	if (rc == -EAGAIN) {
		py->next_attach_ns = now + ATTACH_EVERY_NS;
		return 0;
	}
	if (rc) {
		py->attach_failed = true;
		say_missing(py, why);
		return put_prop(py, (uint32_t)py->pid, TRACE_PROP_PY_MISSING, py->missing);
	}
	py->st.attached = true;
	if (py->names && !pyread_ready(py->r, PYL_CAP_NAMES, why, sizeof(why))) {
		py->names = false;
		say_missing(py, why);
		return put_prop(py, (uint32_t)py->pid, TRACE_PROP_PY_MISSING, py->missing);
	}
	return 0;
}

/* A thread that ran before the recording: its first request is "?". */
static int ran_before(void *ctx, pid_t tid)
{
	struct pyrec *py = ctx;

	return hmap_put(&py->asked, hkey_u64((uint64_t)tid), ASKED);
}

int pyrec_begin(struct pyrec *py, struct trace_writer *w, pid_t pid, uint64_t now_ns)
{
	char ver[32];
	int err;

	py->w = w;
	if (!py->pid)
		py->pid = pid;
	if ((err = put_prop(py, 0, TRACE_PROP_LOCK_NOUN, "GIL")))
		return err;
	/* the probes are in: a thread not listed now starts under them */
	if (py->running && py->funcs && proc_each_tid(py->pid, ran_before, py) == -ENOMEM)
		return -ENOMEM;
	if (py->layout) {
		if (py->l->micro != PYL_MICRO_UNKNOWN)
			snprintf(ver, sizeof(ver), "%u.%u.%u", py->l->major, py->l->minor, py->l->micro);
		else
			snprintf(ver, sizeof(ver), "%u.%u", py->l->major, py->l->minor);
		if ((err = put_prop(py, (uint32_t)pid, TRACE_PROP_PY_VERSION, ver)))
			return err;
	}
	if (py->exe[0] && (err = put_prop(py, (uint32_t)pid, TRACE_PROP_PY_EXE, py->exe)))
		return err;
	if (py->missing[0] &&
	    (err = put_prop(py, (uint32_t)pid, TRACE_PROP_PY_MISSING, py->missing)))
		return err;
	return pyrec_poll(py, now_ns);
}

/* ---- thread names ---------------------------------------------------------------- */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return NAMED | (h >> 1);
}

/* The process's threads into py->thr (grown up to PYREAD_MAX_THREADS). */
static int list_threads(struct pyrec *py, unsigned want, size_t *n)
{
	int err;

	for (;;) {
		if (!py->thr_cap) {
			if (!(py->thr = malloc(64 * sizeof(*py->thr))))
				return -ENOMEM;
			py->thr_cap = 64;
		}
		err = pyread_threads(py->r, py->thr, py->thr_cap, n, want);
		if (err != -E2BIG || py->thr_cap >= PYREAD_MAX_THREADS)
			return err == -E2BIG ? 0 : err;
		struct pyread_thread *t = realloc(py->thr, 4 * py->thr_cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		py->thr = t;
		py->thr_cap *= 4;
	}
}

/* Does thread i need its name read: new, or unnamed with retries left? */
static bool wants_name(struct pyrec *py, const struct pyread_thread *t)
{
	uint64_t v;

	if (!t->tid)
		return false;
	return !hmap_get(&py->known, (struct hkey){ t->tid, t->tstate }, &v) ||
	       (!(v & NAMED) && v < NAME_RETRIES);
}

static int learn_names(struct pyrec *py, uint64_t now, size_t n)
{
	int err;

	if (py->known.n > MAX_KNOWN) {
		hmap_clear(&py->known);
		hmap_clear(&py->named);
	}
	for (size_t i = 0; i < n; i++) {
		const struct pyread_thread *t = &py->thr[i];
		struct hkey k = { t->tid, t->tstate };
		uint64_t v = 0, h;
		bool seen = hmap_get(&py->known, k, &v);

		if (!t->tid)
			continue;
		if (!t->named || !t->name[0]) {
			if (!(v & NAMED) && hmap_put(&py->known, k, seen ? v + 1 : 1))
				return -ENOMEM;
			continue;
		}
		if ((h = name_hash(t->name)) == v)
			continue;
		if (hmap_put(&py->known, k, h))
			return -ENOMEM;
		/* a thread state made by its parent carries the parent's ids until
		 * the thread starts (3.11): the same tid, named alike, again */
		if (hmap_get(&py->named, hkey_u64(t->tid), &v) && v == h)
			continue;
		py->st.threads += !hmap_get(&py->named, hkey_u64(t->tid), &v);
		if (hmap_put(&py->named, hkey_u64(t->tid), h))
			return -ENOMEM;
		py->st.names++;
		trace_names_put_thread(py->store, (uint32_t)py->pid, t->tid, now, t->name);
		if (py->w && (err = trace_writer_thread_name(py->w, (uint32_t)py->pid, t->tid, now,
							      t->name)))
			return err;
	}
	return 0;
}

int pyrec_poll(struct pyrec *py, uint64_t now_ns)
{
	bool full;
	size_t n;
	int err;

	if ((err = pyrec_attach(py, now_ns)) || !py->r || !py->names)
		return err;
	full = now_ns - py->last_full_ns >= PYREC_RENAME_NS;
	if (!full) {
		/* the thread list alone is a read per thread: names only for new ones */
		if (list_threads(py, 0, &n))
			return 0;	/* counted by the reader; next poll */
		for (size_t i = 0; i < n && !full; i++)
			full = wants_name(py, &py->thr[i]);
	}
	if (!full || list_threads(py, PYREAD_NAMES, &n))
		return 0;
	py->last_full_ns = now_ns;
	return learn_names(py, now_ns, n);
}

/* ---- what it says ------------------------------------------------------------------ */

const struct trace_names *pyrec_names(const struct pyrec *py)
{
	return py->store;
}

const char *pyrec_missing(const struct pyrec *py)
{
	return py->missing;
}

void pyrec_stats(const struct pyrec *py, struct pyrec_stats *st)
{
	*st = py->st;
	if (py->r)
		pyread_stats(py->r, &st->rd);
}

char *pyrec_summary(const struct pyrec *py, char *buf, size_t len)
{
	char ver[32] = "", a[32], b[32], c[32];
	const struct pyrec_stats *s = &py->st;

	if (py->layout && py->l->micro != PYL_MICRO_UNKNOWN)
		snprintf(ver, sizeof(ver), " %u.%u.%u", py->l->major, py->l->minor, py->l->micro);
	else if (py->layout)
		snprintf(ver, sizeof(ver), " %u.%u", py->l->major, py->l->minor);
	if (!s->threads && !s->funcs && py->missing[0]) {
		snprintf(buf, len, "Python%s: no thread names or functions: %s", ver, py->missing);
		return buf;
	}
	char why[256] = "";

	if (s->unknown)
		snprintf(why, sizeof(why), "; %s GIL events show `?` (%llu: the code changed before "
			 "it was read, %llu: not readable, %llu: the frame was not, %llu: another "
			 "process, %llu: a take after an unseen or `?` release)",
			 fmt_count(c, sizeof(c), s->unknown), (unsigned long long)s->mismatch,
			 (unsigned long long)s->unread, (unsigned long long)s->fault,
			 (unsigned long long)s->other_pid, (unsigned long long)s->take_unknown);
	snprintf(buf, len, "Python%s: %s threads named, %s functions%s%s%s", ver,
		 fmt_count(a, sizeof(a), s->threads), fmt_count(b, sizeof(b), s->funcs), why,
		 py->missing[0] ? "; " : "", py->missing);
	return buf;
}
