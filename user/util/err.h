/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * err.h - how gilscope reports errors, everywhere:
 *  - a function returns 0 or a negative errno;
 *  - one that can say more takes `char *err, size_t errlen` and writes one
 *    line there: what failed and, where there is one, the way out (no
 *    "gilscope CMD:" prefix, no newline, no trailing period);
 *  - a long-lived object whose calls may fail after it was made (a trace
 *    reader) keeps that line for its last failure, read with X_error(obj);
 *  - only the command (user/cmd/) prints, once, as "gilscope CMD: LINE".
 */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H
#include <stddef.h>

/* Writes the message into err (if err and errlen) and returns ret, so that
 * `return errf(err, len, -ENOENT, "no %s", x);` reads as one step. */
int errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
