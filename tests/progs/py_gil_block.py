# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# py_gil_block.py - one thread blocks the GIL in C for known stretches while
# another wants it, each thread measuring with its own clock (3.6+ syntax).
#
#   waiter      CPU-bound Python: asks for the GIL again at every switch
#               interval. It notes every gap between two of its own clock
#               readings longer than 1 ms: time it did not run, which here is
#               time it waited for the GIL (the machine has a core for it).
#   MainThread  on "go SECONDS" (a line on stdin) runs sum(range(N)) with N
#               calibrated to last at least SECONDS, timed with time.monotonic().
#
# Why sum(range(N)): builtin sum() adds the ints of a range iterator in C
# (its fast path for exact ints); no bytecode runs inside it, so nothing
# checks the eval breaker and the GIL is never dropped however long the
# waiter asks. The items are small ints, which the cyclic GC does not
# track, so no collection (which could run __del__ code) starts inside
# either. hashlib would not do: it releases the GIL above 2047 bytes, and
# time.sleep() or I/O release it too.
#
# Protocol (line-based, stdout flushed):
#   out: ready PID WAITER_TID
#   in:  go SECONDS         -> out: block START END GAP_START GAP_END WAITED
#        (monotonic seconds; GAP is the waiter's gap in which the block
#        started, WAITED the sum of the waiter's gaps from "go" until
#        MainThread runs again after the block: its GIL waits, measured
#        with its own clock; after END the waiter runs alone, and a gap
#        there would only be the machine's other load)
#
# END is when MainThread runs again after sum() returns, which can be a few
# switch intervals after the block: the waiter's drop request is pending,
# so MainThread drops the GIL at its first bytecode and takes turns with the
# waiter for a while. GAP_END is when the block let the waiter run.
#   in:  quit / EOF
import os
import sys
import threading
import time

gaps = []
lock = threading.Lock()
stop = False


def waiter():
    last = time.monotonic()
    while not stop:
        now = time.monotonic()
        if now - last > 0.001:
            with lock:
                gaps.append((last, now))
        last = now


def calibrate():
    # items per CPU second of sum(range(n)): a block lasts at least what was
    # asked however busy the machine (time preempted only makes it longer)
    n = 5000000
    a = time.thread_time()
    sum(range(n))
    return n / max(time.thread_time() - a, 1e-6)


def main():
    global stop
    rate = calibrate()
    t = threading.Thread(target=waiter, name="waiter")
    t.start()
    while not hasattr(threading, "get_native_id") or t.native_id is None:
        time.sleep(0.01)
    print("ready %d %d" % (os.getpid(), t.native_id), flush=True)
    for line in sys.stdin:
        w = line.split()
        if not w or w[0] != "go":
            break
        n = int(rate * float(w[1]))
        go = time.monotonic()
        c = time.thread_time()
        a = time.monotonic()
        sum(range(n))
        b = time.monotonic()
        cpu = time.thread_time() - c
        if cpu > 0.1:	# the speed now, for the next block
            rate = n / cpu
        time.sleep(0.05)	# the waiter runs again and notes its gap
        with lock:
            cover = [g for g in gaps if g[0] <= a <= g[1]]
            waited = sum(g[1] - g[0] for g in gaps if g[1] > go and g[0] <= b)
        g = cover[-1] if cover else (0.0, 0.0)
        print("block %.6f %.6f %.6f %.6f %.6f" % (a, b, g[0], g[1], waited), flush=True)
    stop = True
    t.join()


main()
