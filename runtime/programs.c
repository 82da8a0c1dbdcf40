/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* programs.c - see programs.h. */
#include "programs.h"

/*
 * Pieces several bodies share, spelled once. Local 0 holds the chunk (or
 * the units left); a body's labels are loop:, inner: and out:.
 */

/* loop: the next chunk's size into local 0; to out: when there is none */
#define NEXT_CHUNK_OR_OUT		\
	"loop:\n"			\
	"	bcall next_chunk 0\n"	\
	"	dup\n"			\
	"	store 0\n"		\
	"	jf out\n"

/* one unit done: back to inner: while local 0 counts down, then to loop: */
#define COUNT_DOWN_TO_LOOP		\
	"	load 0\n"		\
	"	push 1\n"		\
	"	sub\n"			\
	"	dup\n"			\
	"	store 0\n"		\
	"	jt inner\n"		\
	"	jmp loop\n"

/* after a wait: to out: when it said stop, else handle the event (work(200)) */
#define HANDLE_EVENT_OR_OUT		\
	"	jf out\n"		\
	"	push 200\n"		\
	"	call work 1\n"		\
	"	pop\n"			\
	"	jmp loop\n"

/* out: return 0, the end of the body */
#define OUT_RETURN_0			\
	"out:\n"			\
	"	push 0\n"		\
	"	ret\n"			\
	"end\n"

const char rt_scenario_program[] =
	"; shared by unsafe_worker: an object everyone references, a counter\n"
	"global shared counter\n"
	"\n"
	"; work(n): n units of arithmetic; one unit is one trip round the loop\n"
	"func work 1 3\n"
	"	push 0\n"
	"	store 1			; acc\n"
	"	push 0\n"
	"	store 2			; i\n"
	"top:\n"
	"	load 2\n"
	"	load 0\n"
	"	lt\n"
	"	jf done\n"
	"	load 1\n"
	"	load 2\n"
	"	load 2\n"
	"	mul\n"
	"	push 7\n"
	"	mod\n"
	"	add\n"
	"	push 1000003\n"
	"	mod\n"
	"	store 1			; acc = (acc + i*i % 7) % 1000003\n"
	"	load 2\n"
	"	push 1\n"
	"	add\n"
	"	store 2\n"
	"	jmp top			; back-edge: eval breaker\n"
	"done:\n"
	"	load 1\n"
	"	ret\n"
	"end\n"
	"\n"
	"; cpu_worker(): chunks of work until next_chunk says stop; returns a checksum\n"
	"func cpu_worker 0 2\n"
	"	push 0\n"
	"	store 1\n"
	NEXT_CHUNK_OR_OUT
	"	load 0\n"
	"	call work 1\n"
	"	load 1\n"
	"	add\n"
	"	store 1\n"
	"	jmp loop\n"
	"out:\n"
	"	load 1\n"
	"	ret\n"
	"end\n"
	"\n"
	"; native_worker(): the same work done in C with the lock released\n"
	"func native_worker 0 1\n"
	NEXT_CHUNK_OR_OUT
	"	load 0\n"
	"	bcall native_work 1\n"
	"	pop\n"
	"	jmp loop\n"
	OUT_RETURN_0
	"\n"
	"; io_worker(): block on our fd with the lock released, then handle the event\n"
	"func io_worker 0 0\n"
	"loop:\n"
	"	bcall io_wait 0\n"
	HANDLE_EVENT_OR_OUT
	OUT_RETURN_0
	"\n"
	"; churn_worker(): release and retake the lock as fast as possible\n"
	"func churn_worker 0 1\n"
	NEXT_CHUNK_OR_OUT
	"inner:\n"
	"	bcall yield_gil 0\n"
	"	pop\n"
	COUNT_DOWN_TO_LOOP
	OUT_RETURN_0
	"\n"
	"; unsafe_worker(): per unit, take and drop two references to the shared\n"
	"; object and do counter += 1; between two back-edges this is atomic\n"
	"; under the lock and racy without it\n"
	"func unsafe_worker 0 3\n"
	NEXT_CHUNK_OR_OUT
	"inner:\n"
	"	gload shared		; refcount + 1\n"
	"	store 1\n"
	"	gload shared		; refcount + 1\n"
	"	store 2\n"
	"	push 0\n"
	"	store 1			; refcount - 1\n"
	"	push 0\n"
	"	store 2			; refcount - 1\n"
	"	gload counter\n"
	"	push 1\n"
	"	add\n"
	"	gstore counter\n"
	COUNT_DOWN_TO_LOOP
	OUT_RETURN_0
	"\n"
	"; aio_coro(): await our fd in the event loop, then handle the event\n"
	"func aio_coro 0 0\n"
	"loop:\n"
	"	bcall await_read 0\n"
	HANDLE_EVENT_OR_OUT
	OUT_RETURN_0
	"\n"
	"; acpu_coro(): chunks of work, yielding to the event loop in between\n"
	"func acpu_coro 0 1\n"
	NEXT_CHUNK_OR_OUT
	"	load 0\n"
	"	call work 1\n"
	"	pop\n"
	"	bcall sleep0 0\n"
	"	pop\n"
	"	jmp loop\n"
	OUT_RETURN_0;
