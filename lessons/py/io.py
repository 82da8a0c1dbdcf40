# io.py - lesson "io": threads that wait for I/O let go of the GIL.
#
# A pretend web service takes 40 ms to answer each request (here it runs in
# threads of this same program; it could be another machine). Four client
# threads, io-1 to io-4, each send it 12 requests over TCP on this machine
# (loopback), one after the other. While a thread waits in recv() for its
# answer it does not hold the GIL, so the four waits overlap.
#
#   python3 io.py                               just run it
#   sudo gilscope lesson io --python            watch its GIL while it runs
import socket
import threading
import time

DELAY = 0.040                         # the service's answer time, seconds
THREADS = 4
REQUESTS = 50                         # per client thread


def answer(conn):
    """The service, one thread per client: a 40 ms pause per request."""
    with conn:
        while conn.recv(64):
            time.sleep(DELAY)         # sleeping releases the GIL too
            conn.sendall(b"ok\n")


def service(listener):
    for i in range(THREADS):
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), name=f"service-{i + 1}").start()


def client(address):
    with socket.create_connection(address) as s:
        for _ in range(REQUESTS):
            s.sendall(b"GET /page\n")
            s.recv(64)                # blocks 40 ms, without the GIL


with socket.create_server(("127.0.0.1", 0)) as listener:
    threading.Thread(target=service, args=(listener,), name="service").start()
    start = time.monotonic()
    clients = [threading.Thread(target=client, args=(listener.getsockname(),), name=f"io-{i + 1}")
               for i in range(THREADS)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    took = time.monotonic() - start

print(f"{THREADS} threads made {THREADS * REQUESTS} requests of {DELAY * 1000:.0f} ms "
      f"in {took:.2f} s")
print(f"one after the other they would take {THREADS * REQUESTS * DELAY:.2f} s")
