/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cmd_lesson.c - `gilscope lesson` (not built yet). */
#include <stdio.h>
#include "cmd.h"

int cmd_lesson(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gilscope lesson: not implemented yet\n");
	return 1;
}
