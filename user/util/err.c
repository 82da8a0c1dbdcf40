/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* err.c - see err.h. */
#include <stdarg.h>
#include <stdio.h>
#include "util/err.h"

int errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
