/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* json.c - JSON writer (contract in json.h). */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "util/json.h"

size_t json_utf8_len(const unsigned char *s, size_t avail)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n;
	uint32_t cp;

	if (!avail)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_write_strn(FILE *f, const char *str, size_t max)
{
	const unsigned char *p = (const unsigned char *)(str ? str : "");
	size_t len = str ? strnlen(str, max) : 0, plain = 0;

	/* the common case, plain ASCII, in one write */
	while (plain < len && p[plain] >= 0x20 && p[plain] < 0x7f && p[plain] != '"' &&
	       p[plain] != '\\')
		plain++;
	fputc_unlocked('"', f);
	fwrite_unlocked(p, 1, plain, f);
	for (size_t i = plain; i < len;) {
		if (p[i] == '"' || p[i] == '\\') {
			fputc_unlocked('\\', f);
			fputc_unlocked(p[i++], f);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\u%04x", p[i++]);
		} else {
			size_t n = json_utf8_len(p + i, len - i);

			if (n) {
				fwrite_unlocked(p + i, 1, n, f);
				i += n;
			} else {
				fputs_unlocked("\\ufffd", f);
				i++;
			}
		}
	}
	fputc_unlocked('"', f);
}

void json_write_str(FILE *f, const char *s)
{
	json_write_strn(f, s, SIZE_MAX);
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* The comma before a value, then its key if it has one. */
static void member(struct json *j, const char *key)
{
	unsigned d = j->depth < JSON_DEPTH_MAX ? j->depth : JSON_DEPTH_MAX - 1;

	if (j->started[d])
		fputc_unlocked(',', j->f);
	j->started[d] = true;
	if (key) {
		json_write_str(j->f, key);
		fputc_unlocked(':', j->f);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc_unlocked(c, j->f);
	if (j->depth + 1 < JSON_DEPTH_MAX)
		j->started[j->depth + 1] = false;
	j->depth++;
}

static void close_container(struct json *j, char c)
{
	if (j->depth)
		j->depth--;
	fputc_unlocked(c, j->f);
}

void json_obj_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_obj_end(struct json *j)
{
	close_container(j, '}');
}

void json_arr_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_arr_end(struct json *j)
{
	close_container(j, ']');
}

void json_str(struct json *j, const char *key, const char *s)
{
	member(j, key);
	json_write_str(j->f, s);
}

void json_strn(struct json *j, const char *key, const char *s, size_t max)
{
	member(j, key);
	json_write_strn(j->f, s, max);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_f64(struct json *j, const char *key, double v, int decimals)
{
	member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs_unlocked("null", j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	fputs_unlocked(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs_unlocked("null", j->f);
}
