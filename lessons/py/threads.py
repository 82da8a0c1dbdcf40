# threads.py - lesson "threads": do two threads count twice as fast as one?
#
# Counting is pure Python: every step runs bytecode, and a thread runs
# bytecode only while it holds the GIL (the Global Interpreter Lock).
# First the main thread counts alone for half a second, then two threads,
# worker-1 and worker-2, count together for two seconds. The machine has
# two cores or more.
#
#   python3 threads.py                          just run it
#   sudo gilscope lesson threads --python       watch its GIL while it runs
import threading
import time

SECONDS = 2.0


def count_for(seconds):
    """Count as fast as we can for `seconds`; return how far we got."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
    return n


def worker(results, i):
    results[i] = count_for(SECONDS)


alone = count_for(0.5) / 0.5          # counts per second, one thread

results = [0, 0]
workers = [threading.Thread(target=worker, args=(results, i), name=f"worker-{i + 1}")
           for i in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()
together = sum(results) / SECONDS     # counts per second, both threads

print(f"one thread alone:     {alone:12,.0f} counts per second")
print(f"two threads together: {together:12,.0f} counts per second "
      f"({together / alone:.2f} times one thread)")
