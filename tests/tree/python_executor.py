# concurrent.futures.ProcessPoolExecutor (issue 20 item 7): the call queue
# and result pipes, semaphores, the executor's manager and queue feeder
# threads, the resource tracker with spawn and forkserver (where the
# workers are the forkserver's children, the root's grandchildren). The
# results are printed in task order.
#   python3 python_executor.py fork|spawn|forkserver
import concurrent.futures
import multiprocessing as mp
import sys


def work(x):
    s = 0
    for i in range(300000):
        s = (s * 31 + x + i) % 1000003
    return x, s


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
        for x, s in ex.map(work, range(200), chunksize=2):
            print(x, s, flush=True)
    print("done")
