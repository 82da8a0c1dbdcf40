# async.py - lesson "async": many tasks on one thread with asyncio.
#
# One thread runs an event loop. On it, a pretend service answers each
# request after 100 ms, and 100 client coroutines send it requests over TCP
# on this machine (loopback) for two seconds. A coroutine that waits
# (`await`) hands the thread back to the loop, which runs another one that
# can go on; when all of them wait, the loop sleeps in the kernel (epoll)
# until data arrives. No second thread: nobody else wants the GIL.
#
#   python3 async.py                            just run it
#   sudo gilscope lesson async --python         watch its GIL while it runs
import asyncio
import time

DELAY = 0.100                         # the service's answer time, seconds
TASKS = 100
SECONDS = 2.0


async def answer(reader, writer):
    """The service: one coroutine per client connection."""
    while await reader.readline():
        await asyncio.sleep(DELAY)    # pretend work elsewhere (a database)
        writer.write(b"ok\n")
    writer.close()


async def client(port, deadline):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    while time.monotonic() < deadline:
        writer.write(b"GET /page\n")
        await reader.readline()       # waits; other coroutines run meanwhile
        done += 1
    writer.close()
    return done


async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    deadline = time.monotonic() + SECONDS
    counts = await asyncio.gather(*(client(port, deadline) for _ in range(TASKS)))
    server.close()
    print(f"{TASKS} tasks on one thread made {sum(counts)} requests of "
          f"{DELAY * 1000:.0f} ms in {SECONDS:.0f} s")
    print(f"one after the other that would take {sum(counts) * DELAY:.0f} s")


asyncio.run(main())
