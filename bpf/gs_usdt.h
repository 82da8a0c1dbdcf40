/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gs_usdt.h - USDT probes whose site is a 5-byte nop, for gilrt (runtime/
 * gilrt_probes.h) and gilscope's own probes (`gilscope check`, the cost
 * calibration). User space only; C, no kernel headers.
 *
 * A probe is a standard SystemTap SDT probe: a .note.stapsdt note (type 3,
 * "stapsdt") with the site's address, the .stapsdt.base address, the
 * semaphore's address (0: none), "provider\0name\0args\0", exactly as
 * <sys/sdt.h> writes it, so readelf -n, libbpf, bpftrace and perf see an
 * ordinary probe. Only the site differs: sdt.h puts a 1-byte nop there, a
 * uprobe on which is always a breakpoint trap; this puts the 5-byte
 * `nopl 0x0(%rax,%rax,1)` (0f 1f 44 00 00), which kernels with uprobe
 * optimization (x86-64, 6.18+: arch_uprobe_optimize) turn into a call to a
 * trampoline that enters the kernel by a syscall: measured here about a
 * quarter to a half cheaper a hit than the trap. Older kernels trap on it
 * as on any nop. The kernel cannot optimize a site whose 5 bytes cross a
 * page, so the site is 8-byte aligned (the padding before it is nops, and
 * only run when the probe is enabled if the caller tests its semaphore).
 *
 * Arguments are 64-bit signed integers in fixed registers: the first in
 * %rdi, the second in %rsi, the third in %rdx ("-8@%rdi -8@%rsi -8@%rdx",
 * as if the site were a call). Any consumer reads them from the spec as
 * usual; gilscope, finding exactly that spec at every site of a probe,
 * takes them straight from those registers without looking the spec up (a
 * helper call and a lookup: a fifth of an event's cost). Other architectures, or
 * GS_USDT_STOCK defined, fall back to <sys/sdt.h>'s STAP_PROBEn (a 1-byte
 * nop on x86, whatever sdt.h uses elsewhere) with the same note.
 *
 *   GS_USDT0(provider, name, sema)
 *   GS_USDT1(provider, name, sema, a)          ... up to GS_USDT3
 * provider and name are bare identifiers; sema is the semaphore variable's
 * name (an unsigned short in section .probes, written into the note as a
 * symbol like sdt.h does) or 0.
 */
#ifndef GS_USDT_H
#define GS_USDT_H
#include <stdint.h>

#if defined(__x86_64__) && !defined(GS_USDT_STOCK)

#define GS_USDT_NOP5 1	/* sites are 5-byte nops */

#define _GS_USDT_STR(x) #x
#define _GS_USDT_XSTR(x) _GS_USDT_STR(x)
/* The note, as sdt.h's _SDT_ASM_BODY writes it, for the site at label 990. */
#define _GS_USDT_NOTE(provider, name, sema, args)				\
	".pushsection .note.stapsdt,\"?\",\"note\"\n"				\
	".balign 4\n"								\
	".4byte 992f-991f, 994f-993f, 3\n"					\
	"991: .asciz \"stapsdt\"\n"						\
	"992: .balign 4\n"							\
	"993: .8byte 990b\n"							\
	".8byte _.stapsdt.base\n"						\
	".8byte " _GS_USDT_XSTR(sema) "\n"					\
	".asciz \"" _GS_USDT_STR(provider) "\"\n"				\
	".asciz \"" _GS_USDT_STR(name) "\"\n"					\
	".asciz \"" args "\"\n"							\
	"994: .balign 4\n"							\
	".popsection\n"								\
	".ifndef _.stapsdt.base\n"						\
	".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"	\
	".weak _.stapsdt.base\n"						\
	".hidden _.stapsdt.base\n"						\
	"_.stapsdt.base: .space 1\n"						\
	".size _.stapsdt.base, 1\n"						\
	".popsection\n"								\
	".endif\n"

#define _GS_USDT_SITE ".balign 8\n990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
#define GS_USDT0(provider, name, sema)						\
	__asm__ __volatile__(_GS_USDT_SITE _GS_USDT_NOTE(provider, name, sema, ""))
#define GS_USDT1(provider, name, sema, a)					\
	__asm__ __volatile__(_GS_USDT_SITE					\
			     _GS_USDT_NOTE(provider, name, sema, "-8@%[a0]")		\
			     : : [a0] "D" ((int64_t)(a)))
#define GS_USDT2(provider, name, sema, a, b)					\
	__asm__ __volatile__(_GS_USDT_SITE					\
			     _GS_USDT_NOTE(provider, name, sema, "-8@%[a0] -8@%[a1]")	\
			     : : [a0] "D" ((int64_t)(a)),	\
			       [a1] "S" ((int64_t)(b)))
#define GS_USDT3(provider, name, sema, a, b, c)					\
	__asm__ __volatile__(_GS_USDT_SITE					\
			     _GS_USDT_NOTE(provider, name, sema,		\
					   "-8@%[a0] -8@%[a1] -8@%[a2]")	\
			     : : [a0] "D" ((int64_t)(a)),	\
			       [a1] "S" ((int64_t)(b)), [a2] "d" ((int64_t)(c)))

/*
 * Top-level assembly for a whole function that is one probe site and a
 * return, for callers that need to know the site's address (it is the
 * function's): `gilscope check` and the cost calibration. args as in a
 * note ("-8@%rdi"): the caller knows where its arguments are. _NOP1: the
 * same on sdt.h's 1-byte nop.
 */
#define _GS_USDT_ASM_FN(fn, site, provider, name, args)				\
	".text\n.balign 16\n.globl " #fn "\n.hidden " #fn "\n.type " #fn ",@function\n" \
	#fn ":\n" site "ret\n.size " #fn ", .-" #fn "\n"				\
	_GS_USDT_NOTE(provider, name, 0, args)
#define GS_USDT_ASM_FN(fn, provider, name, args)				\
	_GS_USDT_ASM_FN(fn, "990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n", provider, name, args)
#define GS_USDT_ASM_FN_NOP1(fn, provider, name, args)				\
	_GS_USDT_ASM_FN(fn, "990: nop\n", provider, name, args)

#else	/* stock sdt.h: a 1-byte nop on x86, the architecture's own elsewhere */

#define GS_USDT_NOP5 0
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
/* sdt.h names the semaphore provider_name_semaphore itself */
#define GS_USDT0(provider, name, sema) STAP_PROBE(provider, name)
#define GS_USDT1(provider, name, sema, a) STAP_PROBE1(provider, name, (int64_t)(a))
#define GS_USDT2(provider, name, sema, a, b)					\
	STAP_PROBE2(provider, name, (int64_t)(a), (int64_t)(b))
#define GS_USDT3(provider, name, sema, a, b, c)					\
	STAP_PROBE3(provider, name, (int64_t)(a), (int64_t)(b), (int64_t)(c))

#endif
#endif /* GS_USDT_H */
