/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_report.c - `gilscope report FILE [--json]`: stream a trace through the
 * model and print the summary (report.h). */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "model/report.h"
#include "trace/trace_reader.h"

static const char usage[] =
"usage: gilscope report FILE [--json]\n"
"\n"
"Summarize a recorded trace: per-thread lock acquisitions, hold, wait and CPU\n"
"time, hold and wait histograms, per-core use and parallelism, lost events,\n"
"what tracing cost the program (unknown for traces recorded before that).\n"
"  --json   one JSON object instead of text\n";

/* UTF-8 bars only when stdout is a terminal that speaks UTF-8 */
static bool want_unicode(void)
{
	if (!isatty(STDOUT_FILENO))
		return false;
	setlocale(LC_CTYPE, "");
	return !strcmp(nl_langinfo(CODESET), "UTF-8");
}

int cmd_report(int argc, char **argv)
{
	const char *path = NULL;
	bool json = false;
	struct trace_reader *r = NULL;
	struct report *rp = NULL;
	int ret, status = 1;

	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = cmd_getopt("report", argc, argv, ":h", longopts)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2;
		}
	}
	if (optind == argc)
		return cmd_usage("report", "which trace? give a FILE");
	if (optind != argc - 1)
		return cmd_usage("report", "one trace FILE at a time, not %d", argc - optind);
	path = argv[optind];

	/* open: the file must be a readable trace */
	ret = trace_reader_open(&r, path);
	if (ret) {
		const char *why = trace_reader_error(NULL);

		if (ret == -EBADMSG)
			fprintf(stderr, "gilscope report: %s: not a readable gilscope trace%s%s\n",
				path, why[0] ? ": " : "", why);
		else
			fprintf(stderr, "gilscope report: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	/* model: stream every block through it; a damaged block in the middle
	 * is skipped (the footer says where the next one is) and said below */
	trace_reader_skip_bad(r, true);
	ret = report_new(&rp, trace_reader_meta(r));
	if (ret) {
		fprintf(stderr, "gilscope report: %s\n", strerror(-ret));
		goto out;
	}
	ret = report_read(rp, r);
	if (ret) {
		const char *why = trace_reader_error(r);

		fprintf(stderr, "gilscope report: %s: %s\n", path,
			why[0] ? why : strerror(-ret));
		goto out;
	}
	/* print */
	ret = json ? report_write_json(rp, stdout) : report_write_text(rp, stdout, want_unicode());
	if (!ret && fflush(stdout))
		ret = -errno;
	if (ret) {
		fprintf(stderr, "gilscope report: writing the report: %s\n", strerror(-ret));
		goto out;
	}
	char note[256];

	if (trace_reader_skip_note(r, note, sizeof(note)))
		fprintf(stderr, "gilscope report: warning: %s: %s; the numbers leave them out\n",
			path, note);
	status = 0;
out:
	report_free(rp);
	trace_reader_close(r);
	return status;
}
