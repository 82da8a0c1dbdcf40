/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_adapter.c - --lock SPEC parsing and symbol/offset resolution. The
 * resolution tests resolve functions and a lock variable of this very test
 * program, then check the answers against the running process: the bytes at
 * the computed file offset must be the function's code, and the computed
 * lock address must be &gs_test_lock. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include "check.h"
#include "record/adapter.h"
#include "record/elf_sym.h"
#include "util/gs_types.h"

pthread_mutex_t gs_test_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t *volatile gs_test_lock_ptr;	/* =*gs_test_lock_ptr */

__attribute__((noinline, used)) void gs_test_acquire(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, used)) void gs_test_release(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	__asm__ volatile("" ::: "memory");
}

static char err[512];

static int parse(const char *spec, struct adapter_target *a)
{
	err[0] = '\0';
	return adapter_lock_parse(spec, a, err, sizeof(err));
}

static void test_parse_valid(void)
{
	static struct adapter_target a;

	CHECK(parse("./app:pthread_mutex_lock:pthread_mutex_unlock:arg0=counter_lock", &a) == 0);
	CHECK(!strcmp(a.spec_binary, "./app"));
	CHECK(!strcmp(a.acquire_sym, "pthread_mutex_lock"));
	CHECK(!strcmp(a.release_sym, "pthread_mutex_unlock"));
	CHECK(a.lock_arg == 0 && a.lock_addr == 0 && !strcmp(a.lock_sym, "counter_lock"));
	CHECK(!strncmp(a.adapter, "lock:./app:pthread_mutex_lock", 29));

	CHECK(parse("./app:lock:unlock:arg2=0x4040a0", &a) == 0);
	CHECK(a.lock_arg == 2 && a.lock_addr == 0x4040a0 && a.lock_sym[0] == '\0');
	CHECK(parse("./app:lock:unlock:arg5=4210848", &a) == 0);
	CHECK(a.lock_arg == 5 && a.lock_addr == 4210848);
	CHECK(parse("libc.so.6:pthread_mutex_lock:pthread_mutex_unlock", &a) == 0);
	CHECK(a.lock_arg == -1 && a.lock_addr == 0 && !strcmp(a.spec_binary, "libc.so.6"));
	CHECK(parse("./app:lock:unlock:arg1", &a) == 0);
	CHECK(a.lock_arg == 1 && a.lock_addr == 0 && !a.lock_sym[0]);
	/* empty BINARY = the traced program; BINARY may hold ':' */
	CHECK(parse(":lock:unlock", &a) == 0);
	CHECK(a.spec_binary[0] == '\0');
	CHECK(parse("/opt/a:b/app:lock:unlock:arg0", &a) == 0);
	CHECK(!strcmp(a.spec_binary, "/opt/a:b/app") && !strcmp(a.acquire_sym, "lock"));
	CHECK(parse("/opt/a:b/app:lock:unlock", &a) == 0);
	CHECK(!strcmp(a.spec_binary, "/opt/a:b/app") && !strcmp(a.release_sym, "unlock"));
	/* functions by address, mangled and versioned-looking names */
	CHECK(parse("./app:0x1139:0x1160", &a) == 0);
	CHECK(!strcmp(a.acquire_sym, "0x1139") && !strcmp(a.release_sym, "0x1160"));
	CHECK(parse("./app:_ZN3foo4lockEv:_ZN3foo6unlockEv:arg0=_ZN3foo1mE", &a) == 0);
	CHECK(!strcmp(a.lock_sym, "_ZN3foo1mE"));
	CHECK(parse("./app:lock:unlock:arg0=0xffffffffffffffff", &a) == 0);
	CHECK(a.lock_addr == UINT64_MAX);
	/* =*VAR: the lock is what the pointer VAR holds */
	CHECK(parse("./app:lock:unlock:arg1=*the_lock:ok=nz", &a) == 0);
	CHECK(a.lock_arg == 1 && a.lock_deref && !strcmp(a.lock_sym, "the_lock") && a.lock_addr == 0);
	CHECK(parse("./app:lock:unlock:arg1=the_lock", &a) == 0 && !a.lock_deref);
}

/* ok=: given, or by ACQUIRE's name; it reaches the loader's lock_target. */
static void test_parse_ok(void)
{
	static struct adapter_target a;
	struct lock_target t;
	static const char *const zero[] = {
		"pthread_mutex_lock", "pthread_mutex_trylock", "pthread_mutex_timedlock",
		"pthread_mutex_clocklock", "__pthread_mutex_lock", "___pthread_mutex_lock",
		"pthread_spin_lock", "pthread_spin_trylock", "pthread_rwlock_wrlock",
		"pthread_rwlock_tryrdlock", "pthread_rwlock_clockwrlock", "sem_wait",
		"sem_trywait", "sem_timedwait", "sem_clockwait", "mtx_lock", "mtx_trylock",
		"mtx_timedlock",
	};
	static const char *const any[] = {
		"take_gil", "lock", "pthread_mutex_unlock", "pthread_mutex_locked", "sem_post",
		"0x1139", "pthread_cond_wait", "mtx_unlock",
	};
	char spec[128];

	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		snprintf(spec, sizeof(spec), "app:%s:unlock:arg0", zero[i]);
		CHECK(parse(spec, &a) == 0);
		CHECKF(a.lock_ok == GS_LOCK_OK_ZERO, "%s: default %d", zero[i], a.lock_ok);
	}
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		snprintf(spec, sizeof(spec), "app:%s:unlock", any[i]);
		CHECK(parse(spec, &a) == 0);
		CHECKF(a.lock_ok == GS_LOCK_OK_ANY, "%s: default %d", any[i], a.lock_ok);
	}
	CHECK(parse("app:my_try_lock:my_unlock:arg1=0x10:ok=nz", &a) == 0);
	CHECK(a.lock_ok == GS_LOCK_OK_NONZERO && a.lock_arg == 1 && a.lock_addr == 0x10);
	CHECK(!strcmp(a.release_sym, "my_unlock"));
	CHECK(parse("app:pthread_mutex_lock:pthread_mutex_unlock:ok=any", &a) == 0);
	CHECK(a.lock_ok == GS_LOCK_OK_ANY && a.lock_arg == -1);
	CHECK(parse("app:my_lock:my_unlock:ok=0", &a) == 0);
	CHECK(a.lock_ok == GS_LOCK_OK_ZERO && !strcmp(a.acquire_sym, "my_lock"));
	/* BINARY may hold ":ok=" too: only the last field is read as ok= */
	CHECK(parse("/opt/x:ok=0/app:lock:unlock", &a) == 0);
	CHECK(!strcmp(a.spec_binary, "/opt/x:ok=0/app") && a.lock_ok == GS_LOCK_OK_ANY);
	/* a function may be called "ok" */
	CHECK(parse("app:lock:ok", &a) == 0);
	CHECK(!strcmp(a.release_sym, "ok"));
	adapter_lock_target(&a, &t);
	CHECK(t.acquire_ok == GS_LOCK_OK_ANY);
	CHECK(parse("app:sem_wait:sem_post:arg0:ok=nz", &a) == 0);
	adapter_lock_target(&a, &t);
	CHECK(t.acquire_ok == GS_LOCK_OK_NONZERO && t.acquire_arg == 0);
}

static void expect_bad(const char *spec, const char *why)
{
	static struct adapter_target a;
	int r = parse(spec, &a);

	CHECKF(r == -EINVAL, "spec '%s' gave %d", spec, r);
	CHECKF(strstr(err, why) != NULL, "spec '%s': error '%s' lacks '%s'", spec, err, why);
	CHECKF(strlen(err) > 10 && !strchr(err, '\n'), "spec '%s': error '%s'", spec, err);
}

static void test_parse_invalid(void)
{
	char big[5000];

	expect_bad("", "empty");
	expect_bad("app", "no ':'");
	expect_bad("app:lock", "missing");
	expect_bad("app::unlock", "ACQUIRE is empty");
	expect_bad("app:lock:", "RELEASE is empty");
	expect_bad("app:lock:unlock:arg6", "arg0..arg5");
	expect_bad("app:lock:unlock:arg10", "arg0..arg5");
	expect_bad("app:lock:unlock:arg", "argN");
	expect_bad("app:lock:unlock:arg=x", "argN");
	expect_bad("app:lock:unlock:arg0x", "arg0..arg5");
	expect_bad("app:lock:unlock:arg0=", "nothing after");
	expect_bad("app:lock:unlock:arg0=0", "non-zero");
	expect_bad("app:lock:unlock:arg0=*", "pointer variable");
	expect_bad("app:lock:unlock:arg0=*0x1000", "pointer variable");
	expect_bad("app:lock:unlock:arg0=**p", "neither");
	expect_bad("app:lock:unlock:arg0=0x", "non-zero");
	expect_bad("app:lock:unlock:arg0=0xZZ", "non-zero");
	expect_bad("app:lock:unlock:arg0=99999999999999999999999", "non-zero");
	expect_bad("app:lock:unlock:arg0=a-b", "neither");
	expect_bad("app:1f:unlock", "neither");
	expect_bad("app:lo ck:unlock", "neither");
	expect_bad("app:lock:un\tlock", "control");
	expect_bad(":arg0", "missing");
	expect_bad("app:lock:unlock:ok=", "ok=0");
	expect_bad("app:lock:unlock:ok=1", "ok=nz");
	expect_bad("app:lock:unlock:ok=anything", "ok=any");
	expect_bad("app:lock:unlock:ok=0:arg0", "ok= comes last");
	/* what is missing, read from the left: BINARY, ACQUIRE, RELEASE */
	expect_bad("app:lock:ok=0", "missing RELEASE after BINARY 'app' and ACQUIRE 'lock'");
	expect_bad("ok=0", "missing ACQUIRE and RELEASE: 'ok=0' has no ':'");
	expect_bad(":ok=0", "missing ACQUIRE and RELEASE after BINARY ''");
	expect_bad("lock:unlock:arg0", "missing RELEASE after BINARY 'lock' and ACQUIRE 'unlock'");
	expect_bad("app:pthread_mutex_lock", "missing RELEASE after BINARY 'app' and ACQUIRE "
		   "'pthread_mutex_lock' (e.g. app:pthread_mutex_lock:pthread_mutex_unlock)");
	expect_bad("app", "missing ACQUIRE and RELEASE");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = ':';
	big[20] = ':';
	expect_bad(big, "RELEASE is longer than");
	big[10] = 'a';
	big[20] = 'a';
	memcpy(big + sizeof(big) - 12, ":f:g", 5);
	expect_bad(big, "BINARY is longer");
}

/* The bytes at file offset off of path equal the code at addr. */
/* The code at addr (in this process) comes from file offset off of path:
 * found through /proc/self/maps, not by comparing bytes (while any process
 * has a uprobe in that function, the kernel has rewritten its bytes in every
 * mapping). */
static bool code_at(const char *path, uint64_t off, const void *addr)
{
	unsigned long long lo, hi, moff;
	char line[4096], file[4096];
	struct stat a, b;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &lo, &hi, &moff, file) != 4)
			continue;
		if ((uintptr_t)addr < lo || (uintptr_t)addr >= hi)
			continue;
		found = !stat(file, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
			a.st_dev == b.st_dev && (uintptr_t)addr - lo + moff == off;
		break;
	}
	fclose(f);
	return found;
}

static void test_resolve_self_running(void)
{
	static struct adapter_target a;
	const struct lock_sites *sites = &a.lock.sites;

	CHECK(parse(":gs_test_acquire:gs_test_release:arg0=gs_test_lock", &a) == 0);
	int r = adapter_lock_resolve(getpid(), NULL, &a, err, sizeof(err));
	CHECKF(r == 0, "%d %s", r, err);
	CHECK(code_at(a.binary, a.acquire_off, (void *)gs_test_acquire));
	CHECK(code_at(a.binary, a.release_off, (void *)gs_test_release));
	CHECKF(a.lock_addr == (uintptr_t)&gs_test_lock, "%llx vs %p",
	       (unsigned long long)a.lock_addr, (void *)&gs_test_lock);
	CHECK(!a.lock_pending);
	CHECK(a.lock.binary == a.binary && a.lock.acquire_arg == 0 && a.lock.release_arg == 0);
	CHECK(a.lock.lock_addr == a.lock_addr);
	/* probed once each, at the entry or a little past it (probe_site.h) */
	CHECK(sites->nacquire == 1 && sites->nrelease == 1 && sites->nwait == 0);
	CHECK(sites->acquire[0].off >= a.acquire_off && sites->acquire[0].off < a.acquire_off + 33);
	CHECK(sites->release[0].off >= a.release_off && sites->release[0].off < a.release_off + 33);
}

static void test_resolve_self_before_exec(void)
{
	static struct adapter_target a;
	char self[PATH_MAX];

	CHECK(realpath("/proc/self/exe", self) != NULL);
	CHECK(parse(":gs_test_acquire:gs_test_release:arg0=gs_test_lock", &a) == 0);
	int r = adapter_lock_resolve(0, self, &a, err, sizeof(err));
	CHECKF(r == 0, "%d %s", r, err);
	CHECK(!strcmp(a.binary, self));
	CHECK(code_at(a.binary, a.acquire_off, (void *)gs_test_acquire));
	/* a PIE: the address exists once it is mapped */
	CHECK(a.lock_pending && a.lock_addr == 0 && a.lock_sym_vaddr != 0);
	CHECK(adapter_resolve_lock_addr(getpid(), &a) == 0);
	CHECK(a.lock_addr == (uintptr_t)&gs_test_lock && a.lock.lock_addr == a.lock_addr);
	/* a process that never mapped it */
	a.lock_pending = true;
	CHECK(adapter_resolve_lock_addr(getppid(), &a) == -EAGAIN ||
	      adapter_resolve_lock_addr(getppid(), &a) == -EACCES);
}

/* =*VAR on this PIE: VAR's address once mapped, nothing kept until it holds
 * a lock, then the lock it holds, and a new one when it changes; a read that
 * fails keeps the lock. */
static void test_resolve_pointer(void)
{
	static struct adapter_target a;
	pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
	char self[PATH_MAX];
	int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);

	CHECK(mem >= 0);
	CHECK(realpath("/proc/self/exe", self) != NULL);
	gs_test_lock_ptr = NULL;
	CHECK(parse(":gs_test_acquire:gs_test_release:arg0=*gs_test_lock_ptr", &a) == 0);
	int r = adapter_lock_resolve(0, self, &a, err, sizeof(err));
	CHECKF(r == 0, "%d %s", r, err);
	CHECK(a.lock_pending && a.lock_deref);
	CHECK(adapter_resolve_lock_addr(getpid(), &a) == 0);
	CHECK(a.lock_var_addr == (uintptr_t)&gs_test_lock_ptr);
	CHECK(a.lock_addr == ADAPTER_LOCK_UNSET && a.lock.lock_addr == ADAPTER_LOCK_UNSET);
	CHECK(adapter_read_lock_ptr(mem, &a) == 0 && a.lock_addr == ADAPTER_LOCK_UNSET);
	gs_test_lock_ptr = &gs_test_lock;
	CHECK(adapter_read_lock_ptr(mem, &a) == 1);
	CHECK(a.lock_addr == (uintptr_t)&gs_test_lock && a.lock.lock_addr == a.lock_addr);
	CHECK(adapter_read_lock_ptr(mem, &a) == 0);
	gs_test_lock_ptr = &other;
	CHECK(adapter_read_lock_ptr(mem, &a) == 1 && a.lock_addr == (uintptr_t)&other);
	gs_test_lock_ptr = NULL;	/* a lock let go: the last one stays */
	CHECK(adapter_read_lock_ptr(mem, &a) == 0 && a.lock_addr == (uintptr_t)&other);
	close(mem);
	CHECK(adapter_read_lock_ptr(mem, &a) == -EBADF && a.lock_addr == (uintptr_t)&other);

	/* a variable that is not a pointer */
	CHECK(parse(":gs_test_acquire:gs_test_release:arg0=*gs_test_lock", &a) == 0);
	r = adapter_lock_resolve(0, self, &a, err, sizeof(err));
	CHECKF(r == -EINVAL && strstr(err, "40 bytes, not a pointer"), "%d %s", r, err);
}

/* ./app only imports pthread_mutex_lock: the probe goes into the library
 * that defines it, libc (or, under ASan, libasan, which interposes it: the
 * same choice ld.so makes). Compared with libc's own definition. */
static void test_resolve_imported(void)
{
	static struct adapter_target a;
	char self[PATH_MAX];
	pid_t pids[2] = { getpid(), 0 };
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *lock_fn = libc ? dlsym(libc, "pthread_mutex_lock") : NULL;
	void *unlock_fn = libc ? dlsym(libc, "pthread_mutex_unlock") : NULL;

	CHECK(lock_fn && unlock_fn);
	if (!lock_fn || !unlock_fn)
		return;
	CHECK(realpath("/proc/self/exe", self) != NULL);
	for (int i = 0; i < 2; i++) {
		CHECK(parse(":pthread_mutex_lock:pthread_mutex_unlock:arg0=gs_test_lock", &a) == 0);
		int r = adapter_lock_resolve(pids[i], pids[i] ? NULL : self, &a, err, sizeof(err));
		CHECKF(r == 0, "pid %d: %d %s", pids[i], r, err);
		CHECK(!strcmp(a.lock_binary, self));
		if (strstr(a.binary, "libasan"))
			continue;
		CHECKF(strstr(a.binary, "libc.so") != NULL, "%s", a.binary);
		CHECK(code_at(a.binary, a.acquire_off, lock_fn));
		CHECK(code_at(a.binary, a.release_off, unlock_fn));
	}
	/* by library name */
	CHECK(parse("libc.so.6:pthread_mutex_lock:pthread_mutex_unlock:arg0", &a) == 0);
	CHECK(adapter_lock_resolve(0, self, &a, err, sizeof(err)) == 0);
	CHECK(code_at(a.binary, a.acquire_off, lock_fn));
	CHECK(parse("libc:pthread_mutex_lock:pthread_mutex_unlock", &a) == 0);
	CHECK(adapter_lock_resolve(getpid(), NULL, &a, err, sizeof(err)) == 0);
	CHECK(code_at(a.binary, a.acquire_off, lock_fn));
	dlclose(libc);
}

static void test_resolve_errors(void)
{
	static const struct {
		const char *spec, *command;	/* command NULL: this test program */
		int rc;
		const char *says;		/* in the error; NULL: not checked */
	} cases[] = {
		{ ":no_such_function_xyz:gs_test_release", NULL, -ENOENT, "no_such_function_xyz" },
		{ ":gs_test_acquire:gs_test_release:arg0=no_such_lock_xyz", NULL, -ENOENT,
		  "no_such_lock_xyz" },
		{ "/nonexistent/app:f:g", NULL, -ENOENT, NULL },
		{ "libnosuchlib.so.9:f:g", NULL, -ENOENT, "libnosuchlib" },
		/* acquire in libc, release in the program: two files */
		{ ":pthread_mutex_lock:gs_test_release", NULL, -EINVAL, "one file" },
		{ ":gs_test_acquire:gs_test_release", "no-such-command-xyz", -ENOENT, "not found" },
	};
	static struct adapter_target a;
	char self[PATH_MAX];

	CHECK(realpath("/proc/self/exe", self) != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *cmd = cases[i].command ? cases[i].command : self;
		int rc;

		CHECKF(parse(cases[i].spec, &a) == 0, "%s: %s", cases[i].spec, err);
		rc = adapter_lock_resolve(0, cmd, &a, err, sizeof(err));
		CHECKF(rc == cases[i].rc, "%s: %d, want %d (%s)", cases[i].spec, rc, cases[i].rc, err);
		CHECKF(!cases[i].says || strstr(err, cases[i].says), "%s: %s", cases[i].spec, err);
	}
}

static void test_python(void)
{
	static struct adapter_target a;
	const char *pyenv = "/root/.pyenv/versions/3.11.7/bin/python3.11";
	struct stat st;
	int r;

	if (!stat(pyenv, &st)) {
		r = adapter_python_resolve(0, pyenv, &a, err, sizeof(err));
		CHECKF(r == 0, "%d %s", r, err);
		CHECKF(strstr(a.binary, "libpython3.11.so") != NULL, "%s", a.binary);
		CHECK(a.acquire_off && a.release_off && a.acquire_off != a.release_off);
		CHECK(a.lock.acquire_arg == -1 && a.lock.lock_addr == ADAPTER_PYTHON_LOCK_ID);
		CHECK(a.lock.acquire_ok == GS_LOCK_OK_ANY);	/* take_gil returns nothing */
		CHECK(!strcmp(a.adapter, "python"));
	} else {
		printf("# no pyenv python3.11 here\n");
	}
	if (!stat("/usr/bin/python3.11-dbg", &st)) {
		r = adapter_python_resolve(0, "python3.11-dbg", &a, err, sizeof(err));
		CHECKF(r == 0, "%d %s", r, err);
		CHECKF(strstr(a.binary, "python3.11") != NULL, "%s", a.binary);
	}
	/* Debian's /usr/bin/python3.11 is stripped: the error names the way out */
	if (!stat("/usr/bin/python3.11", &st)) {
		r = adapter_python_resolve(0, "/usr/bin/python3.11", &a, err, sizeof(err));
		CHECK(r == -ENOENT);
		CHECKF(strstr(err, "python3.11-dbg") && strstr(err, "stripped"), "%s", err);
		/* what was looked for, where, and why it was not found */
		CHECKF(strstr(err, "take_gil/drop_gil") && strstr(err, "interpreter_lock") &&
		       strstr(err, "in /usr/bin/python3.11: /usr/bin/python3.11 is stripped"), "%s", err);
	}
	/* Python 2 (pyenv): its lock is the one interpreter_lock points to,
	 * taken and dropped by PyThread_acquire_lock/PyThread_release_lock */
	if (!stat("/root/.pyenv/versions/2.7.18/bin/python2.7", &st)) {
		r = adapter_python_resolve(0, "/root/.pyenv/versions/2.7.18/bin/python2.7", &a, err,
					   sizeof(err));
		CHECKF(r == 0, "%d %s", r, err);
		CHECKF(strstr(a.binary, "libpython2.7.so") != NULL, "%s", a.binary);
		CHECK(!strcmp(a.acquire_sym, "PyThread_acquire_lock"));
		CHECK(!strcmp(a.release_sym, "PyThread_release_lock"));
		CHECK(a.lock_arg == 0 && a.lock_deref && !strcmp(a.lock_sym, "interpreter_lock"));
		CHECK(a.lock_ok == GS_LOCK_OK_NONZERO && a.lock_pending);
		CHECK(a.lock.lock_addr == ADAPTER_LOCK_UNSET && a.lock.acquire_arg == 0);
		CHECK(!strcmp(a.adapter, "python"));
	}
	/* not Python at all */
	char self[PATH_MAX];
	CHECK(realpath("/proc/self/exe", self) != NULL);
	CHECK(adapter_python_resolve(0, self, &a, err, sizeof(err)) == -ENOENT);
	CHECKF(strstr(err, "not a Python interpreter") != NULL, "%s", err);
	/* a script (like a pyenv shim) */
	char tmpl[] = "/tmp/gs-test-shim.XXXXXX";
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, "#!/bin/sh\nexit 0\n", 17) == 17);
		fchmod(fd, 0755);
		close(fd);
		r = adapter_python_resolve(0, tmpl, &a, err, sizeof(err));
		CHECK(r == -ENOEXEC);
		CHECKF(strstr(err, "script") != NULL, "%s", err);
		unlink(tmpl);
	}
}

static void test_setup(void)
{
	static struct adapter_target a;
	char self[PATH_MAX];
	bool usage;

	CHECK(realpath("/proc/self/exe", self) != NULL);
	CHECK(adapter_setup(&a, false, "x:y", 0, self, &usage, err, sizeof(err)) == -EINVAL);
	CHECKF(usage && !strncmp(err, "--lock: ", 8), "%s", err);
	CHECK(adapter_setup(&a, false, ":nope_xyz:gs_test_release", 0, self, &usage, err, sizeof(err)) == -ENOENT);
	CHECK(!usage);
	/* running: placed at once; not started: placed at exec */
	CHECK(adapter_setup(&a, false, ":gs_test_acquire:gs_test_release:arg0=gs_test_lock", getpid(), NULL,
			    &usage, err, sizeof(err)) == 0);
	CHECK(!a.lock_pending && a.lock.lock_addr == (uintptr_t)&gs_test_lock && a.lock.binary == a.binary);
	CHECK(adapter_setup(&a, false, ":gs_test_acquire:gs_test_release:arg0=gs_test_lock", 0, self,
			    &usage, err, sizeof(err)) == 0);
	CHECK(a.lock_pending && a.lock.lock_addr == 0);
	CHECK(adapter_setup(&a, true, NULL, 0, self, &usage, err, sizeof(err)) == -ENOENT && !usage);
}

/* Truncated and bit-flipped copies of a real ELF file: every lookup
 * fails cleanly or answers, never crashes (run under ASan too). */
static void test_elf_hostile(void)
{
	char self[PATH_MAX], tmpl[] = "/tmp/gs-test-elf.XXXXXX";
	static unsigned char buf[1 << 20];
	struct elf_file *ef;
	struct elf_sym sym;
	uint64_t off;
	char id[128];

	CHECK(realpath("/proc/self/exe", self) != NULL);
	int in = open(self, O_RDONLY);
	ssize_t n = in >= 0 ? read(in, buf, sizeof(buf)) : -1;
	if (in >= 0)
		close(in);
	CHECK(n > 4096);
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	if (fd < 0 || n <= 4096)
		return;
	uint64_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)n;
		if (round < 100) {
			len = (size_t)n * (size_t)round / 100;	/* truncated */
		} else {
			for (int k = 0; k < 16; k++) {		/* flipped bytes */
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				buf[(seed >> 33) % (uint64_t)n] ^= (unsigned char)(seed >> 13) | 1;
			}
		}
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, buf, len, 0) == (ssize_t)len);
		if (elf_file_open(&ef, tmpl))
			continue;
		elf_file_find(ef, "gs_test_acquire", &sym);
		elf_file_find(ef, "pthread_mutex_lock", &sym);
		elf_file_vaddr_to_off(ef, 0x1000, &off);
		elf_file_first_load(ef, &off, &off);
		elf_file_build_id(ef, id, sizeof(id));
		for (size_t i = 0; elf_file_needed(ef, i); i++)
			CHECK(strlen(elf_file_needed(ef, i)) < (size_t)n);
		elf_file_close(ef);
	}
	close(fd);
	unlink(tmpl);
	/* not ELF at all */
	CHECK(elf_file_open(&ef, "/proc/self/status") == -ENOEXEC);
	CHECK(elf_file_open(&ef, "/nonexistent") == -ENOENT);
}

int main(void)
{
	/* keep the functions referenced so the linker keeps them */
	gs_test_acquire(&gs_test_lock);
	gs_test_release(&gs_test_lock);
	RUN(test_parse_valid);
	RUN(test_parse_invalid);
	RUN(test_parse_ok);
	RUN(test_resolve_self_running);
	RUN(test_resolve_self_before_exec);
	RUN(test_resolve_imported);
	RUN(test_resolve_pointer);
	RUN(test_resolve_errors);
	RUN(test_python);
	RUN(test_setup);
	RUN(test_elf_hostile);
	return check_done();
}
