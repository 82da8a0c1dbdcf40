# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_names_life.py - threads whose names change or that do not live long,
# for `gilscope record --python` (3.6+ syntax); every thread takes and lets
# go of the GIL all its life (1 ms sleeps), so each is seen recording:
#   renamer      started as "before-rename", renames itself after 0.5 s to
#                "after-rename" and goes on for 2 s (a report shows the
#                latest name)
#   short-0..2   one after the other, each living 0.5 s
#   MainThread   starts them and joins them
import threading
import time


def naps(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.001)


def renamer():
    naps(0.5)
    threading.current_thread().name = "after-rename"
    naps(2.0)


def main():
    r = threading.Thread(target=renamer, name="before-rename")
    r.start()
    for i in range(3):
        s = threading.Thread(target=naps, args=(0.5,), name="short-%d" % i)
        s.start()
        s.join()
    r.join()


main()
