/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * elf_sym.h - just enough ELF reading for the uprobe adapters: look up a
 * symbol in .symtab (local symbols included) and .dynsym, turn a link-time
 * address into a file offset through its PT_LOAD segment, and list what a
 * file needs from the dynamic linker (DT_NEEDED, DT_RPATH, DT_RUNPATH).
 *
 * Files come from the user and may be hostile or truncated: every lookup is
 * bounds-checked by libelf and a malformed file gives -ENOEXEC, not a crash.
 * The struct elf_file owns its fd and memory; strings it returns live until
 * elf_file_close(). Functions return 0 or a negative errno.
 */
#ifndef ELF_SYM_H
#define ELF_SYM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

struct elf_sym {
	uint64_t vaddr;		/* st_value: link-time address */
	uint64_t size;		/* st_size */
	int type;		/* STT_FUNC, STT_OBJECT, STT_GNU_IFUNC, ... */
	bool local;		/* STB_LOCAL (static function or variable) */
};

/* -ENOENT/-EACCES from open(2); -ENOEXEC if path is not a readable ELF file. */
int elf_file_open(struct elf_file **out, const char *path);
void elf_file_close(struct elf_file *ef);

int elf_file_type(const struct elf_file *ef);		/* ET_EXEC, ET_DYN, ... */
int elf_file_machine(const struct elf_file *ef);	/* EM_X86_64, ... */
bool elf_file_has_symtab(const struct elf_file *ef);	/* not stripped */

/* Find a defined symbol called name (a versioned "name@VER" matches too),
 * .symtab first, then .dynsym. 0 and *sym filled; -ENXIO if the file only
 * imports it (undefined); -ENOENT if it does not mention it at all. */
int elf_file_find(const struct elf_file *ef, const char *name, struct elf_sym *sym);

/*
 * Every function called name or name.SUFFIX (the copies a compiler makes:
 * take_gil.constprop.0, foo.isra.0, foo.part.0, and foo.cold, the cold
 * part of foo, which is no entry point) into out[0..max): their symbols and
 * names (valid until elf_file_close). Returns how many (at most max), 0 if
 * none; each address once, .symtab first.
 */
size_t elf_file_find_copies(const struct elf_file *ef, const char *name, struct elf_sym *out,
			    const char **names, size_t max);

/* The name of what a call to link-time address vaddr reaches: the function
 * defined there, or, for a PLT entry (.plt, .plt.sec, .plt.got), the
 * function it jumps to (its GOT slot's relocation). 0 and name into buf,
 * or -ENOENT. */
int elf_file_call_name(const struct elf_file *ef, uint64_t vaddr, char *buf, size_t len);

/* File offset of the byte at link-time address vaddr (-ERANGE if no PT_LOAD
 * segment holds it in the file). */
int elf_file_vaddr_to_off(const struct elf_file *ef, uint64_t vaddr, uint64_t *off);

/* Read len bytes at link-time address vaddr from the file (initialized
 * data: -ERANGE if they are not all in one PT_LOAD segment's file bytes). */
int elf_file_read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

/* The first PT_LOAD segment's p_vaddr and p_offset: a process maps the file
 * at (map start) = bias + page_down(p_vaddr) for the mapping at page_down(p_offset). */
int elf_file_first_load(const struct elf_file *ef, uint64_t *vaddr, uint64_t *off);

/* DT_NEEDED entry i (NULL past the end); DT_RPATH / DT_RUNPATH or NULL. */
const char *elf_file_needed(const struct elf_file *ef, size_t i);
const char *elf_file_rpath(const struct elf_file *ef);
const char *elf_file_runpath(const struct elf_file *ef);

/* The GNU build-id note as lowercase hex into buf; -ENOENT if none. */
int elf_file_build_id(const struct elf_file *ef, char *buf, size_t len);

#endif
