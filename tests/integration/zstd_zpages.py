#!/usr/bin/python3
"""Offsets inside an image's ZPAGES sections, for zstd.sh to damage.
usage: zstd_zpages.py IMAGE frame|table  -> prints one file offset:
  frame: a byte in the middle of the largest block stored as a zstd frame
  table: the reserved field of the last block-table entry of the last section
"""
import struct, sys

path, what = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
off, secs = 64, []  # struct tcp_file_header is 64 bytes, a section header 32
while off + 32 <= len(data):
    magic, typ, length = struct.unpack_from('<IIQ', data, off)
    if typ == 7:
        secs.append((off + 32, length))
    if typ == 99:
        break
    off += 32 + length
if not secs:
    sys.exit('no ZPAGES section in ' + path)
if what == 'frame':
    best = None  # (stored_len, offset) of the largest block that is a zstd frame
    for p, length in secs:
        region, nruns, nblocks, raw, bsize = struct.unpack_from('<QQQQI', data, p)
        at, table = p + 40 + nruns * 16, p + length - nblocks * 16
        for b in range(nblocks):
            stored, rawlen, flags = struct.unpack_from('<III', data, table + b * 16)
            if flags == 0 and (best is None or stored > best[0]):
                best = (stored, at)
            at += stored
    if best is None:
        sys.exit('no compressed block in ' + path)
    print(best[1] + best[0] // 2)
else:
    p, length = secs[-1]
    print(p + length - 16 + 12)
