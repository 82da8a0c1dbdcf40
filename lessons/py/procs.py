# procs.py - lesson "procs": two processes instead of two threads.
#
# Each process is a whole Python interpreter of its own, with its own
# objects and its own GIL. The multiprocessing module starts them (on
# Linux by forking this one) and hands their results back through a queue,
# because processes share no memory. Compare the total with what two
# threads managed in lesson "threads".
#
#   python3 procs.py                            just run it
#   sudo gilscope lesson procs --python         watch both GILs while it runs
import multiprocessing
import time

SECONDS = 3.0


def count_for(seconds):
    """Count as fast as we can for `seconds`; return how far we got."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
    return n


def worker(results):
    results.put(count_for(SECONDS))   # the answer travels back, pickled


if __name__ == "__main__":
    results = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(results,)) for _ in range(2)]
    for p in procs:
        p.start()
    counts = [results.get() for _ in procs]
    for p in procs:
        p.join()

    for i, n in enumerate(counts):
        print(f"process {i + 1}:      {n / SECONDS:12,.0f} counts per second")
    print(f"both processes: {sum(counts) / SECONDS:12,.0f} counts per second")
