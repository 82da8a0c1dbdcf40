/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* probe_loop_sdt - probe_loop with stock <sys/sdt.h> probes (1-byte nops on
 * x86): what USDT probes cost elsewhere, for `make bench`. */
#define GS_USDT_STOCK 1
#include "probe_loop.c"
