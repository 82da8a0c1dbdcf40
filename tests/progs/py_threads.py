# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_threads.py READY_FILE - threads whose names and functions are known by
# construction, for the tests of gilscope's Python reader (3.6+ syntax):
#   spinner        CPU-bound, never leaves spin_cpu()
#   io-reader      blocked reading a pipe in Io.wait_io()
#   after-rename   started as "before-rename", renames itself, then blocks
#                  in renamed_wait()
#   naïve-😀       a non-ASCII name (UCS-4 str), blocked in Sleeper.nap()
#   MainThread     joins the spinner (in threading's join machinery)
# READY_FILE is written once every thread has started; the process runs
# until killed. Expected functions are printed to it, one "NAME<TAB>FUNC"
# a line (FUNC as co_qualname on 3.11+, co_name before).
import os
import sys
import threading

QUAL = sys.version_info >= (3, 11)
started = []


def spin_cpu():
    started.append("spinner")
    n = 0
    while True:
        n += 1


class Io:
    def wait_io(self, fd):
        started.append("io-reader")
        os.read(fd, 1)


def renamed_wait(fd):
    threading.current_thread().name = "after-rename"
    started.append("after-rename")
    os.read(fd, 1)


class Sleeper:
    def nap(self, fd):
        started.append("nap")
        os.read(fd, 1)


def main():
    never, _ = os.pipe()	# nobody writes: the readers block for good
    threads = [
        threading.Thread(target=spin_cpu, name="spinner", daemon=True),
        threading.Thread(target=Io().wait_io, args=(never,), name="io-reader", daemon=True),
        threading.Thread(target=renamed_wait, args=(never,), name="before-rename", daemon=True),
        threading.Thread(target=Sleeper().nap, args=(never,), name="na\u00efve-\U0001f600",
                         daemon=True),
    ]
    for t in threads:
        t.start()
    while len(started) < len(threads):
        os.sched_yield()
    want = [("spinner", "spin_cpu"), ("io-reader", "Io.wait_io" if QUAL else "wait_io"),
            ("after-rename", "renamed_wait"),
            ("na\u00efve-\U0001f600", "Sleeper.nap" if QUAL else "nap")]
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for name, func in want:
            f.write("%s\t%s\n" % (name, func))
    os.rename(tmp, sys.argv[1])
    threads[0].join()


main()
