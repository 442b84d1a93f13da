"""python_threads: threading workload for the checkpointer tests.

WORKERS threading.Thread workers live for the whole run (~3 s with python3
3.11).  In each round the main thread puts JOBS jobs on a queue.Queue; the
workers take them, compute (pure Python integer work and small sha256
updates, holding the GIL), store the result under a Lock and count the
finished jobs under a Condition that the main thread waits on; a
threading.Barrier closes the round and an Event stops the workers at the
end.  Printed: a digest of the results in job order per round, and totals,
so the output does not depend on which worker did which job.
"""
import hashlib
import queue
import sys
import threading

WORKERS = 6
ROUNDS = 10
JOBS = 48
WORK = 50000

jobs = queue.Queue()
results = {}
results_lock = threading.Lock()
done = threading.Condition()
finished = 0
round_barrier = threading.Barrier(WORKERS + 1)
stop = threading.Event()
local = threading.local()
per_worker_jobs = [0] * WORKERS


def compute(rnd, job):
    x = (rnd * 1000003 + job) & 0xFFFFFFFFFFFFFFFF
    h = hashlib.sha256()
    for i in range(WORK):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        if i % 16 == 0:
            h.update(x.to_bytes(8, "little"))
    return h.hexdigest()[:16]


def worker(index):
    global finished
    local.index = index
    local.count = 0
    while True:
        item = jobs.get()
        if item is None:
            jobs.task_done()
            break
        rnd, job = item
        if rnd == "barrier":
            jobs.task_done()
            round_barrier.wait()
            continue
        value = compute(rnd, job)
        with results_lock:
            results[(rnd, job)] = value
        local.count += 1
        with done:
            finished += 1
            done.notify_all()
        jobs.task_done()
    if local.index != index:
        print("thread-local data of worker %d is wrong" % index)
    per_worker_jobs[index] = local.count


def main():
    threads = [threading.Thread(target=worker, args=(i,), name="worker-%d" % i)
               for i in range(WORKERS)]
    for t in threads:
        t.start()
    print("python_threads: %d workers, %d rounds of %d jobs" % (WORKERS, ROUNDS, JOBS))
    sys.stdout.flush()
    for rnd in range(ROUNDS):
        for job in range(JOBS):
            jobs.put((rnd, job))
        with done:
            done.wait_for(lambda: finished == (rnd + 1) * JOBS)
        # Each worker takes exactly one barrier item and then waits there.
        for _ in range(WORKERS):
            jobs.put(("barrier", None))
        round_barrier.wait()
        digest = hashlib.sha256()
        with results_lock:
            for job in range(JOBS):
                digest.update(results[(rnd, job)].encode())
        print("round %2d digest %s" % (rnd, digest.hexdigest()[:32]))
        sys.stdout.flush()
    stop.set()
    for _ in range(WORKERS):
        jobs.put(None)
    jobs.join()
    for t in threads:
        t.join()
    alive = sum(t.is_alive() for t in threads)
    print("jobs done %d (per worker sums to %d), threads alive %d, stop %s" % (
        finished, sum(per_worker_jobs), alive, stop.is_set()))


if __name__ == "__main__":
    main()
