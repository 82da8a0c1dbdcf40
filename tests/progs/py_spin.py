# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_spin.py [NAME [SECONDS]] - two CPU-bound threads, NAME-0 and NAME-1
# (default spinner-0 and spinner-1): the GIL is held about all the time.
# The process runs SECONDS (default 600), or until killed.
import sys
import threading
import time


def spin():
    while True:
        pass


name = sys.argv[1] if len(sys.argv) > 1 else "spinner"
for i in range(2):
    threading.Thread(target=spin, name="%s-%d" % (name, i), daemon=True).start()
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 600)
