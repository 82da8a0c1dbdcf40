/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * vm.c - see vm.h. The program is verified once (rt_vm_create) so that the
 * eval loop needs no bounds checks but one per call: locals, globals and
 * targets are in range, and each function's operand depth is known, so a
 * call checks that the whole callee frame fits on the stack.
 *
 * Long file: the verifier and the eval loop share every opcode's rules (what
 * it pops, pushes and may jump to); kept side by side so they cannot drift.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gil.h"
#include "rt_util.h"
#include "vm.h"

#define RT_STACK_VALUES 16384
#define RT_MAX_FRAMES 512

struct op_info {
	const char *name;
	int8_t pops;	/* -1: b (CALL/BCALL) */
	int8_t pushes;
};

static const struct op_info op_info[RT_OP__COUNT] = {
	[RT_OP_NOP] = { "nop", 0, 0 },		[RT_OP_PUSH] = { "push", 0, 1 },
	[RT_OP_NONE] = { "none", 0, 1 },	[RT_OP_POP] = { "pop", 1, 0 },
	[RT_OP_DUP] = { "dup", 1, 2 },		[RT_OP_SWAP] = { "swap", 2, 2 },
	[RT_OP_LOAD] = { "load", 0, 1 },	[RT_OP_STORE] = { "store", 1, 0 },
	[RT_OP_GLOAD] = { "gload", 0, 1 },	[RT_OP_GSTORE] = { "gstore", 1, 0 },
	[RT_OP_ADD] = { "add", 2, 1 },		[RT_OP_SUB] = { "sub", 2, 1 },
	[RT_OP_MUL] = { "mul", 2, 1 },		[RT_OP_DIV] = { "div", 2, 1 },
	[RT_OP_MOD] = { "mod", 2, 1 },		[RT_OP_LT] = { "lt", 2, 1 },
	[RT_OP_LE] = { "le", 2, 1 },		[RT_OP_GT] = { "gt", 2, 1 },
	[RT_OP_GE] = { "ge", 2, 1 },		[RT_OP_EQ] = { "eq", 2, 1 },
	[RT_OP_NE] = { "ne", 2, 1 },		[RT_OP_NOT] = { "not", 1, 1 },
	[RT_OP_JMP] = { "jmp", 0, 0 },		[RT_OP_JF] = { "jf", 1, 0 },
	[RT_OP_JT] = { "jt", 1, 0 },		[RT_OP_CALL] = { "call", -1, 1 },
	[RT_OP_BCALL] = { "bcall", -1, 1 },	[RT_OP_RET] = { "ret", 1, 0 },
	[RT_OP_LNEW] = { "lnew", 0, 1 },	[RT_OP_LAPPEND] = { "lappend", 2, 0 },
	[RT_OP_LGET] = { "lget", 2, 1 },	[RT_OP_LSET] = { "lset", 3, 0 },
	[RT_OP_LEN] = { "len", 1, 1 },
};

const char *rt_op_name(enum rt_op op)
{
	return (unsigned)op < RT_OP__COUNT ? op_info[op].name : "?";
}

int rt_op_lookup(const char *name)
{
	for (int i = 0; i < RT_OP__COUNT; i++)
		if (strcmp(op_info[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- program builder ----------------------------------------------------- */

struct rt_program *rt_prog_new(void)
{
	return calloc(1, sizeof(struct rt_program));
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void rt_prog_destroy(struct rt_program *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfuncs; i++) {
		free(p->funcs[i].name);
		free(p->funcs[i].code);
	}
	free(p->funcs);
	free_names(p->globals, p->nglobals);
	free_names(p->builtins, p->nbuiltins);
	free(p);
}

int rt_prog_find_func(const struct rt_program *p, const char *name)
{
	for (size_t i = 0; i < p->nfuncs; i++)
		if (strcmp(p->funcs[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int rt_prog_func(struct rt_program *p, const char *name, int nargs, int nlocals)
{
	struct rt_func *funcs;

	if (nargs < 0 || nlocals < nargs || nlocals > 1024 || !*name)
		return -EINVAL;
	if (rt_prog_find_func(p, name) >= 0)
		return -EEXIST;
	funcs = realloc(p->funcs, (p->nfuncs + 1) * sizeof(*funcs));
	if (!funcs)
		return -ENOMEM;
	p->funcs = funcs;
	funcs[p->nfuncs] = (struct rt_func){ .name = strdup(name), .nargs = nargs, .nlocals = nlocals };
	if (!funcs[p->nfuncs].name)
		return -ENOMEM;
	return (int)p->nfuncs++;
}

int rt_prog_emit(struct rt_program *p, int func, enum rt_op op, int64_t a, int32_t b)
{
	struct rt_insn *code;
	struct rt_func *f;

	if (func < 0 || (size_t)func >= p->nfuncs || (unsigned)op >= RT_OP__COUNT)
		return -EINVAL;
	f = &p->funcs[func];
	code = rt_grow(f->code, &f->cap, f->ncode, sizeof(*code), 16);
	if (!code)
		return -ENOMEM;
	f->code = code;
	f->code[f->ncode] = (struct rt_insn){ .op = op, .a = a, .b = b };
	return (int)f->ncode++;
}

static int name_index(char ***names, size_t *n, const char *name)
{
	char **v;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return (int)i;
	v = realloc(*names, (*n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*names = v;
	v[*n] = strdup(name);
	if (!v[*n])
		return -ENOMEM;
	return (int)(*n)++;
}

int rt_prog_global(struct rt_program *p, const char *name)
{
	return name_index(&p->globals, &p->nglobals, name);
}

int rt_prog_builtin(struct rt_program *p, const char *name)
{
	return name_index(&p->builtins, &p->nbuiltins, name);
}

/* ---- interpreter ----------------------------------------------------------- */

struct rt_vm {
	const struct rt_program *prog;	/* borrowed */
	const struct rt_builtin **builtins;	/* resolved, by program index */
	int *max_stack;			/* per function, from verification */
	rt_val *globals;		/* each owns a reference */
	struct gil *gil;		/* borrowed, may be NULL */
};

struct rt_frame {
	const struct rt_func *func;
	size_t pc;		/* next instruction (saved while not on top) */
	size_t bp;		/* index of locals[0] in the value stack */
};

struct rt_ctx {
	struct rt_vm *vm;
	struct gil_thread *gt;		/* may be NULL */
	void *user;			/* the caller's, for builtins */
	const int *breaker;		/* the lock's eval breaker (or a constant 0) */
	int legacy;			/* lock policy legacy: tick-driven release */
	uint64_t ticks;			/* instructions executed */
	uint64_t next_tick;		/* legacy: next periodic release */
	rt_val *sp;			/* next free slot */
	int nframes;
	int dead;			/* an error happened; only destroy is allowed */
	char err[160];
	struct rt_frame frames[RT_MAX_FRAMES];
	rt_val stack[RT_STACK_VALUES];
};

static const int no_breaker;

static int verr(char *err, size_t len, const struct rt_func *f, size_t pc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int verr(char *err, size_t len, const struct rt_func *f, size_t pc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err && len) {
		if (f)
			n = snprintf(err, len, "%s+%zu: ", f->name, pc);
		if (n >= 0 && (size_t)n < len) {
			va_start(ap, fmt);
			vsnprintf(err + n, len - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* Check one function: indices, targets, and a consistent operand depth at every pc. */
static int verify_func(struct rt_vm *vm, const struct rt_func *f, int *max_out, char *err, size_t len)
{
	const struct rt_program *p = vm->prog;
	int *depth, *work, nwork = 0, max = 0, rc = 0;

	if (f->ncode == 0)
		return verr(err, len, f, 0, "empty function");
	depth = malloc(f->ncode * sizeof(*depth));
	work = malloc(f->ncode * sizeof(*work));
	if (!depth || !work) {
		free(depth);
		free(work);
		return -ENOMEM;
	}
	for (size_t i = 0; i < f->ncode; i++)
		depth[i] = -1;
	depth[0] = 0;
	work[nwork++] = 0;
	while (nwork && !rc) {
		size_t pc = (size_t)work[--nwork];
		const struct rt_insn *in = &f->code[pc];
		int pops, d = depth[pc], nd, succ[2], nsucc = 0;

		if (in->op < 0 || in->op >= RT_OP__COUNT) {
			rc = verr(err, len, f, pc, "bad opcode %d", in->op);
			break;
		}
		pops = op_info[in->op].pops < 0 ? in->b : op_info[in->op].pops;
		switch (in->op) {
		case RT_OP_LOAD:
		case RT_OP_STORE:
			if (in->a < 0 || in->a >= f->nlocals)
				rc = verr(err, len, f, pc, "local %lld out of range", (long long)in->a);
			break;
		case RT_OP_GLOAD:
		case RT_OP_GSTORE:
			if (in->a < 0 || (size_t)in->a >= p->nglobals)
				rc = verr(err, len, f, pc, "global %lld out of range", (long long)in->a);
			break;
		case RT_OP_CALL:
			if (in->a < 0 || (size_t)in->a >= p->nfuncs)
				rc = verr(err, len, f, pc, "no function %lld", (long long)in->a);
			else if (in->b != p->funcs[in->a].nargs)
				rc = verr(err, len, f, pc, "%s takes %d arguments, not %d",
					  p->funcs[in->a].name, p->funcs[in->a].nargs, in->b);
			break;
		case RT_OP_BCALL:
			if (in->a < 0 || (size_t)in->a >= p->nbuiltins)
				rc = verr(err, len, f, pc, "no builtin %lld", (long long)in->a);
			else if (in->b != vm->builtins[in->a]->nargs)
				rc = verr(err, len, f, pc, "builtin %s takes %d arguments, not %d",
					  vm->builtins[in->a]->name, vm->builtins[in->a]->nargs, in->b);
			break;
		case RT_OP_JMP:
		case RT_OP_JF:
		case RT_OP_JT:
			if (in->a < 0 || (size_t)in->a >= f->ncode)
				rc = verr(err, len, f, pc, "jump target %lld out of range", (long long)in->a);
			break;
		default:
			break;
		}
		if (rc)
			break;
		if (pops < 0 || pops > d) {
			rc = verr(err, len, f, pc, "%s needs %d values, stack has %d",
				  op_info[in->op].name, pops, d);
			break;
		}
		nd = d - pops + op_info[in->op].pushes;
		if (nd > max)
			max = nd;
		if (in->op == RT_OP_JMP || in->op == RT_OP_JF || in->op == RT_OP_JT)
			succ[nsucc++] = (int)in->a;
		if (in->op != RT_OP_JMP && in->op != RT_OP_RET) {
			if (pc + 1 >= f->ncode) {
				rc = verr(err, len, f, pc, "falls off the end (missing ret?)");
				break;
			}
			succ[nsucc++] = (int)pc + 1;
		}
		for (int i = 0; i < nsucc; i++) {
			if (depth[succ[i]] < 0) {
				depth[succ[i]] = nd;
				work[nwork++] = succ[i];
			} else if (depth[succ[i]] != nd) {
				rc = verr(err, len, f, (size_t)succ[i],
					  "stack depth %d here but %d from pc %zu", depth[succ[i]], nd, pc);
				break;
			}
		}
	}
	free(depth);
	free(work);
	*max_out = max;
	return rc;
}

int rt_vm_create(struct rt_vm **out, const struct rt_program *prog,
		 const struct rt_builtin *builtins, size_t nbuiltins,
		 struct gil *gil, char *err, size_t errlen)
{
	struct rt_vm *vm;
	int rc = 0;

	if (err && errlen)
		err[0] = 0;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->prog = prog;
	vm->gil = gil;
	vm->builtins = calloc(prog->nbuiltins + 1, sizeof(*vm->builtins));
	vm->max_stack = calloc(prog->nfuncs + 1, sizeof(*vm->max_stack));
	vm->globals = calloc(prog->nglobals + 1, sizeof(*vm->globals));
	if (!vm->builtins || !vm->max_stack || !vm->globals) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < prog->nbuiltins; i++) {
		for (size_t j = 0; j < nbuiltins; j++)
			if (strcmp(builtins[j].name, prog->builtins[i]) == 0)
				vm->builtins[i] = &builtins[j];
		if (!vm->builtins[i]) {
			rc = verr(err, errlen, NULL, 0, "unknown builtin '%s'", prog->builtins[i]);
			goto fail;
		}
	}
	for (size_t i = 0; i < prog->nfuncs && !rc; i++)
		rc = verify_func(vm, &prog->funcs[i], &vm->max_stack[i], err, errlen);
	if (rc)
		goto fail;
	*out = vm;
	return 0;
fail:
	rt_vm_destroy(vm);
	return rc;
}

void rt_vm_destroy(struct rt_vm *vm)
{
	if (!vm)
		return;
	if (vm->globals)
		for (size_t i = 0; i < vm->prog->nglobals; i++)
			rt_decref(vm->globals[i]);
	free(vm->globals);
	free(vm->builtins);
	free(vm->max_stack);
	free(vm);
}

struct gil *rt_vm_gil(struct rt_vm *vm)
{
	return vm->gil;
}

const struct rt_program *rt_vm_program(struct rt_vm *vm)
{
	return vm->prog;
}

rt_val rt_vm_global(struct rt_vm *vm, int idx)
{
	return vm->globals[idx];
}

void rt_vm_set_global(struct rt_vm *vm, int idx, rt_val v)
{
	rt_val old = vm->globals[idx];

	vm->globals[idx] = v;
	rt_decref(old);
}

int rt_ctx_create(struct rt_ctx **out, struct rt_vm *vm, struct gil_thread *gt, void *user)
{
	struct rt_ctx *ctx = malloc(sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->vm = vm;
	ctx->gt = gt;
	ctx->user = user;
	ctx->breaker = vm->gil && gt ? gil_eval_breaker(vm->gil) : &no_breaker;
	ctx->legacy = vm->gil && gt && gil_policy(vm->gil) == GIL_LEGACY;
	ctx->ticks = 0;
	ctx->next_tick = ctx->legacy ? GIL_LEGACY_TICKS : UINT64_MAX;
	ctx->sp = ctx->stack;
	ctx->nframes = 0;
	ctx->dead = 0;
	ctx->err[0] = 0;
	*out = ctx;
	return 0;
}

void rt_ctx_destroy(struct rt_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->sp > ctx->stack)
		rt_decref(*--ctx->sp);
	free(ctx);
}

int rt_ctx_set_error(struct rt_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

const char *rt_ctx_error(const struct rt_ctx *ctx)
{
	return ctx->err;
}

void *rt_ctx_user(struct rt_ctx *ctx)
{
	return ctx->user;
}

struct rt_vm *rt_ctx_vm(struct rt_ctx *ctx)
{
	return ctx->vm;
}

struct gil_thread *rt_ctx_gil_thread(struct rt_ctx *ctx)
{
	return ctx->gt;
}

uint64_t rt_ctx_ticks(const struct rt_ctx *ctx)
{
	return ctx->ticks;
}

/* Room for a frame of f on top of sp, and a frame slot? */
static int push_frame(struct rt_ctx *ctx, int fidx, int argc)
{
	const struct rt_func *f = &ctx->vm->prog->funcs[fidx];
	rt_val *locals = ctx->sp - argc;

	if (ctx->nframes == RT_MAX_FRAMES ||
	    locals + f->nlocals + ctx->vm->max_stack[fidx] > ctx->stack + RT_STACK_VALUES)
		return rt_ctx_set_error(ctx, -E2BIG, "%s: stack overflow (recursion too deep)", f->name);
	for (int i = argc; i < f->nlocals; i++)
		locals[i] = RT_NONE;
	ctx->sp = locals + f->nlocals;
	ctx->frames[ctx->nframes++] = (struct rt_frame){
		.func = f, .pc = 0, .bp = (size_t)(locals - ctx->stack),
	};
	return 0;
}

int rt_ctx_start(struct rt_ctx *ctx, int func, const rt_val *args, int argc)
{
	int rc;

	if (ctx->dead || func < 0 || (size_t)func >= ctx->vm->prog->nfuncs ||
	    ctx->vm->prog->funcs[func].nargs != argc ||
	    ctx->sp + argc > ctx->stack + RT_STACK_VALUES) {
		for (int i = 0; i < argc; i++)
			rt_decref(args[i]);
		return -EINVAL;
	}
	for (int i = 0; i < argc; i++)
		*ctx->sp++ = args[i];
	rc = push_frame(ctx, func, argc);
	if (rc)
		ctx->dead = 1;
	return rc;
}

static void eval_breaker(struct rt_ctx *ctx)
{
	struct gil *gil = ctx->vm->gil;

	if (ctx->legacy && ctx->ticks >= ctx->next_tick) {
		ctx->next_tick = ctx->ticks + GIL_LEGACY_TICKS;
		gil_legacy_tick(gil, ctx->gt);
	}
	gil_handle_eval_breaker(gil, ctx->gt);
}

static int truthy(rt_val v)
{
	return rt_is_int(v) ? rt_int(v) != 0 : v != RT_NONE;
}

static const char *kind_name(rt_val v)
{
	static const char *const names[] = { "int", "None", "list" };

	return names[rt_kind_of(v)];
}

int rt_ctx_run(struct rt_ctx *ctx, rt_val *result)
{
	struct rt_frame *fr;
	const struct rt_insn *code;
	rt_val *sp, *locals, *globals = ctx->vm->globals;
	size_t pc;
	uint64_t ticks = ctx->ticks;
	int rc = 0;

	if (ctx->dead || ctx->nframes == 0)
		return -EINVAL;

#define LOAD_FRAME()                                                           \
	do {                                                                   \
		fr = &ctx->frames[ctx->nframes - 1];                           \
		code = fr->func->code;                                         \
		pc = fr->pc;                                                   \
		locals = ctx->stack + fr->bp;                                  \
	} while (0)
#define SAVE_FRAME()                                                           \
	do {                                                                   \
		fr->pc = pc;                                                   \
		ctx->sp = sp;                                                  \
		ctx->ticks = ticks;                                            \
	} while (0)
/* the eval breaker, checked at back-edges and calls as in CPython's ceval */
#define CHECK_BREAKER()                                                        \
	do {                                                                   \
		if (RT_UNLIKELY(__atomic_load_n(ctx->breaker, __ATOMIC_RELAXED) | \
				(ticks >= ctx->next_tick))) {                  \
			ctx->ticks = ticks;                                    \
			eval_breaker(ctx);                                     \
		}                                                              \
	} while (0)
#define FAIL(...)                                                              \
	do {                                                                   \
		SAVE_FRAME();                                                  \
		rc = rt_ctx_set_error(ctx, -EINVAL, __VA_ARGS__);              \
		goto fail;                                                     \
	} while (0)
#define INT_OPERANDS(what)                                                     \
	do {                                                                   \
		if (RT_UNLIKELY(!rt_is_int(sp[-1]) || !rt_is_int(sp[-2])))     \
			FAIL("%s+%zu: %s needs ints, got %s and %s", fr->func->name, \
			     pc - 1, what, kind_name(sp[-2]), kind_name(sp[-1])); \
		x = rt_int(sp[-2]);                                            \
		y = rt_int(sp[-1]);                                            \
		sp--;                                                          \
	} while (0)

	sp = ctx->sp;
	LOAD_FRAME();
	for (;;) {
		const struct rt_insn *in = &code[pc++];
		int64_t x, y;
		rt_val v, w;

		ticks++;
		switch ((enum rt_op)in->op) {
		case RT_OP_NOP:
			break;
		case RT_OP_PUSH:
			*sp++ = rt_int_val(in->a);
			break;
		case RT_OP_NONE:
			*sp++ = RT_NONE;
			break;
		case RT_OP_POP:
			rt_decref(*--sp);
			break;
		case RT_OP_DUP:
			v = sp[-1];
			rt_incref(v);
			*sp++ = v;
			break;
		case RT_OP_SWAP:
			v = sp[-1];
			sp[-1] = sp[-2];
			sp[-2] = v;
			break;
		case RT_OP_LOAD:
			v = locals[in->a];
			rt_incref(v);
			*sp++ = v;
			break;
		case RT_OP_STORE:
			v = locals[in->a];
			locals[in->a] = *--sp;
			rt_decref(v);
			break;
		case RT_OP_GLOAD:
			v = globals[in->a];
			rt_incref(v);
			*sp++ = v;
			break;
		case RT_OP_GSTORE:
			v = globals[in->a];
			globals[in->a] = *--sp;
			rt_decref(v);
			break;
		case RT_OP_ADD:
			INT_OPERANDS("add");
			sp[-1] = rt_int_val((int64_t)((uint64_t)x + (uint64_t)y));
			break;
		case RT_OP_SUB:
			INT_OPERANDS("sub");
			sp[-1] = rt_int_val((int64_t)((uint64_t)x - (uint64_t)y));
			break;
		case RT_OP_MUL:
			INT_OPERANDS("mul");
			sp[-1] = rt_int_val((int64_t)((uint64_t)x * (uint64_t)y));
			break;
		case RT_OP_DIV:
		case RT_OP_MOD:
			INT_OPERANDS(in->op == RT_OP_DIV ? "div" : "mod");
			if (y == 0)
				FAIL("%s+%zu: division by zero", fr->func->name, pc - 1);
			/* 63-bit operands: INT64_MIN / -1 cannot happen */
			sp[-1] = rt_int_val(in->op == RT_OP_DIV ? x / y : x % y);
			break;
		case RT_OP_LT:
			INT_OPERANDS("lt");
			sp[-1] = rt_int_val(x < y);
			break;
		case RT_OP_LE:
			INT_OPERANDS("le");
			sp[-1] = rt_int_val(x <= y);
			break;
		case RT_OP_GT:
			INT_OPERANDS("gt");
			sp[-1] = rt_int_val(x > y);
			break;
		case RT_OP_GE:
			INT_OPERANDS("ge");
			sp[-1] = rt_int_val(x >= y);
			break;
		case RT_OP_EQ:
		case RT_OP_NE:
			w = *--sp;
			v = sp[-1];
			sp[-1] = rt_int_val((v == w) == (in->op == RT_OP_EQ));
			rt_decref(v);
			rt_decref(w);
			break;
		case RT_OP_NOT:
			v = sp[-1];
			sp[-1] = rt_int_val(!truthy(v));
			rt_decref(v);
			break;
		case RT_OP_JMP:
			if ((size_t)in->a < pc)
				CHECK_BREAKER();
			pc = (size_t)in->a;
			break;
		case RT_OP_JF:
		case RT_OP_JT:
			v = *--sp;
			if (truthy(v) == (in->op == RT_OP_JT)) {
				if ((size_t)in->a < pc)
					CHECK_BREAKER();
				pc = (size_t)in->a;
			}
			rt_decref(v);
			break;
		case RT_OP_CALL:
			CHECK_BREAKER();
			SAVE_FRAME();
			rc = push_frame(ctx, (int)in->a, in->b);
			if (rc)
				goto fail;
			sp = ctx->sp;
			LOAD_FRAME();
			break;
		case RT_OP_BCALL: {
			const struct rt_builtin *b = ctx->vm->builtins[in->a];
			rt_val res = RT_NONE;

			CHECK_BREAKER();
			SAVE_FRAME();
			rc = b->fn(ctx, sp - in->b, in->b, &res);
			if (rc < 0) {
				rt_decref(res);
				goto fail;
			}
			for (int i = 0; i < in->b; i++)
				rt_decref(*--sp);
			*sp++ = res;
			if (rc == RT_SUSPEND) {
				SAVE_FRAME();
				return RT_SUSPEND;
			}
			break;
		}
		case RT_OP_RET:
			v = *--sp;
			while (sp > locals)
				rt_decref(*--sp);
			ctx->nframes--;
			if (ctx->nframes == 0) {
				ctx->sp = sp;
				ctx->ticks = ticks;
				*result = v;
				return 0;
			}
			*sp++ = v;
			LOAD_FRAME();
			break;
		case RT_OP_LNEW:
			v = rt_list_new(0);
			if (!v)
				FAIL("%s+%zu: out of memory", fr->func->name, pc - 1);
			*sp++ = v;
			break;
		case RT_OP_LAPPEND:
			if (rt_kind_of(sp[-2]) != RT_KIND_LIST)
				FAIL("%s+%zu: lappend on %s", fr->func->name, pc - 1, kind_name(sp[-2]));
			if (rt_list_append(sp[-2], sp[-1]))
				FAIL("%s+%zu: out of memory", fr->func->name, pc - 1);
			sp -= 2;
			rt_decref(sp[0]);
			break;
		case RT_OP_LGET:
		case RT_OP_LSET: {
			rt_val *base = in->op == RT_OP_LGET ? sp - 2 : sp - 3;

			v = RT_NONE;

			if (rt_kind_of(base[0]) != RT_KIND_LIST || !rt_is_int(base[1]))
				FAIL("%s+%zu: %s needs a list and an int", fr->func->name, pc - 1,
				     rt_op_name((enum rt_op)in->op));
			x = rt_int(base[1]);
			if (x < 0 || (uint64_t)x >= rt_list_len(base[0]))
				FAIL("%s+%zu: index %lld out of range", fr->func->name, pc - 1, (long long)x);
			if (in->op == RT_OP_LGET) {
				v = rt_list_get(base[0], (size_t)x);
				rt_incref(v);
			} else {
				rt_list_set(base[0], (size_t)x, base[2]);
			}
			sp = base;
			rt_decref(base[0]);
			if (in->op == RT_OP_LGET)
				*sp++ = v;
			break;
		}
		case RT_OP_LEN:
			v = sp[-1];
			if (rt_kind_of(v) != RT_KIND_LIST)
				FAIL("%s+%zu: len of %s", fr->func->name, pc - 1, kind_name(v));
			sp[-1] = rt_int_val((int64_t)rt_list_len(v));
			rt_decref(v);
			break;
		case RT_OP__COUNT:
		default:
			FAIL("%s+%zu: bad opcode %d", fr->func->name, pc - 1, in->op);
		}
	}
fail:
	ctx->dead = 1;
	return rc;
#undef LOAD_FRAME
#undef SAVE_FRAME
#undef CHECK_BREAKER
#undef FAIL
#undef INT_OPERANDS
}

int rt_ctx_resume(struct rt_ctx *ctx, rt_val v, rt_val *result)
{
	rt_val old;

	if (ctx->dead || ctx->nframes == 0 || ctx->sp == ctx->stack) {
		rt_decref(v);
		return -EINVAL;
	}
	old = ctx->sp[-1];
	ctx->sp[-1] = v;
	rt_decref(old);
	return rt_ctx_run(ctx, result);
}

int rt_ctx_call(struct rt_ctx *ctx, const char *name, const int64_t *args, int argc, rt_val *result)
{
	rt_val vals[16];
	int f = rt_prog_find_func(ctx->vm->prog, name), rc;

	if (f < 0 || argc < 0 || argc > 16)
		return rt_ctx_set_error(ctx, -ENOENT, "no function %s/%d", name, argc);
	for (int i = 0; i < argc; i++)
		vals[i] = rt_int_val(args[i]);
	rc = rt_ctx_start(ctx, f, vals, argc);
	if (rc)
		return rc;
	do
		rc = rt_ctx_run(ctx, result);
	while (rc == RT_SUSPEND);
	return rc;
}
