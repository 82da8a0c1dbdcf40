/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fuzz_lock_spec.c - libFuzzer target for the --lock SPEC parser, which
 * reads a root-run program's command line. The parser depends on nothing
 * but libc, so it builds alone: `make fuzz-lock-spec` (FUZZ_SECONDS=30)
 * builds it with clang -fsanitize=fuzzer,address,undefined and runs it on
 * the seeds in tests/fuzz/corpus_lock_spec. Besides "no crash", it checks
 * what a successful parse promises.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/adapter.h"
#include "util/gs_types.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct adapter_target a;
	char err[256];
	char *spec = malloc(size + 1);

	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	int r = adapter_lock_parse(spec, &a, err, sizeof(err));
	if (r == 0) {
		if (!a.acquire_sym[0] || !a.release_sym[0] || a.lock_arg < -1 ||
		    a.lock_arg > ADAPTER_MAX_ARG || (a.lock_sym[0] && a.lock_addr) ||
		    ((a.lock_sym[0] || a.lock_addr) && a.lock_arg < 0) ||
		    strlen(a.spec_binary) >= sizeof(a.spec_binary) ||
		    a.lock_ok < GS_LOCK_OK_ANY || a.lock_ok > GS_LOCK_OK_NONZERO ||
		    strncmp(a.adapter, "lock:", 5))
			abort();
	} else if (r != -EINVAL || !err[0] || strchr(err, '\n')) {
		abort();
	}
	free(spec);
	return 0;
}
