/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilrt_notes.c - what a binary's USDT notes say about gilrt's probes (see
 * loader.h): which of them it has, whether their sites are 5-byte nops,
 * and whether their arguments are where gilscope's fastest programs read them.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "record/loader.h"
#include "util/gs_types.h"
#include "util/path.h"

/* gilrt's probes; each has BPF programs NAME and NAME_regs (floor_NAME in
 * the floor set). The first four (the lock) are required. */
const char *const loader_gilrt_probes[LOADER_GILRT_NPROBES] = {
	"gil_request", "gil_acquired", "gil_released", "gil_drop_request",
	"thread_start", "thread_exit", "io_begin", "io_end",
	"native_begin", "native_end",
};

/* how many arguments each one's program reads (bpf/gilscope.h) */
static const int gilrt_nargs[LOADER_GILRT_NPROBES] = {
	GS_GILRT_NARGS_gil_request, GS_GILRT_NARGS_gil_acquired,
	GS_GILRT_NARGS_gil_released, GS_GILRT_NARGS_gil_drop_request,
	GS_GILRT_NARGS_thread_start, GS_GILRT_NARGS_thread_exit,
	GS_GILRT_NARGS_io_begin, GS_GILRT_NARGS_io_end,
	GS_GILRT_NARGS_native_begin, GS_GILRT_NARGS_native_end,
};

/* Whether a site's argument spec (len bytes at args, NUL included if it
 * fits) puts at least nargs arguments in %rdi, %rsi, %rdx, in that order,
 * and nothing else: the registers the NAME_regs programs read. */
static bool args_in_regs(const char *args, size_t len, int nargs)
{
	static const char *const spec[] = {
		"", "-8@%rdi", "-8@%rdi -8@%rsi", "-8@%rdi -8@%rsi -8@%rdx",
	};
	size_t alen = strnlen(args, len);

	for (int k = nargs; k < 4 && alen < len; k++)
		if (alen == strlen(spec[k]) && !memcmp(args, spec[k], alen))
			return true;
	return false;
}

/* Whether the instruction at link-time address pc of elf is a 5-byte nop. */
static bool is_nop5_at(Elf *elf, uint64_t pc)
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    pc < sh.sh_addr || pc + 5 > sh.sh_addr + sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		return d && d->d_buf && pc - sh.sh_addr + 5 <= d->d_size &&
		       !memcmp((const uint8_t *)d->d_buf + (pc - sh.sh_addr), nop5, 5);
	}
	return false;
}

int loader_gilrt_notes(const char *path, struct gilrt_notes *out)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;
	int fd, err = 0, not_regs = 0;
	bool all5 = true, x86_64;

	*out = (struct gilrt_notes){ 0 };
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = path_open_regular(path);
	if (fd < 0)
		return fd;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) ||
	    !gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
		goto out;
	}
	x86_64 = eh.e_machine == EM_X86_64 && gelf_getclass(elf) == ELFCLASS64;
	while ((scn = elf_nextscn(elf, scn))) {
		size_t addrs = 3 * (gelf_getclass(elf) == ELFCLASS32 ? 4 : 8);
		size_t off = 0, noff, doff;
		const char *name;
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".note.stapsdt"))
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			/* desc: pc, base, semaphore, then "provider\0name\0args\0" */
			const char *desc = (const char *)d->d_buf + doff;
			const char *prov = desc + addrs, *probe;
			size_t left, plen;
			uint64_t pc;

			if (nh.n_type != 3 || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + noff, "stapsdt", 8) ||
			    nh.n_descsz <= addrs + 6 || memcmp(prov, "gilrt", 6))
				continue;
			probe = prov + 6;
			left = nh.n_descsz - addrs - 6;
			plen = strnlen(probe, left);
			for (size_t i = 0; i < LOADER_GILRT_NPROBES; i++) {
				if (plen != strlen(loader_gilrt_probes[i]) ||
				    strcmp(probe, loader_gilrt_probes[i]))
					continue;
				out->probes |= 1 << i;
				if (!x86_64 || plen + 1 >= left ||
				    !args_in_regs(probe + plen + 1, left - plen - 1, gilrt_nargs[i]))
					not_regs |= 1 << i;
			}
			memcpy(&pc, desc, sizeof(pc));	/* 64-bit ELF only here */
			if (all5 && (addrs != 24 || !is_nop5_at(elf, pc)))
				all5 = false;
		}
	}
	out->regs = out->probes & ~not_regs;
	out->nop5 = out->probes && all5;
out:
	elf_end(elf);
	close(fd);
	return err;
}

int loader_has_gilrt_probes(const char *path)
{
	struct gilrt_notes n;
	int err = loader_gilrt_notes(path, &n);

	return err < 0 ? err : n.probes != 0;
}

int loader_gilrt_nop5(const char *path)
{
	struct gilrt_notes n;
	int err = loader_gilrt_notes(path, &n);

	return err < 0 ? err : n.nop5;
}
