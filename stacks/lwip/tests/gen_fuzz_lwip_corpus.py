#!/usr/bin/env python3
# Seed corpus of fuzz_lwip_frames: the target reads an input as a recipe (see its
# header), so a seed is a frame count, a frame kind and bytes that steer the rest.
# Deterministic: rerunning writes the same files.
#   stacks/lwip/tests/gen_fuzz_lwip_corpus.py [OUTDIR]
import os, random, sys

KINDS = ["arp", "ip4", "ip4b", "ip4c", "ip4d", "ip4e", "frag", "ip6", "ip6b", "ip6ext",
         "vlan", "raw"]
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_lwip_frames")
os.makedirs(out, exist_ok=True)
rng = random.Random(20261129)
for k, name in enumerate(KINDS):
    for v in range(3):
        # one frame of kind k, then steering bytes: v = 0 mostly zeros (the defaults:
        # correct addresses, lengths and checksums), 1 and 2 random
        body = bytes(rng.randrange(256) if v else (rng.randrange(256) if rng.random() < 0.2 else 1)
                     for _ in range(160))
        with open(os.path.join(out, "seed-%02d-%s-%d" % (k, name, v)), "wb") as f:
            f.write(bytes([0, k]) + body)
# several frames of mixed kinds
for v in range(6):
    with open(os.path.join(out, "seed-mix-%d" % v), "wb") as f:
        f.write(bytes([3]) + bytes(rng.randrange(256) for _ in range(600)))
