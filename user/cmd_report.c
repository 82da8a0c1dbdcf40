/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_report.c - `gilscope report` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope report: not implemented yet\n");
	return 1;
}
