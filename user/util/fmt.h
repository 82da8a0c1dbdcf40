/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fmt.h - formatting shared by the TUI, `report` and `export`: durations,
 * percentages, counts, thread names, log2 histograms drawn as text bars.
 *
 * Every fmt_* function writes a NUL-terminated string into the caller's
 * buffer buf of size len (truncating if it is too small, never overflowing;
 * len 0 writes nothing) and returns buf, so calls can sit in a printf
 * argument list. Nothing allocates; nothing keeps state.
 *
 * Log2 histograms (the report's hold and wait times) have FMT_HIST_BUCKETS
 * buckets of durations: bucket 0 counts d < 1 us, bucket k >= 1 counts
 * 2^(k-1) <= d < 2^k us (the last bucket also takes everything longer).
 */
#ifndef FMT_H
#define FMT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FMT_HIST_BUCKETS 32	/* up to 2^31 us, about 36 minutes */

/* "450 ns", "4.9 us", "812 us", "5.0 ms", "12.3 ms", "1.25 s", "125 s" */
char *fmt_duration(char *buf, size_t len, uint64_t ns);
/* part/whole as "49.8 %"; "-" when whole is 0 */
char *fmt_percent(char *buf, size_t len, uint64_t part, uint64_t whole);
/* A size: "812 B", "12.3 KiB", "45.6 MiB", "1.2 GiB" */
char *fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* 1234567 as "1,234,567" */
char *fmt_count(char *buf, size_t len, uint64_t n);
/* At most max bytes of s, fit for a terminal: a trace, a lesson file and a
 * traced program's thread names are input, so control characters (C0, DEL,
 * C1 such as 0x9b CSI) and bytes that are not UTF-8 become '?'; valid UTF-8
 * is kept whole (never cut in the middle of a character). */
char *fmt_printable(char *buf, size_t len, const char *s, size_t max);
/* A thread's label: its name (printable, at most name_max bytes), or
 * "tid N" when it has none or only repeats its process's name proc_name (a
 * new thread inherits its creator's kernel name: CPython's threads all look
 * like "python3.11"). name and proc_name may be NULL. */
char *fmt_thread_label(char *buf, size_t len, const char *name, size_t name_max,
		       const char *proc_name, uint32_t pid, uint32_t tid);
/* How a process ended, from its wait status (waitpid's, or the kernel's
 * task exit_code that sched_process_exit carries): "exit code 3", "killed
 * by SIGKILL", "killed by SIGSEGV (core dumped)"; a status that is neither
 * (stopped, or garbage from a trace) as "wait status 0x...". */
char *fmt_exit_status(char *buf, size_t len, int status);
/* A bar of value/max * width cells: '#' in ASCII, or eighth blocks in
 * UTF-8 (then up to 3 bytes a cell). A non-zero value gets at least a sliver. */
char *fmt_bar(char *buf, size_t len, uint64_t value, uint64_t max, unsigned width,
	      bool unicode);

/* The log2 histogram bucket of a duration in ns. */
unsigned fmt_hist_bucket(uint64_t ns);
/* Bucket k's range: "<1 us", "1-2 us", ..., "512 us-1 ms", "4-8 ms", "1-2 s".
 * Above 1023 us the labels count binary units (1 ms = 1024 us). */
char *fmt_hist_label(char *buf, size_t len, unsigned k);
/* Index of the last non-zero bucket + 1 (0 if all are zero). */
size_t fmt_hist_used(const uint64_t *hist, size_t n);
/* The histogram as text, one line per bucket from the first to the last
 * non-empty one: "  4-8 ms        ########                 390\n".
 * bar_width cells for the largest bucket. Returns buf (empty if all zero). */
char *fmt_hist(char *buf, size_t len, const uint64_t *hist, size_t n, unsigned bar_width,
	       bool unicode);

#endif
