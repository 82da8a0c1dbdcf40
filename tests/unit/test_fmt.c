/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_fmt.c - durations, percentages, counts, bars and log2 histograms. */
#include "check.h"
#include "util/fmt.h"
#include "model/describe.h"
#include "model/model.h"

#define EQ(got, want) CHECKF(!strcmp((got), (want)), "got '%s' want '%s'", (got), (want))

static void test_duration(void)
{
	char b[32];

	EQ(fmt_duration(b, sizeof(b), 0), "0 ns");
	EQ(fmt_duration(b, sizeof(b), 450), "450 ns");
	EQ(fmt_duration(b, sizeof(b), 999), "999 ns");
	EQ(fmt_duration(b, sizeof(b), 1000), "1.0 us");
	EQ(fmt_duration(b, sizeof(b), 4949), "4.9 us");
	EQ(fmt_duration(b, sizeof(b), 812000), "812 us");
	EQ(fmt_duration(b, sizeof(b), 999499), "999 us");
	EQ(fmt_duration(b, sizeof(b), 999500), "1.0 ms");
	EQ(fmt_duration(b, sizeof(b), 4900000), "4.9 ms");
	EQ(fmt_duration(b, sizeof(b), 5000000), "5.0 ms");
	EQ(fmt_duration(b, sizeof(b), 12345678), "12.3 ms");
	EQ(fmt_duration(b, sizeof(b), 123456789), "123 ms");
	EQ(fmt_duration(b, sizeof(b), 999600000), "1.00 s");
	EQ(fmt_duration(b, sizeof(b), 1250000000), "1.25 s");
	EQ(fmt_duration(b, sizeof(b), 125000000000ull), "125 s");
	EQ(fmt_duration(b, 4, 5000000), "5.0");	/* truncated, terminated */
	b[0] = 'x';
	fmt_duration(b, 0, 5);
	CHECK(b[0] == 'x');
}

static void test_percent_count_thread(void)
{
	char b[32];
	struct model_thread t = { .tid = 42 };

	EQ(fmt_percent(b, sizeof(b), 498, 1000), "49.8 %");
	EQ(fmt_percent(b, sizeof(b), 1, 0), "-");
	EQ(fmt_percent(b, sizeof(b), 1000, 1000), "100.0 %");
	EQ(fmt_count(b, sizeof(b), 0), "0");
	EQ(fmt_count(b, sizeof(b), 999), "999");
	EQ(fmt_count(b, sizeof(b), 1000), "1,000");
	EQ(fmt_count(b, sizeof(b), 1234567), "1,234,567");
	EQ(fmt_count(b, sizeof(b), UINT64_MAX), "18,446,744,073,709,551,615");
	EQ(describe_thread(b, sizeof(b), NULL, &t, 0), "tid 42");
	EQ(describe_thread(b, sizeof(b), NULL, NULL, 7), "tid 7");
	memcpy(t.name, "worker-1", 9);
	EQ(describe_thread(b, sizeof(b), NULL, &t, 0), "worker-1");
	memcpy(t.name, "0123456789abcdef", 16);	/* 16 bytes, no NUL */
	EQ(describe_thread(b, sizeof(b), NULL, &t, 0), "0123456789abcdef");
	memcpy(t.name, "evil\x1b[2J\x7f", 10);	/* no terminal escapes */
	EQ(describe_thread(b, sizeof(b), NULL, &t, 0), "evil?[2J?");
	/* a thread that only repeats its process's (inherited) name */
	EQ(fmt_thread_label(b, sizeof(b), "python3.11", 16, "python3.11", 10, 11), "tid 11");
	EQ(fmt_thread_label(b, sizeof(b), "python3.11", 16, "python3.11", 10, 10), "python3.11");
	EQ(fmt_thread_label(b, sizeof(b), "worker-1", 16, "python3.11", 10, 11), "worker-1");
	EQ(fmt_thread_label(b, sizeof(b), NULL, 16, NULL, 10, 12), "tid 12");
	EQ(fmt_thread_label(b, sizeof(b), "", 16, NULL, 10, 13), "tid 13");
	EQ(fmt_thread_label(b, 6, NULL, 16, NULL, 10, 4294967295u), "tid 4");
	EQ(fmt_printable(b, 4, "abcdef", 6), "abc");
	EQ(fmt_printable(b, sizeof(b), "ab\ncd", 3), "ab?");
	/* C1 controls, raw (0x9b: CSI in 8-bit terminals) or as UTF-8 (U+009B),
	 * and bytes that are not UTF-8 never reach a terminal */
	EQ(fmt_printable(b, sizeof(b), "a\x9b" "2Jb\xc2\x9b" "c\xff\xe2\x82", 64), "a?2Jb?c???");
	/* valid UTF-8 stays, and is never cut in half */
	EQ(fmt_printable(b, sizeof(b), "caf\xc3\xa9 \xc2\xa0\xe2\x82\xac", 64), "caf\xc3\xa9 \xc2\xa0\xe2\x82\xac");
	EQ(fmt_printable(b, 5, "caf\xc3\xa9", 64), "caf");
}

static void test_bar(void)
{
	char b[64];

	EQ(fmt_bar(b, sizeof(b), 5, 10, 10, false), "#####");
	EQ(fmt_bar(b, sizeof(b), 10, 10, 4, false), "####");
	EQ(fmt_bar(b, sizeof(b), 20, 10, 4, false), "####");	/* clamped */
	EQ(fmt_bar(b, sizeof(b), 0, 10, 4, false), "");
	EQ(fmt_bar(b, sizeof(b), 1, 1000, 4, false), "#");	/* a sliver */
	EQ(fmt_bar(b, sizeof(b), 1, 0, 4, false), "");
	EQ(fmt_bar(b, sizeof(b), 3, 4, 2, true), "\u2588\u258c");	/* 1.5 cells */
	EQ(fmt_bar(b, sizeof(b), 1, 1000, 4, true), "\u258f");
	EQ(fmt_bar(b, 4, 10, 10, 10, false), "###");
	EQ(fmt_bar(b, 5, 10, 10, 10, true), "\u2588");	/* whole characters only */
}

static void test_hist(void)
{
	char b[1024];

	CHECK(fmt_hist_bucket(0) == 0 && fmt_hist_bucket(999) == 0);
	CHECK(fmt_hist_bucket(1000) == 1 && fmt_hist_bucket(1999) == 1);
	CHECK(fmt_hist_bucket(2000) == 2 && fmt_hist_bucket(3999) == 2);
	CHECK(fmt_hist_bucket(4000) == 3);
	CHECK(fmt_hist_bucket(5000000) == 13);	/* 5000 us: 4096 <= d < 8192 */
	CHECK(fmt_hist_bucket(UINT64_MAX) == FMT_HIST_BUCKETS - 1);
	EQ(fmt_hist_label(b, sizeof(b), 0), "<1 us");
	EQ(fmt_hist_label(b, sizeof(b), 1), "1-2 us");
	EQ(fmt_hist_label(b, sizeof(b), 10), "512 us-1 ms");
	EQ(fmt_hist_label(b, sizeof(b), 13), "4-8 ms");
	EQ(fmt_hist_label(b, sizeof(b), 21), "1-2 s");
	EQ(fmt_hist_label(b, sizeof(b), FMT_HIST_BUCKETS - 1), ">=1024 s");

	uint64_t h[FMT_HIST_BUCKETS] = { 0 };

	CHECK(fmt_hist_used(h, FMT_HIST_BUCKETS) == 0);
	EQ(fmt_hist(b, sizeof(b), h, FMT_HIST_BUCKETS, 10, false), "");
	h[1] = 1100;
	h[13] = 390;
	CHECK(fmt_hist_used(h, FMT_HIST_BUCKETS) == 14);
	fmt_hist(b, sizeof(b), h, FMT_HIST_BUCKETS, 10, false);
	/* from the first to the last used bucket, empty ones in between */
	const char *want =
		"  1-2 us         ########## 1,100\n"
		"  2-4 us                    0\n";
	CHECKF(!strncmp(b, want, strlen(want)), "got:\n%s", b);
	CHECK(strstr(b, "  4-8 ms         ###        390\n") != NULL);
	int lines = 0;

	for (const char *p = b; *p; p++)
		lines += *p == '\n';
	CHECK(lines == 13);
	/* unicode bars pad by cells */
	fmt_hist(b, sizeof(b), h, FMT_HIST_BUCKETS, 10, true);
	CHECK(strstr(b, "  4-8 ms         \u2588\u2588\u2588\u258c       390\n") != NULL);
	/* a small buffer holds whole lines only */
	fmt_hist(b, 40, h, FMT_HIST_BUCKETS, 10, false);
	CHECK(!strcmp(b, "  1-2 us         ########## 1,100\n"));
}

/* Wait statuses as waitpid gives them (and the kernel's task exit_code). */
static void test_exit_status(void)
{
	char b[64];

	EQ(fmt_exit_status(b, sizeof(b), 0), "exit code 0");
	EQ(fmt_exit_status(b, sizeof(b), 768), "exit code 3");	/* sys.exit(3) */
	EQ(fmt_exit_status(b, sizeof(b), 255 << 8), "exit code 255");
	EQ(fmt_exit_status(b, sizeof(b), 9), "killed by SIGKILL");
	EQ(fmt_exit_status(b, sizeof(b), 15), "killed by SIGTERM");
	EQ(fmt_exit_status(b, sizeof(b), 11 | 0x80), "killed by SIGSEGV (core dumped)");
	EQ(fmt_exit_status(b, sizeof(b), 0x137f), "wait status 0x137f");	/* stopped */
	EQ(fmt_exit_status(b, 5, 768), "exit");
}

int main(void)
{
	RUN(test_duration);
	RUN(test_percent_count_thread);
	RUN(test_bar);
	RUN(test_hist);
	RUN(test_exit_status);
	return check_done();
}
