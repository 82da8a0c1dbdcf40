/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* num.c - strict parsing of numbers a user typed (contract in num.h). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include "util/num.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int num_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (!s)
		return -EINVAL;
	if (*p == '-')
		p++;
	if (!is_digit(*p))
		return -EINVAL;	/* also refuses "", "+1", " 1" */
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

/* [-]digits[.digits][e[+-]digits], with a digit before or after the '.' */
static bool plain_decimal(const char *p)
{
	bool digits = false;

	if (*p == '-')
		p++;
	while (is_digit(*p))
		p++, digits = true;
	if (*p == '.')
		for (p++; is_digit(*p); p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	return *p == '\0';
}

int num_parse_double(const char *s, double lo, double hi, double *out)
{
	double v;

	if (!s || !plain_decimal(s))
		return -EINVAL;
	v = strtod(s, NULL);
	if (!isfinite(v) || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}
