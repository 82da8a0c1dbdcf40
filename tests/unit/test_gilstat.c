/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_gilstat.c - the always-on counters (record/gilstat.h) on a real
 * CPython (root, BPF): pyenv's 3.11 (GS_TEST_PYTHON), its libpython used
 * from a private copy so that the probes trap no other Python on the
 * machine and count none. The test attaches them itself, both ways:
 *  - where the file has got sites: programs at take_gil's wait and got
 *    sites, none at its entry or return (read back from the kernel: this
 *    process's links in /proc/self/fdinfo, by their programs' names);
 *  - with the got sites left out (the fallback): take_gil's entry and
 *    return;
 *  - either way tests/progs/py_read_count.py's N reads of /dev/zero (one
 *    GIL cycle each) count N acquisitions, plus at most a few (its signal
 *    wait, its print), all timed, no hand-off; with got sites each take
 *    found the GIL free and its wait is exactly 0, in the first bucket;
 *    with entry probes it is the time from take_gil's entry (not 0);
 *  - counts out of range are refused (-EINVAL) and attach nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "check.h"
#include "scratch.h"
#include "record/adapter.h"
#include "record/gilstat.h"

#define N_READS 20000
#define EXTRA_TAKES 20	/* the signal wait and the print: a few takes more */

static char py[PATH_MAX], lib[PATH_MAX];	/* the interpreter, the private libpython */

/* How many of this process's BPF links run the program named name (the
 * kernel keeps its first 15 characters). */
static int links_to(const char *name)
{
	DIR *d = opendir("/proc/self/fdinfo");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], line[128];
		unsigned id = 0;
		bool link = false;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", e->d_name);
		if (e->d_name[0] == '.' || !(f = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			link |= !strncmp(line, "link_type:", 10);
			sscanf(line, "prog_id: %u", &id);
		}
		fclose(f);
		if (link && id) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);
			int fd = bpf_prog_get_fd_by_id(id);

			if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			    !strncmp(info.name, name, sizeof(info.name) - 1))
				n++;
			if (fd >= 0)
				close(fd);
		}
	}
	closedir(d);
	return n;
}

/* The totals of process pid in a fresh reading (zeroes if it has none). */
static struct gilstat_totals totals_of(struct gilstat *g, pid_t pid)
{
	struct gilstat_reading rd;
	struct gilstat_totals t = { 0 };

	CHECK(gilstat_read(g, &rd) == 0);
	for (size_t i = 0; i < rd.nprocs; i++)
		if (rd.procs[i].pid == (uint32_t)pid)
			t = rd.procs[i].v.t;
	return t;
}

/* Probes the private libpython with p, runs N reads, checks the counts. */
static void check_counts(const struct lock_sites *p, bool got)
{
	struct gilstat *g = NULL;
	struct gilstat_totals a, b;
	char err[256], cmd[3 * PATH_MAX], line[64];
	int fd, pid = 0, r = gilstat_open(&g, err, sizeof(err));
	FILE *f;

	CHECKF(r == 0, "%s", err);
	fd = open(lib, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	if (r || fd < 0)
		goto out;
	r = gilstat_attach(g, fd, p, NULL, err, sizeof(err));
	close(fd);
	CHECKF(r == 0, "%s", err);
	CHECKF(links_to("gilstat_got") == (got ? (int)p->ngot : 0) &&
	       links_to("gilstat_wait") == (got ? (int)p->nwait : 0) &&
	       links_to("gilstat_take_entry") == (got ? 0 : (int)p->nacquire) &&
	       links_to("gilstat_take_return") == (got ? 0 : (int)p->nacquire) &&
	       links_to("gilstat_drop_entry") == (int)p->nrelease,
	       "got sites %d: links to got %d, wait %d, take entry %d, return %d, drop %d",
	       got, links_to("gilstat_got"), links_to("gilstat_wait"),
	       links_to("gilstat_take_entry"), links_to("gilstat_take_return"),
	       links_to("gilstat_drop_entry"));
	/* started once the probes are in: its first take made its entry */
	snprintf(cmd, sizeof(cmd), "exec env LD_LIBRARY_PATH=%s %s tests/progs/py_read_count.py %d",
		 scratch_folder(), py, N_READS);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (!f)
		goto out;
	CHECK(fgets(line, sizeof(line), f) && sscanf(line, "ready %d", &pid) == 1 && pid > 0);
	if (pid > 0) {
		uint64_t acq, waits, wait_ns, first;

		a = totals_of(g, pid);
		kill(pid, SIGUSR1);
		CHECK(fgets(line, sizeof(line), f) && !strncmp(line, "done", 4));
		b = totals_of(g, pid);
		kill(pid, SIGTERM);
		acq = b.acquisitions - a.acquisitions;
		waits = b.waits - a.waits;
		wait_ns = b.wait_ns - a.wait_ns;
		first = b.hist[0] - a.hist[0];
		CHECKF(acq >= N_READS && acq <= N_READS + EXTRA_TAKES && waits == acq &&
		       b.handoffs == a.handoffs, "got sites %d: %d reads, %llu acquisitions, "
		       "%llu timed, %llu hand-offs", got, N_READS, (unsigned long long)acq,
		       (unsigned long long)waits, (unsigned long long)(b.handoffs - a.handoffs));
		CHECKF(got ? wait_ns == 0 && first == waits : wait_ns > 0,
		       "got sites %d: %llu ns waited, %llu of %llu waits in the first bucket", got,
		       (unsigned long long)wait_ns, (unsigned long long)first,
		       (unsigned long long)waits);
	}
	pclose(f);
out:
	gilstat_close(g);
}

static void test_gilstat_got_sites(void)
{
	struct lock_sites p;
	int r = adapter_python_file(lib, &p);

	CHECKF(r == 0 && p.ngot > 0 && p.nwait > 0, "%s: %d, %u got, %u wait sites", lib, r,
	       p.ngot, p.nwait);
	if (!r && p.ngot)
		check_counts(&p, true);
}

static void test_gilstat_fallback(void)
{
	struct lock_sites p;
	int r = adapter_python_file(lib, &p);

	CHECK(r == 0);
	p.ngot = 0;	/* as for a file where some copy of take_gil has none */
	if (!r)
		check_counts(&p, false);
}

static void test_gilstat_bad_counts(void)
{
	struct lock_sites p, bad[4];
	struct gilstat *g = NULL;
	char err[256];
	int fd, r = gilstat_open(&g, err, sizeof(err));

	CHECKF(r == 0, "%s", err);
	CHECK(adapter_python_file(lib, &p) == 0 && p.ngot);
	for (int i = 0; i < 4; i++)
		bad[i] = p;
	bad[0].nacquire = 0;
	bad[1].nrelease = LOCK_SITES_MAX + 1;
	bad[2].nwait = 0;	/* got sites without wait sites */
	bad[3].ngot = LOCK_SITES_MAX + 1;
	fd = open(lib, O_RDONLY | O_CLOEXEC);
	for (int i = 0; !r && fd >= 0 && i < 4; i++)
		CHECKF(gilstat_attach(g, fd, &bad[i], NULL, err, sizeof(err)) == -EINVAL,
		       "case %d: %s", i, err);
	CHECK(links_to("gilstat_got") == 0 && links_to("gilstat_drop_entry") == 0);
	if (fd >= 0)
		close(fd);
	gilstat_close(g);
}

int main(void)
{
	const char *env = getenv("GS_TEST_PYTHON");
	char cmd[3 * PATH_MAX];
	struct stat st;

	if (!check_need_root("test_gilstat"))
		return 0;
	snprintf(py, sizeof(py), "%s", env ? env : "/root/.pyenv/versions/3.11.7/bin/python3.11");
	snprintf(lib, sizeof(lib), "%.*s/lib/libpython3.11.so.1.0",
		 (int)(strstr(py, "/bin/") ? strstr(py, "/bin/") - py : 0), py);
	if (stat(py, &st) || stat(lib, &st)) {
		bool ci = getenv("CI") && !strcmp(getenv("CI"), "true");

		printf("%s test_gilstat: no %s with %s\n", ci ? "not ok" : "skip", py, lib);
		return ci;
	}
	snprintf(cmd, sizeof(cmd), "cp %s %s/", lib, scratch_folder());
	if (system(cmd)) {
		printf("not ok test_gilstat: %s failed\n", cmd);
		return 1;
	}
	snprintf(lib, sizeof(lib), "%s/libpython3.11.so.1.0", scratch_folder());
	RUN(test_gilstat_got_sites);
	RUN(test_gilstat_fallback);
	RUN(test_gilstat_bad_counts);
	return check_done();
}
