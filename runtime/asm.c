/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * asm.c - see asm.h. One pass over the lines; label and call targets that
 * are not known yet are recorded as fixups and patched at "end" (labels)
 * or at the end of the text (functions).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "asm.h"
#include "rt_util.h"

#define MAX_TOKS 4
#define NAME_MAX_LEN 64

struct fixup {
	int func;		/* function holding the instruction */
	int pc;			/* instruction to patch */
	int line;		/* for the error message */
	char name[NAME_MAX_LEN];	/* label or function name */
};

struct fixups {
	struct fixup *v;
	size_t n, cap;
};

struct asm_state {
	struct rt_program *prog;
	int func;			/* current function, -1 outside */
	struct fixups labels_def;	/* labels of the current function (pc in .pc) */
	struct fixups label_refs;	/* jumps of the current function */
	struct fixups call_refs;	/* calls anywhere */
	int line;
	char *err;
	size_t errlen;
};

static int aerr(struct asm_state *s, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int aerr(struct asm_state *s, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!s->err || !s->errlen)
		return -EINVAL;
	n = snprintf(s->err, s->errlen, "line %d: ", line);
	if (n >= 0 && (size_t)n < s->errlen) {
		va_start(ap, fmt);
		vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int fixup_add(struct fixups *f, int func, int pc, int line, const char *name)
{
	struct fixup *v;

	if (strlen(name) >= NAME_MAX_LEN)
		return -ENAMETOOLONG;
	v = rt_grow(f->v, &f->cap, f->n, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	f->v = v;
	f->v[f->n] = (struct fixup){ .func = func, .pc = pc, .line = line };
	strcpy(f->v[f->n].name, name);
	f->n++;
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return -EINVAL;
	/* values are 63-bit */
	if (v > (INT64_MAX >> 1) || v < (INT64_MIN >> 1))
		return -ERANGE;
	*out = v;
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= NAME_MAX_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!(*p == '_' || *p == '.' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/* Patch the current function's jumps and forget its labels. */
static int end_func(struct asm_state *s)
{
	struct rt_func *f = &s->prog->funcs[s->func];

	for (size_t i = 0; i < s->label_refs.n; i++) {
		struct fixup *r = &s->label_refs.v[i];
		size_t j;

		for (j = 0; j < s->labels_def.n; j++)
			if (strcmp(s->labels_def.v[j].name, r->name) == 0)
				break;
		if (j == s->labels_def.n)
			return aerr(s, r->line, "unknown label '%s'", r->name);
		f->code[r->pc].a = s->labels_def.v[j].pc;
	}
	s->labels_def.n = 0;
	s->label_refs.n = 0;
	s->func = -1;
	return 0;
}

static int asm_insn(struct asm_state *s, char **tok, int ntok)
{
	int op = rt_op_lookup(tok[0]), pc, idx, want;
	int64_t a = 0, b = 0;

	if (op < 0)
		return aerr(s, s->line, "unknown instruction '%s'", tok[0]);
	switch (op) {
	case RT_OP_PUSH:
	case RT_OP_LOAD:
	case RT_OP_STORE:
		want = 2;
		break;
	case RT_OP_CALL:
	case RT_OP_BCALL:
		want = 3;
		break;
	case RT_OP_GLOAD:
	case RT_OP_GSTORE:
	case RT_OP_JMP:
	case RT_OP_JF:
	case RT_OP_JT:
		want = 2;
		break;
	default:
		want = 1;
	}
	if (ntok != want)
		return aerr(s, s->line, "%s takes %d operand(s)", tok[0], want - 1);
	if (op == RT_OP_PUSH || op == RT_OP_LOAD || op == RT_OP_STORE) {
		if (parse_int(tok[1], &a))
			return aerr(s, s->line, "%s: bad number '%s'", tok[0], tok[1]);
	}
	if (op == RT_OP_CALL || op == RT_OP_BCALL) {
		if (parse_int(tok[2], &b) || b < 0 || b > 64)
			return aerr(s, s->line, "%s: bad argument count '%s'", tok[0], tok[2]);
		if (!valid_name(tok[1]))
			return aerr(s, s->line, "%s: bad name '%s'", tok[0], tok[1]);
	}
	if (op == RT_OP_GLOAD || op == RT_OP_GSTORE) {
		if (parse_int(tok[1], &a)) {
			if (!valid_name(tok[1]))
				return aerr(s, s->line, "%s: bad global '%s'", tok[0], tok[1]);
			idx = rt_prog_global(s->prog, tok[1]);
			if (idx < 0)
				return idx;
			a = idx;
		}
	}
	if (op == RT_OP_BCALL) {
		idx = rt_prog_builtin(s->prog, tok[1]);
		if (idx < 0)
			return idx;
		a = idx;
	}
	pc = rt_prog_emit(s->prog, s->func, (enum rt_op)op, a, (int32_t)b);
	if (pc < 0)
		return pc;
	if (op == RT_OP_JMP || op == RT_OP_JF || op == RT_OP_JT) {
		if (!valid_name(tok[1]))
			return aerr(s, s->line, "%s: bad label '%s'", tok[0], tok[1]);
		return fixup_add(&s->label_refs, s->func, pc, s->line, tok[1]);
	}
	if (op == RT_OP_CALL)
		return fixup_add(&s->call_refs, s->func, pc, s->line, tok[1]);
	return 0;
}

static int asm_line(struct asm_state *s, char *line)
{
	char *tok[MAX_TOKS + 1], *save = NULL, *t;
	int ntok = 0, rc;
	int64_t nargs, nlocals;
	size_t len;

	line[strcspn(line, ";#")] = 0;
	for (t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (ntok == MAX_TOKS)
			return aerr(s, s->line, "too many operands");
		tok[ntok++] = t;
	}
	if (!ntok)
		return 0;
	if (strcmp(tok[0], "func") == 0) {
		if (s->func >= 0)
			return aerr(s, s->line, "func inside func (missing end?)");
		if (ntok != 4 || !valid_name(tok[1]) || parse_int(tok[2], &nargs) ||
		    parse_int(tok[3], &nlocals))
			return aerr(s, s->line, "usage: func NAME NARGS NLOCALS");
		rc = rt_prog_func(s->prog, tok[1], (int)nargs, (int)nlocals);
		if (rc == -EEXIST)
			return aerr(s, s->line, "function '%s' defined twice", tok[1]);
		if (rc < 0)
			return aerr(s, s->line, "bad function header (need 0 <= NARGS <= NLOCALS <= 1024)");
		s->func = rc;
		return 0;
	}
	if (strcmp(tok[0], "global") == 0) {
		if (ntok < 2)
			return aerr(s, s->line, "usage: global NAME...");
		for (int i = 1; i < ntok; i++) {
			if (!valid_name(tok[i]))
				return aerr(s, s->line, "bad global '%s'", tok[i]);
			rc = rt_prog_global(s->prog, tok[i]);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (s->func < 0)
		return aerr(s, s->line, "'%s' outside a function", tok[0]);
	if (strcmp(tok[0], "end") == 0) {
		if (ntok != 1)
			return aerr(s, s->line, "end takes no operands");
		return end_func(s);
	}
	len = strlen(tok[0]);
	if (len > 1 && tok[0][len - 1] == ':') {
		tok[0][len - 1] = 0;
		if (ntok != 1 || !valid_name(tok[0]))
			return aerr(s, s->line, "bad label");
		for (size_t i = 0; i < s->labels_def.n; i++)
			if (strcmp(s->labels_def.v[i].name, tok[0]) == 0)
				return aerr(s, s->line, "label '%s' defined twice", tok[0]);
		return fixup_add(&s->labels_def, s->func,
				 (int)s->prog->funcs[s->func].ncode, s->line, tok[0]);
	}
	return asm_insn(s, tok, ntok);
}

int rt_asm(const char *text, struct rt_program **out, char *err, size_t errlen)
{
	struct asm_state s = { .func = -1, .err = err, .errlen = errlen };
	char *copy = strdup(text), *line, *save = NULL, *p;
	int rc = 0;

	if (err && errlen)
		err[0] = 0;
	s.prog = rt_prog_new();
	if (!copy || !s.prog) {
		rc = -ENOMEM;
		goto out;
	}
	/* strtok_r would merge empty lines and break line numbers: split by hand */
	for (line = copy, s.line = 1; line && !rc; line = p, s.line++) {
		p = strchr(line, '\n');
		if (p)
			*p++ = 0;
		rc = asm_line(&s, line);
	}
	(void)save;
	if (!rc && s.func >= 0)
		rc = aerr(&s, s.line - 1, "function '%s' has no end", s.prog->funcs[s.func].name);
	for (size_t i = 0; !rc && i < s.call_refs.n; i++) {
		struct fixup *r = &s.call_refs.v[i];
		int f = rt_prog_find_func(s.prog, r->name);

		if (f < 0)
			rc = aerr(&s, r->line, "unknown function '%s'", r->name);
		else
			s.prog->funcs[r->func].code[r->pc].a = f;
	}
	if (rc == -ENAMETOOLONG)
		rc = aerr(&s, s.line - 1, "name too long");
	else if (rc == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory");
out:
	free(copy);
	free(s.labels_def.v);
	free(s.label_refs.v);
	free(s.call_refs.v);
	if (rc) {
		rt_prog_destroy(s.prog);
		return rc;
	}
	*out = s.prog;
	return 0;
}
