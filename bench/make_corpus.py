#!/usr/bin/env python3
"""Writes the benchmark corpus: four workloads of JPEG-looking files, deterministic from a seed.

    make_corpus.py DIR [--seed N] [--only small,delay,slow,large]

DIR gets one folder per workload (small/ delay/ slow/ large/), slow/'s files also cut into
16 parts of 128 KiB each in parts/ (nginx paces /slow/ by sending them one at a time), and a
SHA-256 manifest per workload in manifests/NAME.sha256 (the `sha256sum -c` format, names in
list order). Every file is a structurally whole baseline JPEG: SOI, a JFIF APP0 segment, a SOF0
frame header (640x480, three components), an SOS header, pseudo-random entropy-coded bytes with no
0xFF among them (so no marker starts inside), and EOI. Every tool sees a JPEG, and imgfetch's
--verify structure (on by default) passes it; it is never decoded, so the pixels do not matter.

Same seed, same bytes, on any machine: sizes come from Python's seeded Mersenne Twister, and the
bytes are slices of a seeded random pool (slicing is much faster than drawing 500 MB of fresh
random numbers, and the files still differ from each other and do not compress).
"""

import argparse
import hashlib
import math
import os
import random
import sys

KIB = 1024
MIB = 1024 * KIB

# SOI; the JFIF APP0 segment (length 16, "JFIF\0", version 1.1, no density units, 1x1 density,
# no thumbnail); SOF0 (length 17, 8-bit, 480 rows, 640 columns, 3 components: Y 2x2 sampling
# table 0, Cb and Cr 1x1 table 1); SOS (length 12, the 3 components, spectral 0..63).
JPEG_HEAD = bytes.fromhex(
    "ffd8"
    "ffe000104a46494600010100000100010000"
    "ffc000110801e0028003012200021101031101"
    "ffda000c03010002110311003f00"
)
JPEG_TAIL = bytes.fromhex("ffd9")

POOL_SIZE = 16 * MIB
SLOW_PARTS = 16
HOSTS = 32  # the many-hosts workloads serve small/ from 127.0.0.1 .. 127.0.0.HOSTS

# name -> (count, size function); sizes are total file sizes in bytes, header and tail included.
WORKLOADS = ("small", "delay", "slow", "large")


def small_sizes(rng, count):
    # Lognormal with a median of 40 KiB; sigma 0.8 puts the mean near 55 KiB and clips ~0.2 %
    # at each end of 2..400 KiB.
    sizes = []
    for _ in range(count):
        size = int(40 * KIB * math.exp(rng.gauss(0.0, 0.8)))
        sizes.append(min(400 * KIB, max(2 * KIB, size)))
    return sizes


def plan(seed):
    """Returns {workload: [(name, size), ...]} in list order."""
    rng = random.Random(seed)
    result = {}
    result["small"] = [(f"small-{i:04d}.jpg", s) for i, s in enumerate(small_sizes(rng, 2000))]
    result["delay"] = [(f"delay-{i:03d}.jpg", rng.randint(10 * KIB, 40 * KIB)) for i in range(400)]
    result["slow"] = [(f"slow-{i:02d}.jpg", 2 * MIB) for i in range(60)]
    result["large"] = [(f"large-{i}.jpg", 64 * MIB) for i in range(4)]
    return result


def hosts_plan(seed, names, hosts=HOSTS):
    """The many-hosts list over `names` (the small corpus): [(host, name), ...] in list order, host
    in 1..hosts (the address 127.0.0.host). Each name appears once; the hosts take turns before the
    seeded shuffle, so every host serves len(names) / hosts files (+1) and the order is random.
    No bytes change, so the small manifest verifies these runs too."""
    pairs = [(i % hosts + 1, name) for i, name in enumerate(names)]
    random.Random(seed * 15485863 + 3).shuffle(pairs)
    return pairs


class Pool:
    """A seeded random pool; file bodies are slices of it at seeded offsets (wrapping)."""

    def __init__(self, seed):
        # 0xFF would start a JPEG marker inside the entropy-coded data: none in the pool.
        data = random.Random(seed * 7919 + 1).randbytes(POOL_SIZE).replace(b"\xff", b"\xfe")
        self.m_data = data + data  # doubled, so any slice up to POOL_SIZE is one copy
        self.m_rng = random.Random(seed * 104729 + 2)

    def body(self, size):
        out = bytearray()
        while len(out) < size:
            take = min(POOL_SIZE, size - len(out))
            start = self.m_rng.randrange(POOL_SIZE)
            out += self.m_data[start : start + take]
        return out


def make_file(pool, size):
    body_size = size - len(JPEG_HEAD) - len(JPEG_TAIL)
    return JPEG_HEAD + pool.body(body_size) + JPEG_TAIL


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    args = parser.parse_args()

    wanted = [w for w in args.only.split(",") if w]
    for w in wanted:
        if w not in WORKLOADS:
            sys.exit(f"make_corpus: unknown workload '{w}'")

    layout = plan(args.seed)
    pool = Pool(args.seed)
    os.makedirs(os.path.join(args.dir, "manifests"), exist_ok=True)
    for workload in WORKLOADS:
        # Every workload draws from the pool, wanted or not, so a subset is byte-identical to the
        # same files of a full corpus.
        folder = os.path.join(args.dir, workload)
        if workload in wanted:
            os.makedirs(folder, exist_ok=True)
        if workload == "slow" and workload in wanted:
            os.makedirs(os.path.join(args.dir, "parts"), exist_ok=True)
        lines = []
        total = 0
        for name, size in layout[workload]:
            data = make_file(pool, size)
            if workload not in wanted:
                continue
            write(os.path.join(folder, name), data)
            if workload == "slow":
                part = size // SLOW_PARTS
                assert part * SLOW_PARTS == size
                for i in range(SLOW_PARTS):
                    write(os.path.join(args.dir, "parts", f"{name}.{i:02d}"), data[i * part : (i + 1) * part])
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
            total += size
        if workload in wanted:
            with open(os.path.join(args.dir, "manifests", f"{workload}.sha256"), "w") as f:
                f.writelines(lines)
            print(f"make_corpus: {workload}: {len(lines)} files, {total / MIB:.1f} MiB")


if __name__ == "__main__":
    main()
