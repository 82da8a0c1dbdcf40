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
#include "trace/trace_reader.h"
#include "util/fmt.h"
#include "util/outfile.h"

static const char usage[] =
"usage: gilscope export FILE --format perfetto|chrome|csv -o OUT [--from S] [--to S] [--force]\n"
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
"  --from S, --to S only the part from S to S seconds after the first event\n"
"                   (intervals cut at the edges; a big trace is seeked, not read whole)\n"
"  -f, --force      overwrite OUT if it exists (never through a symlink)\n"
"An export expected to exceed 256 MiB is announced first, with what --from/--to\n"
"or --format perfetto would take.\n"
"A damaged block in the middle of FILE is skipped and marked; a FILE cut short\n"
"(the recorder was killed) exports what is readable. Both are said on stderr.\n";

/* A huge output is announced before it is written, with the ways to a
 * smaller one (a 2 s churn trace once became 623 MB of JSON unannounced). */
static void warn_size(const char *in, enum export_format fmt, const struct export_range *range)
{
	struct trace_reader *r;
	struct trace_info info;
	char a[32], b[32], c[32];

	if (trace_reader_open(&r, in))
		return;		/* the export itself says what is wrong */
	trace_reader_info(r, &info);
	trace_reader_close(r);
	uint64_t dur = info.last_ns > info.first_ns ? info.last_ns - info.first_ns : 0;
	uint64_t to = range->to_ns && range->to_ns < dur ? range->to_ns : dur;
	uint64_t part = to > range->from_ns ? to - range->from_ns : 0;
	uint64_t events = dur ? (uint64_t)((double)info.events * ((double)part / (double)dur))
			      : info.events;
	uint64_t bytes = export_estimate_bytes(fmt, events);

	if (bytes < (256ull << 20))
		return;
	fprintf(stderr, "gilscope export: note: about %s for %s events%s%s; --from/--to export a "
		"part%s%s\n", fmt_bytes(a, sizeof(a), bytes), fmt_count(b, sizeof(b), events),
		fmt == EXPORT_PERFETTO ? "" : " ", fmt == EXPORT_PERFETTO ? "" :
		(fmt == EXPORT_CHROME ? "of JSON" : "of CSV"),
		fmt == EXPORT_PERFETTO ? "" : ", --format perfetto takes about ",
		fmt == EXPORT_PERFETTO ? "" :
		fmt_bytes(c, sizeof(c), export_estimate_bytes(EXPORT_PERFETTO, events)));
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		CMD_OPTS_OUTPUT,
		{ "from", required_argument, NULL, 'A' },
		{ "to", required_argument, NULL, 'B' },
		CMD_OPT_HELP,
		{ 0 },
	};
	const char *fmt_name = NULL, *out = NULL, *in = NULL;
	struct export_range range = { 0 };
	double secs;
	bool force = false;
	int c;

	optind = 1;
	while ((c = cmd_getopt("export", argc, argv, ":o:fh", opts)) != -1) {
		switch (c) {
		case 'F': fmt_name = optarg; break;
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'A':
		case 'B':
			if (cmd_parse_double("export", c == 'A' ? "--from" : "--to", optarg, 0, 1e7,
					     "seconds after the first event", &secs))
				return 2;
			*(c == 'A' ? &range.from_ns : &range.to_ns) = (uint64_t)(secs * 1e9);
			break;
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

	if (range.to_ns && range.from_ns >= range.to_ns)
		return cmd_usage("export", "--from must come before --to");
	warn_size(in, fmt, &range);

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
	int ret = export_trace_range(in, f, fmt, &range, &st, err, sizeof(err));
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
