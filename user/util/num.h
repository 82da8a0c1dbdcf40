/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * num.h - numbers typed by a user (command-line options), read strictly:
 * the whole string, plain decimal, in a given range. strtol and strtod on
 * their own accept what a user did not mean: leading blanks, a trailing
 * "s", "0x10", "1e400" (inf), "nan", and a long that no longer fits the
 * int it is stored into (pid 4294969018 became pid 1722). These refuse all
 * of that.
 *
 * Both return 0 and store the value, or -EINVAL (not a number of that
 * form, empty, NULL) or -ERANGE (a number outside [lo, hi]) and leave *out
 * alone. Nothing is printed: the command says what it wanted.
 */
#ifndef UTIL_NUM_H
#define UTIL_NUM_H
#include <stdint.h>

/* An integer: optional '-', then decimal digits only. */
int num_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* A decimal number: optional '-', digits with at most one '.', an optional
 * exponent ("1e-3"); no hex, inf or nan; finite. */
int num_parse_double(const char *s, double lo, double hi, double *out);

#endif
