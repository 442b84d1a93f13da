# Python's multiprocessing.Pool (issue 20 item 7): workers on pipes with the
# tasks queued ahead, semaphores in /dev/shm (unlinked with fork, named with
# spawn), a resource tracker with spawn. The results come in task order.
#   python3 python_pool.py fork|spawn|forkserver
import multiprocessing as mp
import sys


def work(x):
    s = 0
    for i in range(300000):
        s = (s * 31 + x + i) % 1000003
    return x, s


if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    with mp.Pool(2) as pool:
        for x, s in pool.imap(work, range(200)):
            print(x, s, flush=True)
    print("done")
