"""fds in flight from Python (issue 20 item 3): a multiprocessing child sends
its parent file descriptors with multiprocessing.reduction.send_handle
(SCM_RIGHTS over the Pipe's socket pair), keeping WINDOW of them queued
ahead of the parent, which reads them late with recv_handle: a memfd it
wrote and a file opened at an offset. stdout is the same whatever happens
to the checkpoints."""
import multiprocessing as mp
import os
import sys
import time
from multiprocessing import reduction

WINDOW = 4
STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
DATA = "py_scm_data.txt"


def child(conn, acks, parent):
    for i in range(STEPS):
        if i >= WINDOW and acks.recv() != i - WINDOW:
            sys.exit(3)
        if i % 2:
            fd = os.memfd_create("py%d" % i)
            os.write(fd, b"memfd %d\n" % i)
            os.lseek(fd, 0, os.SEEK_SET)
        else:
            fd = os.open(DATA, os.O_RDONLY)
            os.lseek(fd, i * 3, os.SEEK_SET)
        reduction.send_handle(conn, fd, parent)
        os.close(fd)


def main():
    with open(DATA, "w") as f:
        f.write("".join(chr(97 + i % 26) for i in range(STEPS * 3 + 64)))
    mp.set_start_method("fork")
    conn, theirs = mp.Pipe()
    acks_in, acks_out = mp.Pipe(duplex=False)
    p = mp.Process(target=child, args=(theirs, acks_in, os.getpid()))
    p.start()
    for i in range(STEPS):
        time.sleep(0.012)
        fd = reduction.recv_handle(conn)
        text = os.read(fd, 10).decode().replace("\n", "|")
        os.close(fd)
        print("step %d: %s" % (i, text), flush=True)
        if i < STEPS - WINDOW:
            acks_out.send(i)
    p.join()
    print("child:", p.exitcode)
    return p.exitcode


if __name__ == "__main__":
    sys.exit(main())
