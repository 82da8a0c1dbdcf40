/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * vm.h - the gilrt bytecode interpreter: a stack machine with locals,
 * globals, calls to bytecode functions and to C builtins, and lists with
 * reference counts (obj.h). Like CPython's ceval it checks an eval breaker
 * at backward jumps and at calls; that is where a drop request from the
 * interpreter lock (gil.h) is honoured.
 *
 * Three objects:
 *   struct rt_program  the code, built with rt_prog_*() or by the assembler
 *                      (asm.h); plain data owned by its creator.
 *   struct rt_vm       an interpreter: a verified program bound to builtins,
 *                      its globals and its lock. Shared by all its threads.
 *   struct rt_ctx      one execution context (value stack + frames): one per
 *                      thread, or per coroutine; it may suspend and resume.
 * A context runs only while its thread holds the vm's lock (if it has one).
 */
#ifndef GILRT_VM_H
#define GILRT_VM_H
#include <stddef.h>
#include <stdint.h>
#include "obj.h"

struct gil;
struct gil_thread;

enum rt_op {
	RT_OP_NOP,
	RT_OP_PUSH,	/* push int a */
	RT_OP_NONE,	/* push None */
	RT_OP_POP,
	RT_OP_DUP,
	RT_OP_SWAP,
	RT_OP_LOAD,	/* push local a */
	RT_OP_STORE,	/* pop into local a */
	RT_OP_GLOAD,	/* push global a */
	RT_OP_GSTORE,	/* pop into global a */
	RT_OP_ADD, RT_OP_SUB, RT_OP_MUL, RT_OP_DIV, RT_OP_MOD,	/* ints; div/mod truncate like C */
	RT_OP_LT, RT_OP_LE, RT_OP_GT, RT_OP_GE,			/* ints -> 0/1 */
	RT_OP_EQ, RT_OP_NE,					/* identity -> 0/1 */
	RT_OP_NOT,	/* truth -> 0/1 (0 and None are false) */
	RT_OP_JMP,	/* pc = a */
	RT_OP_JF,	/* pop; if false pc = a */
	RT_OP_JT,	/* pop; if true pc = a */
	RT_OP_CALL,	/* call function a with b args */
	RT_OP_BCALL,	/* call builtin a with b args */
	RT_OP_RET,	/* return top of stack */
	RT_OP_LNEW,	/* push new empty list */
	RT_OP_LAPPEND,	/* list v -- */
	RT_OP_LGET,	/* list i -- item */
	RT_OP_LSET,	/* list i v -- */
	RT_OP_LEN,	/* list -- n */
	RT_OP__COUNT
};

struct rt_insn {
	int32_t op;	/* enum rt_op */
	int32_t b;	/* argument count of CALL/BCALL */
	int64_t a;	/* immediate, index or jump target */
};

struct rt_func {
	char *name;		/* owned */
	int nargs;		/* arguments, the first locals */
	int nlocals;		/* locals including arguments */
	int max_stack;		/* operand depth, computed by rt_vm_create() */
	struct rt_insn *code;	/* owned */
	size_t ncode;
	size_t cap;
};

struct rt_program {
	struct rt_func *funcs;	/* owned */
	size_t nfuncs;
	char **globals;		/* owned names */
	size_t nglobals;
	char **builtins;	/* owned names, resolved by rt_vm_create() */
	size_t nbuiltins;
};

/* Builders: return an index >= 0 or a negative errno. */
struct rt_program *rt_prog_new(void);
void rt_prog_destroy(struct rt_program *p);
int rt_prog_func(struct rt_program *p, const char *name, int nargs, int nlocals);
int rt_prog_emit(struct rt_program *p, int func, enum rt_op op, int64_t a, int32_t b);
int rt_prog_find_func(const struct rt_program *p, const char *name);
/* Index of global / builtin NAME, added if new. */
int rt_prog_global(struct rt_program *p, const char *name);
int rt_prog_builtin(struct rt_program *p, const char *name);
const char *rt_op_name(enum rt_op op);
/* Opcode by name (as in asm.h), or -1. */
int rt_op_lookup(const char *name);

struct rt_ctx;
struct rt_vm;

#define RT_SUSPEND 1	/* a builtin's return: suspend this context (coroutines) */

/*
 * A builtin gets borrowed arguments and sets *result to a new reference
 * (default None). It returns 0, RT_SUSPEND (the result is pushed and the
 * context suspends after the call), or a negative errno after
 * rt_ctx_set_error(). It may drop and retake the lock around blocking work.
 */
typedef int (*rt_builtin_fn)(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result);

struct rt_builtin {
	const char *name;
	int nargs;		/* exact argument count */
	rt_builtin_fn fn;
};

/*
 * Bind prog (which must outlive the vm) to builtins and a lock (NULL: no
 * lock, no eval-breaker checks) and verify it: every jump, index and
 * builtin resolves, stack depths are consistent, no path falls off a
 * function. On error, -EINVAL with a message in err.
 */
int rt_vm_create(struct rt_vm **out, const struct rt_program *prog,
		 const struct rt_builtin *builtins, size_t nbuiltins,
		 struct gil *gil, char *err, size_t errlen);
/* Drop the globals' references and free the vm. NULL is fine. */
void rt_vm_destroy(struct rt_vm *vm);
struct gil *rt_vm_gil(struct rt_vm *vm);
const struct rt_program *rt_vm_program(struct rt_vm *vm);
/* Borrowed global; set takes over the caller's reference. */
rt_val rt_vm_global(struct rt_vm *vm, int idx);
void rt_vm_set_global(struct rt_vm *vm, int idx, rt_val v);

/* A context for the calling thread; gt may be NULL when the vm has no lock. */
int rt_ctx_create(struct rt_ctx **out, struct rt_vm *vm, struct gil_thread *gt, void *user);
/* Drop every reference on the context's stack. NULL is fine. */
void rt_ctx_destroy(struct rt_ctx *ctx);
/* Push a call of function func; takes over the caller's references to args. */
int rt_ctx_start(struct rt_ctx *ctx, int func, const rt_val *args, int argc);
/*
 * Run until the started call returns (0, *result is the caller's reference),
 * a builtin suspends (RT_SUSPEND; call again to resume) or an error
 * (negative errno, see rt_ctx_error()).
 */
int rt_ctx_run(struct rt_ctx *ctx, rt_val *result);
/*
 * Resume a suspended context, replacing the suspending builtin's result
 * with v (the context takes over the caller's reference): how an event loop
 * hands a coroutine the outcome of what it waited for.
 */
int rt_ctx_resume(struct rt_ctx *ctx, rt_val v, rt_val *result);
/* rt_ctx_start() + rt_ctx_run() of function NAME with int arguments. */
int rt_ctx_call(struct rt_ctx *ctx, const char *name, const int64_t *args, int argc, rt_val *result);
const char *rt_ctx_error(const struct rt_ctx *ctx);
int rt_ctx_set_error(struct rt_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void *rt_ctx_user(struct rt_ctx *ctx);
struct rt_vm *rt_ctx_vm(struct rt_ctx *ctx);
struct gil_thread *rt_ctx_gil_thread(struct rt_ctx *ctx);
/* Instructions this context has executed. */
uint64_t rt_ctx_ticks(const struct rt_ctx *ctx);

#endif /* GILRT_VM_H */
