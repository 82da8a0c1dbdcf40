/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * golden.h - golden screens for the unit tests of the views: a grid's text
 * against tests/golden/NAME.txt (run from the top of the tree;
 * GILSCOPE_GOLDEN_UPDATE=1 rewrites them, then review them by eye with cat
 * on tests/golden). Include after check.h and tui/grid.h.
 */
#ifndef TESTS_GOLDEN_H
#define TESTS_GOLDEN_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compare the grid's text with tests/golden/NAME.txt (or write it). */
static inline void golden(const char *name, const struct grid *g)
{
	char path[256], *text = grid_text(g), *want = NULL;
	const char *upd = getenv("GILSCOPE_GOLDEN_UPDATE");
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "tests/golden/%s.txt", name);
	CHECK(text != NULL);
	if (!text)
		return;
	if (upd && upd[0] == '1') {
		f = fopen(path, "w");
		CHECKF(f != NULL, "cannot write %s", path);
		if (f) {
			fputs(text, f);
			fclose(f);
		}
		free(text);
		return;
	}
	f = fopen(path, "r");
	CHECKF(f != NULL, "%s missing (GILSCOPE_GOLDEN_UPDATE=1 makes it)", path);
	if (f) {
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		want = calloc(1, len + 1);
		if (want && fread(want, 1, len, f) != (size_t)len)
			want[0] = '\0';
		fclose(f);
	}
	if (want && strcmp(want, text)) {
		/* show the first line that differs */
		const char *a = want, *b = text;
		int line = 1;

		while (*a && *a == *b) {
			if (*a == '\n')
				line++;
			a++;
			b++;
		}
		CHECKF(0, "%s differs at line %d:\n#   want: %.*s\n#   got:  %.*s", path, line,
		       (int)strcspn(a, "\n"), a,
		       (int)strcspn(b, "\n"), b);
	}
	free(want);
	free(text);
}

#endif
