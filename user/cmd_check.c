/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_check.c - `gilscope check` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope check: not implemented yet\n");
	return 1;
}
