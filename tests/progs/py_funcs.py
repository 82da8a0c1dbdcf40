# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_funcs.py SECONDS - threads whose names and functions are known by
# construction, for `gilscope record --python` (3.6+ syntax):
#   cruncher    CPU-bound: spins in crunch() for SECONDS
#   sleeper     I/O: sleeps 1 ms at a time in nap_loop() (every sleep
#               releases the GIL there) until cruncher is done
#   MainThread  starts both and joins them
import sys
import threading
import time


def crunch(deadline):
    n = 0
    while time.monotonic() < deadline:
        n += 1


def nap_loop(done):
    while not done.is_set():
        time.sleep(0.001)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    done = threading.Event()
    cruncher = threading.Thread(target=crunch, args=(time.monotonic() + seconds,),
                                name="cruncher")
    sleeper = threading.Thread(target=nap_loop, args=(done,), name="sleeper")
    cruncher.start()
    sleeper.start()
    cruncher.join()
    done.set()
    sleeper.join()


main()
