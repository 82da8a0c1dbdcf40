/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* sudo.c - the invoking user's file-system identity (contract in sudo.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <unistd.h>
#include "util/sudo.h"

int sudo_ids(uid_t *uid, gid_t *gid)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	char *e1, *e2;
	long lu, lg;

	if (geteuid() != 0 || !u || !g || !*u || !*g)
		return -ENOENT;
	lu = strtol(u, &e1, 10);
	lg = strtol(g, &e2, 10);
	if (*e1 || *e2 || lu <= 0 || lg < 0 || lu > 0x7fffffff || lg > 0x7fffffff)
		return -ENOENT;
	*uid = (uid_t)lu;
	*gid = (gid_t)lg;
	return 0;
}

void sudo_fs_enter(struct sudo_fs *s)
{
	s->on = !sudo_ids(&s->uid, &s->gid);
	if (s->on) {
		setfsgid(s->gid);
		setfsuid(s->uid);
	}
}

void sudo_fs_leave(struct sudo_fs *s)
{
	if (s->on) {
		setfsuid(0);
		setfsgid(0);
		s->on = false;
	}
}
