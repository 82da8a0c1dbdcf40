/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilrt_specs - never run for its probes: an ELF file whose gilrt USDT notes
 * give each probe an argument spec that the loader must judge (record/
 * loader.h, struct gilrt_notes: which probes its NAME_regs programs may
 * serve, the arguments straight from %rdi, %rsi, %rdx):
 *   gil_request       -8@%rdi -8@%rsi             yes: exactly the 2 it reads
 *   gil_acquired      -8@%rdi -8@%rsi             no: it reads 3 (a gilrt
 *                                                 without the time argument)
 *   gil_released      two sites, one on %rbx      no: every site must be so
 *   gil_drop_request  -8@%rdi -8@%rsi -8@%rdx     yes: more than the 2 it reads
 *   thread_exit       (none)                      yes: it reads none
 *   io_begin          -4@%edi                     no: 4 bytes, not 8
 *   io_end            -8@%rsi -8@%rdi             no: the wrong order
 *   native_begin      -8@%rdi                     yes
 * thread_start and native_end have no notes. x86-64 only (on others it
 * has no notes at all).
 */
#include "bpf/gs_usdt.h"

#if GS_USDT_NOP5
__asm__(GS_USDT_ASM_FN(spec_request, gilrt, gil_request, "-8@%rdi -8@%rsi")
	GS_USDT_ASM_FN(spec_acquired, gilrt, gil_acquired, "-8@%rdi -8@%rsi")
	GS_USDT_ASM_FN(spec_released_a, gilrt, gil_released, "-8@%rdi -8@%rsi -8@%rdx")
	GS_USDT_ASM_FN(spec_released_b, gilrt, gil_released, "-8@%rbx -8@%rsi -8@%rdx")
	GS_USDT_ASM_FN(spec_drop, gilrt, gil_drop_request, "-8@%rdi -8@%rsi -8@%rdx")
	GS_USDT_ASM_FN(spec_exit, gilrt, thread_exit, "")
	GS_USDT_ASM_FN(spec_io_begin, gilrt, io_begin, "-4@%edi")
	GS_USDT_ASM_FN(spec_io_end, gilrt, io_end, "-8@%rsi -8@%rdi")
	GS_USDT_ASM_FN(spec_native, gilrt, native_begin, "-8@%rdi"));
#endif

int main(void)
{
	return 0;
}
