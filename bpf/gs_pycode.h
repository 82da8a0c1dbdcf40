/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gs_pycode.h - the code object a CPython thread runs, read in the kernel
 * from its PyThreadState, for both BPF objects: gilscope.bpf.c (--python:
 * a recording's GIL releases) and gilstat.bpf.c (`top`: the function that
 * held the GIL). BPF C only, included after vmlinux.h, the libbpf headers
 * and gilscope.h (struct gs_py_cfg, gs_pyaddr_pack).
 *
 * The walk is the layout's (struct gs_py_cfg, made by user space from
 * record/pylayout.h): gilscope.bpf.c passes its read-only py_cfg, whose
 * values the verifier knows, so the bounds checks below cost nothing there;
 * gilstat.bpf.c passes an entry of a map (one per interpreter file), whose
 * values it does not, so every size and index is checked before use.
 */
#ifndef GS_PYCODE_H
#define GS_PYCODE_H

/*
 * Argument n (0-5) of a probed function at its entry; dflt past those.
 * Each case loads its own register: left alone, the compiler may turn the
 * switch into one load at a computed offset into ctx, which the verifier
 * refuses (barrier_var keeps the loads apart).
 */
static __always_inline __u64 gs_reg_arg(struct pt_regs *ctx, int n, __u64 dflt)
{
	__u64 v;

	switch (n) {
	case 0: v = PT_REGS_PARM1(ctx); barrier_var(v); break;
	case 1: v = PT_REGS_PARM2(ctx); barrier_var(v); break;
	case 2: v = PT_REGS_PARM3(ctx); barrier_var(v); break;
	case 3: v = PT_REGS_PARM4(ctx); barrier_var(v); break;
	case 4: v = PT_REGS_PARM5(ctx); barrier_var(v); break;
#ifdef PT_REGS_PARM6
	case 5: v = PT_REGS_PARM6(ctx); barrier_var(v); break;
#elif defined(__TARGET_ARCH_x86)
	case 5: v = ctx->r9; barrier_var(v); break;	/* libbpf 1.1 has no PT_REGS_PARM6 */
#endif
	default: return dflt;
	}
	return v;
}

#define GS_PY_FRAME_WORDS (GS_PY_FRAME_SPAN / 8)
#define GS_PY_CODE_WORDS (GS_PY_CODE_SPAN / 8)

/*
 * The code object thread state tstate runs, walking as c says. Three or
 * four reads: the frame pointer (through the cframe on 3.11-3.12), the
 * frame's code pointer (with the owner byte on 3.12+, skipping up to two C
 * entry frames), and the part of the code object its fingerprint is made
 * of. Returns gs_pyaddr_pack() of it, GS_PYADDR_NONE (no Python frame) or
 * GS_PYADDR_FAULT (a read failed, or c is not one this walk can follow).
 */
static __always_inline __u64 gs_py_code(const volatile struct gs_py_cfg *c, __u64 tstate)
{
	__u64 fr[GS_PY_FRAME_WORDS], co[GS_PY_CODE_WORDS];
	__u64 f = 0, cf = 0, code = 0;
	__u32 flen = c->frame_len, clen = c->code_len, fcode = (__u32)c->frame_code >> 3;
	__u32 fback = (__u32)c->frame_back >> 3, fown = c->frame_owner;
	__u32 cline = (__u32)c->code_line >> 2, cname = (__u32)c->code_name >> 3;
	__u32 cfile = (__u32)c->code_file >> 3;

	if (!tstate)
		return GS_PYADDR_FAULT;
	if (c->frames == GS_PYF_CFRAME) {
		if (bpf_probe_read_user(&cf, 8, (void *)(tstate + c->ts_cframe)))
			return GS_PYADDR_FAULT;
		if (!cf)
			return GS_PYADDR_NONE;
		if (bpf_probe_read_user(&f, 8, (void *)(cf + c->cframe_current)))
			return GS_PYADDR_FAULT;
	} else if (bpf_probe_read_user(&f, 8, (void *)(tstate + c->ts_frame))) {
		return GS_PYADDR_FAULT;
	}
	if (c->owned_by_cstack < 0) {	/* no C entry frames: the code pointer alone */
		if (f && bpf_probe_read_user(&code, 8, (void *)(f + c->frame_code)))
			return GS_PYADDR_FAULT;
	} else {
		if (flen > GS_PY_FRAME_SPAN || fcode >= GS_PY_FRAME_WORDS ||
		    fback >= GS_PY_FRAME_WORDS || fown >= GS_PY_FRAME_SPAN)
			return GS_PYADDR_FAULT;
		for (int i = 0; i < 3 && f; i++) {
			if (bpf_probe_read_user(fr, flen, (void *)f))
				return GS_PYADDR_FAULT;
			if (((__u8 *)fr)[fown] != c->owned_by_cstack) {
				code = fr[fcode];
				break;
			}
			f = fr[fback];	/* the caller's is below */
		}
	}
	if (!code)
		return f ? GS_PYADDR_FAULT : GS_PYADDR_NONE;
	if (clen > GS_PY_CODE_SPAN || cline >= 2 * GS_PY_CODE_WORDS ||
	    cname >= GS_PY_CODE_WORDS || cfile >= GS_PY_CODE_WORDS)
		return GS_PYADDR_FAULT;
	if (code & 7 || code >> 51 ||
	    bpf_probe_read_user(co, clen, (void *)(code + c->code_lo)))
		return GS_PYADDR_FAULT;
	return gs_pyaddr_pack(code, gs_py_fingerprint(((__s32 *)co)[cline], co[cname], co[cfile]));
}

#endif /* GS_PYCODE_H */
