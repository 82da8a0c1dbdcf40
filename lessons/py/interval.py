# interval.py - lesson "interval": the switch interval, 1 ms instead of 5 ms.
#
# A thread that waits for the GIL asks the holder to let go after the
# switch interval (5 ms by default); sys.setswitchinterval() changes it.
# The same two counting threads as lesson "threads", with 1 ms.
#
#   python3 interval.py                         just run it
#   sudo gilscope lesson interval --python      watch its GIL while it runs
import sys
import threading
import time

SECONDS = 2.0

print(f"default switch interval: {sys.getswitchinterval() * 1000:.1f} ms")
sys.setswitchinterval(0.001)          # in seconds
print(f"now:                     {sys.getswitchinterval() * 1000:.1f} ms")


def worker(results, i):
    deadline = time.monotonic() + SECONDS
    n = 0
    while time.monotonic() < deadline:
        n += 1
    results[i] = n


results = [0, 0]
workers = [threading.Thread(target=worker, args=(results, i), name=f"worker-{i + 1}")
           for i in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(f"two threads together:    {sum(results) / SECONDS:,.0f} counts per second")
