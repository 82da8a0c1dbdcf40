# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_read_count.py - a thread that takes the GIL a known number of times
# (3.6+ syntax): each os.read(fd, 1) of /dev/zero lets the GIL go for the
# system call and takes it back, so N reads are N acquisitions.
#
# Usage: py_read_count.py N. Prints "ready PID"; at each SIGUSR1 it makes N
# reads and prints "done N" (the signal wait and the print are a take or two
# more); SIGTERM ends it, and so does two minutes without a signal (a test
# that died). stdout is flushed at each line. Before 3.7 the GIL is made
# only when a second thread starts (until then nothing takes it): one is
# started and joined first.
import os
import signal
import sys
import threading

n = int(sys.argv[1])
fd = os.open("/dev/zero", os.O_RDONLY)
# blocked first, so that the thread inherits it: join() returns before the
# thread is gone from the kernel, and a SIGUSR1 it took then would end the
# process (its default action; seen once on a loaded machine)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
t = threading.Thread(target=lambda: None)
t.start()
t.join()
print("ready", os.getpid(), flush=True)
while signal.sigtimedwait({signal.SIGUSR1}, 120) is not None:
    r = os.read
    for _ in range(n):
        r(fd, 1)
    print("done", n, flush=True)
