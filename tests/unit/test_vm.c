/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_vm.c - the gilrt interpreter and assembler: programs compute known
 * results, reference counts balance to zero, bad programs are refused with
 * a line number, runtime errors are reported and leak nothing, and the
 * eval breaker lets another thread take the lock from a spinning loop.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include "asm.h"
#include "check.h"
#include "gil.h"
#include "scenario_vm.h"
#include "vm.h"

struct prog_vm {
	struct rt_program *prog;
	struct rt_vm *vm;
	struct rt_ctx *ctx;
	char err[200];
};

static int seen_suspends;

static int bi_double(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	(void)argc;
	if (!rt_is_int(args[0]))
		return rt_ctx_set_error(ctx, -EINVAL, "double: not an int");
	*result = rt_int_val(rt_int(args[0]) * 2);
	return 0;
}

static int bi_pause(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	(void)ctx;
	(void)args;
	(void)argc;
	seen_suspends++;
	*result = rt_int_val(-1);
	return RT_SUSPEND;
}

static const struct rt_builtin test_builtins[] = {
	{ "double", 1, bi_double },
	{ "pause", 0, bi_pause },
};

/* Assemble and bind text; 0 or the failing step's errno (message in pv->err). */
static int load(struct prog_vm *pv, const char *text, struct gil *gil)
{
	int rc;

	memset(pv, 0, sizeof(*pv));
	rc = rt_asm(text, &pv->prog, pv->err, sizeof(pv->err));
	if (rc)
		return rc;
	rc = rt_vm_create(&pv->vm, pv->prog, test_builtins, 2, gil, pv->err, sizeof(pv->err));
	if (rc)
		return rc;
	return rt_ctx_create(&pv->ctx, pv->vm, NULL, NULL);
}

static void unload(struct prog_vm *pv)
{
	rt_ctx_destroy(pv->ctx);
	rt_vm_destroy(pv->vm);
	rt_prog_destroy(pv->prog);
}

/* Run NAME(args) in a fresh vm; the int result, or INT64_MIN on error. */
static int64_t run_int(const char *text, const char *name, const int64_t *args, int argc)
{
	struct prog_vm pv;
	rt_val res = RT_NONE;
	int64_t out = INT64_MIN;

	if (load(&pv, text, NULL) == 0 && rt_ctx_call(pv.ctx, name, args, argc, &res) == 0 &&
	    rt_is_int(res))
		out = rt_int(res);
	else
		printf("#   %s: %s%s\n", name, pv.err, pv.ctx ? rt_ctx_error(pv.ctx) : "");
	rt_decref(res);
	unload(&pv);
	return out;
}

static const char arith_src[] =
	"; sum(n) = 0 + 1 + ... + n-1\n"
	"func sum 1 3\n"
	"	push 0\n"
	"	store 1\n"
	"	push 0\n"
	"	store 2\n"
	"top:	\n"
	"	load 2\n"
	"	load 0\n"
	"	lt\n"
	"	jf done\n"
	"	load 1\n"
	"	load 2\n"
	"	add\n"
	"	store 1\n"
	"	load 2\n"
	"	push 1\n"
	"	add\n"
	"	store 2\n"
	"	jmp top\n"
	"done:\n"
	"	load 1\n"
	"	ret\n"
	"end\n"
	"; fact(n), recursive, calling a function defined later\n"
	"func fact 1 1\n"
	"	load 0\n"
	"	push 2\n"
	"	lt\n"
	"	jt base\n"
	"	load 0\n"
	"	load 0\n"
	"	push 1\n"
	"	sub\n"
	"	call fact2 1\n"
	"	mul\n"
	"	ret\n"
	"base:\n"
	"	push 1\n"
	"	ret\n"
	"end\n"
	"func fact2 1 1\n"
	"	load 0\n"
	"	call fact 1\n"
	"	ret\n"
	"end\n"
	"; mixed(a, b) = (a*b - a/b) % 1000 + (a >= b) + (a != b) + double(a) + not(0)\n"
	"func mixed 2 2\n"
	"	load 0\n"
	"	load 1\n"
	"	mul\n"
	"	load 0\n"
	"	load 1\n"
	"	div\n"
	"	sub\n"
	"	push 1000\n"
	"	mod\n"
	"	load 0\n"
	"	load 1\n"
	"	ge\n"
	"	add\n"
	"	load 0\n"
	"	load 1\n"
	"	ne\n"
	"	add\n"
	"	load 0\n"
	"	bcall double 1\n"
	"	add\n"
	"	push 0\n"
	"	not\n"
	"	add\n"
	"	ret\n"
	"end\n"
	"; swap/dup/pop/none: (a - b) via swap, dup then pop\n"
	"func stackops 2 2\n"
	"	load 1\n"
	"	load 0\n"
	"	swap\n"
	"	sub\n"
	"	dup\n"
	"	pop\n"
	"	none\n"
	"	pop\n"
	"	ret\n"
	"end\n";

static void test_vm_arith(void)
{
	int64_t a[2];

	a[0] = 100000;
	CHECK(run_int(arith_src, "sum", a, 1) == 4999950000ll);
	a[0] = 20;
	CHECK(run_int(arith_src, "fact", a, 1) == 2432902008176640000ll);
	a[0] = 1234;
	a[1] = 7;
	/* (8638 - 176) % 1000 = 462; +1 +1 +2468 +1 */
	CHECK(run_int(arith_src, "mixed", a, 2) == 462 + 1 + 1 + 2468 + 1);
	a[0] = -7;
	a[1] = 2;
	/* C semantics: -14 - (-3) = -11; -11 % 1000 = -11; +0 +1 -14 +1 */
	CHECK(run_int(arith_src, "mixed", a, 2) == -11 + 0 + 1 - 14 + 1);
	a[0] = 5;
	a[1] = 9;
	CHECK(run_int(arith_src, "stackops", a, 2) == -4);
}

/* The scenarios' work(n) must compute what its comment says. */
static void test_vm_scenario_work(void)
{
	struct rt_program *prog = NULL;
	struct rt_vm *vm = NULL;
	struct rt_ctx *ctx = NULL;
	char err[200] = "";
	int64_t n = 50000, acc = 0;
	rt_val res = RT_NONE;

	CHECKF(scenario_vm(&prog, &vm, NULL, err, sizeof(err)) == 0, "%s", err);
	if (vm && rt_ctx_create(&ctx, vm, NULL, NULL) == 0) {
		CHECK(rt_ctx_call(ctx, "work", &n, 1, &res) == 0);
		for (int64_t i = 0; i < n; i++)
			acc = (acc + i * i % 7) % 1000003;
		CHECKF(rt_is_int(res) && rt_int(res) == acc, "got %lld want %lld",
		       (long long)rt_int(res), (long long)acc);
		CHECK(rt_ctx_ticks(ctx) > (uint64_t)n * 10);
	}
	rt_ctx_destroy(ctx);
	rt_vm_destroy(vm);
	rt_prog_destroy(prog);
}

static const char list_src[] =
	"global keep\n"
	"; build [0, 1, ..., n-1] plus nested lists, keep one in a global, sum the rest\n"
	"func lists 1 4\n"
	"	lnew\n"
	"	store 1\n"
	"	push 0\n"
	"	store 2\n"
	"fill:\n"
	"	load 2\n"
	"	load 0\n"
	"	lt\n"
	"	jf filled\n"
	"	load 1\n"
	"	load 2\n"
	"	lappend\n"
	"	lnew			; a nested list per item, dropped at once\n"
	"	dup\n"
	"	load 1\n"
	"	lappend			; inner holds the outer: a reference, not a cycle we keep\n"
	"	pop\n"
	"	load 2\n"
	"	push 1\n"
	"	add\n"
	"	store 2\n"
	"	jmp fill\n"
	"filled:\n"
	"	load 1\n"
	"	gstore keep\n"
	"	load 1\n"
	"	push 3\n"
	"	push 100\n"
	"	lset			; l[3] = 100\n"
	"	push 0\n"
	"	store 3\n"
	"	push 0\n"
	"	store 2\n"
	"sum:\n"
	"	load 2\n"
	"	load 1\n"
	"	len\n"
	"	lt\n"
	"	jf out\n"
	"	load 3\n"
	"	load 1\n"
	"	load 2\n"
	"	lget\n"
	"	add\n"
	"	store 3\n"
	"	load 2\n"
	"	push 1\n"
	"	add\n"
	"	store 2\n"
	"	jmp sum\n"
	"out:\n"
	"	load 3\n"
	"	ret\n"
	"end\n"
	"; a list returned to C\n"
	"func mklist 0 0\n"
	"	lnew\n"
	"	dup\n"
	"	lnew\n"
	"	lappend\n"
	"	ret\n"
	"end\n";

static void test_vm_refcounts_balance(void)
{
	long before = rt_obj_live();
	struct prog_vm pv;
	int64_t n = 1000;
	rt_val res = RT_NONE;

	CHECKF(load(&pv, list_src, NULL) == 0, "%s", pv.err);
	if (pv.ctx) {
		CHECK(rt_ctx_call(pv.ctx, "lists", &n, 1, &res) == 0);
		/* sum 0..999 with l[3] = 100 */
		CHECK(rt_is_int(res) && rt_int(res) == 499500 - 3 + 100);
		/* the global keeps the list alive: exactly one object left */
		CHECKF(rt_obj_live() == before + 1, "live %ld", rt_obj_live() - before);
		CHECK(rt_obj(rt_vm_global(pv.vm, 0))->refcnt == 1);
		CHECK(rt_ctx_call(pv.ctx, "mklist", NULL, 0, &res) == 0);
		CHECK(rt_kind_of(res) == RT_KIND_LIST && rt_obj(res)->refcnt == 1);
		CHECK(rt_list_len(res) == 1);
		rt_decref(res);
	}
	unload(&pv);
	CHECKF(rt_obj_live() == before, "%ld objects leaked", rt_obj_live() - before);
}

static void expect_asm_error(const char *src, const char *what)
{
	struct rt_program *p = NULL;
	char err[200] = "";

	CHECKF(rt_asm(src, &p, err, sizeof(err)) == -EINVAL && !p, "accepted: %s", src);
	CHECKF(strstr(err, what) != NULL, "error '%s' lacks '%s'", err, what);
	rt_prog_destroy(p);
}

static void test_asm_errors(void)
{
	expect_asm_error("func f 0 0\n\tfrobnicate\nend\n", "line 2: unknown instruction");
	expect_asm_error("func f 0 0\n\tjmp nowhere\nend\n", "line 2: unknown label 'nowhere'");
	expect_asm_error("func f 0 0\n\tcall g 0\n\tret\nend\n", "line 2: unknown function 'g'");
	expect_asm_error("func f 0 0\n\tpush 1\n", "has no end");
	expect_asm_error("func f 0 0\n\tpush\nend\n", "line 2: push takes 1 operand");
	expect_asm_error("func f 0 0\n\tpush 12x\nend\n", "bad number");
	expect_asm_error("func f 0 0\n\tpush 99999999999999999999\nend\n", "bad number");
	expect_asm_error("\n\npush 1\n", "line 3: 'push' outside a function");
	expect_asm_error("func f 2 1\nend\n", "line 1: bad function header");
	expect_asm_error("func f 0 0\nend\nfunc f 0 0\nend\n", "line 3: function 'f' defined twice");
	expect_asm_error("func f 0 0\na:\na:\nend\n", "label 'a' defined twice");
	expect_asm_error("func f 0 0\n\tbcall x 1 2\nend\n", "bcall takes 2 operand");
}

static void expect_verify_error(const char *src, const char *what)
{
	struct prog_vm pv;

	CHECKF(load(&pv, src, NULL) == -EINVAL, "verified: %s", src);
	CHECKF(strstr(pv.err, what) != NULL, "error '%s' lacks '%s'", pv.err, what);
	unload(&pv);
}

static void test_vm_verifier(void)
{
	expect_verify_error("func f 0 0\n\tpush 1\nend\n", "falls off the end");
	expect_verify_error("func f 0 0\n\tadd\n\tret\nend\n", "add needs 2 values");
	expect_verify_error("func f 0 1\n\tload 1\n\tret\nend\n", "local 1 out of range");
	expect_verify_error("func f 1 1\n\tload 0\n\tjf a\n\tpush 1\na:\n\tpush 2\n\tret\nend\n",
			    "stack depth");
	expect_verify_error("func f 0 0\n\tbcall nosuch 0\n\tret\nend\n", "unknown builtin 'nosuch'");
	expect_verify_error("func f 0 0\n\tbcall double 0\n\tret\nend\n", "takes 1 arguments");
	expect_verify_error("func f 0 0\n\tcall g 2\n\tret\nend\nfunc g 1 1\n\tpush 0\n\tret\nend\n",
			    "g takes 1 arguments, not 2");
}

static void expect_run_error(const char *src, int want, const char *what)
{
	long before = rt_obj_live();
	struct prog_vm pv;
	rt_val res = RT_NONE;

	CHECKF(load(&pv, src, NULL) == 0, "%s", pv.err);
	if (pv.ctx) {
		int rc = rt_ctx_call(pv.ctx, "f", NULL, 0, &res);

		CHECKF(rc == want, "rc %d want %d", rc, want);
		CHECKF(strstr(rt_ctx_error(pv.ctx), what), "error '%s' lacks '%s'",
		       rt_ctx_error(pv.ctx), what);
		/* a dead context refuses to go on */
		CHECK(rt_ctx_run(pv.ctx, &res) == -EINVAL);
	}
	unload(&pv);
	CHECKF(rt_obj_live() == before, "%ld objects leaked", rt_obj_live() - before);
}

static void test_vm_runtime_errors(void)
{
	expect_run_error("func f 0 0\n\tlnew\n\tpush 1\n\tadd\n\tret\nend\n", -EINVAL,
			 "add needs ints, got list and int");
	expect_run_error("func f 0 0\n\tpush 1\n\tpush 0\n\tdiv\n\tret\nend\n", -EINVAL,
			 "division by zero");
	expect_run_error("func f 0 0\n\tlnew\n\tlnew\n\tpush 0\n\tlget\n\tret\nend\n", -EINVAL,
			 "index 0 out of range");
	expect_run_error("func f 0 0\n\tlnew\n\tpush 5\n\tbcall double 1\n\tlnew\n\tbcall double 1\n\tret\nend\n",
			 -EINVAL, "double: not an int");
	expect_run_error("func f 0 2\n\tlnew\n\tstore 0\n\tcall f 0\n\tret\nend\n", -E2BIG,
			 "stack overflow");
}

static void test_vm_suspend_resume(void)
{
	struct prog_vm pv;
	rt_val res = RT_NONE;
	int f;

	CHECKF(load(&pv, "func f 0 0\n\tbcall pause 0\n\tbcall pause 0\n\tadd\n\tret\nend\n", NULL) == 0,
	       "%s", pv.err);
	if (!pv.ctx)
		return;
	f = rt_prog_find_func(pv.prog, "f");
	seen_suspends = 0;
	CHECK(rt_ctx_start(pv.ctx, f, NULL, 0) == 0);
	CHECK(rt_ctx_run(pv.ctx, &res) == RT_SUSPEND && seen_suspends == 1);
	CHECK(rt_ctx_resume(pv.ctx, rt_int_val(40), &res) == RT_SUSPEND && seen_suspends == 2);
	CHECK(rt_ctx_resume(pv.ctx, rt_int_val(2), &res) == 0);
	CHECK(rt_is_int(res) && rt_int(res) == 42);
	unload(&pv);
}

/* A C-built program: the builder API without the assembler. */
static void test_vm_builder(void)
{
	struct rt_program *p = rt_prog_new();
	struct rt_vm *vm = NULL;
	struct rt_ctx *ctx = NULL;
	rt_val res = RT_NONE;
	int f = rt_prog_func(p, "answer", 0, 0);

	CHECK(f == 0);
	CHECK(rt_prog_emit(p, f, RT_OP_PUSH, 6, 0) == 0);
	CHECK(rt_prog_emit(p, f, RT_OP_PUSH, 7, 0) == 1);
	CHECK(rt_prog_emit(p, f, RT_OP_MUL, 0, 0) == 2);
	CHECK(rt_prog_emit(p, f, RT_OP_RET, 0, 0) == 3);
	CHECK(rt_prog_func(p, "answer", 0, 0) == -EEXIST);
	CHECK(rt_vm_create(&vm, p, NULL, 0, NULL, NULL, 0) == 0);
	if (vm && rt_ctx_create(&ctx, vm, NULL, NULL) == 0)
		CHECK(rt_ctx_call(ctx, "answer", NULL, 0, &res) == 0 && rt_int(res) == 42);
	rt_ctx_destroy(ctx);
	rt_vm_destroy(vm);
	rt_prog_destroy(p);
}

/*
 * The eval breaker: a thread spins in bytecode until a global is set; only
 * a thread that gets the lock can set it, and it can only get it if the
 * spinner drops the lock at a back-edge when asked. A broken breaker hangs:
 * the alarm turns that into a failure.
 */
struct spin {
	struct rt_vm *vm;
	struct gil *gil;
	int rc;
	uint64_t ticks;
};

static void *spinner(void *arg)
{
	struct spin *s = arg;
	struct gil_thread gt;
	struct rt_ctx *ctx;
	rt_val res = RT_NONE;

	gil_thread_init(&gt);
	gil_take(s->gil, &gt);
	s->rc = rt_ctx_create(&ctx, s->vm, &gt, NULL);
	if (!s->rc) {
		s->rc = rt_ctx_call(ctx, "spin", NULL, 0, &res);
		s->ticks = rt_ctx_ticks(ctx);
		rt_ctx_destroy(ctx);
	}
	gil_drop(s->gil, &gt);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "not ok test_vm_eval_breaker: hung (drop request never honoured)\n";

	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

static void test_vm_eval_breaker(void)
{
	static const enum gil_policy policies[] = { GIL_NEW, GIL_FIFO, GIL_LEGACY };

	signal(SIGALRM, on_alarm);
	for (unsigned i = 0; i < 3; i++) {
		struct prog_vm pv;
		struct spin s = { 0 };
		struct gil_thread me;
		pthread_t th;

		CHECK(gil_create(&s.gil, policies[i], 200) == 0);
		CHECKF(load(&pv, "global stop\nfunc spin 0 0\nloop:\n\tgload stop\n\tjf loop\n"
				 "\tpush 7\n\tret\nend\n", s.gil) == 0, "%s", pv.err);
		s.vm = pv.vm;
		rt_vm_set_global(pv.vm, 0, rt_int_val(0));
		alarm(20);
		gil_thread_init(&me);
		pthread_create(&th, NULL, spinner, &s);
		/* wait until the spinner holds the lock, then ask for it */
		while (!__atomic_load_n(&s.ticks, __ATOMIC_RELAXED) && gil_switches(s.gil) == 0)
			sched_yield();
		gil_take(s.gil, &me);
		rt_vm_set_global(pv.vm, 0, rt_int_val(1));
		gil_drop(s.gil, &me);
		pthread_join(th, NULL);
		alarm(0);
		CHECKF(s.rc == 0, "policy %s: rc %d", gil_policy_name(policies[i]), s.rc);
		CHECK(me.stats.acquisitions == 1);
		unload(&pv);
		gil_destroy(s.gil);
	}
}

int main(void)
{
	RUN(test_vm_arith);
	RUN(test_vm_scenario_work);
	RUN(test_vm_refcounts_balance);
	RUN(test_asm_errors);
	RUN(test_vm_verifier);
	RUN(test_vm_runtime_errors);
	RUN(test_vm_suspend_resume);
	RUN(test_vm_builder);
	RUN(test_vm_eval_breaker);
	return check_done();
}
