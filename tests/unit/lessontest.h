/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lessontest.h - what the lesson unit tests share: parse() reads a lesson
 * file's text as lesson "t" (parse_ok(): a text that must parse), ev() makes an event of pid 100 at 1 s + ms,
 * run_of() parses a text that must be good and starts its narration.
 * Include after check.h and lesson/lesson.h.
 */
#ifndef TESTS_LESSONTEST_H
#define TESTS_LESSONTEST_H
#include <stdint.h>
#include <string.h>

static inline struct lesson *parse(const char *text, char *err, size_t errlen, int *rc)
{
	struct lesson *l = NULL;

	*rc = lesson_parse(&l, "t", text, strlen(text), err, errlen);
	return l;
}

static inline struct gs_event ev(uint64_t ms, uint32_t tid, uint8_t type, uint64_t a0,
				 uint64_t a1)
{
	struct gs_event e = { .ts_ns = 1000000000ull + ms * 1000000ull, .pid = 100,
			      .tid = tid, .type = type, .arg0 = a0, .arg1 = a1 };
	return e;
}

/* text's lesson, which must parse (else a failed check and NULL). */
static inline struct lesson *parse_ok(const char *text)
{
	char err[160];
	int rc;
	struct lesson *l = parse(text, err, sizeof(err), &rc);

	CHECKF(rc == 0 && l, "rc %d: %s", rc, err);
	return l;
}

/* text's lesson in *lp and a narration of it with o (NULL: the defaults);
 * a text that does not parse or a run that does not start fails a check
 * and returns NULL, with *lp NULL (freed). */
static inline struct lesson_run *run_of(const char *text, const struct lesson_run_opts *o,
					struct lesson **lp)
{
	struct lesson_run *r = NULL;

	*lp = parse_ok(text);
	if (*lp && lesson_run_new(&r, *lp, o)) {
		CHECKF(0, "lesson_run_new failed");
		lesson_free(*lp);
		*lp = NULL;
		r = NULL;
	}
	return r;
}
#endif
