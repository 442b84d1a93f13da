# Benchmark program for Debian's python3: a heap of MIB MiB, checked after a restore.
#   python3 pyheap.py MIB CTL
# 90% of it is a bytearray of seeded random bytes, 10% a list of distinct int
# objects (the interpreter's small-object allocator). Prints "ready", polls
# for CTL.resume (see heap.c), prints "resumed <epoch>", checks both against
# digests taken before the checkpoint, prints "verified <epoch>" (exit 3 if
# either changed).
import hashlib
import random
import sys
import time

mib = int(sys.argv[1])
ctl = sys.argv[2]
# Filled in 1 MiB pieces: randbytes() of more than 256 MiB overflows, and
# large temporaries would stay in the process as written memory of their own.
rnd = random.Random(12345)
blob = bytearray(mib * 9 // 10 << 20)
for off in range(0, len(blob), 1 << 20):
    piece = rnd.randbytes(min(1 << 20, len(blob) - off))
    blob[off:off + len(piece)] = piece
# An int object and its list slot take about 40 bytes.
ints = [i * 2654435761 + (1 << 40) for i in range((mib - mib * 9 // 10) * (1 << 20) // 40)]
blob_digest = hashlib.sha256(blob).hexdigest()
ints_sum = sum(ints)
print("ready", flush=True)

import os.path
while not os.path.exists(ctl + ".resume"):
    time.sleep(0.001)
print("resumed %.6f" % time.time(), flush=True)
if hashlib.sha256(blob).hexdigest() != blob_digest or sum(ints) != ints_sum:
    print("python heap changed across the restore", flush=True)
    sys.exit(3)
print("verified %.6f" % time.time(), flush=True)
