/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * probes.c - the USDT semaphores of gilrt_probes.h. A tracer (bpftrace,
 * libbpf's usdt attach) increments them through /proc/PID/mem or the
 * uprobe ref_ctr_offset while attached; they live in .probes as sdt.h
 * and dtrace -G expect. And gilrt_probes_after_fork().
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "gilrt_probes.h"

#define GILRT_DEFINE_SEMA(name)                                                \
	unsigned short GILRT_SEMA(name) __attribute__((section(".probes"), used))

GILRT_DEFINE_SEMA(gil_request);
GILRT_DEFINE_SEMA(gil_acquired);
GILRT_DEFINE_SEMA(gil_released);
GILRT_DEFINE_SEMA(gil_drop_request);
GILRT_DEFINE_SEMA(thread_start);
GILRT_DEFINE_SEMA(thread_exit);
GILRT_DEFINE_SEMA(io_begin);
GILRT_DEFINE_SEMA(io_end);
GILRT_DEFINE_SEMA(native_begin);
GILRT_DEFINE_SEMA(native_end);

/*
 * Linux 6.18 on x86-64 turns a uprobe on a 5-byte nop, after its first hit,
 * into a call to a trampoline page of that process; fork() does not give
 * the child that page but the child keeps the patched call, and dies of
 * SIGSEGV at its first probe (seen on 6.18.44; `gilscope check` says
 * whether this kernel does it). Mapping our own code again in the child
 * gives it back the file's bytes, and the kernel puts its breakpoints into
 * the new mapping as it does for any new mapping of a probed file, so the
 * child's probes work (and are optimized for it on their first hit).
 * The mapping holding this function is replaced by the same file range,
 * only if /proc/self/maps names a file that is still that one (device and
 * inode): a rebuilt binary must not be mapped under running code.
 */
int gilrt_probes_after_fork(void)
{
#if GS_USDT_NOP5
	uintptr_t here = (uintptr_t)&gilrt_probes_after_fork;
	char line[4096 + 256], path[4096];
	FILE *f = fopen("/proc/self/maps", "re");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, off, ino;
		unsigned maj, min;
		char perms[8];
		struct stat st;
		int fd;

		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %4095[^\n]", &start, &end, perms, &off,
			   &maj, &min, &ino, path) < 8 || here < start || here >= end)
			continue;
		fd = open(path + strspn(path, " "), O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !fstat(fd, &st) && st.st_ino == ino &&
		    major(st.st_dev) == maj && minor(st.st_dev) == min && !strcmp(perms, "r-xp") &&
		    mmap((void *)start, end - start, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
			 fd, (off_t)off) == (void *)start)
			rc = 0;
		if (fd >= 0)
			close(fd);
		break;
	}
	fclose(f);
	return rc;
#else
	return 0;
#endif
}
