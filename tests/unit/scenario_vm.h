/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scenario_vm.h - the scenarios' own bytecode (runtime/programs.h) bound to
 * a vm, for the tests that call its pure functions (work): so they run
 * exactly what the scenarios run. The builtins of the thread bodies are
 * bound to a stand-in that fails, as no test calls those bodies.
 */
#ifndef TEST_SCENARIO_VM_H
#define TEST_SCENARIO_VM_H
#include <errno.h>
#include "asm.h"
#include "programs.h"
#include "vm.h"

static int scenario__absent(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	(void)args, (void)argc, (void)result;
	return rt_ctx_set_error(ctx, -ENOSYS, "a scenario builtin: not bound in the tests");
}

/*
 * rt_scenario_program assembled into *prog and bound to a new *vm under
 * gil (NULL: no lock); 0, or the failing step's errno with its message in
 * err (then *vm is NULL; *prog, if made, is for the caller to destroy).
 */
static inline int scenario_vm(struct rt_program **prog, struct rt_vm **vm, struct gil *gil,
			      char *err, size_t errlen)
{
	static const struct rt_builtin absent[] = {
		{ "next_chunk", 0, scenario__absent }, { "native_work", 1, scenario__absent },
		{ "io_wait", 0, scenario__absent },    { "yield_gil", 0, scenario__absent },
		{ "await_read", 0, scenario__absent }, { "sleep0", 0, scenario__absent },
	};
	int rc;

	*vm = NULL;
	rc = rt_asm(rt_scenario_program, prog, err, errlen);
	if (rc)
		return rc;
	return rt_vm_create(vm, *prog, absent, sizeof(absent) / sizeof(absent[0]), gil, err,
			    errlen);
}

#endif
