# native.py - lesson "native": C code that lets go of the GIL.
#
# hashlib computes a SHA-256 digest in C. For a large buffer it releases
# the GIL around the computation (zlib.compress does too, and so does NumPy
# around its loops over arrays): while one thread hashes, another can run.
# Two threads, worker-1 and worker-2, hash 16 MiB buffers for 3 seconds.
#
#   python3 native.py                           just run it
#   sudo gilscope lesson native --python        watch its GIL while it runs
import hashlib
import threading
import time

SECONDS = 3.0
DATA = bytes(16 * 1024 * 1024)        # 16 MiB of zeros


def worker(results, i):
    deadline = time.monotonic() + SECONDS
    done = 0
    while time.monotonic() < deadline:
        hashlib.sha256(DATA).digest() # the GIL is released inside
        done += len(DATA)
    results[i] = done


results = [0, 0]
workers = [threading.Thread(target=worker, args=(results, i), name=f"worker-{i + 1}")
           for i in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()

for i, done in enumerate(results):
    print(f"worker-{i + 1} hashed {done / SECONDS / 2**20:6.0f} MiB per second")
print(f"together:       {sum(results) / SECONDS / 2**20:6.0f} MiB per second")
