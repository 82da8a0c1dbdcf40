/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_export.c - `gilscope export` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope export: not implemented yet\n");
	return 1;
}
