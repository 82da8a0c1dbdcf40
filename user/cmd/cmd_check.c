/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_check.c - `gilscope check`: can this machine trace? One line per item,
 * each saying what to do when it fails. The BPF items are not guessed from
 * the kernel version: the programs are really loaded and attached, and the
 * USDT probes below (in gilscope itself) are fired and their events read
 * back from the ring buffer. Whether the kernel turns probes on 5-byte
 * nops (gilrt's) into calls is observed the same way: such a site is hit
 * and its bytes read back, and the cost of a hit timed against a 1-byte one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf/gs_usdt.h"
#include "record/adapter.h"
#include "record/calibrate.h"
#include "cmd/cmd.h"
#include "util/gs_types.h"
#include "record/loader.h"

static int nfail;

static const char check_usage[] =
"usage: gilscope check\n"
"       gilscope check --python PID [--json] [-v]\n"
"\n"
"Says, one line per item, whether this machine can trace, and what to do about\n"
"each failure; and whether the kernel turns probes on 5-byte nops (gilrt's)\n"
"into calls, with what a probe hit costs here. Exit 0 when it can.\n"
"\n"
"With --python PID: whether the running CPython process PID can be traced with\n"
"Python names. Shows its interpreter, where the layout of its structures came\n"
"from (_Py_DebugOffsets or DWARF), each thread with its threading name and the\n"
"function it is in, and any read that failed. -v also lists every offset and\n"
"its source; --json prints the same as one JSON object. Reads the process's\n"
"memory (needs root, or the right to ptrace it); does not stop it.";

__attribute__((format(printf, 3, 4)))
static void item(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%-5s %-12s ", ok ? "ok" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		nfail++;
}

static void info(const char *what, const char *text)
{
	printf("%-5s %-12s %s\n", "info", what, text);
}

/* gilrt's lock probes, in gilscope itself, so check can fire them (no
 * semaphores: they always fire; a probe costs a nop here), on 5-byte nops
 * like gilrt's own. */
static __attribute__((noinline)) void fire_probes(void)
{
	static int lock;

	GS_USDT1(gilrt, gil_request, 0, &lock);
	GS_USDT2(gilrt, gil_acquired, 0, &lock, 1);
	GS_USDT2(gilrt, gil_released, 0, &lock, 2);
	GS_USDT2(gilrt, gil_drop_request, 0, &lock, 0);
}

/* Uprobe optimization: does a 5-byte-nop site become a call here, what a
 * hit costs against a 1-byte one, and does a fork survive it. Measured
 * before the usdt item attaches its own programs to gilscope's probes
 * (which would run on the measured hits too), said after it. */
static struct calib uprobe_opt;
static int uprobe_opt_rc = -1;
static char uprobe_opt_err[256];

static void measure_uprobe_opt(void)
{
	struct calib_opts o = { .kinds = 1u << COST_USDT5 | 1u << COST_USDT1, .fork_test = true };

	uprobe_opt_rc = calibrate(&o, &uprobe_opt, uprobe_opt_err, sizeof(uprobe_opt_err));
}

static void check_uprobe_opt(void)
{
	const struct calib *c = &uprobe_opt;

	if (uprobe_opt_rc) {
		info("uprobe-opt", uprobe_opt_err);
		return;
	}
	if (c->nop5_optimized)
		printf("%-5s %-12s probes on 5-byte nops (gilrt's) become calls here (uprobe "
		       "optimization): %.0f ns a hit, %.0f ns on a 1-byte nop\n", "info", "uprobe-opt",
		       c->ns[COST_USDT5], c->ns[COST_USDT1]);
	else
		printf("%-5s %-12s this kernel traps on 5-byte-nop probes as on any (no uprobe "
		       "optimization: x86-64 Linux 6.18+ has it): %.0f ns a hit, %.0f ns on a 1-byte nop\n",
		       "info", "uprobe-opt", c->ns[COST_USDT5], c->ns[COST_USDT1]);
	if (c->nop5_optimized && c->nop5_fork == 0)
		info("uprobe-fork", "a process forked after such a probe was optimized dies at its "
		     "next hit here (a kernel bug): gilrt's workers remap their code; other programs "
		     "with 5-byte-nop probes that fork while traced may crash");
	else if (c->nop5_optimized && c->nop5_fork == 1)
		info("uprobe-fork", "a process forked after an optimized probe keeps working");
}

/* A lock for the uprobe/uretprobe programs of --lock, traced in ourselves. */
__attribute__((noinline, used)) void gilscope_check_acquire(int *lock)
{
	__atomic_store_n(lock, 1, __ATOMIC_SEQ_CST);
}

__attribute__((noinline, used)) void gilscope_check_release(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_SEQ_CST);
}

static int seen_types;
static struct ring_buffer *rb_for_check;

static int on_event(void *ctx, void *data, size_t size)
{
	const struct gs_event *e = data;

	(void)ctx;
	for (size_t i = 0; i < size / sizeof(*e); i++)	/* a record is a batch */
		if (e[i].pid == (uint32_t)getpid() && e[i].type < 32)
			seen_types |= 1 << e[i].type;
	return 0;
}

/* --lock's uprobe + uretprobe programs on gilscope_check_acquire/release. */
static void check_lock_probes(struct loader *l)
{
	static struct adapter_target a;	/* large: not on the stack */
	int want = 1 << GS_EV_LOCK_REQUEST | 1 << GS_EV_LOCK_ACQUIRED | 1 << GS_EV_LOCK_RELEASED;
	struct lock_target t;
	char err[256];
	bool usage;
	static int lock;

	if (adapter_setup(&a, false, ":gilscope_check_acquire:gilscope_check_release:arg0",
			  getpid(), NULL, &usage, err, sizeof(err))) {
		info("uprobe", "not tried: gilscope's own symbols are stripped");
		return;
	}
	adapter_lock_target(&a, &t);
	if (loader_attach_lock(l, &t)) {
		item(false, "uprobe", "%s", loader_error(l));
		return;
	}
	seen_types = 0;
	gilscope_check_acquire(&lock);
	gilscope_check_release(&lock);
	loader_flush(l);
	ring_buffer__consume(rb_for_check);
	item((seen_types & want) == want, "uprobe", "%s", (seen_types & want) == want
	     ? "lock uprobe and uretprobe fired and read back (--python, --lock work)"
	     : "lock probes attached but no events came back: report this as a bug");
}

static int kernel_at_least(const char *release, int maj, int min)
{
	int a = 0, b = 0;

	sscanf(release, "%d.%d", &a, &b);
	return a > maj || (a == maj && b >= min);
}

/* The kernel release against what the BPF side needs, feature by feature
 * (loader_features: the one list; README's Limitations says the same). */
static void check_kernel(const char *release)
{
	int maj, min;
	bool ok;

	loader_min_kernel(&maj, &min);
	ok = kernel_at_least(release, maj, min);
	item(ok, "kernel", "%s %s %d.%d%s", release, ok ? "(gilscope needs" : "is older than", maj, min,
	     ok ? " or newer: the newest of these)" : ": upgrade the kernel (what needs which release below)");
	for (const struct loader_feature *f = loader_features; f->what; f++) {
		char since[16];

		snprintf(since, sizeof(since), "%d.%d+", f->major, f->minor);
		printf("%-5s %-12s %s%s\n", "info", since, f->what,
		       kernel_at_least(release, f->major, f->minor) ? "" : " (missing here)");
	}
}

/* Which program variants the kernel's tracepoints allowed (both record the
 * same facts; the older way reads them from the task). */
static void show_variants(const struct loader *l)
{
	struct loader_variants v;

	loader_variants(l, &v);
	info("sched_switch", v.switch_state_arg ? "sleeping or preempted: the tracepoint's prev_state (5.18+)"
		: "sleeping or preempted: read from the task (no prev_state argument before 5.18)");
	info("exit", v.exit_group_dead_arg ? "last thread of a process: the tracepoint's group_dead (6.16+)"
		: "last thread of a process: the task's signal->live (no group_dead argument before 6.16)");
}

int cmd_check(int argc, char **argv)
{
	struct loader_opts lo = { 0 };
	struct loader *l = NULL;
	struct ring_buffer *rb = NULL;
	char missing[64], lockdown[128] = "";
	struct utsname u;
	struct stat st;
	bool can_bpf;
	int fd, err;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "python", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	bool json = false, verbose = false;
	pid_t pid = 0;
	char q[256];
	int c;

	optind = 1;
	while ((c = cmd_getopt("check", argc, argv, ":hv", longopts)) != -1) {
		switch (c) {
		case 'h':
			puts(check_usage);
			return 0;
		case 'P':
			if (cmd_parse_pid("check", optarg, &pid))
				return 2;
			break;
		case 'j': json = true; break;
		case 'v': verbose = true; break;
		default: return 2;
		}
	}
	if (optind < argc)
		return cmd_usage("check", "unexpected argument '%s'", cmd_quote(q, sizeof(q), argv[optind]));
	if (pid)
		return cmd_check_python(pid, json, verbose);
	if (json || verbose)
		return cmd_usage("check", "--json and -v go with --python PID");

	uname(&u);
	check_kernel(u.release);
	item(!stat("/sys/kernel/btf/vmlinux", &st), "btf", "%s",
	     !stat("/sys/kernel/btf/vmlinux", &st) ? "/sys/kernel/btf/vmlinux present"
		: "/sys/kernel/btf/vmlinux missing: use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	can_bpf = !loader_missing_caps(missing, sizeof(missing));
	if (can_bpf)
		item(true, "privileges", "%s", geteuid() == 0 ? "root" : "CAP_BPF and CAP_PERFMON");
	else
		item(false, "privileges", "missing %s: run as root (sudo gilscope ...) or grant "
		     "CAP_BPF,CAP_PERFMON", missing);
	if ((fd = open("/sys/kernel/security/lockdown", O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t n = read(fd, lockdown, sizeof(lockdown) - 1);

		close(fd);
		lockdown[n > 0 ? n : 0] = '\0';
		lockdown[strcspn(lockdown, "\n")] = '\0';
		if (strstr(lockdown, "[confidentiality]"))
			item(false, "lockdown", "%s: BPF tracing is blocked; boot with lockdown=integrity "
			     "or none", lockdown);
	}

	if (!can_bpf) {
		item(false, "bpf", "not tried (needs the privileges above)");
		goto out;
	}
	err = loader_open(&l, &lo);
	if (!err)
		err = loader_load(l);
	item(!err, "bpf load", "%s", err ? loader_error(l)
		: "ring buffer, BTF tracepoint and uprobe programs pass the verifier");
	if (err)
		goto out;
	show_variants(l);
	measure_uprobe_opt();
	err = loader_attach_sched(l);
	item(!err, "tp_btf", "%s", err ? loader_error(l) : "sched_switch/wakeup/migrate/fork/exit attached");
	err = loader_attach_gilrt(l, "/proc/self/exe");
	if (!err)
		err = loader_trace_tgid(l, getpid());
	if (!err) {
		rb = ring_buffer__new(loader_ringbuf_fd(l), on_event, NULL, NULL);
		err = rb ? 0 : -errno;
	}
	if (!err) {
		int want = 1 << GS_EV_LOCK_REQUEST | 1 << GS_EV_LOCK_ACQUIRED |
			   1 << GS_EV_LOCK_RELEASED | 1 << GS_EV_DROP_REQUEST;

		fire_probes();
		loader_flush(l);
		ring_buffer__consume(rb);
		rb_for_check = rb;
		item((seen_types & want) == want, "usdt", "%s", (seen_types & want) == want
		     ? "probes fired and their events read back (uprobes work)"
		     : "probes attached but no events came back: report this as a bug");
		check_lock_probes(l);
		check_uprobe_opt();
	} else {
		item(false, "usdt", "%s", loader_error(l)[0] ? loader_error(l) : strerror(-err));
	}
	info("tracefs", !stat("/sys/kernel/tracing/events", &st) ? "mounted (not required)"
		: "not mounted (not required: probes attach without it)");
out:
	ring_buffer__free(rb);
	loader_destroy(l);
	printf("%s\n", nfail ? "gilscope cannot trace here: fix the FAIL lines above"
			     : "gilscope can trace on this machine");
	return nfail ? 1 : 0;
}
