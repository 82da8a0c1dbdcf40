/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_record.c - `gilscope record` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_record(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope record: not implemented yet\n");
	return 1;
}
