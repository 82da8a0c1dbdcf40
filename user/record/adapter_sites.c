/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * adapter_sites.c - where the adapters probe the functions they resolved
 * (adapter.h): record/probe_site.h picks the place in each function; here
 * is which functions, and for CPython which calls in take_gil mean "this
 * take has to wait".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/adapter.h"
#include "record/probe_site.h"

#define COPIES_MAX 16

/* The calls in take_gil that only a take finding the GIL held makes: the
 * timed condition wait of its wait loop (PyCOND_TIMEDWAIT where the
 * compiler did not inline it, as in Debian's -O0 python3.X-dbg). */
static const char *const py_wait_calls[] = {
	"pthread_cond_timedwait", "pthread_cond_clockwait", "PyCOND_TIMEDWAIT",
};
#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])

/* The call take_gil makes once per take, right after it took the GIL: the
 * signal to a thread waiting in drop_gil for its forced switch to happen
 * (COND_SIGNAL(gil->switch_cond), CPython 3.2 to 3.13). */
static const char *const py_got_calls[] = { "pthread_cond_signal", "PyCOND_SIGNAL" };

/* Where the calls of fn (names[0..n)) are, in fn itself and its .cold
 * part (copy i of c/names[0..nc)), into out[0..max): how many. */
static size_t copy_calls(const struct elf_file *ef, const struct elf_sym *c, const char **names,
			 size_t nc, size_t i, const char *const *calls, size_t ncalls,
			 struct probe_site *out, size_t max)
{
	size_t len = strlen(names[i]), n = 0;

	for (size_t k = 0; k < nc; k++)
		if (k == i || (!strncmp(names[k], names[i], len) && !strcmp(names[k] + len, ".cold")))
			n += probe_site_calls(ef, &c[k], calls, ncalls, out + n, max - n);
	return n;
}

int adapter_open_debug(const struct elf_file *ef, struct elf_file **out)
{
	char id[128], dbg[PATH_MAX];

	*out = NULL;
	if (elf_file_build_id(ef, id, sizeof(id)) || strlen(id) < 3)
		return -ENOENT;
	snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	return elf_file_open(out, dbg);
}

static bool is_cold(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".cold");
}

static void put_site(struct lock_site *sites, uint32_t *n, const struct probe_site *s)
{
	for (uint32_t i = 0; i < *n; i++)
		if (sites[i].off == s->off)
			return;
	if (*n < LOCK_SITES_MAX)
		sites[(*n)++] = (struct lock_site){ .off = s->off, .cls = s->cls };
}

/* Entry sites of every copy of function name (not its .cold parts) into
 * sites. With py (take_gil) also, for each copy, its wait calls into
 * py->wait (py->nwait 0 if a copy has none: then no take can be trusted
 * to show its wait) and its got call into py->got (py->ngot 0 unless every
 * copy has exactly one: a second one would be a place a take may pass
 * twice, or not at all). */
static void copies_sites(const struct elf_file *ef, const struct elf_file *symef, const char *name,
			 struct lock_site *sites, uint32_t *n, struct lock_sites *py)
{
	struct elf_sym c[COPIES_MAX];
	const char *names[COPIES_MAX];
	size_t nc = elf_file_find_copies(symef, name, c, names, COPIES_MAX);
	bool all_wait = true, all_got = true;

	for (size_t i = 0; i < nc; i++) {
		struct probe_site s, w[LOCK_SITES_MAX], g[2];
		size_t nw, ng;

		if (is_cold(names[i]) || probe_site_entry(ef, &c[i], c, nc, PROBE_SITE_ALL_ARGS, &s))
			continue;
		put_site(sites, n, &s);
		if (!py)
			continue;
		nw = copy_calls(ef, c, names, nc, i, NAMES(py_wait_calls), w, LOCK_SITES_MAX);
		ng = copy_calls(ef, c, names, nc, i, NAMES(py_got_calls), g, 2);
		all_wait &= nw > 0;
		all_got &= ng == 1;
		for (size_t k = 0; k < nw; k++)
			put_site(py->wait, &py->nwait, &w[k]);
		if (ng == 1)
			put_site(py->got, &py->ngot, &g[0]);
	}
	if (py && !all_wait)	/* REQUEST at take_gil's entry, for every take */
		py->nwait = 0;
	if (py && (!all_got || !py->nwait))	/* ACQUIRED at take_gil's return */
		py->ngot = 0;
}

int adapter_python_sites(const char *path, struct adapter_target *a)
{
	struct lock_sites *sites = &a->sites;
	struct elf_file *ef, *dbg = NULL;

	sites->nacquire = sites->nrelease = sites->nwait = sites->ngot = 0;
	if (elf_file_open(&ef, path))
		return -ENOEXEC;
	if (!elf_file_has_symtab(ef))
		adapter_open_debug(ef, &dbg);
	copies_sites(ef, dbg ? dbg : ef, "take_gil", sites->acquire, &sites->nacquire, sites);
	copies_sites(ef, dbg ? dbg : ef, "drop_gil", sites->release, &sites->nrelease, NULL);
	elf_file_close(dbg);
	elf_file_close(ef);
	return sites->nacquire && sites->nrelease ? 0 : -ENOENT;
}

/* The site of one function given by name or 0xADDR, entry at file offset off. */
static void func_site(const struct elf_file *ef, const struct elf_file *symef, const char *name,
		      uint64_t off, uint32_t keep, struct lock_site *site)
{
	struct elf_sym c[COPIES_MAX];
	const char *names[COPIES_MAX];
	struct probe_site s;
	size_t nc = name[0] >= '0' && name[0] <= '9' ? 0
		  : elf_file_find_copies(symef, name, c, names, COPIES_MAX);

	*site = (struct lock_site){ .off = off, .cls = 0 };
	for (size_t i = 0; i < nc; i++) {
		uint64_t o;

		/* the copy named exactly name (name@VERSION too), its .cold parts as fragments */
		if (names[i][strlen(name)] == '.' ||
		    elf_file_vaddr_to_off(ef, c[i].vaddr, &o) || o != off)
			continue;
		if (!probe_site_entry(ef, &c[i], c, nc, keep, &s))
			*site = (struct lock_site){ .off = s.off, .cls = s.cls };
		return;
	}
	/* no symbol with a size (0xADDR): the entry (nothing says where the
	 * function ends, so nothing can be moved), its class from its code */
	struct elf_sym at = { .vaddr = 0 };
	uint64_t o;

	if (name[0] >= '0' && name[0] <= '9' && (at.vaddr = strtoull(name, NULL, 0)) &&
	    !elf_file_vaddr_to_off(ef, at.vaddr, &o) && o == off &&
	    !probe_site_entry(ef, &at, NULL, 0, ~0u, &s))
		site->cls = s.cls;
}

int adapter_lock_sites(struct adapter_target *a)
{
	struct lock_sites *sites = &a->sites;
	struct elf_file *ef, *dbg = NULL;
	uint32_t keep = 0;

	if (a->lock_arg >= 0 && a->lock_arg <= ADAPTER_MAX_ARG)
		keep = 1u << probe_site_arg_reg[a->lock_arg];
	sites->nacquire = sites->nrelease = 1;
	sites->nwait = sites->ngot = 0;
	sites->acquire[0] = (struct lock_site){ .off = a->acquire_off };
	sites->release[0] = (struct lock_site){ .off = a->release_off };
	if (elf_file_open(&ef, a->binary))
		return -ENOEXEC;
	if (!elf_file_has_symtab(ef))
		adapter_open_debug(ef, &dbg);
	func_site(ef, dbg ? dbg : ef, a->acquire_sym, a->acquire_off, keep, &sites->acquire[0]);
	func_site(ef, dbg ? dbg : ef, a->release_sym, a->release_off, keep, &sites->release[0]);
	elf_file_close(dbg);
	elf_file_close(ef);
	return 0;
}
