/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* elf_sym.c - symbol, segment and dynamic-section lookups (see elf_sym.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record/elf_sym.h"
#include "util/path.h"

#define MAX_NEEDED 64

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
	bool has_symtab;
	const char *needed[MAX_NEEDED];	/* point into libelf's copy of .dynstr */
	size_t n_needed;
	const char *rpath, *runpath;
};

/* Reads DT_NEEDED/DT_RPATH/DT_RUNPATH once, so lookups are plain reads. */
static void read_dynamic(struct elf_file *ef)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			return;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Dyn dyn;
			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RPATH &&
			    dyn.d_tag != DT_RUNPATH)
				continue;
			const char *s = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED && ef->n_needed < MAX_NEEDED)
				ef->needed[ef->n_needed++] = s;
			else if (dyn.d_tag == DT_RPATH)
				ef->rpath = s;
			else if (dyn.d_tag == DT_RUNPATH)
				ef->runpath = s;
		}
		return;
	}
}

int elf_file_open(struct elf_file **out, const char *path)
{
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	struct elf_file *ef = calloc(1, sizeof(*ef));
	if (!ef)
		return -ENOMEM;
	ef->fd = path_open_regular(path);
	if (ef->fd < 0) {
		int e = ef->fd;
		free(ef);
		return e;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &ef->ehdr)) {
		elf_file_close(ef);
		return -ENOEXEC;
	}
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			ef->has_symtab = true;
	}
	read_dynamic(ef);
	*out = ef;
	return 0;
}

void elf_file_close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef);
}

int elf_file_type(const struct elf_file *ef)
{
	return ef->ehdr.e_type;
}

int elf_file_machine(const struct elf_file *ef)
{
	return ef->ehdr.e_machine;
}

bool elf_file_has_symtab(const struct elf_file *ef)
{
	return ef->has_symtab;
}

static bool name_matches(const char *s, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(s, name, n) && (s[n] == '\0' || s[n] == '@');
}

/* Searches every section of one type; 0 found, -ENXIO only undefined, -ENOENT. */
static int find_in(const struct elf_file *ef, Elf64_Word type, const char *name,
		   struct elf_sym *out)
{
	Elf_Scn *scn = NULL;
	int ret = -ENOENT;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; i < n; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s))
				break;
			const char *sn = elf_strptr(ef->elf, sh.sh_link, s.st_name);
			if (!sn || !name_matches(sn, name))
				continue;
			if (s.st_shndx == SHN_UNDEF) {
				ret = -ENXIO;
				continue;
			}
			out->vaddr = s.st_value;
			out->size = s.st_size;
			out->type = GELF_ST_TYPE(s.st_info);
			out->local = GELF_ST_BIND(s.st_info) == STB_LOCAL;
			return 0;
		}
	}
	return ret;
}

int elf_file_find(const struct elf_file *ef, const char *name, struct elf_sym *sym)
{
	int r1 = find_in(ef, SHT_SYMTAB, name, sym);

	if (!r1)
		return 0;
	int r2 = find_in(ef, SHT_DYNSYM, name, sym);
	if (!r2)
		return 0;
	return (r1 == -ENXIO || r2 == -ENXIO) ? -ENXIO : -ENOENT;
}

int elf_file_vaddr_to_off(const struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(ef->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ERANGE;
}

int elf_file_read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off, end;
	int r = elf_file_vaddr_to_off(ef, vaddr, &off);

	if (r)
		return r;
	if (len && (r = elf_file_vaddr_to_off(ef, vaddr + len - 1, &end)))
		return r;
	if (len && end != off + len - 1)
		return -ERANGE;
	ssize_t n = pread(ef->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ERANGE;
}

int elf_file_first_load(const struct elf_file *ef, uint64_t *vaddr, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(ef->elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
			*vaddr = ph.p_vaddr;
			*off = ph.p_offset;
			return 0;
		}
	}
	return -ENOEXEC;
}

const char *elf_file_needed(const struct elf_file *ef, size_t i)
{
	return i < ef->n_needed ? ef->needed[i] : NULL;
}

const char *elf_file_rpath(const struct elf_file *ef)
{
	return ef->rpath;
}

const char *elf_file_runpath(const struct elf_file *ef)
{
	return ef->runpath;
}

int elf_file_build_id(const struct elf_file *ef, char *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off, next;
		while ((next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			off = next;
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + name_off, "GNU", 4))
				continue;
			const unsigned char *id = (unsigned char *)d->d_buf + desc_off;
			if (!nh.n_descsz || len < 2 * (size_t)nh.n_descsz + 1)
				return -ENOSPC;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(buf + 2 * i, 3, "%02x", id[i]);
			return 0;
		}
	}
	return -ENOENT;
}

size_t elf_file_find_copies(const struct elf_file *ef, const char *name, struct elf_sym *out,
			    const char **names, size_t max)
{
	static const Elf64_Word types[] = { SHT_SYMTAB, SHT_DYNSYM };
	size_t found = 0, nl = strlen(name);

	for (int t = 0; t < 2; t++) {
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(ef->elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[t] || !sh.sh_entsize ||
			    !(d = elf_getdata(scn, NULL)))
				continue;
			for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *sn;
				bool dup = false;

				if (!gelf_getsym(d, (int)i, &s))
					break;
				if (s.st_shndx == SHN_UNDEF || GELF_ST_TYPE(s.st_info) != STT_FUNC)
					continue;
				sn = elf_strptr(ef->elf, sh.sh_link, s.st_name);
				if (!sn || strncmp(sn, name, nl) || (sn[nl] && sn[nl] != '.' && sn[nl] != '@'))
					continue;
				for (size_t k = 0; k < found; k++)
					dup |= out[k].vaddr == s.st_value;
				if (dup || found == max)
					continue;
				out[found] = (struct elf_sym){ .vaddr = s.st_value, .size = s.st_size,
							       .type = STT_FUNC,
							       .local = GELF_ST_BIND(s.st_info) == STB_LOCAL };
				names[found++] = sn;
			}
		}
	}
	return found;
}

/* The symbol name of relocation target slot (a GOT entry), from any
 * SHT_RELA section (.rela.plt, .rela.dyn). */
static int reloc_name(const struct elf_file *ef, uint64_t slot, char *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Data *d, *symd;
		Elf_Scn *syms;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)) || !(syms = elf_getscn(ef->elf, sh.sh_link)) ||
		    !gelf_getshdr(syms, &symsh) || !(symd = elf_getdata(syms, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym s;
			const char *sn;

			if (!gelf_getrela(d, (int)i, &r))
				break;
			if (r.r_offset != slot || !GELF_R_SYM(r.r_info) ||
			    !gelf_getsym(symd, (int)GELF_R_SYM(r.r_info), &s) ||
			    !(sn = elf_strptr(ef->elf, symsh.sh_link, s.st_name)))
				continue;
			snprintf(buf, len, "%.*s", (int)strcspn(sn, "@"), sn);
			return 0;
		}
	}
	return -ENOENT;
}

/* A PLT entry at vaddr in section sh: `[endbr64] [bnd] jmp *disp(%rip)`. */
static int plt_name(const struct elf_file *ef, const GElf_Shdr *sh, uint64_t vaddr, char *buf,
		    size_t len)
{
	uint8_t b[16];
	size_t i = 0;

	if (elf_file_read(ef, vaddr, b, sizeof(b)) || vaddr + sizeof(b) > sh->sh_addr + sh->sh_size)
		return -ENOENT;
	if (!memcmp(b, "\xf3\x0f\x1e\xfa", 4))
		i = 4;
	if (b[i] == 0xf2)	/* bnd */
		i++;
	if (b[i] != 0xff || b[i + 1] != 0x25)
		return -ENOENT;
	int32_t disp = (int32_t)(b[i + 2] | b[i + 3] << 8 | b[i + 4] << 16 | (uint32_t)b[i + 5] << 24);
	return reloc_name(ef, vaddr + i + 6 + (int64_t)disp, buf, len);
}

int elf_file_call_name(const struct elf_file *ef, uint64_t vaddr, char *buf, size_t len)
{
	static const Elf64_Word types[] = { SHT_SYMTAB, SHT_DYNSYM };
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	/* a PLT entry? */
	if (!elf_getshdrstrndx(ef->elf, &shstrndx)) {
		while ((scn = elf_nextscn(ef->elf, scn))) {
			GElf_Shdr sh;
			const char *n;

			if (!gelf_getshdr(scn, &sh) || vaddr < sh.sh_addr ||
			    vaddr >= sh.sh_addr + sh.sh_size ||
			    !(n = elf_strptr(ef->elf, shstrndx, sh.sh_name)))
				continue;
			if (!strcmp(n, ".plt") || !strcmp(n, ".plt.sec") || !strcmp(n, ".plt.got"))
				return plt_name(ef, &sh, vaddr, buf, len);
			break;
		}
	}
	/* a function defined there */
	for (int t = 0; t < 2; t++) {
		scn = NULL;
		while ((scn = elf_nextscn(ef->elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[t] || !sh.sh_entsize ||
			    !(d = elf_getdata(scn, NULL)))
				continue;
			for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *sn;

				if (!gelf_getsym(d, (int)i, &s))
					break;
				if (s.st_value != vaddr || s.st_shndx == SHN_UNDEF ||
				    GELF_ST_TYPE(s.st_info) != STT_FUNC ||
				    !(sn = elf_strptr(ef->elf, sh.sh_link, s.st_name)))
					continue;
				snprintf(buf, len, "%.*s", (int)strcspn(sn, "@"), sn);
				return 0;
			}
		}
	}
	return -ENOENT;
}
