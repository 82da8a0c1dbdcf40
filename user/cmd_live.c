/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_live.c - `gilscope live` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_live(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope live: not implemented yet\n");
	return 1;
}
