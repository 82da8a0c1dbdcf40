/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_report.c - `gilscope report FILE [--json]`: stream a trace through the
 * model and print the summary (report.h). */
#include <errno.h>
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

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gilscope report: unknown option '%s'\n%s", argv[i], usage);
			return 2;
		} else if (path) {
			fprintf(stderr, "gilscope report: one trace file at a time\n%s", usage);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		fprintf(stderr, "gilscope report: which trace? give a FILE\n%s", usage);
		return 2;
	}

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
	/* model: stream every block through it */
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
	status = 0;
out:
	report_free(rp);
	trace_reader_close(r);
	return status;
}
