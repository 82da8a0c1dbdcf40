/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * path.h - finding a command the way execvp(3) does, so that gilscope
 * probes the very file it will run: a NAME with a '/' is that file; any
 * other NAME is looked up in each $PATH entry in turn (default
 * /usr/local/bin:/usr/bin:/bin; an empty entry is the current directory)
 * and the first regular file we may execute wins.
 */
#ifndef UTIL_PATH_H
#define UTIL_PATH_H
#include <stddef.h>

/* 0 and the file into out (len bytes), -ENOENT if nothing was found,
 * -ENAMETOOLONG, or the error of access(2) for a NAME with a '/'. */
int path_find_command(const char *name, char *out, size_t len);

/* The directory of the running gilscope binary (from /proc/self/exe):
 * where gilrt and the data directories are looked up. 0 or a negative errno. */
int path_self_dir(char *out, size_t len);

/* Opens path for reading if it is a regular file: the fd, or a negative
 * errno (-EINVAL for a fifo, a device, a directory...). Never blocks: a
 * fifo named where a program or library is expected (--lock /tmp/fifo:...)
 * is refused instead of waiting for a writer forever. */
int path_open_regular(const char *path);

#endif
