/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* describe.c - events in plain words (contract in describe.h). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "model/describe.h"
#include "util/fmt.h"
#include "model/model.h"
#include "trace/trace_names.h"

struct name {
	char s[72];
};

static struct name who(const struct model *m, uint32_t tid)
{
	struct name n;
	const struct model_thread *t = m ? model_thread(m, tid) : NULL;

	if (t && !t->traced && !t->name[0])
		snprintf(n.s, sizeof(n.s), "another task (tid %u)", tid);
	else
		describe_thread(n.s, sizeof(n.s), m, t, tid);
	return n;
}

/* How long the wait (or hold) that ended at ts lasted: the event's own
 * figure if it has one, else the model's, if that span ended right here. */
static uint64_t ended_here(uint64_t arg, uint64_t end, uint64_t last, uint64_t ts)
{
	if (arg)
		return arg;
	return last && end == ts ? last : 0;
}

/* Who holds the lock ev is about (0: nobody, or not known). */
static uint32_t holder_of(const struct model *m, const struct gs_event *ev)
{
	const struct model_lock *l = model_lock(m, ev->pid, ev->arg0);

	return l ? l->holder : 0;
}

/* What the lock is called: "the GIL" when the recording said so (names
 * property "lock.noun", see record/pyrec.c), else "the lock". */
static const char *lock_noun(const struct model *m)
{
	const char *n = trace_names_prop(model_names(m), 0, TRACE_PROP_LOCK_NOUN);

	return n && !strcmp(n, "GIL") ? "the GIL" : "the lock";
}

/* The duration an event's arg1 carries (0: none; a function id is none). */
static uint64_t arg_ns(const struct gs_event *ev)
{
	return ev->flags & GS_F_FUNC ? 0 : ev->arg1;
}

const char *describe_func_name(const struct trace_names *names, uint32_t pid, uint64_t func,
			       const char **file, int32_t *line)
{
	struct trace_func_name f;

	*file = NULL;
	*line = 0;
	if (func == MODEL_NO_FUNC)
		return NULL;
	if (func == GS_FUNC_NONE)
		return "(no Python code)";
	if (!trace_names_func(names, pid, func, &f))
		return "?";
	*file = f.file;
	*line = f.line;
	return f.name;
}

char *describe_func(char *buf, size_t len, const struct model *m, uint32_t pid, uint64_t func)
{
	struct trace_func_name f;
	char name[96], file[64];
	const char *base;

	if (func == MODEL_NO_FUNC)
		snprintf(buf, len, "%s", "");
	else if (func == GS_FUNC_NONE)
		snprintf(buf, len, " outside Python code");
	else if (!trace_names_func(model_names(m), pid, func, &f))
		snprintf(buf, len, " in ?");
	else {
		base = strrchr(f.file, '/');
		fmt_printable(name, sizeof(name), f.name, DESCRIBE_FUNC_MAX);
		fmt_printable(file, sizeof(file), base ? base + 1 : f.file, sizeof(file));
		if (f.line > 0)
			snprintf(buf, len, " in `%s` (%s:%d)", name, file, (int)f.line);
		else
			snprintf(buf, len, " in `%s` (%s)", name, file);
	}
	return buf;
}

static const char *off_reason(const struct model *m, const struct gs_event *ev)
{
	const struct model_thread *t = m ? model_thread(m, ev->tid) : NULL;

	if (ev->arg1 == 0)
		return "preempted";
	if (!t)
		return "sleeps";
	if (t->state == MS_EXITED)
		return "exits";
	if (t->wait_lock)
		return strcmp(lock_noun(m), "the GIL") ? "waits for the lock" : "waits for the GIL";
	if (t->in_io)
		return "blocks in I/O";
	return "sleeps";
}

char *describe_event(const struct model *m, const struct gs_event *ev, char *buf, size_t len)
{
	const struct model_thread *t = m ? model_thread(m, ev->tid) : NULL;
	struct name me = who(m, ev->tid), other;
	const char *L = lock_noun(m);
	char d[24], fn[200];
	uint64_t ns;

	if (!len)
		return buf;
#define SAY(...) snprintf(buf, len, __VA_ARGS__)
	switch (ev->type) {
	case GS_EV_LOCK_REQUEST: {
		uint32_t h = holder_of(m, ev);

		describe_func(fn, sizeof(fn), m, ev->pid,
			      ev->flags & GS_F_FUNC ? ev->arg1 : MODEL_NO_FUNC);
		if (h && h != ev->tid)
			SAY("%s asks for %s%s (%s holds it)", me.s, L, fn, who(m, h).s);
		else
			SAY("%s asks for %s%s", me.s, L, fn);
		break;
	}
	case GS_EV_DROP_REQUEST: {
		/* two durations, each said of whom it is true: how long the
		 * asker has waited, how long the holder has held the lock */
		uint32_t h = ev->arg1 ? (uint32_t)ev->arg1 : holder_of(m, ev);
		const struct model_lock *l = m ? model_lock(m, ev->pid, ev->arg0) : NULL;
		uint64_t held = l && h && l->holder == h && ev->ts_ns > l->since_ns ?
					ev->ts_ns - l->since_ns : 0;
		char w[48] = "", hd[40] = "";

		ns = t && t->wait_lock && ev->ts_ns > t->wait_since_ns ?
			     ev->ts_ns - t->wait_since_ns : 0;
		other = h ? who(m, h) : (struct name){ "the holder" };
		if (ns)
			snprintf(w, sizeof(w), ", waiting %s,", fmt_duration(d, sizeof(d), ns));
		if (held)
			snprintf(hd, sizeof(hd), " (held %s)", fmt_duration(d, sizeof(d), held));
		SAY("%s%s asks %s to drop %s%s", me.s, w, other.s, L, hd);
		break;
	}
	case GS_EV_LOCK_ACQUIRED:
		ns = t ? ended_here(ev->arg1, t->wait_since_ns + t->last_wait_ns,
				    t->last_wait_ns, ev->ts_ns) : ev->arg1;
		/* the wait that ended here belongs to the function that asked */
		describe_func(fn, sizeof(fn), m, ev->pid, t ? t->wait_func : MODEL_NO_FUNC);
		if (ns)
			SAY("%s takes %s after waiting %s%s", me.s, L,
			    fmt_duration(d, sizeof(d), ns), fn);
		else
			SAY("%s takes %s%s", me.s, L, fn);
		break;
	case GS_EV_LOCK_RELEASED:
		ns = t ? ended_here(arg_ns(ev), t->hold_end_ns, t->last_hold_ns, ev->ts_ns)
		       : arg_ns(ev);
		describe_func(fn, sizeof(fn), m, ev->pid,
			      ev->flags & GS_F_FUNC ? ev->arg1 : MODEL_NO_FUNC);
		if (ns)
			SAY("%s releases %s%s after %s", me.s, L, fn, fmt_duration(d, sizeof(d), ns));
		else
			SAY("%s releases %s%s", me.s, L, fn);
		break;
	case GS_EV_LOCK_FAILED:
		ns = t ? ended_here(ev->arg1, t->wait_since_ns + t->last_wait_ns,
				    t->last_wait_ns, ev->ts_ns) : ev->arg1;
		if (ns)
			SAY("%s gives up on %s after waiting %s", me.s, L,
			    fmt_duration(d, sizeof(d), ns));
		else
			SAY("%s gives up on %s (it was taken)", me.s, L);
		break;
	case GS_EV_SCHED_SWITCH: {
		uint32_t next = (uint32_t)ev->arg0;

		other = who(m, next);
		if (ev->tid && next)
			SAY("%s leaves CPU%u (%s); %s runs", me.s, ev->cpu, off_reason(m, ev),
			    other.s);
		else if (ev->tid)
			SAY("%s leaves CPU%u (%s); CPU%u idles", me.s, ev->cpu,
			    off_reason(m, ev), ev->cpu);
		else if (next)
			SAY("%s runs on CPU%u", other.s, ev->cpu);
		else
			SAY("CPU%u idles", ev->cpu);
		break;
	}
	case GS_EV_SCHED_WAKEUP:
		if (ev->arg1 && ev->arg1 != ev->tid)
			SAY("%s wakes %s", who(m, (uint32_t)ev->arg1).s, me.s);
		else
			SAY("%s wakes up", me.s);
		break;
	case GS_EV_SCHED_MIGRATE:
		SAY("%s moves from CPU%llu to CPU%llu", me.s, (unsigned long long)ev->arg0,
		    (unsigned long long)ev->arg1);
		break;
	case GS_EV_THREAD_START:
		SAY("%s starts", me.s);
		break;
	case GS_EV_THREAD_EXIT:
		SAY("%s exits", me.s);
		break;
	case GS_EV_THREAD_NAME: {
		/* the name itself: a thread named like its process would be
		 * labelled "tid N", and "tid N is called tid N" says nothing */
		char raw[16], shown[48];

		gs_event_name(ev, raw);
		if (raw[0])
			SAY("tid %u is called %s", ev->tid,
			    fmt_printable(shown, sizeof(shown), raw, sizeof(raw)));
		else
			SAY("tid %u has no name", ev->tid);
		break;
	}
	case GS_EV_IO_BEGIN:
		SAY("%s blocks in I/O on fd %lld, without %s", me.s, (long long)ev->arg0, L);
		break;
	case GS_EV_IO_END:
		if (ev->arg1)
			SAY("%s is back from I/O on fd %lld after %s", me.s, (long long)ev->arg0,
			    fmt_duration(d, sizeof(d), ev->arg1));
		else
			SAY("%s is back from I/O on fd %lld", me.s, (long long)ev->arg0);
		break;
	case GS_EV_NATIVE_BEGIN:
		SAY("%s runs native code without %s", me.s, L);
		break;
	case GS_EV_NATIVE_END:
		if (ev->arg1)
			SAY("%s finishes native code after %s", me.s,
			    fmt_duration(d, sizeof(d), ev->arg1));
		else
			SAY("%s finishes native code", me.s);
		break;
	case GS_EV_PROC_FORK:
		SAY("%s starts process %llu", me.s, (unsigned long long)ev->arg0);
		break;
	case GS_EV_PROC_EXIT: {
		int status = (int32_t)ev->arg0;	/* a wait status: 768 is exit(3) */
		char how[48];

		if (WIFEXITED(status))
			SAY("%s exits with code %d", me.s, WEXITSTATUS(status));
		else
			SAY("%s ends: %s", me.s, fmt_exit_status(how, sizeof(how), status));
		break;
	}
	case GS_EV_LOST:
		SAY("%llu events lost here (the recorder fell behind)",
		    (unsigned long long)ev->arg0);
		break;
	case GS_EV_TIME_CLAMPED:
		SAY("%llu events gave a time outside the recording (clamped)",
		    (unsigned long long)ev->arg0);
		break;
	default:
		SAY("event of unknown type %u from %s", ev->type, me.s);
		break;
	}
#undef SAY
	return buf;
}

char *describe_thread(char *buf, size_t len, const struct model *m,
		      const struct model_thread *t, uint32_t tid)
{
	const struct model_thread *p = m && t && t->tid != t->pid ? model_thread(m, t->pid) : NULL;

	struct trace_thread_name pn;

	if (!t) {
		snprintf(buf, len, "tid %u", tid);
		return buf;
	}
	/* the name the program gave it (a Python thread's), the latest */
	if (trace_names_thread(model_names(m), t->pid, t->tid, &pn) && pn.name[0])
		return fmt_printable(buf, len, pn.name, DESCRIBE_THREAD_MAX);
	return fmt_thread_label(buf, len, t->name, sizeof(t->name), p ? p->name : NULL,
				t->pid, t->tid);
}
