/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * adapter_lock.c - the --lock SPEC parser. It touches no file and depends on
 * nothing but libc, so that tests/fuzz/fuzz_lock_spec.c can build it alone:
 * the SPEC comes from the command line of a program that runs as root.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "record/adapter.h"
#include "util/err.h"
#include "util/gs_types.h"

#define SYNTAX "BINARY:ACQUIRE:RELEASE[:argN[=LOCK|=*VAR]][:ok=0|nz|any]"

const char ADAPTER_LOCK_SPEC_HELP[] =
"--lock " SYNTAX "\n"
"  BINARY   the program or library whose functions to trace: a path (./app,\n"
"           /usr/lib/x86_64-linux-gnu/libc.so.6), a library name looked up in\n"
"           the target's memory map or the linker's paths (libc.so.6), or\n"
"           empty for the traced program itself. If BINARY only imports a\n"
"           function (./app calling pthread_mutex_lock), the library that\n"
"           defines it is traced.\n"
"  ACQUIRE  function that takes the lock: its entry is \"asks\", its return\n"
"           \"got it\" or \"gave up\" (see ok=); a symbol name, or 0xADDR (a\n"
"           link-time address in BINARY)\n"
"  RELEASE  function that releases the lock (symbol name or 0xADDR)\n"
"  argN     which argument (arg0..arg5) is the lock's address; without it all\n"
"           calls count as one lock\n"
"  =LOCK    keep only this lock: 0xADDR (its address in the running process)\n"
"           or the name of a global lock variable (found in BINARY, the\n"
"           program or its libraries; PIE and libraries are relocated)\n"
"  =*VAR    keep only the lock whose address the pointer variable VAR holds\n"
"           (a global or static pointer, found like LOCK): read once it is\n"
"           non-null, and followed when it changes; until then nothing is kept\n"
"  ok=      when ACQUIRE got the lock, from its return value (an int):\n"
"           ok=0 when it returns 0, ok=nz when it returns non-zero (a bool\n"
"           try_lock), ok=any always (void functions). A call that did not\n"
"           get it (a failed trylock, a timeout) ends the wait without an\n"
"           acquisition. Default: ok=0 for pthread_mutex_{lock,trylock,\n"
"           timedlock,clocklock}, pthread_spin_{lock,trylock}, the locking\n"
"           pthread_rwlock_* functions, sem_{wait,trywait,timedwait,clockwait}\n"
"           and mtx_{lock,trylock,timedlock}; ok=any for any other function\n"
"  example: --lock ./app:pthread_mutex_lock:pthread_mutex_unlock:arg0=counter_lock\n";

static bool sym_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '$';
}

static bool sym_char(char c)
{
	return sym_start(c) || (c >= '0' && c <= '9');
}

/* A C or mangled C++ symbol name of len bytes. */
static bool is_symbol(const char *s, size_t len)
{
	if (!len || !sym_start(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!sym_char(s[i]))
			return false;
	return true;
}

/* 0x-prefixed hex or decimal, non-zero, no overflow: 0 ok, -1 bad. */
static int parse_number(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (!v)
		return -1;
	*out = v;
	return 0;
}

static bool is_number_start(const char *s, size_t len)
{
	return len && s[0] >= '0' && s[0] <= '9';
}

/* ACQUIRE or RELEASE: a symbol name or a 0x address, copied into dst. */
static int parse_func(const char *what, const char *s, size_t len, char *dst,
		      char *err, size_t errlen)
{
	uint64_t v;

	if (!len)
		return errf(err, errlen, -EINVAL, "%s is empty (expected " SYNTAX ")", what);
	if (len >= ADAPTER_SYM_MAX)
		return errf(err, errlen, -EINVAL, "%s is longer than %d characters", what, ADAPTER_SYM_MAX - 1);
	if (is_number_start(s, len) ? parse_number(s, len, &v) : !is_symbol(s, len))
		return errf(err, errlen, -EINVAL, "%s '%.*s' is neither a symbol name nor a 0x address",
			    what, (int)len, s);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* "argN" or "argN=LOCK" of len bytes. */
static int parse_lock_field(const char *s, size_t len, struct adapter_target *a,
			    char *err, size_t errlen)
{
	if (len < 4 || s[3] < '0' || s[3] > '9')
		return errf(err, errlen, -EINVAL, "'%.*s' should be argN or argN=LOCK", (int)(len > 64 ? 64 : len), s);
	if (s[3] - '0' > ADAPTER_MAX_ARG || (len > 4 && s[4] != '='))
		return errf(err, errlen, -EINVAL, "'%.*s': the lock argument is arg0..arg%d",
			    (int)(len > 64 ? 64 : len), s, ADAPTER_MAX_ARG);
	a->lock_arg = s[3] - '0';
	if (len == 4)
		return 0;
	const char *v = s + 5;
	size_t vlen = len - 5;
	if (!vlen)
		return errf(err, errlen, -EINVAL, "nothing after '=' (give 0xADDR or a lock variable's name)");
	if (v[0] == '*') {
		a->lock_deref = true;
		v++;
		vlen--;
		if (!vlen || is_number_start(v, vlen))
			return errf(err, errlen, -EINVAL, "'=*' needs the name of a pointer variable "
				    "(e.g. arg0=*the_lock)");
	}
	if (is_number_start(v, vlen)) {
		if (parse_number(v, vlen, &a->lock_addr))
			return errf(err, errlen, -EINVAL, "'%.*s' is not a non-zero address",
				    (int)(vlen > 64 ? 64 : vlen), v);
		return 0;
	}
	if (vlen >= ADAPTER_SYM_MAX)
		return errf(err, errlen, -EINVAL, "the lock's name is longer than %d characters", ADAPTER_SYM_MAX - 1);
	if (!is_symbol(v, vlen))
		return errf(err, errlen, -EINVAL, "'%.*s' is neither an address nor a symbol name", (int)vlen, v);
	memcpy(a->lock_sym, v, vlen);
	a->lock_sym[vlen] = '\0';
	return 0;
}

/* Functions that return 0 when they got the lock (and an error number, or
 * -1 with errno, when not), as C libraries spell them without leading '_'. */
static const char *const ok_zero_funcs[] = {
	"pthread_mutex_lock", "pthread_mutex_trylock", "pthread_mutex_timedlock",
	"pthread_mutex_clocklock", "pthread_spin_lock", "pthread_spin_trylock",
	"pthread_rwlock_rdlock", "pthread_rwlock_wrlock", "pthread_rwlock_tryrdlock",
	"pthread_rwlock_trywrlock", "pthread_rwlock_timedrdlock", "pthread_rwlock_timedwrlock",
	"pthread_rwlock_clockrdlock", "pthread_rwlock_clockwrlock",
	"sem_wait", "sem_trywait", "sem_timedwait", "sem_clockwait",
	"mtx_lock", "mtx_trylock", "mtx_timedlock",	/* C11: thrd_success is 0 */
};

/* ok= when the SPEC gives none: by ACQUIRE's name (glibc's aliases such as
 * __pthread_mutex_lock included). */
static int default_ok(const char *acquire)
{
	acquire += strspn(acquire, "_");
	for (size_t i = 0; i < sizeof(ok_zero_funcs) / sizeof(ok_zero_funcs[0]); i++)
		if (!strcmp(acquire, ok_zero_funcs[i]))
			return GS_LOCK_OK_ZERO;
	return GS_LOCK_OK_ANY;
}

static bool looks_like_ok_field(const char *s, size_t len)
{
	return len >= 3 && !strncmp(s, "ok=", 3);
}

/* "ok=0", "ok=nz" or "ok=any" of len bytes. */
static int parse_ok_field(const char *s, size_t len, struct adapter_target *a,
			  char *err, size_t errlen)
{
	static const struct { const char *name; int ok; } modes[] = {
		{ "0", GS_LOCK_OK_ZERO }, { "nz", GS_LOCK_OK_NONZERO }, { "any", GS_LOCK_OK_ANY },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (len - 3 == strlen(modes[i].name) && !memcmp(s + 3, modes[i].name, len - 3)) {
			a->lock_ok = modes[i].ok;
			return 0;
		}
	return errf(err, errlen, -EINVAL, "'%.*s': give ok=0 (success returns 0), ok=nz "
		    "(non-zero) or ok=any", (int)(len > 64 ? 64 : len), s);
}

/* The last field is a lock field if it reads "arg", "argDIGIT..." or "arg=...":
 * function names hardly look like that, and a BINARY may itself contain ':'. */
static bool looks_like_lock_field(const char *s, size_t len)
{
	return len >= 3 && !strncmp(s, "arg", 3) &&
	       (len == 3 || (s[3] >= '0' && s[3] <= '9') || s[3] == '=');
}

/* The usual releasing function for an ACQUIRE, to suggest it. */
static const char *release_for(const char *acquire, size_t len)
{
	static const struct { const char *prefix, *release; } pairs[] = {
		{ "pthread_mutex_", "pthread_mutex_unlock" },
		{ "pthread_spin_", "pthread_spin_unlock" },
		{ "pthread_rwlock_", "pthread_rwlock_unlock" },
		{ "sem_", "sem_post" },
		{ "mtx_", "mtx_unlock" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (len > strlen(pairs[i].prefix) && !strncmp(acquire, pairs[i].prefix, strlen(pairs[i].prefix)))
			return pairs[i].release;
	return NULL;
}

/* Fewer than BINARY:ACQUIRE:RELEASE before the optional fields (which end
 * at end): say which are missing, reading the fields from the left. */
static int too_few_fields(const char *spec, const char *end, char *err, size_t errlen)
{
	const char *c = memchr(spec, ':', end - spec);
	const char *release;
	int blen, alen;

	if (!c)
		return errf(err, errlen, -EINVAL, "missing ACQUIRE and RELEASE after BINARY '%.*s' "
			    "(expected " SYNTAX ")", (int)(end - spec > 64 ? 64 : end - spec), spec);
	blen = (int)(c - spec > 64 ? 64 : c - spec);
	alen = (int)(end - c - 1 > 64 ? 64 : end - c - 1);
	release = release_for(c + 1, end - c - 1);
	if (release)
		return errf(err, errlen, -EINVAL, "missing RELEASE after BINARY '%.*s' and ACQUIRE '%.*s' "
			    "(e.g. %.*s:%.*s:%s)", blen, spec, alen, c + 1, blen, spec, alen, c + 1,
			    release);
	return errf(err, errlen, -EINVAL, "missing RELEASE after BINARY '%.*s' and ACQUIRE '%.*s' "
		    "(expected " SYNTAX ")", blen, spec, alen, c + 1);
}

int adapter_lock_parse(const char *spec, struct adapter_target *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->lock_arg = -1;
	if (!spec || !*spec)
		return errf(err, errlen, -EINVAL, "empty SPEC (expected " SYNTAX ")");
	size_t n = strlen(spec);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)spec[i] < 0x20 || spec[i] == 0x7f)
			return errf(err, errlen, -EINVAL, "SPEC contains a control character");

	/* Split from the right: [ok field], [lock field], RELEASE, ACQUIRE,
	 * then BINARY is the rest. */
	const char *end = spec + n;
	const char *c = memrchr(spec, ':', n);
	bool ok_given = false;
	if (!c)
		return errf(err, errlen, -EINVAL, "missing ACQUIRE and RELEASE: '%.64s' has no ':' "
			    "(expected " SYNTAX ")", spec);
	if (looks_like_ok_field(c + 1, end - c - 1)) {
		int r = parse_ok_field(c + 1, end - c - 1, a, err, errlen);
		if (r)
			return r;
		ok_given = true;
		end = c;
		c = memrchr(spec, ':', end - spec);
	}
	if (c && looks_like_lock_field(c + 1, end - c - 1)) {
		int r = parse_lock_field(c + 1, end - c - 1, a, err, errlen);
		if (r)
			return r;
		end = c;
		c = memrchr(spec, ':', end - spec);
	}
	if (!c || !memchr(spec, ':', c - spec))
		return too_few_fields(spec, end, err, errlen);
	if (looks_like_ok_field(c + 1, end - c - 1))
		return errf(err, errlen, -EINVAL, "ok= comes last (expected " SYNTAX ")");
	int r = parse_func("RELEASE", c + 1, end - c - 1, a->release_sym, err, errlen);
	if (r)
		return r;
	end = c;
	c = memrchr(spec, ':', end - spec);
	r = parse_func("ACQUIRE", c + 1, end - c - 1, a->acquire_sym, err, errlen);
	if (r)
		return r;
	if (!ok_given)
		a->lock_ok = default_ok(a->acquire_sym);
	size_t blen = c - spec;
	if (blen >= sizeof(a->spec_binary))
		return errf(err, errlen, -EINVAL, "BINARY is longer than %zu characters", sizeof(a->spec_binary) - 1);
	memcpy(a->spec_binary, spec, blen);
	a->spec_binary[blen] = '\0';

	/* "lock:SPEC" for the trace header, cut at a character boundary if long. */
	size_t room = sizeof(a->adapter) - sizeof("lock:");
	size_t take = n < room ? n : room;
	memcpy(a->adapter, "lock:", 5);
	memcpy(a->adapter + 5, spec, take);
	a->adapter[5 + take] = '\0';
	return 0;
}
