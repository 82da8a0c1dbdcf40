/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* privs.c - giving up privileges (contract in privs.h). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "util/privs.h"
#include "util/sudo.h"

#define CAP_WORDS 2	/* _LINUX_CAPABILITY_VERSION_3: 64 capabilities */

static int caps_get(struct __user_cap_data_struct d[CAP_WORDS])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, d) ? -errno : 0;
}

static int caps_set(struct __user_cap_data_struct d[CAP_WORDS])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

static bool kept(const int *keep, size_t n, int cap)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == cap)
			return true;
	return false;
}

int privs_drop(const int *keep, size_t nkeep)
{
	struct __user_cap_data_struct have[CAP_WORDS] = {}, want[CAP_WORDS] = {};
	uid_t uid;
	gid_t gid;
	int r;

	if ((r = caps_get(have)))
		return r;
	for (size_t i = 0; i < nkeep; i++) {
		int c = keep[i], w = c / 32;
		uint32_t bit = 1u << (c % 32);

		if (c < 0 || c >= 32 * CAP_WORDS || !(have[w].permitted & bit))
			continue;	/* not ours to keep */
		want[w].permitted |= bit;
		want[w].effective |= bit;
	}
	/* no exec gets the others back, not even root's (needs CAP_SETPCAP:
	 * first; a caller without it has no bounding set worth dropping) */
	for (int c = 0; c < 32 * CAP_WORDS; c++)
		if (!kept(keep, nkeep, c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (!sudo_ids(&uid, &gid)) {
		/* keep the permitted set across the uid change (cleared by it otherwise) */
		if (nkeep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
			return -errno;
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			return -errno;
		if (nkeep)
			prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	return caps_set(want);
}
