/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* fmt.c - shared formatting helpers (contract in fmt.h). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "util/fmt.h"
#include "util/json.h"

/* snprintf that tolerates len 0 and never reports truncation as an error */
static char *put(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	if (!len)
		return buf;
	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
	return buf;
}

/* Three significant digits at most; the unit switches where rounding would
 * otherwise print "1000 us". */
char *fmt_duration(char *buf, size_t len, uint64_t ns)
{
	static const struct {
		uint64_t below;	/* use this unit for ns below this */
		double div;
		const char *unit;
	} units[] = {
		{ 999500ull, 1e3, "us" },
		{ 999500000ull, 1e6, "ms" },
		{ UINT64_MAX, 1e9, "s" },
	};

	if (ns < 1000)
		return put(buf, len, "%u ns", (unsigned)ns);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns >= units[i].below)
			continue;
		double v = (double)ns / units[i].div;

		if (units[i].unit[0] == 's' && v < 9.995)
			return put(buf, len, "%.2f s", v);
		if (v < 99.95)
			return put(buf, len, "%.1f %s", v, units[i].unit);
		return put(buf, len, "%.0f %s", v, units[i].unit);
	}
	return put(buf, len, "?");
}

char *fmt_exit_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		return put(buf, len, "exit code %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		if (name)
			return put(buf, len, "killed by SIG%s%s", name,
				   WCOREDUMP(status) ? " (core dumped)" : "");
		return put(buf, len, "killed by signal %d%s", WTERMSIG(status),
			   WCOREDUMP(status) ? " (core dumped)" : "");
	}
	return put(buf, len, "wait status %#x", (unsigned)status);
}

char *fmt_bytes(char *buf, size_t len, uint64_t b)
{
	if (b >= 10ull << 30)
		return put(buf, len, "%.1f GiB", b / 1073741824.0);
	if (b >= 10u << 20)
		return put(buf, len, "%.1f MiB", b / 1048576.0);
	if (b >= 10u << 10)
		return put(buf, len, "%.1f KiB", b / 1024.0);
	return put(buf, len, "%llu B", (unsigned long long)b);
}

char *fmt_percent(char *buf, size_t len, uint64_t part, uint64_t whole)
{
	if (!whole)
		return put(buf, len, "-");
	return put(buf, len, "%.1f %%", 100.0 * (double)part / (double)whole);
}

char *fmt_count(char *buf, size_t len, uint64_t n)
{
	char digits[24];
	char out[32];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;

	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return put(buf, len, "%s", out);
}

char *fmt_thread_label(char *buf, size_t len, const char *name, size_t name_max,
		       const char *proc_name, uint32_t pid, uint32_t tid)
{
	if (!name || !name[0] ||
	    (tid != pid && proc_name && !strncmp(name, proc_name, name_max)))
		return put(buf, len, "tid %u", tid);
	return fmt_printable(buf, len, name, name_max);
}

char *fmt_printable(char *buf, size_t len, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n = strnlen(s, max);

	if (!len)
		return buf;
	for (size_t i = 0; i < n && o + 1 < len;) {
		size_t k = json_utf8_len(p + i, n - i);

		/* C0, DEL, C1 (U+0080..U+009F: 0x9b is CSI to many terminals)
		 * and bytes that are not UTF-8 all become one '?' each */
		if (!k || p[i] < 0x20 || p[i] == 0x7f || (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			buf[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		if (o + k >= len)
			break;	/* never half a character */
		memcpy(buf + o, p + i, k);
		o += k;
		i += k;
	}
	buf[o] = '\0';
	return buf;
}

char *fmt_bar(char *buf, size_t len, uint64_t value, uint64_t max, unsigned width,
	      bool unicode)
{
	/* eighths: U+258F (1/8) .. U+2589 (7/8), U+2588 full */
	static const char *const part[8] = {
		"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589",
	};
	size_t o = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!max || !value || !width)
		return buf;
	if (value > max)
		value = max;
	uint64_t eighths = (uint64_t)((long double)value * width * 8 / max);

	if (!eighths)
		eighths = 1;	/* something, however small, is not nothing */
	uint64_t full = eighths / 8, rest = eighths % 8;

	if (!unicode && !full)
		full = 1;
	for (uint64_t i = 0; i < full; i++) {
		const char *c = unicode ? "\u2588" : "#";
		size_t cl = strlen(c);

		if (o + cl >= len)
			break;
		memcpy(buf + o, c, cl);
		o += cl;
	}
	if (unicode && rest) {
		size_t cl = strlen(part[rest]);

		if (o + cl < len) {
			memcpy(buf + o, part[rest], cl);
			o += cl;
		}
	}
	buf[o] = '\0';
	return buf;
}

unsigned fmt_hist_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned k = us ? 64 - (unsigned)__builtin_clzll(us) : 0;	/* bit length */

	return k < FMT_HIST_BUCKETS ? k : FMT_HIST_BUCKETS - 1;
}

/* 2^e microseconds, in binary units above 1023 us */
static const char *pow2_us(char *b, size_t len, unsigned e, const char **unit)
{
	if (e < 10)
		*unit = "us";
	else if (e < 20)
		*unit = "ms", e -= 10;
	else
		*unit = "s", e -= 20;
	snprintf(b, len, "%llu", 1ull << e);
	return b;
}

char *fmt_hist_label(char *buf, size_t len, unsigned k)
{
	char lo[24], hi[24];
	const char *ulo, *uhi;

	if (k == 0)
		return put(buf, len, "<1 us");
	pow2_us(lo, sizeof(lo), k - 1, &ulo);
	if (k >= FMT_HIST_BUCKETS - 1)
		return put(buf, len, ">=%s %s", lo, ulo);
	pow2_us(hi, sizeof(hi), k, &uhi);
	if (!strcmp(ulo, uhi))
		return put(buf, len, "%s-%s %s", lo, hi, uhi);
	return put(buf, len, "%s %s-%s %s", lo, ulo, hi, uhi);
}

size_t fmt_hist_used(const uint64_t *hist, size_t n)
{
	while (n && !hist[n - 1])
		n--;
	return n;
}

char *fmt_hist(char *buf, size_t len, const uint64_t *hist, size_t n, unsigned bar_width,
	       bool unicode)
{
	size_t first = 0, last = fmt_hist_used(hist, n), o = 0;
	uint64_t max = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	while (first < last && !hist[first])
		first++;
	for (size_t k = first; k < last; k++)
		if (hist[k] > max)
			max = hist[k];
	for (size_t k = first; k < last && o + 1 < len; k++) {
		char label[32], bar[3 * 128 + 1], cnt[32];
		unsigned w = bar_width > 128 ? 128 : bar_width;

		fmt_hist_label(label, sizeof(label), (unsigned)k);
		fmt_bar(bar, sizeof(bar), hist[k], max, w, unicode);
		/* pad the bar by cells, not bytes, so UTF-8 columns line up */
		size_t cells = 0;

		for (const char *p = bar; *p; p++)
			cells += ((unsigned char)*p & 0xc0) != 0x80;
		int wr = snprintf(buf + o, len - o, "  %-14s %s%*s %s\n", label, bar,
				  (int)(w - cells), "", fmt_count(cnt, sizeof(cnt), hist[k]));

		if (wr < 0 || (size_t)wr >= len - o) {
			buf[o] = '\0';	/* never leave half a line */
			break;
		}
		o += (size_t)wr;
	}
	return buf;
}
