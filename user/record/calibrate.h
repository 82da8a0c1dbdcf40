/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * calibrate.h - what one probe hit of each kind (cost.h) costs on this
 * machine, measured, not assumed: the same BPF programs gilscope records
 * with are loaded once more and attached to probe sites in gilscope
 * itself, one site per kind, built like the ones a recording uses (a USDT
 * site on a 5-byte or a 1-byte nop; a function entered at a push, a branch
 * or an instruction the kernel single-steps, with a return probe or not;
 * a call). This thread is put in that loader's traced set, calls each site
 * in batches and measures its own CPU time (the kernel's work for a hit,
 * trap and program, is charged to the thread that hits): the cost of a hit
 * is the time per call with the probes attached less the time per call
 * before they were. The median of a few batches, so that an interrupt or a
 * preemption does not count. The scheduler kind: two threads of ours
 * yielding to each other on one CPU, per context switch. With Python
 * functions (calib_opts.py) the release sites are called with a thread
 * state built here as py lays it out, leading through a frame to a code
 * object, so that the release program's reads of the running function
 * (bpf/gs_pycode.h gs_py_code) are in the price as in CPython.
 *
 * Cost: a BPF load and attach, and a few milliseconds per kind; a
 * recording asks only for the kinds it uses. x86-64 only (elsewhere
 * -EOPNOTSUPP). Needs what tracing needs (loader.h). Returns 0 or a
 * negative errno with one line in err.
 */
#ifndef RECORD_CALIBRATE_H
#define RECORD_CALIBRATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "record/cost.h"

struct calib_opts {
	uint32_t kinds;		/* bit (1 << enum cost_kind) per kind to measure */
	bool acq_entry;		/* acquire calls run a program at their entry too
				 * (--lock); false: a return probe only, or with
				 * kind COST_GOT a got site (--python) */
	bool fork_test;		/* also: does a child forked after a 5-byte-nop
				 * probe was optimized survive its own hit */
	const struct gs_py_cfg *py;	/* --python with functions (loader_opts.py), or NULL */
};

struct calib {
	double ns[COST__COUNT];	/* per hit; -1 where not measured */
	bool nop5_optimized;	/* a 5-byte-nop site became a call (the kernel
				 * optimizes uprobes there) */
	int nop5_fork;		/* fork_test: 1 the child survived, 0 it died
				 * (kernel bug), -1 not tried */
	bool py_read;		/* opts.py: the release program read its way to
				 * the code object, as in CPython (its reads are in
				 * the release kinds' price) */
};

int calibrate(const struct calib_opts *o, struct calib *out, char *err, size_t errlen);

#endif
