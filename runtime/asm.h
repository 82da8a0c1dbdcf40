/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * asm.h - a tiny text assembler for gilrt programs (vm.h).
 *
 *   ; comment (also #), to the end of the line
 *   global NAME...             declare globals (gload/gstore may also name new ones)
 *   func NAME NARGS NLOCALS    start a function; arguments are locals 0..NARGS-1
 *   LABEL:                     a jump target, local to the function
 *   OP [ARG [ARGC]]            push INT | load/store N | gload/gstore NAME|N |
 *                              jmp/jf/jt LABEL | call FUNC ARGC | bcall BUILTIN ARGC |
 *                              any other opcode of vm.h without arguments
 *   end                        end the function
 *
 * Functions may be called before they are defined. Builtins are only named
 * here; rt_vm_create() binds and checks them.
 */
#ifndef GILRT_ASM_H
#define GILRT_ASM_H
#include <stddef.h>
#include "vm.h"

/*
 * Assemble text into a new program (*out, free with rt_prog_destroy()).
 * On error returns -EINVAL (or -ENOMEM) with "line N: why" in err.
 */
int rt_asm(const char *text, struct rt_program **out, char *err, size_t errlen);

#endif /* GILRT_ASM_H */
