/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Long file: a fake interpreter's memory, laid out field by field as the
 * layouts describe CPython's, is most of it; the tests that read it follow.
 *
 * test_pyread.c - the live-interpreter reader (record/pyread) against a fake
 * target whose memory the test forges: this very process (or a forked copy
 * of it), described by a hand-made layout. The fake interpreter has
 * objects laid out like CPython's (thread states, frames, code objects,
 * compact str, int, dicts, a threading module), and the tests break them:
 * bad pointers, cycles in thread lists and frame chains, huge and negative
 * lengths, strs that end at an unreadable page, a code object freed and its
 * address reused (with new strs, and with the same strs rewritten in place),
 * memory changed by another thread while reading, the process dying.
 * Every call must return (bounded work by construction: a hang fails the
 * run), never crash, count its failure, and never give an old name.
 * The recording's Python stage (record/pyrec.h) on the same fake: events'
 * code objects become named functions, a code object reused between an
 * event and its reading shows "?", thread names and renames are learnt.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "record/pyrec.h"
#include "record/pyread.h"
#include "trace/trace_names.h"

/* ---- the fake interpreter's layout ----------------------------------------------------- */

/* Objects: {refcnt, type} then fields, like PyObject_HEAD. */
struct fobj { uint64_t refcnt, type; };
struct fstr { struct fobj ob; int64_t length; int64_t hash; uint32_t state; uint32_t pad; char data[48]; };
struct fcode { struct fobj ob; uint64_t name, qualname, filename; int32_t firstlineno; int32_t pad; };
struct fframe { uint64_t code, back; uint8_t owner; uint8_t pad[7]; };
struct ftstate { uint64_t next, thread_id, native_id, frame; };
struct finterp { uint64_t next, threads_head, modules; };
struct fruntime { uint64_t interp_head; };
struct ftype { struct fobj ob; uint64_t flags; int64_t dictoffset, basicsize; uint64_t cached_keys; };
struct fkeys { uint64_t refcnt; uint8_t log2_size, log2_index_bytes, kind, pad; uint32_t version;
	       int64_t usable, nentries; uint8_t indices[8]; uint64_t entries[3 * 8]; };
struct fdict { struct fobj ob; int64_t used; uint64_t version, keys, values; };
struct fmodule { struct fobj ob; uint64_t dict; };
struct flong { struct fobj ob; uint64_t tag; uint32_t digit[3]; };
struct fthread { struct fobj ob; uint64_t dict; };

#define A(x) ((uint64_t)(uintptr_t)(x))

static struct pylayout L;
static struct fobj code_type, str_type, dict_type, long_type, module_type;
static struct ftype thread_type;
static struct fruntime runtime;
static struct finterp interp;
static struct ftstate ts[4];
static struct fframe frames[4];
static struct fcode code_a;
static struct fstr s_alpha, s_file, s_main, s_worker, s_threading, s_active, s_name, s_modname;
static struct fdict modules, mod_dict, active, tdict[2];
static struct fkeys modules_k, mod_k, active_k, tdict_k[2];
static struct fmodule threading_mod;
static struct flong ident[2];
static struct fthread thread_obj[2];

static void set(enum pyl_field f, int64_t v)
{
	L.off[f] = v;
	L.src[f] = PYL_SRC_HEADERS;
}

static void make_layout(void)
{
	memset(&L, 0, sizeof(L));
	for (int f = 0; f < PYL_NFIELDS; f++)
		L.off[f] = PYL_UNKNOWN;
	snprintf(L.path, sizeof(L.path), "fake");
	L.major = 3;
	L.minor = 13;
	L.frames = PYL_FRAMES_DIRECT;
	L.dicts = PYL_DICT_LOG2;
	L.attrs = PYL_ATTRS_DICTOFFSET;
	L.longs = PYL_LONG_TAG;
	L.tids = PYL_TID_NATIVE;
	L.sym[PYL_SYM_RUNTIME] = A(&runtime);
	L.sym[PYL_SYM_CODE_TYPE] = A(&code_type);
	L.sym[PYL_SYM_UNICODE_TYPE] = A(&str_type);
	L.sym[PYL_SYM_DICT_TYPE] = A(&dict_type);
	L.sym[PYL_SYM_LONG_TYPE] = A(&long_type);
	L.sym[PYL_SYM_MODULE_TYPE] = A(&module_type);
	set(PYL_RT_INTERP_HEAD, offsetof(struct fruntime, interp_head));
	set(PYL_IS_NEXT, offsetof(struct finterp, next));
	set(PYL_IS_THREADS_HEAD, offsetof(struct finterp, threads_head));
	set(PYL_IS_MODULES, offsetof(struct finterp, modules));
	set(PYL_TS_NEXT, offsetof(struct ftstate, next));
	set(PYL_TS_THREAD_ID, offsetof(struct ftstate, thread_id));
	set(PYL_TS_NATIVE_ID, offsetof(struct ftstate, native_id));
	set(PYL_TS_FRAME, offsetof(struct ftstate, frame));
	set(PYL_FRAME_CODE, offsetof(struct fframe, code));
	set(PYL_FRAME_BACK, offsetof(struct fframe, back));
	set(PYL_FRAME_OWNER, offsetof(struct fframe, owner));
	set(PYL_OWNED_BY_CSTACK, 3);
	set(PYL_CODE_NAME, offsetof(struct fcode, name));
	set(PYL_CODE_QUALNAME, offsetof(struct fcode, qualname));
	set(PYL_CODE_FILENAME, offsetof(struct fcode, filename));
	set(PYL_CODE_FIRSTLINENO, offsetof(struct fcode, firstlineno));
	set(PYL_OB_TYPE, offsetof(struct fobj, type));
	set(PYL_STR_LENGTH, offsetof(struct fstr, length));
	set(PYL_STR_STATE, offsetof(struct fstr, state));
	set(PYL_STR_KIND_BIT, 2);
	set(PYL_STR_COMPACT_BIT, 5);
	set(PYL_STR_ASCII_BIT, 6);
	set(PYL_STR_ASCII_SIZE, offsetof(struct fstr, data));
	set(PYL_STR_COMPACT_SIZE, offsetof(struct fstr, data));	/* no utf8 cache in the fake */
	set(PYL_TYPE_FLAGS, offsetof(struct ftype, flags));
	set(PYL_TYPE_DICTOFFSET, offsetof(struct ftype, dictoffset));
	set(PYL_TYPE_BASICSIZE, offsetof(struct ftype, basicsize));
	set(PYL_HT_CACHED_KEYS, offsetof(struct ftype, cached_keys));
	set(PYL_TPFLAGS_MANAGED_DICT, 1 << 4);
	set(PYL_MODULE_DICT, offsetof(struct fmodule, dict));
	set(PYL_DICT_KEYS, offsetof(struct fdict, keys));
	set(PYL_DICT_VALUES, offsetof(struct fdict, values));
	set(PYL_DK_LOG2_INDEX_BYTES, offsetof(struct fkeys, log2_index_bytes));
	set(PYL_DK_KIND, offsetof(struct fkeys, kind));
	set(PYL_DK_NENTRIES, offsetof(struct fkeys, nentries));
	set(PYL_DK_INDICES, offsetof(struct fkeys, indices));
	set(PYL_KEYS_GENERAL, 0);
	set(PYL_DKE_SIZE, 24);
	set(PYL_DKE_KEY, 8);
	set(PYL_DKE_VALUE, 16);
	set(PYL_DKU_SIZE, 16);
	set(PYL_DKU_KEY, 0);
	set(PYL_DKU_VALUE, 8);
	set(PYL_DV_VALUES, 0);
	set(PYL_LONG_SIZE, offsetof(struct flong, tag));
	set(PYL_LONG_DIGITS, offsetof(struct flong, digit));
	set(PYL_DIGIT_SIZE, 4);
	set(PYL_LONG_TAG_SHIFT, 3);
}

static void mkstr(struct fstr *s, const char *text)
{
	memset(s, 0, sizeof(*s));
	s->ob.type = A(&str_type);
	s->length = (int64_t)strlen(text);
	s->state = 1u << 2 | 1u << 5 | 1u << 6;	/* kind 1, compact, ascii */
	memcpy(s->data, text, strlen(text));
}

/* keys with n entries: general (int keys, 24-byte entries) or unicode (16). */
static void mkdict(struct fdict *d, struct fkeys *k, bool general, const uint64_t *kv, size_t n)
{
	memset(d, 0, sizeof(*d));
	memset(k, 0, sizeof(*k));
	d->ob.type = A(&dict_type);
	d->keys = A(k);
	d->used = (int64_t)n;
	k->log2_size = 3;
	k->log2_index_bytes = 3;	/* 8 one-byte indices */
	k->kind = general ? 0 : 1;
	k->nentries = (int64_t)n;
	for (size_t i = 0; i < n; i++) {
		uint64_t *e = &k->entries[i * (general ? 3 : 2)];

		e[general ? 1 : 0] = kv[2 * i];
		e[general ? 2 : 1] = kv[2 * i + 1];
	}
}

static void mklong(struct flong *l, uint64_t v)
{
	memset(l, 0, sizeof(*l));
	l->ob.type = A(&long_type);
	unsigned n = 0;

	for (uint64_t x = v; x; x >>= 30)
		l->digit[n++] = (uint32_t)(x & ((1u << 30) - 1));
	l->tag = (uint64_t)n << 3;
}

/* One interpreter, two threads: MainThread (this thread's tid) in alpha()
 * below a C entry frame, and worker (a tid that does not exist) in no code. */
static void make_target(void)
{
	make_layout();
	runtime.interp_head = A(&interp);
	interp = (struct finterp){ .next = 0, .threads_head = A(&ts[0]), .modules = A(&modules) };
	ts[0] = (struct ftstate){ A(&ts[1]), 0x1111, (uint64_t)gettid(), A(&frames[0]) };
	ts[1] = (struct ftstate){ 0, 0x2222, 999999999, 0 };
	frames[0] = (struct fframe){ .code = 0, .back = A(&frames[1]), .owner = 3 };	/* shim */
	frames[1] = (struct fframe){ .code = A(&code_a), .back = 0, .owner = 0 };
	mkstr(&s_alpha, "alpha");
	mkstr(&s_file, "fake.py");
	code_a = (struct fcode){ { 1, A(&code_type) }, A(&s_alpha), A(&s_alpha), A(&s_file), 10, 0 };
	/* sys.modules = {"threading": module}; module.__dict__ = {"_active": {...}} */
	mkstr(&s_threading, "threading");
	mkstr(&s_modname, "os");
	mkstr(&s_active, "_active");
	mkstr(&s_name, "_name");
	mkstr(&s_main, "MainThread");
	mkstr(&s_worker, "worker");
	threading_mod = (struct fmodule){ { 1, A(&module_type) }, A(&mod_dict) };
	uint64_t mk[] = { A(&s_modname), A(&s_modname), A(&s_threading), A(&threading_mod) };
	mkdict(&modules, &modules_k, false, mk, 2);
	uint64_t dk[] = { A(&s_active), A(&active) };
	mkdict(&mod_dict, &mod_k, false, dk, 1);
	thread_type = (struct ftype){ { 1, A(&code_type) }, 0, offsetof(struct fthread, dict), 24, 0 };
	for (int i = 0; i < 2; i++) {
		uint64_t nk[] = { A(&s_name), A(i ? &s_worker : &s_main) };

		mklong(&ident[i], i ? 0x2222 : 0x1111);
		thread_obj[i] = (struct fthread){ { 1, A(&thread_type) }, A(&tdict[i]) };
		mkdict(&tdict[i], &tdict_k[i], false, nk, 1);
	}
	uint64_t ak[] = { A(&ident[0]), A(&thread_obj[0]), A(&ident[1]), A(&thread_obj[1]) };
	mkdict(&active, &active_k, true, ak, 2);
}

static struct pyread *open_self(void)
{
	struct pyread *r = NULL;

	CHECK(pyread_open(&r, getpid(), &L, 0, -1) == 0);
	return r;
}

/* A fresh fake target (make_target) and a reader on it. */
static struct pyread *open_target(void)
{
	make_target();
	return open_self();
}

static uint64_t failures(struct pyread *r, enum pyread_fail f)
{
	struct pyread_stats st;

	pyread_stats(r, &st);
	return st.fail[f];
}

/* ---- tests ---------------------------------------------------------------------------- */

static void check_basic(struct pyread *r)
{
	struct pyread_thread t[8];
	const struct pyread_code *c;
	size_t n;

	CHECK(pyread_ready(r, PYL_CAP_NAMES, NULL, 0));
	CHECK(pyread_threads(r, t, 8, &n, PYREAD_NAMES | PYREAD_CODE) == 0);
	CHECKF(n == 2, "%zu threads", n);
	if (n != 2)
		return;
	CHECK(t[0].tstate == A(&ts[0]) && t[0].ident == 0x1111 && t[0].tid == (uint32_t)gettid());
	CHECK(t[0].code == A(&code_a));	/* the shim frame above it was skipped */
	CHECKF(t[0].named && !strcmp(t[0].name, "MainThread"), "%s", t[0].name);
	CHECK(t[1].tid == 0 && failures(r, PYR_F_TID) == 1);	/* no such task */
	CHECKF(t[1].named && !strcmp(t[1].name, "worker"), "%s", t[1].name);
	CHECK(t[1].code == 0);
	CHECK(pyread_code(r, A(&code_a), &c) == 0);
	CHECK(!strcmp(c->qualname, "alpha") && !strcmp(c->filename, "fake.py") && c->firstlineno == 10);
	CHECK(c->name_ptr == A(&s_alpha) && c->addr == A(&code_a));
}

static void test_fake_target(void)
{
	struct pyread *r = open_target();

	if (r)
		check_basic(r);
	pyread_close(r);
}

static void test_fake_target_proc_mem(void)
{
	struct pyread *r = open_target();

	if (!r)
		return;
	CHECK(pyread_use_proc_mem(r) == 0);
	check_basic(r);
	pyread_close(r);
}

static void test_bad_pointers(void)
{
	static const uint64_t bad[] = { 0x10, 0x1001 /* low */, 0xffff888000000000ull /* kernel */,
					0x00007ff000000000ull /* unmapped */, 1ull << 60 };
	struct pyread_thread t[8];
	uint64_t code;
	size_t n;

	struct pyread *r = open_target();

	if (!r)
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = failures(r, PYR_F_POINTER);

		ts[1].next = bad[i];
		CHECKF(pyread_threads(r, t, 8, &n, 0) == -EFAULT, "next 0x%llx", (unsigned long long)bad[i]);
		CHECK(failures(r, PYR_F_POINTER) == before + 1);
	}
	ts[1].next = A(&ts[0]) + 1;	/* misaligned */
	CHECK(pyread_threads(r, t, 8, &n, 0) == -EFAULT);
	ts[1].next = 0;
	/* a frame whose code is not a code object: skipped, counted */
	frames[1].code = A(&s_alpha);
	uint64_t before = failures(r, PYR_F_TYPE);
	CHECK(pyread_current_code(r, A(&ts[0]), &code) == 0 && code == 0);
	CHECK(failures(r, PYR_F_TYPE) == before + 1);
	CHECK(pyread_code(r, A(&s_alpha), &(const struct pyread_code *){ 0 }) == -EINVAL);
	/* a code object whose name pointer is garbage */
	frames[1].code = A(&code_a);
	code_a.qualname = 0xdeadbeef;
	CHECK(pyread_code(r, A(&code_a), &(const struct pyread_code *){ 0 }) == -EFAULT);
	pyread_close(r);
}

static void test_cycles(void)
{
	struct pyread_thread t[8];
	uint64_t code;
	size_t n;

	struct pyread *r = open_target();

	if (!r)
		return;
	ts[1].next = A(&ts[0]);	/* 0 -> 1 -> 0 */
	CHECK(pyread_threads(r, t, 8, &n, 0) == -ELOOP && failures(r, PYR_F_BOUND) == 1);
	ts[0].next = A(&ts[0]);	/* 0 -> 0 */
	CHECK(pyread_threads(r, t, 8, &n, 0) == -ELOOP);
	ts[0].next = 0;
	interp.next = A(&interp);	/* an interpreter list that loops */
	CHECK(pyread_threads(r, t, 8, &n, 0) == -ELOOP);
	interp.next = 0;
	/* C entry frames all the way round: 0 -> 1 -> 0 */
	frames[1] = (struct fframe){ .code = 0, .back = A(&frames[0]), .owner = 3 };
	CHECK(pyread_current_code(r, A(&ts[0]), &code) == -ELOOP && code == 0);
	/* a frame that is its own caller */
	frames[0].back = A(&frames[0]);
	CHECK(pyread_current_code(r, A(&ts[0]), &code) == -ELOOP);
	/* more threads than the caller's array */
	ts[0].next = A(&ts[1]);
	ts[1].next = 0;
	CHECK(pyread_threads(r, t, 1, &n, 0) == -E2BIG && n == 1);
	pyread_close(r);
}

/* A str that ends where the readable memory ends, with a huge length. */
static void test_huge_lengths(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct pyread_code *c;

	make_target();
	CHECK(m != MAP_FAILED && mprotect(m + page, (size_t)page, PROT_NONE) == 0);
	struct fstr *s = (struct fstr *)(m + page - offsetof(struct fstr, data) - 8);

	/* only its header and 8 characters are in readable memory */
	s->ob = (struct fobj){ 1, A(&str_type) };
	s->state = 1u << 2 | 1u << 5 | 1u << 6;
	memcpy(s->data, "overflow", 8);
	s->length = INT64_MAX / 2;
	code_a.qualname = A(s);
	struct pyread *r = open_self();

	if (!r)
		return;
	CHECK(pyread_code(r, A(&code_a), &c) == -EFAULT);	/* 1024 chars: into the guard page */
	CHECK(failures(r, PYR_F_READ) >= 1);
	s->length = 8;
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->qualname, "overflow"));
	s->length = -5;
	CHECK(pyread_code(r, A(&code_a), &c) == -EINVAL && failures(r, PYR_F_STRING) >= 1);
	s->length = 3;
	s->state = 3u << 2 | 1u << 5;	/* kind 3 does not exist */
	CHECK(pyread_code(r, A(&code_a), &c) == -EINVAL);
	s->state = 1u << 2;		/* not compact */
	CHECK(pyread_code(r, A(&code_a), &c) == -EINVAL);
	/* a long name is cut, counted, and still valid UTF-8 */
	mkstr(&s_alpha, "");
	s_alpha.length = 2000;
	code_a.qualname = A(&s_alpha);
	CHECK(pyread_code(r, A(&code_a), &c) == -EFAULT || (c && strlen(c->qualname) < PYREAD_NAME_MAX));
	/* huge dict sizes are refused before anything is read by them */
	make_target();
	active_k.nentries = 1ll << 40;
	struct pyread_thread t[8];
	size_t n;
	uint64_t before = failures(r, PYR_F_BOUND);
	CHECK(pyread_threads(r, t, 8, &n, PYREAD_NAMES) == 0 && n == 2 && !t[0].named);
	CHECK(failures(r, PYR_F_BOUND) > before);
	active_k.nentries = 2;
	active_k.log2_index_bytes = 200;
	CHECK(pyread_threads(r, t, 8, &n, PYREAD_NAMES) == 0 && !t[0].named);
	pyread_close(r);
	munmap(m, (size_t)page * 2);
}

/* A code object freed and its address reused must never give the old name. */
static void test_code_reuse(void)
{
	static struct fstr s_beta, s_file2;
	const struct pyread_code *c;
	uint64_t id_alpha, id;

	struct pyread *r = open_target();

	if (!r)
		return;
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->qualname, "alpha"));
	id_alpha = c->id;
	/* unchanged: answered from the cache, same id */
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && c->id == id_alpha);
	struct pyread_stats st;
	pyread_stats(r, &st);
	CHECK(st.cache_hits == 1 && st.cache_misses == 1);
	/* reused by another function with other strs */
	mkstr(&s_beta, "beta");
	mkstr(&s_file2, "other.py");
	code_a = (struct fcode){ { 1, A(&code_type) }, A(&s_beta), A(&s_beta), A(&s_file2), 20, 0 };
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->qualname, "beta") &&
	      !strcmp(c->filename, "other.py") && c->firstlineno == 20 && c->id != id_alpha);
	id = c->id;
	/* the same strs (same addresses) rewritten: the bytes are compared, not only pointers */
	mkstr(&s_beta, "gamma");
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->qualname, "gamma") && c->id != id);
	id = c->id;
	mkstr(&s_beta, "delta");	/* same length, same place */
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->qualname, "delta") && c->id != id);
	id = c->id;
	mkstr(&s_file2, "third.py");
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->filename, "third.py") && c->id != id);
	id = c->id;
	code_a.firstlineno = 21;
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && c->firstlineno == 21 && c->id != id);
	id = c->id;
	/* a new code object of the same function at that address: same names, same id */
	static struct fstr s_delta2;
	mkstr(&s_delta2, "delta");
	code_a.qualname = A(&s_delta2);
	CHECK(pyread_code(r, A(&code_a), &c) == 0 && !strcmp(c->qualname, "delta") && c->id == id);
	/* freed: no longer a code object */
	code_a.ob.type = A(&str_type);
	CHECK(pyread_code(r, A(&code_a), &c) == -EINVAL);
	pyread_stats(r, &st);
	CHECK(st.cache_stale >= 6);
	pyread_close(r);
}

static atomic_bool stop;

/* Rewrites the thread list and frames while the reader walks them. */
static void *mutator(void *arg)
{
	static const uint64_t junk[] = { 0, 0x10, 0xffff888000000000ull, 3 };
	unsigned k = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		k++;
		ts[1].next = k % 3 ? 0 : A(&ts[k % 2]);
		frames[1].back = junk[k % 4];
		frames[0].back = k % 5 ? A(&frames[1]) : A(&frames[0]);
		code_a.qualname = k % 7 ? A(&s_alpha) : junk[k % 4];
		s_alpha.length = k % 11 ? 5 : -1;
	}
	return NULL;
}

static void test_changing_memory(void)
{
	struct pyread_thread t[8];
	const struct pyread_code *c;
	pthread_t th;
	size_t n;
	int ok = 0;

	struct pyread *r = open_target();

	if (!r)
		return;
	atomic_store(&stop, false);
	CHECK(pthread_create(&th, NULL, mutator, NULL) == 0);
	for (int i = 0; i < 3000; i++) {
		int e = pyread_threads(r, t, 8, &n, PYREAD_CODE | PYREAD_NAMES);

		if (pyread_code(r, A(&code_a), &c) == 0) {
			CHECKF(!strcmp(c->qualname, "alpha"), "%s", c->qualname);
			ok++;
		}
		CHECK(e == 0 || e == -ELOOP || e == -EFAULT);
	}
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	CHECK(ok > 0);
	pyread_close(r);
}

/* The process exits between reads: -ESRCH, then no more reading. */
static void test_process_gone(void)
{
	struct pyread_thread t[8];
	struct pyread *r = NULL;
	size_t n;
	int pipefd[2];
	char c;

	make_target();
	CHECK(pipe(pipefd) == 0);
	pid_t pid = fork();

	if (pid == 0) {	/* the same memory, in a process of its own */
		close(pipefd[1]);
		(void)!read(pipefd[0], &c, 1);
		_exit(0);
	}
	close(pipefd[0]);
	ts[0].native_id = (uint64_t)pid;	/* its main thread */
	CHECK(pyread_open(&r, pid, &L, 0, -1) == 0);
	if (!r)
		return;
	/* the child's copy was made before native_id changed: tid stays unknown there */
	CHECK(pyread_threads(r, t, 8, &n, PYREAD_NAMES | PYREAD_CODE) == 0 && n == 2);
	CHECK(t[0].named && !strcmp(t[0].name, "MainThread") && t[0].code == A(&code_a));
	close(pipefd[1]);
	waitpid(pid, NULL, 0);
	CHECK(pyread_threads(r, t, 8, &n, 0) == -ESRCH);
	CHECK(pyread_code(r, A(&code_a), &(const struct pyread_code *){ 0 }) == -ESRCH);
	pyread_close(r);
}

/* An event of the kernel side: code object addr with the fingerprint it
 * had then (or a GS_PYADDR_* value), through the stage. */
static uint64_t stage_func(struct pyrec *py, uint32_t pid, uint8_t type, uint64_t arg1)
{
	struct gs_event e = { .ts_ns = 5, .pid = pid, .tid = pid, .type = type,
			      .flags = GS_F_FUNC, .arg0 = 1, .arg1 = arg1 };
	const struct gs_event *out = NULL;

	CHECK(pyrec_events(py, &e, 1, &out) == 0);
	return out ? out->arg1 : 0;
}

static uint64_t packed(const struct fcode *c)
{
	return gs_pyaddr_pack(A(c), gs_py_fingerprint(c->firstlineno, c->qualname, c->filename));
}

static void test_pyrec_functions(void)
{
	static struct fstr s_beta, s_file2;
	struct trace_func_name f;
	struct pyrec_stats st;
	struct pyrec *py = NULL;
	uint64_t alpha, beta, before, old;
	uint32_t me = (uint32_t)getpid();

	struct pyread *r = open_target();

	if (!r || pyrec_new_reader(&py, r, getpid()))
		return;
	old = packed(&code_a);
	alpha = stage_func(py, me, GS_EV_LOCK_REQUEST, old);
	CHECKF(alpha >= GS_FUNC_FIRST, "id %llu", (unsigned long long)alpha);
	CHECK(trace_names_func(pyrec_names(py), me, alpha, &f) && !strcmp(f.name, "alpha") &&
	      !strcmp(f.file, "fake.py") && f.line == 10);
	/* seen again: the same id, without reading the process */
	pyrec_stats(py, &st);
	before = st.rd.reads;
	CHECK(stage_func(py, me, GS_EV_LOCK_RELEASED, old) == alpha);
	pyrec_stats(py, &st);
	CHECK(st.rd.reads == before);
	/* alpha freed, its address reused by beta: an event that saw beta is
	 * beta's (a new id), one that saw alpha still alpha's (it was there) */
	mkstr(&s_beta, "beta");
	mkstr(&s_file2, "other.py");
	code_a = (struct fcode){ { 1, A(&code_type) }, A(&s_beta), A(&s_beta), A(&s_file2), 20, 0 };
	beta = stage_func(py, me, GS_EV_LOCK_REQUEST, packed(&code_a));
	CHECK(beta >= GS_FUNC_FIRST && beta != alpha);
	CHECK(trace_names_func(pyrec_names(py), me, beta, &f) && !strcmp(f.name, "beta") &&
	      f.line == 20);
	CHECK(trace_names_func(pyrec_names(py), me, alpha, &f) && !strcmp(f.name, "alpha"));
	/* the delay race: an event that saw alpha, read once beta is there and
	 * alpha is no longer known: "?", never beta's name nor a stale one */
	pyrec_free(py);
	r = open_target();
	if (!r || pyrec_new_reader(&py, r, getpid()))
		return;
	code_a = (struct fcode){ { 1, A(&code_type) }, A(&s_beta), A(&s_beta), A(&s_file2), 20, 0 };
	CHECK(stage_func(py, me, GS_EV_LOCK_REQUEST, old) == GS_FUNC_UNKNOWN);
	CHECK(stage_func(py, me, GS_EV_LOCK_REQUEST, packed(&code_a)) >= GS_FUNC_FIRST);
	CHECK(stage_func(py, me, GS_EV_LOCK_RELEASED, old) == GS_FUNC_UNKNOWN);
	/* no frame, a failed read, another process, a freed object */
	CHECK(stage_func(py, me, GS_EV_LOCK_RELEASED, GS_PYADDR_NONE) == GS_FUNC_NONE);
	CHECK(stage_func(py, me, GS_EV_LOCK_RELEASED, GS_PYADDR_FAULT) == GS_FUNC_UNKNOWN);
	CHECK(stage_func(py, me + 1, GS_EV_LOCK_REQUEST, packed(&code_a)) == GS_FUNC_UNKNOWN);
	code_a.ob.type = A(&str_type);
	CHECK(stage_func(py, me, GS_EV_LOCK_REQUEST, gs_pyaddr_pack(A(&code_a), 1)) == GS_FUNC_UNKNOWN);
	/* an event without the flag goes through as it is */
	struct gs_event e = { .pid = me, .tid = me, .type = GS_EV_LOCK_RELEASED, .arg0 = 1,
			      .arg1 = 12345 };
	const struct gs_event *out = NULL;

	CHECK(pyrec_events(py, &e, 1, &out) == 0 && out && out->arg1 == 12345 && !out->flags);
	pyrec_stats(py, &st);
	CHECKF(st.events == 7 && st.unknown == 5 && st.mismatch == 2 && st.fault == 1 &&
	       st.other_pid == 1 && st.unread == 1 && st.no_code == 1 && st.funcs == 1,
	       "events %llu unknown %llu mismatch %llu fault %llu other %llu unread %llu",
	       (unsigned long long)st.events, (unsigned long long)st.unknown,
	       (unsigned long long)st.mismatch, (unsigned long long)st.fault,
	       (unsigned long long)st.other_pid, (unsigned long long)st.unread);
	pyrec_free(py);
}

/* One event through the stage: what it became. */
static struct gs_event stage_one(struct pyrec *py, uint32_t pid, uint32_t tid, uint8_t type,
				 uint8_t flags, uint64_t arg1)
{
	struct gs_event e = { .ts_ns = 5, .pid = pid, .tid = tid, .type = type, .flags = flags,
			      .arg0 = 1, .arg1 = arg1 };
	const struct gs_event *out = NULL;

	CHECK(pyrec_events(py, &e, 1, &out) == 0 && out);
	return out ? *out : e;
}

/* The function of a request (the kernel side reads none at a take): its
 * thread's release before it; a new thread's first: no Python code; no
 * release since its last request, or one that was "?": "?"; a thread that
 * ran before the recording (-p): "?" until its first release. */
static uint64_t asks(struct pyrec *py, uint32_t pid, uint32_t tid)
{
	struct gs_event e = stage_one(py, pid, tid, GS_EV_LOCK_REQUEST, 0, 0);

	CHECK(e.flags == GS_F_FUNC);
	return e.arg1;
}

static void test_pyrec_requests(void)
{
	struct pyrec_stats st;
	struct pyrec *py = NULL;
	uint32_t me = (uint32_t)getpid(), t = me + 100000, old = (uint32_t)gettid();
	uint64_t alpha;

	struct pyread *r = open_target();

	if (!r || pyrec_new_reader(&py, r, getpid()))
		return;
	CHECK(asks(py, me, t) == GS_FUNC_NONE);
	alpha = stage_one(py, me, t, GS_EV_LOCK_RELEASED, GS_F_FUNC, packed(&code_a)).arg1;
	CHECK(alpha >= GS_FUNC_FIRST);
	CHECK(asks(py, me, t) == alpha);
	CHECK(asks(py, me, t) == GS_FUNC_UNKNOWN);	/* its release was lost */
	CHECK(stage_one(py, me, t, GS_EV_LOCK_RELEASED, GS_F_FUNC, GS_PYADDR_FAULT).arg1 ==
	      GS_FUNC_UNKNOWN);
	CHECK(asks(py, me, t) == GS_FUNC_UNKNOWN);
	CHECK(stage_one(py, me, t, GS_EV_LOCK_RELEASED, GS_F_FUNC, GS_PYADDR_NONE).arg1 ==
	      GS_FUNC_NONE);
	CHECK(asks(py, me, t) == GS_FUNC_NONE);
	stage_one(py, me, t, GS_EV_PROC_EXIT, GS_F_TRACED, 0);
	CHECK(asks(py, me, t) == GS_FUNC_NONE);		/* its tid, a new thread's */
	CHECK(asks(py, me + 1, t) == GS_FUNC_UNKNOWN);	/* another process */
	/* a request the kernel side gave a function keeps it */
	CHECK(stage_one(py, me, t, GS_EV_LOCK_REQUEST, GS_F_FUNC, packed(&code_a)).arg1 == alpha);
	pyrec_stats(py, &st);
	CHECKF(st.events == 11 && st.unknown == 4 && st.take_unknown == 2 && st.fault == 1 &&
	       st.other_pid == 1 && st.no_code == 4,
	       "events %llu unknown %llu take_unknown %llu no_code %llu",
	       (unsigned long long)st.events, (unsigned long long)st.unknown,
	       (unsigned long long)st.take_unknown, (unsigned long long)st.no_code);
	pyrec_free(py);

	/* -p: a thread there when the recording began ran Python code before */
	r = open_target();
	if (!r || pyrec_new_reader(&py, r, getpid()))
		return;
	pyrec_open_proc(py, getpid(), true);
	CHECK(pyrec_begin(py, NULL, getpid(), 1000) == 0);
	CHECK(asks(py, me, old) == GS_FUNC_UNKNOWN);
	CHECK(asks(py, me, t) == GS_FUNC_NONE);
	alpha = stage_one(py, me, old, GS_EV_LOCK_RELEASED, GS_F_FUNC, packed(&code_a)).arg1;
	CHECK(alpha >= GS_FUNC_FIRST && asks(py, me, old) == alpha);
	pyrec_free(py);
}

/* Thread names: learnt at the start, written once, and again when renamed. */
static void test_pyrec_names(void)
{
	struct trace_thread_name t;
	struct pyrec_stats st;
	struct pyrec *py = NULL;
	uint32_t me = (uint32_t)getpid(), tid = (uint32_t)gettid();

	struct pyread *r = open_target();

	if (!r || pyrec_new_reader(&py, r, getpid()))
		return;
	CHECK(pyrec_begin(py, NULL, getpid(), 1000) == 0);
	CHECK(trace_names_thread(pyrec_names(py), me, tid, &t) && !strcmp(t.name, "MainThread"));
	CHECK(pyrec_poll(py, 2000) == 0);	/* nothing new: nothing written */
	pyrec_stats(py, &st);
	CHECK(st.names == 1 && st.threads == 1);
	mkstr(&s_main, "renamed");
	CHECK(pyrec_poll(py, 3000) == 0);	/* within a second: not looked at yet */
	CHECK(trace_names_thread(pyrec_names(py), me, tid, &t) && !strcmp(t.name, "MainThread"));
	CHECK(pyrec_poll(py, 1000 + PYREC_RENAME_NS) == 0);
	CHECK(trace_names_thread(pyrec_names(py), me, tid, &t) && !strcmp(t.name, "renamed"));
	pyrec_stats(py, &st);
	CHECK(st.names == 2 && st.threads == 1);
	pyrec_free(py);
}

int main(void)
{
	RUN(test_fake_target);
	RUN(test_fake_target_proc_mem);
	RUN(test_bad_pointers);
	RUN(test_cycles);
	RUN(test_huge_lengths);
	RUN(test_code_reuse);
	RUN(test_changing_memory);
	RUN(test_process_gone);
	RUN(test_pyrec_functions);
	RUN(test_pyrec_requests);
	RUN(test_pyrec_names);
	return check_done();
}
