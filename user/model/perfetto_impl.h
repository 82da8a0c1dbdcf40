/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * perfetto_impl.h - private to perfetto.c (packets, tracks, slices, life
 * cycle) and perfetto_event.c (scheduling and task events from the model):
 * the writer's state and the field numbers both write (docs/perfetto.md).
 */
#ifndef MODEL_PERFETTO_IMPL_H
#define MODEL_PERFETTO_IMPL_H
#include <stdbool.h>
#include <stdint.h>
#include "model/perfetto.h"
#include "model/perfetto_sched.h"
#include "util/hash.h"
#include "util/pb.h"

/* Field numbers, by message (docs/perfetto.md). */
enum {
	TRACE_PACKET = 1,			/* Trace.packet */
	TP_FTRACE = 1, TP_PROCESS_TREE = 2, TP_CLOCK_SNAPSHOT = 6, TP_TIMESTAMP = 8,
	TP_SEQ_ID = 10, TP_TRACK_EVENT = 11, TP_INTERNED = 12, TP_SEQ_FLAGS = 13,
	TP_SYSTEM_INFO = 45, TP_CLOCK_ID = 58, TP_DEFAULTS = 59, TP_TRACK_DESC = 60,
	SEQ_INCREMENTAL_STATE_CLEARED = 1,	/* TracePacket.sequence_flags */
	DEF_TRACK_EVENT = 11,			/* TracePacketDefaults */
	TED_TRACK_UUID = 11, TED_EXTRA_COUNTERS = 31,	/* TrackEventDefaults */
	IN_EVENT_NAMES = 2, NAME_IID = 1, NAME_NAME = 2,	/* InternedData, EventName */
	CS_CLOCKS = 1, CS_PRIMARY = 2,		/* ClockSnapshot */
	CK_ID = 1, CK_TS = 2, CK_INCREMENTAL = 3,	/* ClockSnapshot.Clock */
	SI_UTSNAME = 1, SI_NUM_CPUS = 8, UTS_SYSNAME = 1, UTS_VERSION = 2, UTS_RELEASE = 3,
	TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_THREAD = 4, TD_PARENT = 5, TD_COUNTER = 8,
	PD_PID = 1, THD_PID = 1, THD_TID = 2,
	TE_TYPE = 9, TE_NAME_IID = 10, TE_TRACK_UUID = 11, TE_EXTRA_COUNTER_VALUES = 12,
	TE_NAME = 23, TE_FLOW_IDS = 47, TE_TERMINATING_FLOW_IDS = 48,
	TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3,
	PT_PROCESSES = 1, PT_THREADS = 2, PR_PID = 1, PR_CMDLINE = 3,
	TH_TID = 1, TH_NAME = 2, TH_TGID = 3,
	/* FtraceEvent payloads (field in FtraceEvent, then theirs) */
	FE_SCHED_WAKING = 20, FE_TASK_NEWTASK = 235, FE_TASK_RENAME = 236,
	FE_SCHED_PROCESS_FREE = 240, FE_SCHED_MIGRATE_TASK = 491,
};

enum { CLOCK_REALTIME_ID = 1, CLOCK_MONOTONIC_ID = 3, CLOCK_BOOTTIME_ID = 6, CLOCK_SEQ = 64 };

#define CLONE_THREAD_FLAG 0x00010000u
#define HANDOFF_FLOW(id) ((1ull << 63) | (id))	/* flow id spaces of the trace */
#define DROP_FLOW(id) ((1ull << 62) | (id))

enum trk_kind { TK_LOCK = 1, TK_IO, TK_NATIVE };

enum { BORN_ALIVE = 1, BORN_FREED = 2 };	/* values in pf.born */

struct trk {
	uint64_t uuid;
	uint64_t counter;	/* TK_LOCK: the lock's waiter counter track */
	uint64_t last_ts;	/* its sequence's clock */
	uint32_t seq;		/* its packet sequence, 0 before its first slice */
	uint32_t next_iid;	/* TK_LOCK: next name iid for a function's slices */
	uint8_t kind;
};

#define PF_FUNC_NAMES 4096	/* function slice names interned per track, at most */

struct drops {			/* a lock's drop requests waiting for a release */
	uint64_t flow[PF_MAX_DROPS];
	uint32_t holder[PF_MAX_DROPS];
	uint32_t n;
};

struct pf {
	FILE *f;
	struct trace_meta meta;
	uint64_t base;			/* every clock snapshot's time */
	struct pb pkt, msg;		/* the packet being built; a message body */
	struct pf_sched *sched;
	uint64_t next_uuid;
	uint32_t next_seq;
	uint64_t gaps_uuid;
	struct hmap procs;		/* {pid} -> process track uuid */
	struct hmap threads;		/* {pid << 32 | tid} -> thread track uuid */
	struct hmap counters;		/* {lock, pid} -> counter track uuid */
	struct hmap trk_index;		/* {lock, kind << 56 | pid << 32 | tid} -> trk[] */
	struct trk *trk;
	size_t ntrk, cap_trk;
	struct hmap drop_index;		/* {lock, pid} -> drops[] */
	struct drops *drops;
	size_t ndrops, cap_drops;
	uint64_t drop_ids;
	uint32_t *cur;			/* per CPU: the task written as running */
	size_t ncur;
	struct hmap on_cpu;		/* {tid} -> cpu + 1 where cur[] has it */
	struct hmap born;		/* {tid} -> BORN_*: created in the trace (task_newtask) */
	struct hmap exiting;		/* {tid}: exited, freed once off its CPU */
	uint32_t touched[8];		/* cores whose CPU span ended in this event */
	size_t ntouched;
	bool touched_many;
	struct pb tree;			/* ProcessTree entries so far */
	const struct trace_names *names;	/* functions of hold/wait slices, or NULL */
	struct hmap fn_iid;		/* {func, track index << 1 | wait} -> name iid */
	struct export_stats st;		/* handoffs, drop_flows, switches */
	bool oom;
};

/* ---- shared between the two files ---- */

static inline bool pfi_has(const struct hmap *m, uint64_t key)
{
	uint64_t v;

	return hmap_get(m, hkey_u64(key), &v);
}

/* The packet buffer, emptied, on sequence seq (0: none). */
struct pb *pfi_packet(struct pf *p, uint32_t seq);
void pfi_write_packet(struct pf *p, const struct pb *pkt);
/* A thread's child track of kind (and lock), made on first use; NULL: no memory. */
struct trk *pfi_track(struct pf *p, uint32_t pid, uint32_t tid, uint8_t kind, uint64_t lock);
/* An instant on sequence 1 (absolute time) on track uuid, named name or iid. */
void pfi_instant(struct pf *p, uint64_t uuid, uint64_t ts, const char *name, uint64_t iid,
		 uint64_t flow);
int pfi_grow_cur(struct pf *p, size_t n);
/* The idle task's comm on core cpu, "swapper/N", as the kernel names it. */
void pfi_idle_comm(char out[17], uint32_t cpu);
/* A task left core c at ts for good (see perfetto_event.c). */
void pfi_process_free(struct pf *p, const struct model *m, uint32_t cpu, uint64_t ts, uint32_t tid);

#endif
