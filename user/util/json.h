/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * json.h - JSON output that is valid whatever it is given: strings come
 * from traced programs and trace files, so quotes, backslashes and control
 * characters are escaped and bytes that are not valid UTF-8 become U+FFFD;
 * a number that is not finite is written as null.
 *
 * Two levels, one escaper:
 *   json_write_str(f, s)   one string literal (the export streams with it);
 *   struct json            nested objects and arrays with keys, the commas
 *                          put in by the writer: json_obj_begin(j, NULL) at
 *                          the top or inside an array, json_obj_begin(j,
 *                          "key") inside an object, and so on.
 * Nothing here allocates. The FILE is the caller's; write errors stay in it
 * (ferror) for the caller to report once.
 */
#ifndef UTIL_JSON_H
#define UTIL_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 32

struct json {
	FILE *f;
	unsigned depth;			/* containers open */
	bool started[JSON_DEPTH_MAX];	/* something was written at that depth */
};

/* s as a JSON string literal, quotes included (NULL writes ""). */
void json_write_str(FILE *f, const char *s);
/* The same for at most max bytes of s (a fixed-size, maybe unterminated field). */
void json_write_strn(FILE *f, const char *s, size_t max);
/* Length of the valid UTF-8 sequence at s, 0 if none starts there. */
size_t json_utf8_len(const unsigned char *s, size_t avail);

void json_init(struct json *j, FILE *f);
/* key: the member name inside an object, NULL inside an array or at the top. */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_strn(struct json *j, const char *key, const char *s, size_t max);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
/* v with `decimals` digits after the point ("%.*f"); null if not finite. */
void json_f64(struct json *j, const char *key, double v, int decimals);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

#endif
