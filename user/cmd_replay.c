/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_replay.c - `gilscope replay` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_replay(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope replay: not implemented yet\n");
	return 1;
}
