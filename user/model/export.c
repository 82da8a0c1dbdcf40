/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export.c - Chrome Trace Event JSON and CSV writers, and the driver of
 * every format (see export.h; Perfetto's writer is perfetto.c).
 *
 * Spans arrive in the order the model closes them, which is the order of
 * their end times, not their starts. That is enough to keep a track free of
 * overlaps with one number per track: the end of the last slice written
 * there. A slice starting before that end would overlap (or nest, which some
 * viewers draw badly), so it goes to an async track instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/export.h"
#include "model/handoff.h"
#include "model/perfetto.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/hash.h"
#include "util/json.h"
#include "trace/trace_reader.h"

struct exporter {
	FILE *f;
	enum export_format fmt;
	struct pf *pf;			/* EXPORT_PERFETTO's writer */
	uint64_t base_ns;
	exporter_label_fn label_fn;
	void *label_ctx;
	bool first;			/* no event written yet (JSON commas) */
	struct hmap tracks;		/* pid << 32 | tid -> end of its last slice */
	uint64_t async_id;
	uint8_t cpu_seen[65536 / 8];	/* cores that got a track (names at finish) */
	uint32_t ncpus;
	const struct trace_names *names;	/* functions of hold/wait spans, or NULL */
	struct export_stats st;
};

enum export_format export_format_parse(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "perfetto"))
		return EXPORT_PERFETTO;
	if (!strcmp(name, "chrome") || !strcmp(name, "json"))
		return EXPORT_CHROME;
	if (!strcmp(name, "csv"))
		return EXPORT_CSV;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

enum export_format export_format_of_path(const char *path)
{
	if (ends_with(path, ".perfetto-trace") || ends_with(path, ".pftrace"))
		return EXPORT_PERFETTO;
	if (ends_with(path, ".json"))
		return EXPORT_CHROME;
	if (ends_with(path, ".csv"))
		return EXPORT_CSV;
	return 0;
}

/* ---- small writers ------------------------------------------------------- */

/* Decimal digits of v into the end of buf; returns where they start. */
static char *u64_digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

/* printf is most of the cost of a big export: numbers are formatted by hand. */
static void put_u64(FILE *f, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf);
	char *p = u64_digits(e, v);

	fwrite_unlocked(p, 1, (size_t)(e - p), f);
}

/* ns as microseconds with three decimals: "1234.567" */
static void put_time(FILE *f, uint64_t ns)
{
	char buf[32], *e = buf + sizeof(buf);
	unsigned frac = (unsigned)(ns % 1000);

	*--e = (char)('0' + frac % 10);
	*--e = (char)('0' + frac / 10 % 10);
	*--e = (char)('0' + frac / 100);
	*--e = '.';
	char *p = u64_digits(e, ns / 1000);
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

static uint64_t rel(const struct exporter *x, uint64_t ts)
{
	return ts > x->base_ns ? ts - x->base_ns : 0;
}

/* A CSV field. Names come from the traced program: one that a spreadsheet
 * would take for a formula (= + - @, or a tab or CR first) is quoted with a
 * leading ' (OWASP's advice), so opening the CSV runs nothing. */
static void csv_str(FILE *f, const char *s)
{
	bool formula = strchr("=+-@\t\r", s[0]) && s[0];

	if (!formula && !s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Starts a JSON event: the separator and the common fields. */
static void ev_begin(struct exporter *x, const char *ph, const char *name, uint32_t pid,
		     uint32_t tid)
{
	fputs_unlocked(x->first ? "\n{\"ph\":\"" : ",\n{\"ph\":\"", x->f);
	x->first = false;
	fputs_unlocked(ph, x->f);
	fputs_unlocked("\",\"pid\":", x->f);
	put_u64(x->f, pid);
	fputs_unlocked(",\"tid\":", x->f);
	put_u64(x->f, tid);
	fputs_unlocked(",\"name\":", x->f);
	json_write_str(x->f, name);
}

/* ---- the exporter ---------------------------------------------------------- */

int exporter_new(struct exporter **out, FILE *f, enum export_format fmt,
		 const struct trace_meta *meta, uint64_t base_ns,
		 exporter_label_fn label_fn, void *label_ctx)
{
	struct exporter *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x)
		return -ENOMEM;
	if (fmt != EXPORT_CHROME && fmt != EXPORT_CSV && fmt != EXPORT_PERFETTO) {
		free(x);
		return -EINVAL;
	}
	x->f = f;
	x->fmt = fmt;
	x->base_ns = base_ns;
	x->label_fn = label_fn;
	x->label_ctx = label_ctx;
	x->first = true;
	x->ncpus = meta ? meta->ncpus : 0;
	if (fmt == EXPORT_PERFETTO) {
		int ret = pf_new(&x->pf, f, meta, base_ns);

		if (ret) {
			exporter_free(x);
			return ret;
		}
	} else if (fmt == EXPORT_CSV) {
		fputs("kind,pid,tid,thread,cpu,start_ns,end_ns,function,file,line\n", f);
	} else {
		fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"gilscope\"", f);
		fprintf(f, ",\"base_ns\":%" PRIu64 ",\"clock\":\"CLOCK_MONOTONIC\"", base_ns);
		if (meta) {
			static const char *const keys[] = { "host", "kernel", "adapter", "command" };
			const char *vals[] = { meta->host, meta->kernel, meta->adapter, meta->command };
			for (size_t i = 0; i < 4; i++) {
				fprintf(f, ",\"%s\":", keys[i]);
				json_write_str(f, vals[i]);
			}
		}
		fputs("},\"traceEvents\":[", f);
		exporter_process(x, EXPORT_CPU_PID, "CPUs");
		ev_begin(x, "M", "process_sort_index", EXPORT_CPU_PID, EXPORT_CPU_PID);
		fputs(",\"args\":{\"sort_index\":-1}}", f);
	}
	*out = x;
	return 0;
}

static const char *label(struct exporter *x, uint32_t pid, uint32_t tid, char *buf, size_t len)
{
	const char *l = x->label_fn ? x->label_fn(x->label_ctx, pid, tid) : NULL;

	if (l && *l)
		return l;
	snprintf(buf, len, "tid %" PRIu32, tid);
	return buf;
}

static const char *const kind_name[] = {
	[SPAN_CPU] = "cpu", [SPAN_HOLD] = "hold", [SPAN_WAIT] = "wait",
	[SPAN_IO] = "io", [SPAN_NATIVE] = "native",
};

static void count(struct exporter *x, uint8_t kind)
{
	uint64_t *c[] = { [SPAN_CPU] = &x->st.cpu, [SPAN_HOLD] = &x->st.hold,
			  [SPAN_WAIT] = &x->st.wait, [SPAN_IO] = &x->st.io,
			  [SPAN_NATIVE] = &x->st.native };
	(*c[kind])++;
}

static void span_csv(struct exporter *x, const struct model_span *s)
{
	FILE *f = x->f;
	char buf[32];

	fputs_unlocked(kind_name[s->kind], f);
	fputc_unlocked(',', f);
	put_u64(f, s->pid);
	fputc_unlocked(',', f);
	put_u64(f, s->tid);
	fputc_unlocked(',', f);
	csv_str(f, label(x, s->pid, s->tid, buf, sizeof(buf)));
	fputc_unlocked(',', f);
	if (s->cpu != 0xffff)
		put_u64(f, s->cpu);
	fputc_unlocked(',', f);
	put_u64(f, rel(x, s->start_ns));
	fputc_unlocked(',', f);
	put_u64(f, rel(x, s->end_ns));
	const char *file;
	int32_t line;
	const char *fn = describe_func_name(x->names, s->pid, s->func, &file, &line);

	char pb[256], pf[1100];

	fputc_unlocked(',', f);
	if (fn)
		csv_str(f, fmt_printable(pb, sizeof(pb), fn, sizeof(pb)));
	fputc_unlocked(',', f);
	if (file)
		csv_str(f, fmt_printable(pf, sizeof(pf), file, sizeof(pf)));
	fputc_unlocked(',', f);
	if (line > 0)
		put_u64(f, (uint64_t)line);
	fputc_unlocked('\n', f);
}

static void span_args(struct exporter *x, const struct model_span *s)
{
	fputs_unlocked(",\"args\":{", x->f);
	if (s->kind == SPAN_CPU) {
		fputs_unlocked("\"pid\":", x->f);
		put_u64(x->f, s->pid);
		fputs_unlocked(",\"tid\":", x->f);
		put_u64(x->f, s->tid);
		fputs_unlocked(s->flags & SPAN_F_LOCKED ? ",\"locked\":true" : ",\"locked\":false", x->f);
	} else if (s->kind == SPAN_HOLD || s->kind == SPAN_WAIT) {
		const char *file;
		int32_t line;
		const char *fn = describe_func_name(x->names, s->pid, s->func, &file, &line);

		fprintf(x->f, "\"lock\":\"0x%" PRIx64 "\"", s->lock);
		if (fn) {
			fputs_unlocked(",\"function\":", x->f);
			json_write_str(x->f, fn);
		}
		if (file) {
			fputs_unlocked(",\"file\":", x->f);
			json_write_str(x->f, file);
		}
		if (line > 0)
			fprintf(x->f, ",\"line\":%d", (int)line);
	} else
		fprintf(x->f, "\"cpu\":%d", s->cpu == 0xffff ? -1 : s->cpu);
	if (s->flags & SPAN_F_OPEN)
		fputs(",\"open\":true", x->f);
	fputc('}', x->f);
}

static void span_chrome(struct exporter *x, const struct model_span *s)
{
	char buf[32], name[96];
	uint32_t pid = s->pid, tid = s->tid;
	const char *nm = kind_name[s->kind];

	if (s->kind == SPAN_CPU) {
		pid = EXPORT_CPU_PID;
		tid = (uint32_t)s->cpu + 1;
		x->cpu_seen[s->cpu / 8] |= 1 << (s->cpu % 8);
		snprintf(name, sizeof(name), "%s%s", label(x, s->pid, s->tid, buf, sizeof(buf)),
			 s->flags & SPAN_F_LOCKED ? " [lock]" : s->flags & SPAN_F_OTHER ? " (other)" : "");
		nm = name;
	}
	struct hkey track = hkey_u64((uint64_t)pid << 32 | tid);
	uint64_t last_end = 0;

	hmap_get(&x->tracks, track, &last_end);
	if (s->start_ns < last_end || hmap_put(&x->tracks, track, s->end_ns)) {
		/* Would overlap the track's last slice: an async slice of its own. */
		x->st.async++;
		x->async_id++;
		ev_begin(x, "b", nm, pid, tid);
		fprintf(x->f, ",\"cat\":\"%s\",\"id\":%" PRIu64 ",\"ts\":", kind_name[s->kind], x->async_id);
		put_time(x->f, rel(x, s->start_ns));
		span_args(x, s);
		fputc('}', x->f);
		ev_begin(x, "e", nm, pid, tid);
		fprintf(x->f, ",\"cat\":\"%s\",\"id\":%" PRIu64 ",\"ts\":", kind_name[s->kind], x->async_id);
		put_time(x->f, rel(x, s->end_ns));
		fputc('}', x->f);
		return;
	}
	ev_begin(x, "X", nm, pid, tid);
	fputs_unlocked(",\"cat\":\"", x->f);
	fputs_unlocked(kind_name[s->kind], x->f);
	fputs_unlocked("\",\"ts\":", x->f);
	put_time(x->f, rel(x, s->start_ns));
	fputs_unlocked(",\"dur\":", x->f);
	put_time(x->f, s->end_ns - s->start_ns);
	span_args(x, s);
	fputc_unlocked('}', x->f);
}

void exporter_set_names(struct exporter *x, const struct trace_names *names)
{
	x->names = names;
	if (x->pf)
		pf_set_names(x->pf, names);
}

void exporter_span(struct exporter *x, const struct model_span *s, const struct handoff_span *hs)
{
	if (s->kind < SPAN_CPU || s->kind > SPAN_NATIVE || s->kind == SPAN_STATE)
		return;
	if (s->end_ns < s->start_ns)
		return;		/* the model never does this; a bug must not wrap dur */
	count(x, s->kind);
	if (x->fmt == EXPORT_PERFETTO)
		pf_span(x->pf, s, hs);
	else if (x->fmt == EXPORT_CSV)
		span_csv(x, s);
	else
		span_chrome(x, s);
}

void exporter_event(struct exporter *x, const struct model *m, const struct gs_event *ev)
{
	if (x->fmt == EXPORT_PERFETTO)
		pf_event(x->pf, m, ev);
}

/* A flow from the releasing thread's hold slice to the taker's: "s" binds
 * to the slice it lies in, "f" with "bp":"e" too (not to the next one);
 * both stand at their slice's start, where nothing nested has begun. */
void exporter_handoff(struct exporter *x, const struct handoff_info *hi)
{
	if (x->fmt != EXPORT_CHROME)
		return;
	x->st.handoffs++;
	ev_begin(x, "s", "hand-off", hi->pid, hi->from_tid);
	fprintf(x->f, ",\"cat\":\"handoff\",\"id\":%" PRIu64 ",\"ts\":", hi->flow);
	put_time(x->f, rel(x, hi->from_start_ns));
	fputc('}', x->f);
	ev_begin(x, "f", "hand-off", hi->pid, hi->to_tid);
	fprintf(x->f, ",\"cat\":\"handoff\",\"id\":%" PRIu64 ",\"bp\":\"e\",\"ts\":", hi->flow);
	put_time(x->f, rel(x, hi->acquire_ns));
	fputc('}', x->f);
}

void exporter_mark(struct exporter *x, uint64_t ts_ns, const char *text)
{
	if (x->fmt == EXPORT_PERFETTO) {
		pf_mark(x->pf, ts_ns, text);
	} else if (x->fmt == EXPORT_CHROME) {
		ev_begin(x, "i", text, EXPORT_CPU_PID, EXPORT_CPU_PID);
		fputs(",\"s\":\"g\",\"cat\":\"gap\",\"ts\":", x->f);
		put_time(x->f, rel(x, ts_ns));
		fputc('}', x->f);
	}
}

void exporter_lost(struct exporter *x, uint64_t ts_ns, uint64_t n)
{
	char name[48];

	x->st.lost = gs_sat_add(x->st.lost, n);
	snprintf(name, sizeof(name), "lost %" PRIu64 " events", n);
	if (x->fmt == EXPORT_PERFETTO)
		pf_mark(x->pf, ts_ns, name);
	if (x->fmt != EXPORT_CHROME)
		return;
	ev_begin(x, "i", name, EXPORT_CPU_PID, EXPORT_CPU_PID);
	fputs(",\"s\":\"g\",\"cat\":\"lost\",\"ts\":", x->f);
	put_time(x->f, rel(x, ts_ns));
	fprintf(x->f, ",\"args\":{\"count\":%" PRIu64 "}}", n);
}

/* Chrome's metadata event naming a process or a thread. */
static void chrome_name(struct exporter *x, const char *what, uint32_t pid, uint32_t tid,
			const char *name)
{
	ev_begin(x, "M", what, pid, tid);
	fputs(",\"args\":{\"name\":", x->f);
	json_write_str(x->f, name);
	fputs("}}", x->f);
}

void exporter_process(struct exporter *x, uint32_t pid, const char *name)
{
	if (x->fmt == EXPORT_PERFETTO)
		pf_process(x->pf, pid, name);
	if (x->fmt == EXPORT_CHROME)
		chrome_name(x, "process_name", pid, pid, name);
}

void exporter_thread(struct exporter *x, uint32_t pid, uint32_t tid, const char *name)
{
	if (x->fmt == EXPORT_PERFETTO)
		pf_thread(x->pf, pid, tid, name);
	if (x->fmt == EXPORT_CHROME)
		chrome_name(x, "thread_name", pid, tid, name);
}

int exporter_finish(struct exporter *x, const struct model *m, uint64_t end_ns,
		    struct export_stats *st)
{
	int ret = 0;

	if (x->fmt == EXPORT_PERFETTO)
		ret = pf_finish(x->pf, m, end_ns, &x->st);
	if (x->fmt == EXPORT_CHROME) {
		for (uint32_t c = 0; c < 65536; c++) {
			if (c >= x->ncpus && !(x->cpu_seen[c / 8] & (1 << (c % 8))))
				continue;
			char name[16];
			snprintf(name, sizeof(name), "CPU %" PRIu32, c);
			exporter_thread(x, EXPORT_CPU_PID, c + 1, name);
			ev_begin(x, "M", "thread_sort_index", EXPORT_CPU_PID, c + 1);
			fprintf(x->f, ",\"args\":{\"sort_index\":%" PRIu32 "}}", c);
		}
		fputs("\n]}\n", x->f);
	}
	if (st) {
		/* what the writer counted; the rest is the driver's */
		st->cpu = x->st.cpu;
		st->hold = x->st.hold;
		st->wait = x->st.wait;
		st->io = x->st.io;
		st->native = x->st.native;
		st->async = x->st.async;
		st->lost = x->st.lost;
		st->handoffs = x->st.handoffs;
		st->drop_flows = x->st.drop_flows;
		st->switches = x->st.switches;
	}
	if (fflush(x->f) || ferror(x->f))
		return errno ? -errno : -EIO;
	return ret;
}

void exporter_free(struct exporter *x)
{
	if (!x)
		return;
	pf_free(x->pf);
	hmap_free(&x->tracks);
	free(x);
}
