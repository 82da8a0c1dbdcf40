/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * sudo.h - who the user is when gilscope runs under sudo. Tracing needs
 * root, but what gilscope reads and writes for its user (output files,
 * lesson files) must be what that user could read and write themselves:
 * sudo_fs_enter() switches the file-system ids (setfsuid/setfsgid) to the
 * invoking user, which also takes CAP_DAC_OVERRIDE and friends out of the
 * effective set, so the kernel checks their permissions; sudo_fs_leave()
 * switches back. Outside sudo (or as a non-root user) both do nothing.
 * The switch is per thread: call them around path operations, in pairs.
 */
#ifndef UTIL_SUDO_H
#define UTIL_SUDO_H
#include <stdbool.h>
#include <sys/types.h>

/* Under sudo (euid 0, SUDO_UID/SUDO_GID set, SUDO_UID not 0): 0 and the
 * invoking user's ids; else -ENOENT. */
int sudo_ids(uid_t *uid, gid_t *gid);

struct sudo_fs {
	bool on;	/* the ids were switched */
	uid_t uid;	/* the invoking user, when on */
	gid_t gid;
};

void sudo_fs_enter(struct sudo_fs *s);
void sudo_fs_leave(struct sudo_fs *s);

#endif
