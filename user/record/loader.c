/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * loader.c - open, configure, load and attach bpf/gilscope.bpf.c (or the
 * empty bpf/floor.bpf.c for benchmarks). See loader.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "record/elf_sym.h"
#include "record/loader.h"
#include "util/gs_types.h"
#include "util/path.h"
#include "gilscope.skel.h"
#include "floor.skel.h"

#define MAX_LINKS 64

struct loader {
	struct gilscope_bpf *skel;	/* the recording programs, or NULL in floor mode */
	struct floor_bpf *floor;	/* the empty programs (opts.floor) */
	struct bpf_link *links[MAX_LINKS];	/* everything attached, to destroy */
	int nlinks;
	bool lock_attached;		/* one lock target per loader */
	bool tp_fallback;		/* opts.tp_fallback or GILSCOPE_TP_FALLBACK */
	bool sync_detach;		/* opts.sync_detach */
	struct loader_variants var;	/* what loader_load() chose */
	int ncpus;			/* possible CPUs: size of per-CPU values */
	bool *online;			/* [ncpus]: CPUs whose stage loader_flush() empties */
	char err[256];			/* last failure, one line */
};

/* the floor set covers only the lock probes: they are what bench compares */
#define NFLOOR_PROBES 4

const struct loader_feature loader_features[] = {
	{ "BTF tracepoints (tp_btf)", 5, 5 },
	{ "BPF ring buffer", 5, 8 },
	{ "BPF_PROG_TEST_RUN of a raw tracepoint on a given CPU (stage flush)", 5, 10 },
	{ "BPF atomic exchange (the stage's owner flag)", 5, 12 },
	{ "BPF cookie (USDT argument specs)", 5, 15 },
	{ NULL, 0, 0 },
};

void loader_min_kernel(int *major, int *minor)
{
	*major = *minor = 0;
	for (const struct loader_feature *f = loader_features; f->what; f++)
		if (f->major > *major || (f->major == *major && f->minor > *minor)) {
			*major = f->major;
			*minor = f->minor;
		}
}

static char libbpf_last[256];	/* libbpf's last warning, for error messages */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;

	if (getenv("GILSCOPE_DEBUG")) {	/* everything, verifier logs included */
		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, ap);
	libbpf_last[strcspn(libbpf_last, "\n")] = '\0';
	return 0;
}

static int fail(struct loader *l, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct loader *l, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

int loader_missing_caps(char *buf, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	static const struct { int cap; const char *name; } need[] = {
		{ 39, "CAP_BPF" }, { 38, "CAP_PERFMON" },
	};
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0;	/* cannot tell: let the kernel decide */
#define HAS(c) (data[(c) / 32].effective & (1u << ((c) % 32)))
	if (HAS(21))	/* CAP_SYS_ADMIN covers both on every kernel */
		return 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (HAS(need[i].cap))
			continue;
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", need[i].name);
	}
#undef HAS
	return off > 0;
}

/* Marks the CPUs listed in /sys/devices/system/cpu/online ("0-3,8"); if it
 * cannot be read, every possible CPU (flushing an absent one just fails). */
static void read_online(bool *online, int ncpus)
{
	char buf[1024], *p = buf, *end;
	ssize_t n = -1;
	int fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0) {
		memset(online, 1, ncpus * sizeof(*online));
		return;
	}
	buf[n] = '\0';
	while (*p >= '0' && *p <= '9') {
		long a = strtol(p, &end, 10), b = a;

		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b && c < ncpus; c++)
			online[c] = true;
		p = end + (*end == ',');
	}
}

int loader_open(struct loader **out, const struct loader_opts *opts)
{
	const char *fallback;
	struct loader *l;
	char missing[64];
	int err;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*out = l;
	libbpf_set_print(libbpf_print);
	l->sync_detach = opts->sync_detach;
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		return fail(l, l->ncpus ? l->ncpus : -EINVAL, "cannot count the possible CPUs");
	l->online = calloc(l->ncpus, sizeof(*l->online));
	if (!l->online)
		return fail(l, -ENOMEM, "out of memory");
	read_online(l->online, l->ncpus);
	if (loader_missing_caps(missing, sizeof(missing)))
		return fail(l, -EPERM, "tracing needs root, or the capabilities %s "
			    "(missing: %s); run it with sudo", "CAP_BPF and CAP_PERFMON", missing);
	if (opts->floor) {
		l->floor = floor_bpf__open();
		if (!l->floor)
			return fail(l, -errno, "cannot open the BPF floor programs: %s", strerror(errno));
		return 0;
	}
	l->skel = gilscope_bpf__open();
	if (!l->skel)
		return fail(l, -errno, "cannot open the BPF programs: %s", strerror(errno));
	l->skel->rodata->all_tasks = opts->all_tasks;
	if (opts->py)	/* --python's function capture: fixed at load */
		l->skel->rodata->py_cfg = *opts->py;
	if (opts->for_user) {
		l->skel->data->user_uid = opts->uid;
		l->skel->data->user_gid = opts->gid;
	}
	fallback = getenv("GILSCOPE_TP_FALLBACK");
	l->tp_fallback = opts->tp_fallback || (fallback && *fallback && strcmp(fallback, "0"));
	if (opts->ringbuf_bytes) {
		err = bpf_map__set_max_entries(l->skel->maps.events, opts->ringbuf_bytes);
		if (err)
			return fail(l, err, "bad ring buffer size %u (a power of two, >= the page size)",
				    opts->ringbuf_bytes);
	}
	return 0;
}

/*
 * How many arguments the running kernel's tracepoint tp passes to BPF, from
 * its BTF: btf_trace_TP is a typedef of a pointer to the probe function
 * (void *data, args...). -1 if it cannot tell.
 */
static int tp_nargs(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[64];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) && btf_vlen(t) > 0 ? btf_vlen(t) - 1 : -1;
}

/* Keeps, of each pair of tracepoint programs, the one this kernel can load:
 * a program that reads an argument the tracepoint lacks fails the verifier. */
static void choose_variants(struct loader *l)
{
	struct gilscope_bpf *s = l->skel;
	struct btf *btf = l->tp_fallback ? NULL : btf__load_vmlinux_btf();

	/* without BTF the load fails anyway, with a clearer message */
	if (btf) {
		l->var.switch_state_arg = tp_nargs(btf, "sched_switch") >= 4;
		l->var.exit_group_dead_arg = tp_nargs(btf, "sched_process_exit") >= 2;
		btf__free(btf);
	}
	bpf_program__set_autoload(s->progs.on_sched_switch, l->var.switch_state_arg);
	bpf_program__set_autoload(s->progs.on_sched_switch_compat, !l->var.switch_state_arg);
	bpf_program__set_autoload(s->progs.on_sched_process_exit, l->var.exit_group_dead_arg);
	bpf_program__set_autoload(s->progs.on_sched_process_exit_compat,
				  !l->var.exit_group_dead_arg);
}

void loader_variants(const struct loader *l, struct loader_variants *v)
{
	*v = l->var;
}

int loader_load(struct loader *l)
{
	int err;

	if (l->skel)
		choose_variants(l);
	err = l->floor ? floor_bpf__load(l->floor) : gilscope_bpf__load(l->skel);

	if (!err)
		return 0;
	if (err == -EPERM)
		return fail(l, err, "the kernel refused to load the BPF programs (%s); "
			    "run as root, check kernel.unprivileged_bpf_disabled and lockdown",
			    strerror(-err));
	if (err == -EACCES)	/* the verifier said no: not a privilege problem */
		return fail(l, err, "the kernel's BPF verifier rejected a program (%s); this "
			    "kernel may be too old or different: run with GILSCOPE_DEBUG=1 and "
			    "report it", libbpf_last[0] ? libbpf_last : "no details");
	return fail(l, err, "cannot load the BPF programs: %s (%s)", strerror(-err),
		    libbpf_last[0] ? libbpf_last : "run with GILSCOPE_DEBUG=1 for details");
}

static int keep_link(struct loader *l, struct bpf_link *link, const char *what)
{
	int err = -errno;

	if (!link)
		return fail(l, err ? err : -EINVAL, "cannot attach %s: %s", what, strerror(err ? -err : EINVAL));
	if (l->nlinks == MAX_LINKS) {
		bpf_link__destroy(link);
		return fail(l, -E2BIG, "too many BPF links");
	}
	l->links[l->nlinks++] = link;
	return 0;
}

int loader_attach_gilrt(struct loader *l, const char *binary)
{
	struct gilrt_notes notes;
	int err = loader_gilrt_notes(binary, &notes);
	char what[96];

	if (err < 0)
		return fail(l, err, "cannot read %s: %s", binary, strerror(-err));
	if (!(notes.probes & 0xf))
		return fail(l, -ENOMSG, "%s has no gilrt probes; for CPython use --python, "
			    "for another lock use --lock SPEC", binary);
	for (size_t i = 0; i < (l->floor ? NFLOOR_PROBES : LOADER_GILRT_NPROBES); i++) {
		struct bpf_program *prog;
		struct bpf_link *link;
		char name[40];

		if (!(notes.probes & (1 << i)))
			continue;	/* older gilrt builds lack some probes */
		if (l->floor) {
			snprintf(name, sizeof(name), "floor_%s", loader_gilrt_probes[i]);
			prog = bpf_object__find_program_by_name(l->floor->obj, name);
		} else {
			/* the arguments straight from registers where every site has them there */
			snprintf(name, sizeof(name), "%s%s", loader_gilrt_probes[i],
				 notes.regs & (1 << i) ? "_regs" : "");
			prog = bpf_object__find_program_by_name(l->skel->obj, name);
		}
		if (!prog)
			return fail(l, -ENOENT, "no BPF program %s for probe %s", name,
				    loader_gilrt_probes[i]);
		/* pid -1: every process running binary; BPF keeps the traced ones */
		link = bpf_program__attach_usdt(prog, -1, binary, "gilrt", loader_gilrt_probes[i], NULL);
		snprintf(what, sizeof(what), "probe gilrt:%s in %s", loader_gilrt_probes[i], binary);
		err = keep_link(l, link, what);
		if (err)
			return err;
	}
	return 0;
}

/* One uprobe (or uretprobe) of the lock programs at file offset off. */
static int attach_at(struct loader *l, struct bpf_program *prog, const char *binary, uint64_t off,
		     bool ret, const char *what)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret);
	char w[96];

	snprintf(w, sizeof(w), "the %s at offset %#llx", what, (unsigned long long)off);
	return keep_link(l, bpf_program__attach_uprobe_opts(prog, -1, binary, off, &opts), w);
}

bool lock_sites_valid(const struct lock_sites *s)
{
	return s->nacquire && s->nrelease && s->nacquire <= LOCK_SITES_MAX &&
	       s->nrelease <= LOCK_SITES_MAX && s->nwait <= LOCK_SITES_MAX &&
	       s->ngot <= LOCK_SITES_MAX && (!s->ngot || s->nwait);
}

int loader_attach_lock(struct loader *l, const struct lock_target *t)
{
	struct gilscope_bpf *s = l->skel;
	const struct lock_sites *ls = &t->sites;
	int err = 0;

	if (!s)
		return fail(l, -EOPNOTSUPP, "lock targets are not supported in floor mode");
	if (l->lock_attached)
		return fail(l, -EBUSY, "only one lock can be traced at a time");
	if (t->acquire_arg < -1 || t->acquire_arg > 5 || t->release_arg < -1 || t->release_arg > 5)
		return fail(l, -EINVAL, "lock argument index must be 0..5 (or none)");
	if (t->acquire_ok < GS_LOCK_OK_ANY || t->acquire_ok > GS_LOCK_OK_NONZERO)
		return fail(l, -EINVAL, "bad success rule %d for the acquire function", t->acquire_ok);
	if (!lock_sites_valid(ls) || (ls->ngot && t->acquire_ok != GS_LOCK_OK_ANY))
		return fail(l, -EINVAL, "bad lock target: %u acquire, %u release, %u wait, %u got sites",
			    ls->nacquire, ls->nrelease, ls->nwait, ls->ngot);
	/* .data, not rodata: the target is known only after load */
	s->data->lock_acquire_arg = t->acquire_arg;
	s->data->lock_release_arg = t->release_arg;
	s->data->lock_filter = t->acquire_arg >= 0 ? t->lock_addr : 0;
	s->data->lock_addr = t->lock_addr ? t->lock_addr : 1;
	s->data->lock_ok = t->acquire_ok;
	for (uint32_t i = 0; !err && i < ls->nacquire; i++) {
		if (!ls->nwait)
			err = attach_at(l, s->progs.lock_acquire_entry, t->binary,
					ls->acquire[i].off, false, "lock acquire uprobe");
		if (!err && !ls->ngot)
			err = attach_at(l, s->progs.lock_acquire_return, t->binary,
					ls->acquire[i].off, true, "lock acquire uretprobe");
	}
	/* the return program reads no return value for a target that has got
	 * sites (CPython: take_gil returns nothing, lock_ok ANY) */
	for (uint32_t i = 0; !err && i < ls->ngot; i++)
		err = attach_at(l, s->progs.lock_acquire_return, t->binary, ls->got[i].off, false,
				"lock got uprobe");
	for (uint32_t i = 0; !err && i < ls->nrelease; i++)
		err = attach_at(l, s->progs.lock_release_entry, t->binary, ls->release[i].off,
				false, "lock release uprobe");
	for (uint32_t i = 0; !err && i < ls->nwait; i++)
		err = attach_at(l, s->progs.lock_wait, t->binary, ls->wait[i].off, false,
				"lock wait uprobe");
	if (!err)
		l->lock_attached = true;
	return err;
}

int loader_set_lock_filter(struct loader *l, uint64_t lock_addr)
{
	if (!l->skel || !l->lock_attached)
		return fail(l, -EINVAL, "no lock target attached");
	if (l->skel->data->lock_acquire_arg >= 0)
		l->skel->data->lock_filter = lock_addr;
	else
		l->skel->data->lock_addr = lock_addr ? lock_addr : 1;
	return 0;
}

int loader_attach_sched(struct loader *l)
{
	struct gilscope_bpf *s = l->skel;
	int err;

	if (!s)
		return 0;
	struct bpf_program *progs[] = {
		l->var.switch_state_arg ? s->progs.on_sched_switch : s->progs.on_sched_switch_compat,
		s->progs.on_sched_wakeup, s->progs.on_sched_wakeup_new, s->progs.on_sched_migrate_task,
		s->progs.on_sched_process_fork, s->progs.on_sched_process_exec, /* loader_opts.for_user */
		l->var.exit_group_dead_arg ? s->progs.on_sched_process_exit
					   : s->progs.on_sched_process_exit_compat,
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		err = keep_link(l, bpf_program__attach(progs[i]), bpf_program__name(progs[i]));
		if (err)
			return err;
	}
	return 0;
}

int loader_switch_prog_fd(const struct loader *l)
{
	if (!l->skel)
		return -ENOENT;
	return bpf_program__fd(l->var.switch_state_arg ? l->skel->progs.on_sched_switch
						      : l->skel->progs.on_sched_switch_compat);
}

/* See traced_slots in gilscope.bpf.c: a tgid takes its slot if free, else
 * goes to the hash, which BPF then consults on every slot miss. */
static int tgid_update(struct loader *l, pid_t tgid, bool add)
{
	__u32 key = tgid, slot, cur = 0;
	int sfd, hfd, err;
	__u8 one = 1;

	if (!l->skel)
		return 0;
	if (tgid <= 0)
		return fail(l, -EINVAL, "bad process id %d", (int)tgid);
	slot = key % bpf_map__max_entries(l->skel->maps.traced_slots);
	sfd = bpf_map__fd(l->skel->maps.traced_slots);
	hfd = bpf_map__fd(l->skel->maps.traced_tgids);
	if (bpf_map_lookup_elem(sfd, &slot, &cur))
		cur = 0;
	if (add && (cur == 0 || cur == key)) {
		err = bpf_map_update_elem(sfd, &slot, &key, BPF_ANY);
	} else if (add) {
		err = bpf_map_update_elem(hfd, &key, &one, BPF_ANY);
		if (!err)
			l->skel->bss->traced_overflow = 1;
	} else if (cur == key) {
		cur = 0;
		err = bpf_map_update_elem(sfd, &slot, &cur, BPF_ANY);
	} else {
		err = bpf_map_delete_elem(hfd, &key);
		if (err == -ENOENT)
			err = 0;
	}
	if (err)
		return fail(l, err, "cannot %s process %d in the traced set: %s",
			    add ? "add" : "remove", (int)tgid, strerror(-err));
	return 0;
}

int loader_trace_tgid(struct loader *l, pid_t tgid)
{
	return tgid_update(l, tgid, true);
}

int loader_untrace_tgid(struct loader *l, pid_t tgid)
{
	return tgid_update(l, tgid, false);
}

int loader_ringbuf_fd(const struct loader *l)
{
	return l->skel ? bpf_map__fd(l->skel->maps.events) : -1;
}

int loader_flush(struct loader *l)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU);
	int fd, err;

	if (!l->skel)
		return 0;
	fd = bpf_program__fd(l->skel->progs.flush_stage);
	for (int cpu = 0; cpu < l->ncpus; cpu++) {
		if (!l->online[cpu])
			continue;
		opts.cpu = cpu;
		err = bpf_prog_test_run_opts(fd, &opts);
		/* ENXIO: the CPU went offline (its stage waits for it) */
		if (err && err != -ENXIO)
			return err;
	}
	return 0;
}

uint64_t loader_lost(const struct loader *l)
{
	__u64 vals[l->ncpus > 0 ? l->ncpus : 1];
	__u32 zero = 0;
	uint64_t sum = 0;

	if (!l->skel)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.lost), &zero, vals))
		return 0;
	for (int i = 0; i < l->ncpus; i++)
		sum += vals[i];
	return sum;
}

void loader_quiet_hits(const struct loader *l, uint64_t *acquire, uint64_t *release)
{
	__u64 vals[l->ncpus > 0 ? l->ncpus : 1];

	*acquire = *release = 0;
	if (!l->skel)
		return;
	for (__u32 k = 0; k < 2; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.quiet_hits), &k, vals))
			continue;
		for (int i = 0; i < l->ncpus; i++)
			*(k ? release : acquire) += vals[i];
	}
}

const char *loader_error(const struct loader *l)
{
	return l ? l->err : "out of memory";
}

/*
 * Releasing a uprobe waits out RCU grace periods, about 0.1 s per probe site
 * here: over a second for gilrt, paid by whoever drops the last reference to
 * the probes' file descriptors. A forked helper holds copies of them until
 * we have let go of ours, then exits and pays that in the background, so
 * gilscope exits at once. Returns the fd whose closing lets the helper go,
 * or -1 (then we simply pay ourselves).
 */
static int detach_helper(void)
{
	int p[2], devnull;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* the helper's child does the waiting, so nobody has to reap it */
		if (fork() != 0)
			_exit(0);
		close(p[1]);
		/* do not hold the terminal or a pipe someone reads to EOF */
		devnull = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3 && devnull >= 0; fd++)
			dup2(devnull, fd);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
		close(p[1]);
		return -1;
	}
	return p[1];
}

void loader_destroy(struct loader *l)
{
	int helper = -1;

	if (!l)
		return;
	if (l->nlinks && !l->sync_detach)
		helper = detach_helper();
	for (int i = l->nlinks - 1; i >= 0; i--)
		bpf_link__destroy(l->links[i]);
	if (helper >= 0)
		close(helper);
	gilscope_bpf__destroy(l->skel);
	floor_bpf__destroy(l->floor);
	free(l->online);
	free(l);
}
