# convoy.py - lesson "convoy": an I/O thread stuck behind a CPU-bound one.
#
# io-1 answers requests that a client process sends every 10 ms over a
# socket. Its work per request is tiny, but to run it needs the GIL back.
# For the first half second io-1 is alone; then worker-1 starts computing
# beside it. Each request carries the time it was sent (time.monotonic()
# is one clock for every process on Linux), so io-1 can tell how late it
# got to it: its answer latency.
#
#   python3 convoy.py                           just run it
#   sudo gilscope lesson convoy --python        watch its GIL while it runs
import multiprocessing
import socket
import statistics
import struct
import threading
import time

ALONE = 0.5                           # seconds io-1 runs alone
BUSY = 2.0                            # then seconds beside worker-1
EVERY = 0.010                         # a request every 10 ms


def client(sock, seconds):
    """Another program (a process of its own) sending requests."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.sendall(struct.pack("d", time.monotonic()))   # 8 bytes: when sent
        time.sleep(EVERY)
    sock.close()


def serve(sock, busy, latencies):
    with sock:
        while True:
            data = sock.recv(8, socket.MSG_WAITALL)   # blocks without the GIL
            if not data:
                return                # the client is done
            sent, = struct.unpack("d", data)
            latencies[busy.is_set()].append(time.monotonic() - sent)


def compute(stop):
    n = 0
    while not stop.is_set():
        n += 1


if __name__ == "__main__":
    here, there = socket.socketpair()
    sender = multiprocessing.Process(target=client, args=(there, ALONE + BUSY))
    sender.start()
    there.close()

    busy, stop = threading.Event(), threading.Event()
    latencies = {False: [], True: []}
    io = threading.Thread(target=serve, args=(here, busy, latencies), name="io-1")
    io.start()
    time.sleep(ALONE)
    worker = threading.Thread(target=compute, args=(stop,), name="worker-1")
    busy.set()
    worker.start()
    io.join()                         # the client closed its end: done
    stop.set()
    worker.join()
    sender.join()

    for running, label in ((False, "io-1 alone"), (True, "beside worker-1")):
        ms = [s * 1000 for s in latencies[running]]
        print(f"{label:16} answer latency: median {statistics.median(ms):5.2f} ms, "
              f"worst {max(ms):5.2f} ms ({len(ms)} requests)")
