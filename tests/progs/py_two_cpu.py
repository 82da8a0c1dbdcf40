# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_two_cpu.py [N] - two CPU-bound threads of N additions each (default
# 8,000,000), started on cue, for counting GIL acquisitions from outside:
#   prints "ready PID", then waits for a line on stdin, dropping and taking
#   the GIL about every 10 ms meanwhile (a select() with a timeout), so
#   that a watcher that probes the interpreter late still sees this thread;
#   on the line, runs the two threads to their end, prints "done TID TID"
#   (their kernel thread ids) and waits for another line before it exits.
# Once "done" is out the workers have ended: their acquisitions are final,
# and the main thread, blocked with the GIL released, adds none.
import os
import select
import sys
import threading


def work(n):
    s = 0
    for i in range(n):
        s += i


n = int(sys.argv[1]) if len(sys.argv) > 1 else 8000000
print("ready", os.getpid(), flush=True)
while not select.select([sys.stdin], [], [], 0.01)[0]:
    pass
sys.stdin.readline()
ts = [threading.Thread(target=work, args=(n,)) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("done", " ".join(str(t.native_id) for t in ts), flush=True)
sys.stdin.readline()
