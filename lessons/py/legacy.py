# legacy.py - lesson "legacy": Python 2's lock on a machine with two cores.
# (Python 2 code: run it with Python 2.7.)
#
# Before Python 3.2, a thread that held the GIL let go of it every 100
# "ticks" (about 100 bytecodes) and took it straight back, hoping another
# thread would get in between. Two threads count for 1.2 seconds, each on
# a core of its own (CPUs 0 and 1); each counts how often it got to run.
#
#   python2.7 legacy.py                         just run it
#   sudo gilscope lesson legacy --python        watch its GIL while it runs
from __future__ import print_function
import ctypes
import threading
import time

SECONDS = 1.2


def name_os_thread(name):
    """Give the OS thread the Python name, so that gilscope shows it
    (Python 2 does not do this; Linux's prctl(PR_SET_NAME) does)."""
    ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)


def run_on_cpu(cpu):
    """Keep this thread on one CPU (Python 2 has no os.sched_setaffinity).
    Left alone, Linux often puts both threads on one core: a thread that
    sleeps as often as the waiter here looks light to the scheduler."""
    mask = ctypes.create_string_buffer(128)     # a cpu_set_t, all zero
    mask[cpu // 8] = chr(1 << (cpu % 8))
    ctypes.CDLL(None).sched_setaffinity(0, 128, mask)


def worker(results, i):
    name_os_thread("worker-%d" % (i + 1))
    run_on_cpu(i)
    deadline = time.time() + SECONDS
    n = 0
    while time.time() < deadline:
        n += 1
    results[i] = n


results = [0, 0]
workers = [threading.Thread(target=worker, args=(results, i)) for i in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()
for i, n in enumerate(results):
    print("worker-%d counted %12s" % (i + 1, "{:,}".format(n)))
