/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilstat.c - open, attach and read bpf/gilstat.bpf.c (see gilstat.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "record/gilstat.h"
#include "record/loader.h"
#include "util/err.h"
#include "gilstat.skel.h"

struct gilstat {
	struct gilstat_bpf *skel;
	struct bpf_link **links;	/* every uprobe attached, to destroy */
	size_t nlinks, cap_links;
	struct bpf_link *tp[2];		/* the exit and exec tracepoints */
	struct ring_buffer *ring;	/* the exec ring */
	void (*exec_fn)(void *ctx, pid_t pid);	/* for the ring's callback */
	void *exec_ctx;
	struct gilstat_proc_rec *procs;	/* the last reading, GILSTAT_MAX_PROCS */
	struct gilstat_thread_rec *threads;	/* GILSTAT_MAX_THREADS */
	/* batch buffers: keys and values apart, as the kernel fills them */
	uint32_t *keys;
	void *vals;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_exec(void *ctx, void *data, size_t len)
{
	struct gilstat *g = ctx;
	const struct gilstat_exec *e = data;

	if (len >= sizeof(*e) && g->exec_fn && e->pid)
		g->exec_fn(g->exec_ctx, (pid_t)e->pid);
	return 0;
}

int gilstat_open(struct gilstat **out, char *err, size_t errlen)
{
	struct gilstat *g;
	char missing[64];
	int r;

	*out = NULL;
	if (loader_missing_caps(missing, sizeof(missing)))
		return errf(err, errlen, -EPERM, "watching the GIL needs root, or the capabilities "
			    "CAP_BPF and CAP_PERFMON (missing: %s); run it with sudo", missing);
	g = calloc(1, sizeof(*g));
	if (!g)
		return errf(err, errlen, -ENOMEM, "out of memory");
	*out = g;
	g->procs = calloc(GILSTAT_MAX_PROCS, sizeof(*g->procs));
	g->threads = calloc(GILSTAT_MAX_THREADS, sizeof(*g->threads));
	g->keys = calloc(GILSTAT_MAX_THREADS, sizeof(*g->keys));
	g->vals = calloc(GILSTAT_MAX_THREADS, sizeof(struct gilstat_thread));
	if (!g->procs || !g->threads || !g->keys || !g->vals)
		return errf(err, errlen, -ENOMEM, "out of memory");
	g->skel = gilstat_bpf__open_and_load();
	if (!g->skel) {
		r = -errno;
		return errf(err, errlen, r ? r : -EINVAL, "cannot load the BPF counters: %s "
			    "(run with GILSCOPE_DEBUG=1 for details)", strerror(r ? -r : EINVAL));
	}
	g->tp[0] = bpf_program__attach(g->skel->progs.gilstat_exit);
	if (!g->tp[0])
		return errf(err, errlen, -errno, "cannot attach sched_process_exit: %s", strerror(errno));
	g->tp[1] = bpf_program__attach(g->skel->progs.gilstat_exec);
	if (!g->tp[1])
		return errf(err, errlen, -errno, "cannot attach sched_process_exec: %s", strerror(errno));
	g->ring = ring_buffer__new(bpf_map__fd(g->skel->maps.execs), on_exec, g, NULL);
	if (!g->ring)
		return errf(err, errlen, -errno, "cannot map the exec ring: %s", strerror(errno));
	return 0;
}

static int keep(struct gilstat *g, struct bpf_link *l)
{
	if (!l)
		return -errno ? -errno : -EINVAL;
	if (g->nlinks == g->cap_links) {
		size_t cap = g->cap_links ? 2 * g->cap_links : 16;
		struct bpf_link **n = realloc(g->links, cap * sizeof(*n));

		if (!n) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		g->links = n;
		g->cap_links = cap;
	}
	g->links[g->nlinks++] = l;
	return 0;
}

int gilstat_attach(struct gilstat *g, const char *path, uint64_t take_off, uint64_t drop_off,
		   char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true);
	struct gilstat_bpf *s = g->skel;
	size_t before = g->nlinks;
	int r;

	r = keep(g, bpf_program__attach_uprobe_opts(s->progs.gilstat_take_entry, -1, path,
						     take_off, NULL));
	if (!r)
		r = keep(g, bpf_program__attach_uprobe_opts(s->progs.gilstat_take_return, -1, path,
							     take_off, &ret));
	if (!r)
		r = keep(g, bpf_program__attach_uprobe_opts(s->progs.gilstat_drop_entry, -1, path,
							     drop_off, NULL));
	if (!r)
		return 0;
	while (g->nlinks > before)	/* all three or none */
		bpf_link__destroy(g->links[--g->nlinks]);
	return errf(err, errlen, r, "cannot attach to %s: %s", path, strerror(-r));
}

/*
 * Reads a whole hash map into keys/vals (max entries), batched: a few
 * system calls for thousands of entries. Entries added or removed meanwhile
 * may be missed or seen once; none is seen twice by a single batch pass.
 */
static int read_map(int fd, uint32_t *keys, void *vals, size_t vsize, size_t max, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t token = 0;
	bool first = true;
	int r;

	*n = 0;
	while (*n < max) {
		__u32 count = max - *n;

		r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys + *n,
					 (char *)vals + *n * vsize, &count, &opts);
		first = false;
		*n += count;
		if (r == -ENOENT)	/* the end */
			return 0;
		if (r)
			return r;
	}
	return 0;
}

int gilstat_read(struct gilstat *g, struct gilstat_reading *out)
{
	struct gilstat_bpf *s = g->skel;
	size_t n;
	int r;

	r = read_map(bpf_map__fd(s->maps.procs), g->keys, g->vals, sizeof(struct gilstat_proc),
		     GILSTAT_MAX_PROCS, &n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		g->procs[i].pid = g->keys[i];
		memcpy(&g->procs[i].v, (char *)g->vals + i * sizeof(struct gilstat_proc),
		       sizeof(struct gilstat_proc));
	}
	out->procs = g->procs;
	out->nprocs = n;
	r = read_map(bpf_map__fd(s->maps.threads), g->keys, g->vals, sizeof(struct gilstat_thread),
		     GILSTAT_MAX_THREADS, &n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		g->threads[i].tid = g->keys[i];
		memcpy(&g->threads[i].v, (char *)g->vals + i * sizeof(struct gilstat_thread),
		       sizeof(struct gilstat_thread));
	}
	out->threads = g->threads;
	out->nthreads = n;
	out->now_ns = mono_ns();
	/* the interval ends here: waits from now on belong to the next epoch */
	out->epoch = __atomic_fetch_add(&s->bss->epoch, 1, __ATOMIC_RELAXED);
	return 0;
}

int gilstat_execs(struct gilstat *g, void (*fn)(void *ctx, pid_t pid), void *ctx)
{
	g->exec_fn = fn;
	g->exec_ctx = ctx;
	return ring_buffer__consume(g->ring);
}

uint64_t gilstat_execs_lost(const struct gilstat *g)
{
	return __atomic_load_n(&g->skel->bss->execs_lost, __ATOMIC_RELAXED);
}

int gilstat_forget(struct gilstat *g, pid_t pid)
{
	__u32 k = pid;
	int r = bpf_map_delete_elem(bpf_map__fd(g->skel->maps.procs), &k);

	return r == -ENOENT ? 0 : r;
}

void gilstat_close(struct gilstat *g)
{
	if (!g)
		return;
	while (g->nlinks)
		bpf_link__destroy(g->links[--g->nlinks]);
	bpf_link__destroy(g->tp[0]);
	bpf_link__destroy(g->tp[1]);
	ring_buffer__free(g->ring);
	gilstat_bpf__destroy(g->skel);
	free(g->links);
	free(g->procs);
	free(g->threads);
	free(g->keys);
	free(g->vals);
	free(g);
}
