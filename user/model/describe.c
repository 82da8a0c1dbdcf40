/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* describe.c - events in plain words (contract in describe.h). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "model/describe.h"
#include "util/fmt.h"
#include "model/model.h"

struct name {
	char s[48];
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
		return "waits for the lock";
	if (t->in_io)
		return "blocks in I/O";
	return "sleeps";
}

char *describe_event(const struct model *m, const struct gs_event *ev, char *buf, size_t len)
{
	const struct model_thread *t = m ? model_thread(m, ev->tid) : NULL;
	struct name me = who(m, ev->tid), other;
	char d[24];
	uint64_t ns;

	if (!len)
		return buf;
#define SAY(...) snprintf(buf, len, __VA_ARGS__)
	switch (ev->type) {
	case GS_EV_LOCK_REQUEST: {
		uint32_t h = holder_of(m, ev);

		if (h && h != ev->tid)
			SAY("%s asks for the lock (%s holds it)", me.s, who(m, h).s);
		else
			SAY("%s asks for the lock", me.s);
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
		SAY("%s%s asks %s to drop the lock%s", me.s, w, other.s, hd);
		break;
	}
	case GS_EV_LOCK_ACQUIRED:
		ns = t ? ended_here(ev->arg1, t->wait_since_ns + t->last_wait_ns,
				    t->last_wait_ns, ev->ts_ns) : ev->arg1;
		if (ns)
			SAY("%s takes the lock after waiting %s", me.s,
			    fmt_duration(d, sizeof(d), ns));
		else
			SAY("%s takes the lock", me.s);
		break;
	case GS_EV_LOCK_RELEASED:
		ns = t ? ended_here(ev->arg1, t->hold_end_ns, t->last_hold_ns, ev->ts_ns)
		       : ev->arg1;
		if (ns)
			SAY("%s releases the lock after %s", me.s, fmt_duration(d, sizeof(d), ns));
		else
			SAY("%s releases the lock", me.s);
		break;
	case GS_EV_LOCK_FAILED:
		ns = t ? ended_here(ev->arg1, t->wait_since_ns + t->last_wait_ns,
				    t->last_wait_ns, ev->ts_ns) : ev->arg1;
		if (ns)
			SAY("%s gives up on the lock after waiting %s", me.s,
			    fmt_duration(d, sizeof(d), ns));
		else
			SAY("%s gives up on the lock (it was taken)", me.s);
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
		SAY("%s blocks in I/O on fd %lld, without the lock", me.s, (long long)ev->arg0);
		break;
	case GS_EV_IO_END:
		if (ev->arg1)
			SAY("%s is back from I/O on fd %lld after %s", me.s, (long long)ev->arg0,
			    fmt_duration(d, sizeof(d), ev->arg1));
		else
			SAY("%s is back from I/O on fd %lld", me.s, (long long)ev->arg0);
		break;
	case GS_EV_NATIVE_BEGIN:
		SAY("%s runs native code without the lock", me.s);
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

	if (!t) {
		snprintf(buf, len, "tid %u", tid);
		return buf;
	}
	return fmt_thread_label(buf, len, t->name, sizeof(t->name), p ? p->name : NULL,
				t->pid, t->tid);
}
