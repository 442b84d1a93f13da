"""python_dicts: pure-Python workload for the checkpointer tests.

Grows several dicts (many small objects, so the interpreter's heap keeps
growing), hashes their contents with sha256 and prints a few progress lines
and a final digest.  Output is deterministic: only insertion-ordered dicts,
no str hash() values, no timing.  Runs ~3-4 s with python3 3.11.
"""
import hashlib
import sys

ROUNDS = 17
PER_ROUND = 70000


def main():
    tables = [{} for _ in range(4)]
    digest = hashlib.sha256()
    x = 12345
    for rnd in range(ROUNDS):
        for i in range(PER_ROUND):
            x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            key = "k%d_%x" % (rnd, x >> 40)
            table = tables[x % 4]
            value = table.get(key, 0) + (x >> 20) % 1000003
            table[key] = value
            if i % 8 == 0:
                digest.update(("%s=%d;" % (key, value)).encode())
        # Re-walk every table in insertion order; the work grows each round.
        round_hash = hashlib.sha256()
        for t in tables:
            for key, value in t.items():
                round_hash.update(key.encode())
                round_hash.update(value.to_bytes(8, "little"))
        digest.update(round_hash.digest())
        print("round %2d entries %7d round digest %s" % (
            rnd, sum(len(t) for t in tables), round_hash.hexdigest()[:16]))
        sys.stdout.flush()
    print("final digest %s" % digest.hexdigest())


if __name__ == "__main__":
    main()
