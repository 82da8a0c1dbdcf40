/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_num.c - numbers a user typed: the whole string, plain decimal, in range. */
#include <errno.h>
#include <stdint.h>
#include "check.h"
#include "util/num.h"

static void test_i64(void)
{
	int64_t v = 7;

	CHECK(num_parse_i64("1722", 1, 4194304, &v) == 0 && v == 1722);
	CHECK(num_parse_i64("-5", -10, 10, &v) == 0 && v == -5);
	/* a pid that would wrap to 1722 in an int */
	v = 7;
	CHECK(num_parse_i64("4294969018", 1, 4194304, &v) == -ERANGE && v == 7);
	CHECK(num_parse_i64("99999999999999999999", 1, INT64_MAX, &v) == -ERANGE);
	CHECK(num_parse_i64("-99999999999999999999", INT64_MIN, 0, &v) == -ERANGE);
	CHECK(num_parse_i64("0", 1, 10, &v) == -ERANGE);
	CHECK(num_parse_i64("-1", 1, 10, &v) == -ERANGE);
	static const char *const bad[] = { "", " 1", "1 ", "+1", "1x", "0x10", "1.0", "abc", "-", "--1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(num_parse_i64(bad[i], INT64_MIN, INT64_MAX, &v) == -EINVAL, "'%s'", bad[i]);
	CHECK(num_parse_i64(NULL, 0, 1, &v) == -EINVAL);
	CHECK(v == 7);
}

static void test_double(void)
{
	double v = 7;

	CHECK(num_parse_double("0.5", 0, 1, &v) == 0 && v == 0.5);
	CHECK(num_parse_double("2", 0, 10, &v) == 0 && v == 2);
	CHECK(num_parse_double(".25", 0, 10, &v) == 0 && v == 0.25);
	CHECK(num_parse_double("3.", 0, 10, &v) == 0 && v == 3);
	CHECK(num_parse_double("1e-3", 0, 10, &v) == 0 && v == 0.001);
	CHECK(num_parse_double("-1", -2, 0, &v) == 0 && v == -1);
	v = 7;
	CHECK(num_parse_double("1e400", 0, 1e300, &v) == -ERANGE && v == 7);
	CHECK(num_parse_double("-1", 0, 10, &v) == -ERANGE);
	CHECK(num_parse_double("100.5", 0.01, 100, &v) == -ERANGE);
	static const char *const bad[] = { "", " 1", "1 ", "+1", "1s", "0x10", "0x1p3", "inf",
					   "nan", "-inf", ".", "1e", "1e+", "1..2", "1,5", "e5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(num_parse_double(bad[i], -1e308, 1e308, &v) == -EINVAL, "'%s'", bad[i]);
	CHECK(v == 7);
}

int main(void)
{
	RUN(test_i64);
	RUN(test_double);
	return check_done();
}
