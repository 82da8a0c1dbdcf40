/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_export.c - `gilscope export FILE --format perfetto|chrome|csv -o OUT
 * [--force]`.
 * Needs no privileges. The output is created with O_EXCL|O_NOFOLLOW (never
 * clobbering a file or following a symlink planted in /tmp) unless --force,
 * which still refuses symlinks; "-o -" writes to stdout. Under sudo the file
 * is given to the invoking user.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "model/export.h"
#include "util/outfile.h"

static const char usage[] =
"usage: gilscope export FILE --format perfetto|chrome|csv -o OUT [--force]\n"
"  --format perfetto  Perfetto's own trace format (open OUT in https://ui.perfetto.dev):\n"
"                   the scheduler as Perfetto's CPU tracks and thread states\n"
"                   (\"woken by\"), per thread a track per lock with its hold and\n"
"                   wait slices, arrows from each release to the thread it handed\n"
"                   the lock to and from each drop request to the release, a\n"
"                   counter of waiting threads per lock, lost events and gaps as\n"
"                   instant markers; a few bytes per event\n"
"  --format chrome  Trace Event Format JSON for the Perfetto UI or chrome://tracing\n"
"                   (a track per CPU, one per thread with its hold and wait slices,\n"
"                   hand-off arrows, lost events and gaps as instant markers)\n"
"  --format csv     one row per interval: kind,pid,tid,thread,cpu,start_ns,end_ns\n"
"                   (kind: cpu, hold, wait, io, native; ns since the trace start;\n"
"                   rows come in the order the intervals end)\n"
"  -o OUT           output file (- = stdout); the format defaults from the name:\n"
"                   .perfetto-trace or .pftrace, .json, .csv\n"
"  -f, --force      overwrite OUT if it exists (never through a symlink)\n"
"A damaged block in the middle of FILE is skipped and marked; a FILE cut short\n"
"(the recorder was killed) exports what is readable. Both are said on stderr.\n";

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *fmt_name = NULL, *out = NULL, *in = NULL;
	bool force = false;
	int c;

	optind = 1;
	while ((c = cmd_getopt("export", argc, argv, ":o:fh", opts)) != -1) {
		switch (c) {
		case 'F': fmt_name = optarg; break;
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2;
		}
	}
	if (optind < argc)
		in = argv[optind++];
	if (!in)
		return cmd_usage("export", "no trace FILE given");
	if (optind < argc)
		return cmd_usage("export", "one trace FILE at a time");
	if (!out)
		return cmd_usage("export", "no output given (-o OUT)");
	enum export_format fmt = fmt_name ? export_format_parse(fmt_name) : export_format_of_path(out);
	if (!fmt) {
		char q[256];

		if (fmt_name)
			return cmd_usage("export", "unknown format '%s' (perfetto, chrome or csv)",
					 cmd_quote(q, sizeof(q), fmt_name));
		return cmd_usage("export", "give --format perfetto, chrome or csv");
	}

	bool to_stdout = !strcmp(out, "-");
	struct outfile of = { .fd = -1 };
	char err[512] = "";
	FILE *f = stdout;
	if (!to_stdout) {
		if (outfile_create(&of, out, force ? OUTFILE_FORCE : 0, err, sizeof(err))) {
			fprintf(stderr, "gilscope export: %s\n", err);
			return 1;
		}
		f = fdopen(of.fd, "w");
		if (!f) {
			fprintf(stderr, "gilscope export: %s: %s\n", out, strerror(errno));
			outfile_discard(&of);
			return 1;
		}
		outfile_take_fd(&of);	/* f's now */
	}
	static char iobuf[1 << 20];
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));

	struct export_stats st;
	int ret = export_trace(in, f, fmt, &st, err, sizeof(err));
	if (!to_stdout && fclose(f) && !ret) {
		ret = -errno;
		snprintf(err, sizeof(err), "writing %s: %s", out, strerror(errno));
	}
	if (ret) {
		fprintf(stderr, "gilscope export: %s\n", err);
		if (!to_stdout)
			outfile_discard(&of);	/* a half-written export is worse than none */
		return 1;
	}
	if (st.recovered)
		fprintf(stderr, "gilscope export: warning: %s was not closed properly or is damaged at its "
			"end; exported what was readable, the end is marked (%llu bytes could not be read: "
			"%s)\n", in, (unsigned long long)st.bytes_unreadable, st.recovery);
	if (st.skipped[0])
		fprintf(stderr, "gilscope export: warning: %s: %s; exported the rest, the gap is "
			"marked\n", in, st.skipped);
	if (!to_stdout)
		fprintf(stderr, "gilscope export: %s: %llu cpu, %llu hold, %llu wait, %llu io, %llu native "
			"intervals, %llu hand-offs%s\n", out, (unsigned long long)st.cpu,
			(unsigned long long)st.hold, (unsigned long long)st.wait,
			(unsigned long long)st.io, (unsigned long long)st.native,
			(unsigned long long)st.handoffs,
			st.lost ? " (events were lost while recording: marked)" : "");
	return 0;
}
