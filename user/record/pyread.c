/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyread.c - see pyread.h: attaching, checked memory access, the thread
 * list and frames. Objects (str, int, dict, attributes) and the code cache
 * are in pyread_obj.c. Which representation a version uses comes from the
 * layout's models (pylayout.h); no version number is tested here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "record/elf_files.h"
#include "record/elf_sym.h"
#include "record/pyread_priv.h"
#include "util/err.h"
#include "util/search.h"

/* ---- failures and memory ------------------------------------------------------------ */

int pyr_fail(struct pyread *r, enum pyread_fail kind, int err)
{
	r->st.fail[kind]++;
	return err;
}

const char *pyread_fail_name(enum pyread_fail f)
{
	static const char *const names[PYR_NFAIL] = {
		[PYR_F_READ] = "read", [PYR_F_POINTER] = "pointer", [PYR_F_TYPE] = "type",
		[PYR_F_STRING] = "string", [PYR_F_BOUND] = "bound", [PYR_F_TID] = "tid",
		[PYR_F_MISSING] = "missing",
	};

	return f < PYR_NFAIL ? names[f] : "?";
}

/* The readable mappings of the process, sorted (the kernel lists them so). */
static int load_maps(struct pyread *r)
{
	char line[PATH_MAX + 128];
	struct elf_map_entry m;
	FILE *f = elf_files_maps_open(r->pid, r->maps_fd);

	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	r->nmaps = 0;
	while (fgets(line, sizeof(line), f) && r->nmaps < PYR_MAX_MAPS) {
		if (!elf_files_parse_map_line(line, &m) || m.perms[0] != 'r')
			continue;
		if (r->nmaps % 256 == 0) {
			struct pyr_map *n = realloc(r->maps, (r->nmaps + 256) * sizeof(*n));

			if (!n) {
				fclose(f);
				return -ENOMEM;
			}
			r->maps = n;
		}
		r->maps[r->nmaps++] = (struct pyr_map){ m.start, m.end };
	}
	fclose(f);
	r->maps_loaded_gen = r->maps_gen;
	return 0;
}

static bool mapped(const struct pyread *r, uint64_t p, uint64_t len)
{
	/* the last mapping starting at or before p */
	size_t lo = search_upper_u64(r->maps, r->nmaps, sizeof(*r->maps),
				     offsetof(struct pyr_map, start), p);

	/* a range may run over into the next mapping when they touch */
	for (size_t i = lo ? lo - 1 : 0; i < r->nmaps && r->maps[i].start <= p; i++) {
		if (p >= r->maps[i].end)
			continue;
		uint64_t end = r->maps[i].end;

		while (p + len > end && i + 1 < r->nmaps && r->maps[i + 1].start == end)
			end = r->maps[++i].end;
		return p + len <= end;
	}
	return false;
}

int pyr_check_ptr(struct pyread *r, uint64_t p, unsigned align)
{
	/* user space ends below 2^56 even with 5-level page tables */
	if (p < 4096 || p >= (1ull << 56) || (align && p % align))
		return pyr_fail(r, PYR_F_POINTER, -EFAULT);
	if (mapped(r, p, 1))
		return 0;
	/* a new arena or stack since we last looked: reload once per call */
	if (r->maps_loaded_gen != r->maps_gen && !load_maps(r) && mapped(r, p, 1))
		return 0;
	return pyr_fail(r, PYR_F_POINTER, -EFAULT);
}

static int read_mem_fd(struct pyread *r, const struct iovec *local, const struct iovec *remote,
		       int n)
{
	for (int i = 0; i < n; i++) {
		ssize_t got = pread(r->mem_fd, local[i].iov_base, local[i].iov_len,
				    (off_t)(uintptr_t)remote[i].iov_base);

		r->st.reads++;
		if (got != (ssize_t)local[i].iov_len)
			return got < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
	}
	return 0;
}

static int open_mem(struct pyread *r)
{
	char fn[64];

	if (r->mem_fd >= 0) {	/* opened early (pyread_attach_fds) */
		r->use_mem = true;
		return 0;
	}
	snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)r->pid);
	r->mem_fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (r->mem_fd < 0)
		return -errno;
	r->use_mem = true;
	return 0;
}

int pyread_use_proc_mem(struct pyread *r)
{
	return r->use_mem ? 0 : open_mem(r);
}

int pyr_readv(struct pyread *r, const struct iovec *local, const struct iovec *remote, int n)
{
	size_t want = 0;
	ssize_t got;
	int err;

	if (r->gone)
		return -ESRCH;
	for (int i = 0; i < n; i++) {
		if (remote[i].iov_len > PYR_MAX_READ || remote[i].iov_len != local[i].iov_len)
			return pyr_fail(r, PYR_F_BOUND, -E2BIG);
		want += remote[i].iov_len;
	}
	if (!r->use_mem) {
		r->st.reads++;
		got = process_vm_readv(r->pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
		if (got == (ssize_t)want)
			return 0;
		err = got < 0 ? -errno : -EFAULT;
		if ((err == -EPERM || err == -ENOSYS) && !open_mem(r))
			return pyr_readv(r, local, remote, n);
	} else {
		err = read_mem_fd(r, local, remote, n);
		if (!err)
			return 0;
	}
	if (err == -ESRCH || (kill(r->pid, 0) && errno == ESRCH)) {
		r->gone = true;
		return pyr_fail(r, PYR_F_READ, -ESRCH);
	}
	return pyr_fail(r, PYR_F_READ, err == -EPERM ? -EPERM : -EFAULT);
}

int pyr_read(struct pyread *r, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, rm = { (void *)(uintptr_t)addr, len };
	int err = pyr_check_ptr(r, addr, 1);

	return err ? err : pyr_readv(r, &l, &rm, 1);
}

int pyr_read_ptr(struct pyread *r, uint64_t addr, uint64_t *val)
{
	int err = pyr_check_ptr(r, addr, 8);

	if (!err) {
		struct iovec l = { val, 8 }, rm = { (void *)(uintptr_t)addr, 8 };

		err = pyr_readv(r, &l, &rm, 1);
	}
	return err;
}

int pyr_check_type(struct pyread *r, uint64_t p, enum pyl_sym type)
{
	uint64_t t;
	int err = pyr_check_ptr(r, p, 8);

	if (!err)
		err = pyr_read_ptr(r, p + (uint64_t)pyr_off(r, PYL_OB_TYPE), &t);
	if (err)
		return err;
	return t == pyr_sym(r, type) ? 0 : pyr_fail(r, PYR_F_TYPE, -EINVAL);
}

/* ---- attaching ---------------------------------------------------------------------- */

int pyr_open(struct pyread **out, pid_t pid, const struct pylayout *l, uint64_t bias,
		     int64_t tid_off, int maps_fd, int mem_fd)
{
	struct pyread *r = calloc(1, sizeof(*r));
	int err = 0;

	if (!r)
		return -ENOMEM;
	r->pid = pid;
	r->l = *l;
	r->bias = bias;
	r->tid_off = tid_off;
	r->mem_fd = -1;
	r->maps_fd = -1;
	r->next_id = 1;
	if ((maps_fd >= 0 && (r->maps_fd = fcntl(maps_fd, F_DUPFD_CLOEXEC, 0)) < 0) ||
	    (mem_fd >= 0 && (r->mem_fd = fcntl(mem_fd, F_DUPFD_CLOEXEC, 0)) < 0))
		err = -errno;
	if (!err)
		err = load_maps(r);
	if (err) {
		pyread_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int pyread_open(struct pyread **out, pid_t pid, const struct pylayout *l, uint64_t bias,
		int64_t tid_off)
{
	return pyr_open(out, pid, l, bias, tid_off, -1, -1);
}

void pyread_close(struct pyread *r)
{
	if (!r)
		return;
	pyr_cache_free(r);
	hmap_free(&r->cache);
	if (r->mem_fd >= 0)
		close(r->mem_fd);
	if (r->maps_fd >= 0)
		close(r->maps_fd);
	free(r->maps);
	free(r);
}

const struct pylayout *pyread_layout(const struct pyread *r)
{
	return &r->l;
}

uint64_t pyread_bias(const struct pyread *r)
{
	return r->bias;
}

void pyread_stats(const struct pyread *r, struct pyread_stats *st)
{
	*st = r->st;
}

/* ---- threads and frames ---------------------------------------------------------------- */

static uint64_t get_u64(const uint8_t *buf, int64_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, 8);
	return v;
}

/* The kernel tid of a thread state (hdr: its first bytes). */
static uint32_t thread_tid(struct pyread *r, const uint8_t *hdr, uint64_t ident)
{
	char fn[64];
	struct stat st;
	int32_t tid = 0;

	if (r->l.tids == PYL_TID_NATIVE) {
		tid = (int32_t)get_u64(hdr, pyr_off(r, PYL_TS_NATIVE_ID));
	} else if (r->tid_off >= 0 && !pyr_check_ptr(r, ident, 8)) {
		if (pyr_read(r, ident + (uint64_t)r->tid_off, &tid, 4))
			tid = 0;
	}
	/* a tid that is not one of this process's threads is a stale read */
	snprintf(fn, sizeof(fn), "/proc/%d/task/%d", (int)r->pid, (int)tid);
	if (tid <= 0 || stat(fn, &st)) {
		pyr_fail(r, PYR_F_TID, 0);
		return 0;
	}
	return (uint32_t)tid;
}

static size_t tstate_hdr_len(const struct pyread *r)
{
	static const enum pyl_field f[] = { PYL_TS_NEXT, PYL_TS_THREAD_ID, PYL_TS_NATIVE_ID };
	int64_t end = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (r->l.off[f[i]] != PYL_UNKNOWN && r->l.off[f[i]] + 8 > end)
			end = r->l.off[f[i]] + 8;
	return (size_t)end;
}

static int interp_head(struct pyread *r, uint64_t *interp)
{
	if (r->l.sym[PYL_SYM_INTERP_HEAD])
		return pyr_read_ptr(r, pyr_sym(r, PYL_SYM_INTERP_HEAD), interp);
	if (!r->l.sym[PYL_SYM_RUNTIME] || pyr_off(r, PYL_RT_INTERP_HEAD) == PYL_UNKNOWN)
		return -ENOTSUP;
	return pyr_read_ptr(r, pyr_sym(r, PYL_SYM_RUNTIME) + (uint64_t)pyr_off(r, PYL_RT_INTERP_HEAD),
			    interp);
}

/* Thread states of one interpreter into out[*n..max). */
static int interp_threads(struct pyread *r, uint64_t interp, struct pyread_thread *out,
			  size_t max, size_t *n, struct hmap *seen, unsigned want)
{
	uint8_t hdr[512];
	size_t len = tstate_hdr_len(r), first = *n;
	uint64_t ts, dummy;
	int err;

	if (len > sizeof(hdr))
		return -ENOTSUP;
	err = pyr_read_ptr(r, interp + (uint64_t)pyr_off(r, PYL_IS_THREADS_HEAD), &ts);
	for (size_t k = 0; !err && ts; k++) {
		if (k == PYREAD_MAX_THREADS || hmap_get(seen, hkey_u64(ts), &dummy))
			return pyr_fail(r, PYR_F_BOUND, -ELOOP);	/* a cycle or a runaway list */
		if ((err = hmap_put(seen, hkey_u64(ts), 1)))
			return err;
		if ((err = pyr_check_ptr(r, ts, 8)) || (err = pyr_read(r, ts, hdr, len)))
			return err;
		if (*n == max)
			return -E2BIG;
		struct pyread_thread *t = &out[(*n)++];

		memset(t, 0, sizeof(*t));
		t->tstate = ts;
		t->ident = get_u64(hdr, pyr_off(r, PYL_TS_THREAD_ID));
		t->tid = thread_tid(r, hdr, t->ident);
		if (want & PYREAD_CODE && pyread_current_code(r, ts, &t->code))
			t->code = 0;
		ts = get_u64(hdr, pyr_off(r, PYL_TS_NEXT));
	}
	if (!err && want & PYREAD_NAMES)
		pyr_thread_names(r, interp, out + first, *n - first);
	return err;
}

int pyread_threads(struct pyread *r, struct pyread_thread *out, size_t max, size_t *n,
		   unsigned want)
{
	struct hmap seen = { 0 };
	uint64_t interp, dummy;
	int err;

	*n = 0;
	r->maps_gen++;
	err = interp_head(r, &interp);
	for (size_t k = 0; !err && interp; k++) {
		if (k == PYR_MAX_INTERPS || hmap_get(&seen, hkey_u64(interp), &dummy)) {
			err = pyr_fail(r, PYR_F_BOUND, -ELOOP);
			break;
		}
		err = hmap_put(&seen, hkey_u64(interp), 1);
		if (!err)
			err = interp_threads(r, interp, out, max, n, &seen, want);
		if (!err)
			err = pyr_read_ptr(r, interp + (uint64_t)pyr_off(r, PYL_IS_NEXT), &interp);
	}
	hmap_free(&seen);
	return err;
}

/* The first frame: a PyFrameObject or _PyInterpreterFrame pointer. */
static int first_frame(struct pyread *r, uint64_t tstate, uint64_t *frame)
{
	uint64_t cframe;
	int err;

	switch (r->l.frames) {
	case PYL_FRAMES_OBJECT:
	case PYL_FRAMES_DIRECT:
		return pyr_read_ptr(r, tstate + (uint64_t)pyr_off(r, PYL_TS_FRAME), frame);
	case PYL_FRAMES_CFRAME:
		err = pyr_read_ptr(r, tstate + (uint64_t)pyr_off(r, PYL_TS_CFRAME), &cframe);
		if (err || !cframe) {
			*frame = 0;
			return err;
		}
		return pyr_read_ptr(r, cframe + (uint64_t)pyr_off(r, PYL_CFRAME_CURRENT), frame);
	default:
		return -ENOTSUP;
	}
}

int pyread_current_code(struct pyread *r, uint64_t tstate, uint64_t *code)
{
	int64_t oc = pyr_off(r, PYL_FRAME_CODE), ob = pyr_off(r, PYL_FRAME_BACK);
	int64_t oo = pyr_off(r, PYL_FRAME_OWNER), cstack = pyr_off(r, PYL_OWNED_BY_CSTACK);
	uint64_t frame;
	int err;

	*code = 0;
	r->maps_gen++;
	if (oc == PYL_UNKNOWN || ob == PYL_UNKNOWN)
		return -ENOTSUP;
	err = pyr_check_ptr(r, tstate, 8);
	if (!err)
		err = first_frame(r, tstate, &frame);
	for (int k = 0; !err && frame; k++) {
		uint64_t c, back;
		uint8_t owner = 0;

		if (k == PYREAD_MAX_FRAMES)
			return pyr_fail(r, PYR_F_BOUND, -ELOOP);
		if ((err = pyr_read_ptr(r, frame + (uint64_t)oc, &c)) ||
		    (err = pyr_read_ptr(r, frame + (uint64_t)ob, &back)))
			return err;
		if (oo != PYL_UNKNOWN && (err = pyr_read(r, frame + (uint64_t)oo, &owner, 1)))
			return err;
		/* a C entry frame (3.12+) holds no Python code: the caller's is below */
		bool shim = cstack != PYL_UNKNOWN && owner == cstack;

		if (!shim && c && !pyr_check_type(r, c, PYL_SYM_CODE_TYPE)) {
			*code = c;
			return 0;
		}
		if (!shim && r->l.frames != PYL_FRAMES_DIRECT)
			return pyr_fail(r, PYR_F_TYPE, -EINVAL);	/* f_code must be code */
		if (back == frame)
			return pyr_fail(r, PYR_F_BOUND, -ELOOP);
		frame = back;
	}
	return err;
}
