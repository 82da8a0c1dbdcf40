/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* placeholder: the BPF programs land here */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
