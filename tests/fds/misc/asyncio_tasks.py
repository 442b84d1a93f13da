"""asyncio under checkpoint: an event loop (epoll, its self-pipe socketpair,
the signal wakeup fd) running a pipeline of tasks connected by an
asyncio.Queue, an os.pipe() read through the loop, and a stream over a
socketpair; a signal handled by the loop; timers. The output depends only on
the order of the data, never on timing, so an uninterrupted run and a
checkpointed, killed and restored one print the same lines."""
import asyncio
import hashlib
import os
import signal
import socket
import sys

ITEMS = int(sys.argv[1]) if len(sys.argv) > 1 else 300  # -chain: more, for three runs


def work(i):
    h = hashlib.sha256(str(i).encode())
    for _ in range(25000):
        h = hashlib.sha256(h.digest())
    return h.hexdigest()[:16]


async def producer(q):
    for i in range(ITEMS):
        await q.put(i)
        if i % 7 == 0:
            await asyncio.sleep(0.001)
    await q.put(None)


async def hasher(q, pipe_w):
    while (i := await q.get()) is not None:
        pipe_w.write(f"{i} {work(i)}\n".encode())
        await asyncio.sleep(0)
    pipe_w.write(b"end\n")


async def relay(pipe_r, sock_w):
    n = 0
    while (line := await pipe_r.readline()) != b"end\n":
        n += 1
        sock_w.write(line.upper())
        if n % 50 == 0:
            await sock_w.drain()
    sock_w.write(b"END\n")
    await sock_w.drain()


async def collector(sock_r, got_signal):
    digest = hashlib.sha256()
    n = 0
    while (line := await sock_r.readline()) != b"END\n":
        digest.update(line)
        n += 1
        if n % 25 == 0:
            print(f"collected {n:3d}: {line.decode().strip()} running {digest.hexdigest()[:16]}", flush=True)
        if n == ITEMS // 2:
            os.kill(os.getpid(), signal.SIGUSR2)
            await got_signal.wait()
            print("signal handled by the loop", flush=True)
    return n, digest.hexdigest()


async def ticker(stop):
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks > 0


async def main():
    loop = asyncio.get_running_loop()
    got_signal = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR2, got_signal.set)

    rfd, wfd = os.pipe()
    pipe_r = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(pipe_r), os.fdopen(rfd, "rb", 0))
    wtransport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(wfd, "wb", 0))

    a, b = socket.socketpair()
    sock_r, _ = await asyncio.open_connection(sock=a)
    _, sock_w = await asyncio.open_connection(sock=b)

    q = asyncio.Queue(maxsize=16)
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stop))
    results = await asyncio.gather(producer(q), hasher(q, wtransport), relay(pipe_r, sock_w),
                                   collector(sock_r, got_signal))
    stop.set()
    n, digest = results[3]
    print(f"done: {n} items, digest {digest}, ticker ran {await tick}")


asyncio.run(main())
