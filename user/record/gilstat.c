/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilstat.c - open, attach and read bpf/gilstat.bpf.c (see gilstat.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "record/gilstat.h"
#include "record/loader.h"
#include "util/err.h"
#include "util/grow.h"
#include "util/privs.h"
#include "gilstat.skel.h"

struct gilstat {
	struct gilstat_bpf *skel;
	struct bpf_link **links;	/* every uprobe attached, to destroy */
	size_t nlinks, cap_links;
	struct bpf_link *tp[2];		/* the exit and exec tracepoints */
	struct ring_buffer *ring;	/* the exec ring */
	int sock;			/* to the attacher, or -1: attach here */
	pid_t attacher;			/* its pid (0: none) */
	void (*exec_fn)(void *ctx, pid_t pid);	/* for the ring's callback */
	void *exec_ctx;
	uint32_t ncfg;			/* pycfg entries written */
	/* The reading's buffers, each as large as its map can be, in the one
	 * allocation (zeroed pages cost nothing until a reading fills them). */
	struct gilstat_proc_rec procs[GILSTAT_MAX_PROCS];	/* the last reading */
	struct gilstat_thread_rec threads[GILSTAT_MAX_THREADS];
	/* batch buffers: keys and values apart, as the kernel fills them */
	uint32_t keys[GILSTAT_MAX_THREADS];
	struct gilstat_thread vals[GILSTAT_MAX_THREADS];	/* or procs' values */
	struct gilstat_func_key fkeys[GILSTAT_MAX_FUNCS];	/* the funcs map */
	struct gilstat_func fvals[GILSTAT_MAX_FUNCS];
	struct gilstat_func_rec funcs[GILSTAT_MAX_FUNCS];	/* the reading's, current epoch */
	struct gilstat_func_key stale[GILSTAT_MAX_FUNCS];	/* to delete */
};

_Static_assert(GILSTAT_MAX_PROCS * sizeof(struct gilstat_proc) <=
	       sizeof(((struct gilstat *)0)->vals), "vals holds the procs map's values too");

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
	g->sock = -1;
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
	if (grow_array(&g->links, &g->cap_links, g->nlinks + 1, sizeof(*g->links))) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	g->links[g->nlinks++] = l;
	return 0;
}

/* prog at each of sites[0..n) of the file at path, kept in g->links. */
static int attach_sites(struct gilstat *g, const struct bpf_program *prog, const char *path,
			const struct lock_site *sites, uint32_t n, const struct bpf_uprobe_opts *o)
{
	int r = 0;

	for (uint32_t i = 0; !r && i < n; i++)
		r = keep(g, bpf_program__attach_uprobe_opts(prog, -1, path, sites[i].off, o));
	return r;
}

/*
 * The probes on the file open at fd, attached by this process: with got
 * sites, plain uprobes at take_gil's wait and got sites (a take that does
 * not wait traps once); else take_gil's entry and return (a trap and a
 * return trampoline). drop_gil's entry either way, carrying cookie
 * (bpf/gilstat.h, pycfg). Every copy of each function; all or none.
 */
static int attach_here(struct gilstat *g, int fd, const struct lock_sites *p,
		       uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true);
	LIBBPF_OPTS(bpf_uprobe_opts, drop, .bpf_cookie = cookie);
	struct gilstat_bpf *s = g->skel;
	size_t before = g->nlinks;
	char path[64];
	int r;

	if (!lock_sites_valid(p))	/* the attacher's requests come over a socket */
		return -EINVAL;
	/* the kernel resolves the path at each attach: the fd's, not a name
	 * that may be gone or replaced meanwhile */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	if (p->ngot) {
		r = attach_sites(g, s->progs.gilstat_wait, path, p->wait, p->nwait, NULL);
		if (!r)
			r = attach_sites(g, s->progs.gilstat_got, path, p->got, p->ngot, NULL);
	} else {
		r = attach_sites(g, s->progs.gilstat_take_entry, path, p->acquire, p->nacquire,
				 NULL);
		if (!r)
			r = attach_sites(g, s->progs.gilstat_take_return, path, p->acquire,
					 p->nacquire, &ret);
	}
	if (!r)
		r = attach_sites(g, s->progs.gilstat_drop_entry, path, p->release, p->nrelease,
				 &drop);
	if (r)
		while (g->nlinks > before)	/* all or none */
			bpf_link__destroy(g->links[--g->nlinks]);
	return r;
}

/* ---- the attacher ------------------------------------------------------------- */

struct attach_req {
	struct lock_sites probes;	/* the file comes as SCM_RIGHTS */
	uint64_t cookie;		/* the drop probe's */
};

/* One request over the attacher's socket: 0 or a negative errno. */
static int ask_attacher(struct gilstat *g, int fd, const struct lock_sites *p,
			uint64_t cookie)
{
	struct attach_req req = { *p, cookie };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int32_t rc;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(g->sock, &mh, MSG_NOSIGNAL) != sizeof(req))
		return -EPIPE;
	if (recv(g->sock, &rc, sizeof(rc), 0) != sizeof(rc))
		return -EPIPE;
	return rc;
}

/* The attacher's life: attach what it is sent, say how it went, until the
 * socket closes (the watch ended, or died). */
static void __attribute__((noreturn)) attacher(struct gilstat *g)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct attach_req req;
		struct iovec iov = { &req, sizeof(req) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		int32_t rc = -EINVAL;
		int fd = -1;
		ssize_t n = recvmsg(g->sock, &mh, MSG_CMSG_CLOEXEC);

		if (n == 0 || (n < 0 && errno != EINTR))
			_exit(0);	/* the links go with us: the kernel detaches */
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		if (n == sizeof(req) && fd >= 0)
			rc = attach_here(g, fd, &req.probes, req.cookie);
		if (fd >= 0)
			close(fd);
		if (send(g->sock, &rc, sizeof(rc), MSG_NOSIGNAL) != sizeof(rc))
			_exit(0);
	}
}

/* Closes every fd from 3 up but the ones in keep[] (ascending). */
static void close_others(const int *keep, size_t n)
{
	unsigned lo = 3;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned)keep[i] > lo)
			close_range(lo, keep[i] - 1, 0);
		if ((unsigned)keep[i] + 1 > lo)
			lo = keep[i] + 1;
	}
	close_range(lo, ~0u, 0);
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int gilstat_spawn_attacher(struct gilstat *g, char *err, size_t errlen)
{
	/* CAP_SYS_ADMIN: 6.18 refuses a uprobe perf event with CAP_PERFMON alone */
	static const int caps[] = { PRIVS_CAP_BPF, PRIVS_CAP_PERFMON, PRIVS_CAP_SYS_ADMIN };
	int sv[2], keep[6], devnull;
	pid_t pid, parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return errf(err, errlen, -errno, "socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return errf(err, errlen, -errno, "cannot start the attacher: %s", strerror(errno));
	}
	if (pid == 0) {
		/* it ends with the watch; it keeps the programs and its socket, no
		 * other file (a listening socket, the terminal's state) and only
		 * the capabilities attaching takes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)	/* the watch died before that was set */
			_exit(0);
		prctl(PR_SET_NAME, "gilscope-attach");
		g->sock = sv[1];
		keep[0] = sv[1];
		keep[1] = bpf_program__fd(g->skel->progs.gilstat_take_entry);
		keep[2] = bpf_program__fd(g->skel->progs.gilstat_take_return);
		keep[3] = bpf_program__fd(g->skel->progs.gilstat_drop_entry);
		keep[4] = bpf_program__fd(g->skel->progs.gilstat_wait);
		keep[5] = bpf_program__fd(g->skel->progs.gilstat_got);
		qsort(keep, 6, sizeof(keep[0]), int_cmp);
		close_others(keep, 6);
		/* nor the terminal or a pipe someone reads to its end */
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; fd < 3 && devnull >= 0; fd++)
			dup2(devnull, fd);
		if (privs_drop(caps, sizeof(caps) / sizeof(caps[0])))
			_exit(1);
		attacher(g);
	}
	close(sv[1]);
	g->sock = sv[0];
	g->attacher = pid;
	return 0;
}

int gilstat_attach(struct gilstat *g, int fd, const struct lock_sites *p,
		   const struct gs_py_cfg *py, char *err, size_t errlen)
{
	uint64_t cookie = 0;
	int r;

	/* the layout is in place before the first hit can look for it; the
	 * map's fd needs no privilege, so this works after the drop too */
	if (py && g->ncfg < GILSTAT_MAX_FILES &&
	    !bpf_map_update_elem(bpf_map__fd(g->skel->maps.pycfg), &g->ncfg, py, BPF_ANY)) {
		cookie = ++g->ncfg;
		__atomic_store_n(&g->skel->bss->funcs_on, 1, __ATOMIC_RELAXED);
	}
	r = g->sock >= 0 ? ask_attacher(g, fd, p, cookie) : attach_here(g, fd, p, cookie);

	if (r == -EPIPE && g->sock >= 0)
		return errf(err, errlen, r, "the attacher is gone");
	if (r)
		return errf(err, errlen, r, "cannot attach: %s", strerror(-r));
	return 0;
}

/*
 * Reads a whole hash map into keys/vals (max entries), batched: a few
 * system calls for thousands of entries. Entries added or removed meanwhile
 * may be missed or seen once; none is seen twice by a single batch pass.
 */
static int read_map(int fd, void *keys, size_t ksize, void *vals, size_t vsize, size_t max,
		    size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint8_t token[sizeof(struct gilstat_func_key)];	/* the largest key */
	bool first = true;
	int r;

	*n = 0;
	while (*n < max) {
		__u32 count = max - *n;

		r = bpf_map_lookup_batch(fd, first ? NULL : token, token, (char *)keys + *n * ksize,
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

/* A whole counter map (values of vsize bytes) into rows of rsize bytes:
 * the uint32_t key first, the value at voff (gilstat_proc_rec,
 * gilstat_thread_rec). */
static int read_rows(struct gilstat *g, int fd, size_t vsize, size_t max, void *rows,
		     size_t rsize, size_t voff, size_t *n)
{
	int r = read_map(fd, g->keys, sizeof(*g->keys), g->vals, vsize, max, n);

	if (r)
		return r;
	for (size_t i = 0; i < *n; i++) {
		char *row = (char *)rows + i * rsize;

		memcpy(row, &g->keys[i], sizeof(uint32_t));
		memcpy(row + voff, (char *)g->vals + i * vsize, vsize);
	}
	return 0;
}

/*
 * The funcs map: this epoch's entries into the reading; older ones are
 * deleted (one batch), so that the map holds about one interval's (thread,
 * function) pairs and its LRU never has to evict a current one. A hold that
 * ends between this and the epoch's bump belongs to the interval read: it
 * is not counted (as for max_wait_ns).
 */
static int read_funcs(struct gilstat *g, struct gilstat_reading *out)
{
	uint64_t ep = __atomic_load_n(&g->skel->bss->epoch, __ATOMIC_RELAXED);
	int fd = bpf_map__fd(g->skel->maps.funcs);
	size_t n, k = 0;
	__u32 nstale = 0;
	int r;

	r = read_map(fd, g->fkeys, sizeof(*g->fkeys), g->fvals, sizeof(*g->fvals),
		     GILSTAT_MAX_FUNCS, &n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (g->fvals[i].epoch == ep)
			g->funcs[k++] = (struct gilstat_func_rec){ g->fkeys[i], g->fvals[i].hold_ns };
		else if (g->fvals[i].epoch < ep)
			g->stale[nstale++] = g->fkeys[i];
	}
	if (nstale) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);

		/* -ENOENT: a thread's entry evicted meanwhile; the rest go next time */
		bpf_map_delete_batch(fd, g->stale, &nstale, &opts);
	}
	out->funcs = g->funcs;
	out->nfuncs = k;
	return 0;
}

int gilstat_read(struct gilstat *g, struct gilstat_reading *out)
{
	struct gilstat_bpf *s = g->skel;
	size_t n;
	int r;

	r = read_rows(g, bpf_map__fd(s->maps.procs), sizeof(struct gilstat_proc), GILSTAT_MAX_PROCS,
		      g->procs, sizeof(*g->procs), offsetof(struct gilstat_proc_rec, v), &n);
	if (r)
		return r;
	out->procs = g->procs;
	out->nprocs = n;
	r = read_rows(g, bpf_map__fd(s->maps.threads), sizeof(struct gilstat_thread),
		      GILSTAT_MAX_THREADS, g->threads, sizeof(*g->threads),
		      offsetof(struct gilstat_thread_rec, v), &n);
	if (r)
		return r;
	out->threads = g->threads;
	out->nthreads = n;
	if ((r = read_funcs(g, out)))
		return r;
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
	if (g->sock >= 0)	/* the attacher ends, and detaches as it goes */
		close(g->sock);
	if (g->attacher)
		waitpid(g->attacher, NULL, WNOHANG);
	while (g->nlinks)
		bpf_link__destroy(g->links[--g->nlinks]);
	bpf_link__destroy(g->tp[0]);
	bpf_link__destroy(g->tp[1]);
	ring_buffer__free(g->ring);
	gilstat_bpf__destroy(g->skel);
	free(g->links);
	free(g);
}
