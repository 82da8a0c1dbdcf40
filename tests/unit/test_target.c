/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_target.c - who a `sudo gilscope -p PID` may trace (record/target.h):
 * the decision the kernel's ptrace access check and yama would take for the
 * invoking user, case by case, including the yama scopes this machine may
 * not have.
 */
#include <errno.h>
#include <string.h>
#include "check.h"
#include "record/target.h"

#define U 1000
#define G 1000

/* A process of the user that the kernel would let them attach to. */
static struct target_access mine(void)
{
	return (struct target_access){ .uid = { U, U, U }, .gid = { G, G, G }, .dumpable = true,
				       .yama = -1, .kernel_allows = true };
}

static int decide(const struct target_access *a, char *why, size_t len)
{
	why[0] = '\0';
	return target_may_trace(a, 42, U, G, why, len);
}

/* a is refused (-EPERM), the reason saying what and, unless NULL, also. */
static void refused(const struct target_access *a, const char *what, const char *also)
{
	char why[256];
	int rc = decide(a, why, sizeof(why));

	CHECKF(rc == -EPERM, "%d: %s", rc, why);
	CHECKF(strstr(why, what) && (!also || strstr(why, also)), "%s", why);
}

static void test_own_process_allowed(void)
{
	struct target_access a = mine();
	char why[256];

	CHECK(decide(&a, why, sizeof(why)) == 0);
	a.yama = 0;
	CHECK(decide(&a, why, sizeof(why)) == 0);
	a.yama = 1;	/* the kernel said yes: PR_SET_PTRACER_ANY, or an ancestor */
	CHECK(decide(&a, why, sizeof(why)) == 0);
}

/* su started by the user: real uid theirs, effective and saved root's */
static void test_every_uid_must_be_theirs(void)
{
	for (int i = 0; i < 3; i++) {
		struct target_access a = mine();

		a.uid[i] = 0;
		refused(&a, "process 42 runs as uid", "not as you");
	}
}

static void test_every_gid_must_be_theirs(void)
{
	for (int i = 0; i < 3; i++) {
		struct target_access a = mine();

		a.gid[i] = 42;	/* a setgid program */
		refused(&a, "runs as gid", "not as your gid 1000");
	}
}

static void test_not_dumpable_refused(void)
{
	struct target_access a = mine();

	a.dumpable = false;
	refused(&a, "process 42 is not dumpable", NULL);
}

static void test_yama_scopes(void)
{
	struct target_access a = mine();

	a.yama = 1;
	a.kernel_allows = false;	/* not an ancestor, no PR_SET_PTRACER */
	refused(&a, "ptrace_scope is 1", "-- CMD");
	a.kernel_allows = true;		/* scope 2 and 3 refuse the user whatever */
	a.yama = 2;
	refused(&a, "ptrace_scope is 2", "only root");
	a.yama = 3;
	refused(&a, "ptrace_scope is 3", NULL);
}

/* whatever else the kernel checks (an LSM, a user namespace) it decides */
static void test_kernel_has_the_last_word(void)
{
	struct target_access a = mine();

	a.kernel_allows = false;
	refused(&a, "the kernel would not let you (uid 1000) trace process 42", NULL);
}

/* the first reason is the one given, in one line that fits */
static void test_reason_is_one_line(void)
{
	struct target_access a = mine();
	char why[40];

	a.uid[1] = 0;
	a.dumpable = false;
	CHECK(decide(&a, why, sizeof(why)) == -EPERM);
	CHECK(strlen(why) < sizeof(why) && !strchr(why, '\n'));
	CHECKF(strstr(why, "runs as uid"), "%s", why);
}

int main(void)
{
	RUN(test_own_process_allowed);
	RUN(test_every_uid_must_be_theirs);
	RUN(test_every_gid_must_be_theirs);
	RUN(test_not_dumpable_refused);
	RUN(test_yama_scopes);
	RUN(test_kernel_has_the_last_word);
	RUN(test_reason_is_one_line);
	return check_done();
}
