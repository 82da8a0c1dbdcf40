/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson.c - lesson files: parsing and what a parsed lesson says (see
 * lesson.h); the narration state machine is lesson_run.c.
 *
 * A parsed lesson keeps one copy of the file text; every string it hands
 * out points into that copy, cut in place with NULs, so a lesson is two
 * allocations however many steps it has.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lesson/lesson.h"
#include "util/fmt.h"
#include "util/sudo.h"

#define LESSON_MAX_BYTES (64 * 1024)	/* a lesson is a page of text, not a book */
#define LESSON_MAX_LINE 160		/* narration line: fits a projector row */

/* What one form of a lesson runs and says: gilrt's or the CPython script's. */
struct lesson_form {
	const char *trace;	/* file name in traces/ */
	size_t nsteps;
	struct lesson_step steps[LESSON_MAX_STEPS];
	size_t nclaims;
	struct lesson_claim claims[LESSON_MAX_CLAIMS];
};

struct lesson {
	char *text;		/* the file, cut into strings in place */
	char *name;		/* short name, own allocation */
	const char *title, *about, *notes;
	const char *run;	/* gilrt run ARGS */
	const char *python;	/* script in lessons/py/, or NULL */
	int python_major;	/* the script's Python: 2 or 3 */
	struct lesson_form forms[LESSON_FORM__COUNT];
	enum lesson_form_kind form;	/* the one the accessors show */
};

/* Event kinds as lesson files name them, indexed by enum gs_event_type. */
static const char *const ev_names[GS_EV__COUNT] = {
	[GS_EV_LOCK_REQUEST] = "request",
	[GS_EV_LOCK_ACQUIRED] = "acquired",
	[GS_EV_LOCK_RELEASED] = "released",
	[GS_EV_DROP_REQUEST] = "drop_request",
	[GS_EV_THREAD_START] = "thread_start",
	[GS_EV_THREAD_EXIT] = "thread_exit",
	[GS_EV_THREAD_NAME] = "thread_name",
	[GS_EV_SCHED_SWITCH] = "switch",
	[GS_EV_SCHED_WAKEUP] = "wakeup",
	[GS_EV_SCHED_MIGRATE] = "migrate",
	[GS_EV_IO_BEGIN] = "io_begin",
	[GS_EV_IO_END] = "io_end",
	[GS_EV_NATIVE_BEGIN] = "native_begin",
	[GS_EV_NATIVE_END] = "native_end",
	[GS_EV_PROC_FORK] = "fork",
	[GS_EV_PROC_EXIT] = "proc_exit",
	[GS_EV_LOST] = "lost",
	[GS_EV_LOCK_FAILED] = "lock_failed",
	[GS_EV_TIME_CLAMPED] = "time_clamped",
};

static const char *const metric_names[LM__COUNT] = {
	[LM_PARALLELISM] = "parallelism",
	[LM_ACQUISITIONS] = "acquisitions",
	[LM_ACQ_PER_S] = "acq_per_s",
	[LM_LOCK_BUSY] = "lock_busy",
	[LM_PROCESSES] = "processes",
	[LM_THREADS] = "threads",
	[LM_LONG_HOLDS] = "long_holds",
	[LM_LONG_WAITS] = "long_waits",
	[LM_HOLD_SHARE_MAX] = "hold_share_max",
	[LM_TAKEN_BACK] = "taken_back",
};

static const char *const op_names[] = {
	[LO_LT] = "<", [LO_LE] = "<=", [LO_GT] = ">", [LO_GE] = ">=", [LO_EQ] = "==",
};

const char *lesson_event_name(unsigned t)
{
	return t < GS_EV__COUNT ? ev_names[t] : NULL;
}

const char *lesson_metric_name(unsigned m)
{
	return m < LM__COUNT ? metric_names[m] : NULL;
}

const char *lesson_op_name(unsigned op)
{
	return op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : NULL;
}

bool lesson_claim_holds(const struct lesson_claim *c, double v)
{
	switch (c->op) {
	case LO_LT: return v < c->value;
	case LO_LE: return v <= c->value;
	case LO_GT: return v > c->value;
	case LO_GE: return v >= c->value;
	case LO_EQ: return fabs(v - c->value) < 1e-9;
	}
	return false;
}

static int lookup(const char *const *names, size_t n, const char *word)
{
	for (size_t i = 1; i < n; i++)
		if (names[i] && !strcmp(names[i], word))
			return (int)i;
	return -1;
}

/* ---- parsing ------------------------------------------------------------- */

struct parse {
	struct lesson *l;
	struct lesson_form *last;	/* whose step indented lines belong to */
	int line;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *fmt, ...)
{
	if (p->err && p->errlen) {
		int n = p->line ? snprintf(p->err, p->errlen, "line %d: ", p->line) : 0;
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < p->errlen)
			vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Next whitespace-separated word of *s (cut in place), or NULL. */
static char *word(char **s)
{
	char *w = *s;
	while (*w == ' ' || *w == '\t')
		w++;
	if (!*w)
		return NULL;
	char *e = w;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*s = e;
	return w;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int parse_number(const char *w, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(w, &end);
	if (errno || end == w || !isfinite(v))
		return -EINVAL;
	*out = v;
	return (int)(end - w);
}

/* "1.5", "1.5s", "250ms": seconds into the run. */
static int parse_time(const char *w, uint64_t *ns)
{
	double v;
	int n = parse_number(w, &v);
	if (n < 0 || v < 0 || v > 3600)
		return -EINVAL;
	const char *unit = w + n;
	if (!strcmp(unit, "ms"))
		v /= 1e3;
	else if (*unit && strcmp(unit, "s"))
		return -EINVAL;
	*ns = (uint64_t)llround(v * 1e9);
	return 0;
}

static int parse_step(struct parse *p, struct lesson_form *l, char *rest)
{
	if (l->nsteps == LESSON_MAX_STEPS)
		return fail(p, "more than %d steps", LESSON_MAX_STEPS);
	if (l->nsteps && l->steps[l->nsteps - 1].nlines == 0)
		return fail(p, "the step before has no narration lines");
	char *w[4];	/* on EVENT N pause */
	size_t n = 0;
	while (n < 4 && (w[n] = word(&rest)))
		n++;
	if (word(&rest))
		return fail(p, "step: too many words");
	struct lesson_step *s = &l->steps[l->nsteps];
	memset(s, 0, sizeof(*s));
	if (n && !strcmp(w[n - 1], "pause")) {
		s->pause = true;
		n--;
	}
	if (!n)
		return fail(p, "step needs a trigger: at TIME, on EVENT [N] or end");
	if (n == 4)
		return fail(p, "step: too many words");
	if (!strcmp(w[0], "at")) {
		if (n != 2 || parse_time(w[1], &s->at_ns))
			return fail(p, "step at: expected one time such as 1.5 or 250ms");
		s->trigger = LT_AT;
	} else if (!strcmp(w[0], "on")) {
		int t = n >= 2 ? lookup(ev_names, GS_EV__COUNT, w[1]) : -1;
		if (t < 0)
			return fail(p, "step on: unknown event '%s' (see lessons/README.md)",
				    n >= 2 ? w[1] : "");
		s->trigger = LT_ON;
		s->ev_type = (uint8_t)t;
		s->count = 1;
		if (n == 3) {
			char *end;
			errno = 0;
			unsigned long c = strtoul(w[2], &end, 10);
			if (errno || *end || !isdigit((unsigned char)w[2][0]) || c < 1 ||
			    c > 1000000000ul)
				return fail(p, "step on %s: count must be a number >= 1", w[1]);
			s->count = (uint32_t)c;
		}
	} else if (!strcmp(w[0], "end")) {
		if (n != 1)
			return fail(p, "step end: unexpected '%s'", w[1]);
		s->trigger = LT_END;
	} else {
		return fail(p, "step: unknown trigger '%s' (at, on or end)", w[0]);
	}
	if (l->nsteps && l->steps[l->nsteps - 1].trigger == LT_END && s->trigger != LT_END)
		return fail(p, "only 'end' steps may follow an 'end' step");
	l->nsteps++;
	p->last = l;
	return 0;
}

static int parse_claim(struct parse *p, struct lesson_form *l, char *rest)
{
	if (l->nclaims == LESSON_MAX_CLAIMS)
		return fail(p, "more than %d claims", LESSON_MAX_CLAIMS);
	char *m = word(&rest), *o = word(&rest), *v = word(&rest);
	if (!m || !o || !v || word(&rest))
		return fail(p, "claim: expected METRIC OP VALUE, e.g. parallelism <= 1.2");
	struct lesson_claim *c = &l->claims[l->nclaims];
	int mi = lookup(metric_names, LM__COUNT, m);
	if (mi < 0)
		return fail(p, "claim: unknown metric '%s'", m);
	int oi = lookup(op_names, sizeof(op_names) / sizeof(op_names[0]), o);
	if (oi < 0)
		return fail(p, "claim: unknown operator '%s' (< <= > >= ==)", o);
	double val = 0;
	if (parse_number(v, &val) != (int)strlen(v))
		return fail(p, "claim: '%s' is not a number", v);
	c->metric = (uint8_t)mi;
	c->op = (uint8_t)oi;
	c->value = val;
	l->nclaims++;
	return 0;
}

static int set_once(struct parse *p, const char **field, const char *key, char *val)
{
	if (*field)
		return fail(p, "'%s' given twice", key);
	if (!*val)
		return fail(p, "'%s' needs a value", key);
	*field = val;
	return 0;
}

/* A file name in traces/: no path. */
static int set_trace(struct parse *p, const char **field, const char *key, char *val)
{
	if (strchr(val, '/') || !strcmp(val, "..") || !strcmp(val, "."))
		return fail(p, "%s: a file name in traces/, not a path", key);
	return set_once(p, field, key, val);
}

/* A check of lesson_prog.c (the programs a lesson may run), as a parse error. */
static int checked(struct parse *p, int (*check)(const char *, char *, size_t), const char *val)
{
	char why[160];

	return check(val, why, sizeof(why)) ? fail(p, "%s", why) : 0;
}

static int parse_line(struct parse *p, char *s)
{
	struct lesson *l = p->l;
	struct lesson_form *g = &l->forms[LESSON_GILRT], *py = &l->forms[LESSON_PYTHON];

	if (*s == ' ' || *s == '\t') {
		char *t = trim(s);
		if (!p->last)
			return fail(p, "indented narration before any 'step'");
		struct lesson_step *st = &p->last->steps[p->last->nsteps - 1];
		if (st->nlines == LESSON_MAX_LINES)
			return fail(p, "more than %d lines in one step", LESSON_MAX_LINES);
		if (strlen(t) > LESSON_MAX_LINE)
			return fail(p, "narration line longer than %d characters", LESSON_MAX_LINE);
		st->lines[st->nlines++] = t;
		return 0;
	}
	char *rest = s;
	char *key = word(&rest);
	char *val = trim(rest);
	if (!strcmp(key, "title"))
		return set_once(p, &l->title, key, val);
	if (!strcmp(key, "about"))
		return set_once(p, &l->about, key, val);
	if (!strcmp(key, "notes"))
		return set_once(p, &l->notes, key, val);
	if (!strcmp(key, "run"))
		return checked(p, lesson_check_run, val) ?: set_once(p, &l->run, key, val);
	if (!strcmp(key, "trace"))
		return set_trace(p, &g->trace, key, val);
	if (!strcmp(key, "step"))
		return parse_step(p, g, rest);
	if (!strcmp(key, "claim"))
		return parse_claim(p, g, rest);
	if (!strcmp(key, "python"))
		return checked(p, lesson_check_script, val) ?: set_once(p, &l->python, key, val);
	if (!strcmp(key, "python_version")) {
		if (l->python_major)
			return fail(p, "'%s' given twice", key);
		if (strcmp(val, "2") && strcmp(val, "3"))
			return fail(p, "python_version: 2 or 3 (the Python the script is written for)");
		l->python_major = val[0] - '0';
		return 0;
	}
	if (!strcmp(key, "python_trace"))
		return set_trace(p, &py->trace, key, val);
	if (!strcmp(key, "python_step"))
		return parse_step(p, py, rest);
	if (!strcmp(key, "python_claim"))
		return parse_claim(p, py, rest);
	return fail(p, "unknown key '%.32s'", key);
}

/* What a whole lesson needs once every line is read. */
static int check_complete(struct parse *p)
{
	const struct lesson *l = p->l;
	const struct lesson_form *g = &l->forms[LESSON_GILRT], *py = &l->forms[LESSON_PYTHON];

	p->line = 0;
	if (!l->title)
		return fail(p, "no 'title'");
	if (!l->about)
		return fail(p, "no 'about' (the one line shown by --list)");
	if (!l->run)
		return fail(p, "no 'run' (the gilrt scenario to run live)");
	if (!g->trace)
		return fail(p, "no 'trace' (the shipped trace to replay)");
	if (!g->nsteps)
		return fail(p, "no 'step'");
	if (!l->python && (py->trace || py->nsteps || py->nclaims || l->python_major))
		return fail(p, "python_* keys without 'python' (the script in lessons/py/)");
	if (l->python && !py->trace)
		return fail(p, "no 'python_trace' (the shipped trace of the script)");
	if (l->python && !py->nsteps)
		return fail(p, "no 'python_step' (the narration of the script's run)");
	for (int f = 0; f < LESSON_FORM__COUNT; f++)
		if (l->forms[f].nsteps && !l->forms[f].steps[l->forms[f].nsteps - 1].nlines)
			return fail(p, "the last %s has no narration lines", f ? "python_step" : "step");
	return 0;
}

/* The file's text into out (len + 1 bytes), fit for a terminal: a lesson
 * is shown to a class, so control characters, C1 and bytes that are not
 * UTF-8 become '?' (fmt_printable), tabs spaces; lines stay lines. */
static void sanitize(char *out, const char *text, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		char line[LESSON_MAX_BYTES + 1];

		memcpy(line, text + i, n);
		line[n] = '\0';
		for (size_t k = 0; k < n; k++)
			if (line[k] == '\t')
				line[k] = ' ';
		fmt_printable(out + o, n + 1, line, n);
		o += strlen(out + o);
		i += n;
		if (i < len && text[i] == '\n') {
			out[o++] = '\n';
			i++;
		}
	}
	out[o] = '\0';
}

int lesson_parse(struct lesson **out, const char *name, const char *text,
		 size_t len, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	*out = NULL;
	struct parse p = { .err = err, .errlen = errlen };
	if (len > LESSON_MAX_BYTES)
		return fail(&p, "lesson larger than %d bytes", LESSON_MAX_BYTES);
	if (memchr(text, '\0', len))
		return fail(&p, "NUL byte in a lesson file");
	struct lesson *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->text = malloc(len + 1);
	l->name = strdup(name ? name : "");
	if (!l->text || !l->name) {
		lesson_free(l);
		return -ENOMEM;
	}
	sanitize(l->text, text, len);
	l->python_major = 0;
	p.l = l;
	int rc = 0;
	char *s = l->text;
	while (s && rc == 0) {
		p.line++;
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		size_t n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			s[--n] = '\0';
		const char *first = s + strspn(s, " \t");
		if (*first && *first != '#')
			rc = parse_line(&p, s);
		s = nl ? nl + 1 : NULL;
	}
	if (rc == 0)
		rc = check_complete(&p);
	if (rc) {
		lesson_free(l);
		return rc;
	}
	if (l->python && !l->python_major)
		l->python_major = 3;
	*out = l;
	return 0;
}

int lesson_load(struct lesson **out, const char *path, char *err, size_t errlen)
{
	*out = NULL;
	/* never through a link, never blocking on a fifo, and under sudo with
	 * the invoking user's permissions: a lesson cannot read what they can't */
	struct sudo_fs su;
	sudo_fs_enter(&su);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int e = errno;
	sudo_fs_leave(&su);
	if (fd < 0) {
		snprintf(err, errlen, "%s", e == ELOOP ? "a symbolic link: lesson files are "
			 "read as they are, never through a link" : strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > LESSON_MAX_BYTES) {
		snprintf(err, errlen, "not a lesson file (regular, at most %d bytes)",
			 LESSON_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	/* name: basename without ".lesson" and without a "NN-" order prefix */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dash = base + strspn(base, "0123456789");
	if (dash != base && *dash == '-')
		base = dash + 1;
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
	int rc = lesson_parse(out, name, buf, got, err, errlen);
	free(buf);
	return rc;
}

void lesson_free(struct lesson *l)
{
	if (!l)
		return;
	free(l->text);
	free(l->name);
	free(l);
}

const char *lesson_name(const struct lesson *l) { return l->name; }
const char *lesson_title(const struct lesson *l) { return l->title; }
const char *lesson_about(const struct lesson *l) { return l->about; }
const char *lesson_notes(const struct lesson *l) { return l->notes ? l->notes : ""; }
const char *lesson_run_args(const struct lesson *l) { return l->run; }
const char *lesson_python(const struct lesson *l) { return l->python; }
int lesson_python_major(const struct lesson *l) { return l->python_major; }
enum lesson_form_kind lesson_form(const struct lesson *l) { return l->form; }
const char *lesson_trace(const struct lesson *l) { return l->forms[l->form].trace; }
size_t lesson_nsteps(const struct lesson *l) { return l->forms[l->form].nsteps; }
size_t lesson_nclaims(const struct lesson *l) { return l->forms[l->form].nclaims; }

int lesson_select_form(struct lesson *l, enum lesson_form_kind form)
{
	if (form != LESSON_GILRT && (form != LESSON_PYTHON || !l->python))
		return -ENOENT;
	l->form = form;
	return 0;
}

const struct lesson_step *lesson_step(const struct lesson *l, size_t i)
{
	const struct lesson_form *f = &l->forms[l->form];

	return i < f->nsteps ? &f->steps[i] : NULL;
}

const struct lesson_claim *lesson_claim(const struct lesson *l, size_t i)
{
	const struct lesson_form *f = &l->forms[l->form];

	return i < f->nclaims ? &f->claims[i] : NULL;
}

int lesson_split_args(const char *args, size_t lead, char ***argv_out)
{
	size_t len = strlen(args), words = lead;
	/* at most one word per two characters, plus the lead and the NULL */
	size_t slots = lead + len / 2 + 2;
	char **argv = calloc(1, slots * sizeof(char *) + len + 1);
	if (!argv)
		return -ENOMEM;
	char *copy = (char *)(argv + slots);
	memcpy(copy, args, len + 1);
	char *rest = copy, *w;
	while ((w = word(&rest)))
		argv[words++] = w;
	argv[words] = NULL;
	*argv_out = argv;
	return (int)words;
}
