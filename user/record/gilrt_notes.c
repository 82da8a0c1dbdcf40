/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilrt_notes.c - what a binary's USDT notes say about gilrt's probes (see
 * loader.h): which of them it has, and whether their sites are 5-byte nops.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "record/loader.h"
#include "util/path.h"

/* gilrt's probes; each has a BPF program of the same name (floor_NAME in
 * the floor set). The first four (the lock) are required. */
const char *const loader_gilrt_probes[LOADER_GILRT_NPROBES] = {
	"gil_request", "gil_acquired", "gil_released", "gil_drop_request",
	"thread_start", "thread_exit", "io_begin", "io_end",
	"native_begin", "native_end",
};

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

int loader_gilrt_probe_mask(const char *path, bool *nop5)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, mask = 0;
	bool all5 = true;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = path_open_regular(path);
	if (fd < 0)
		return fd;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		mask = -ENOEXEC;
		goto out;
	}
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
			size_t left;
			uint64_t pc;

			if (nh.n_type != 3 || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + noff, "stapsdt", 8) ||
			    nh.n_descsz <= addrs + 6 || memcmp(prov, "gilrt", 6))
				continue;
			probe = prov + 6;
			left = nh.n_descsz - addrs - 6;
			for (size_t i = 0; i < LOADER_GILRT_NPROBES; i++)
				if (strnlen(probe, left) == strlen(loader_gilrt_probes[i]) &&
				    !strcmp(probe, loader_gilrt_probes[i]))
					mask |= 1 << i;
			memcpy(&pc, desc, sizeof(pc));	/* 64-bit ELF only here */
			if (nop5 && all5 && (addrs != 24 || !is_nop5_at(elf, pc)))
				all5 = false;
		}
	}
out:
	elf_end(elf);
	close(fd);
	if (nop5)
		*nop5 = mask > 0 && all5;
	return mask;
}

int loader_has_gilrt_probes(const char *path)
{
	int mask = loader_gilrt_probe_mask(path, NULL);

	return mask < 0 ? mask : mask != 0;
}

int loader_gilrt_nop5(const char *path)
{
	bool nop5;
	int mask = loader_gilrt_probe_mask(path, &nop5);

	return mask < 0 ? mask : nop5;
}
