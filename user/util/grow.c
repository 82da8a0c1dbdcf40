/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* grow.c - room in a growable array (contract in grow.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "util/grow.h"

int grow_array(void *pp, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap > GROW_MIN ? *cap : GROW_MIN;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (elem && c > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*(void **)pp, c * elem);
	if (!p)
		return -ENOMEM;
	*(void **)pp = p;
	*cap = c;
	return 0;
}
