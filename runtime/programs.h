/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * programs.h - the gilrt bytecode every scenario runs (assembler text,
 * asm.h), and the builtins it calls by name. Kept apart from scenario.c so
 * that tests assemble and run exactly what the scenarios run.
 */
#ifndef GILRT_PROGRAMS_H
#define GILRT_PROGRAMS_H

/*
 * Functions: work(n) - n units of integer arithmetic, the CPU-bound loop;
 * cpu_worker, native_worker, io_worker, churn_worker, unsafe_worker - thread
 * bodies; aio_coro, acpu_coro - coroutine bodies. Builtins used: next_chunk,
 * native_work, io_wait, yield_gil, await_read, sleep0.
 */
extern const char rt_scenario_program[];

#endif /* GILRT_PROGRAMS_H */
