#!/usr/bin/python3
"""gen_memory.py - a realistic canister stable-memory image, deterministic from a seed.

Layout (as Rust canisters that serialise their state with MessagePack into stable memory do,
prior-art.md A7): u32 little-endian length at offset 0, the MessagePack state, zero padding to a
whole 64 KiB Wasm page, then a zero region, then an incompressible "media" region (about 10%).

usage: gen_memory.py OUT SIZE [--seed N] [--users N] [--version N]
  SIZE accepts K/M/G suffixes. --version changes a few users and posts (for diff demos).
"""
import argparse
import random
import struct

import msgpack

PAGE = 65536
WORDS = ("the of and to in is that it for on with as was canister cycles stable memory query update "
         "principal ledger token neuron governance snapshot backup replica subnet wasm heap motoko rust "
         "candid agent certificate boundary node icp internet computer").split()


def size_arg(s):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    s = s.lower().rstrip("ib")
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s)


def text(rng, n):
    # a skewed vocabulary: a few words very common, as in real text
    return " ".join(WORDS[min(int(rng.paretovariate(1.2)) - 1, len(WORDS) - 1)] for _ in range(n))


def state(rng, users, version):
    t0 = 1_700_000_000_000_000_000
    us = []
    for i in range(users):
        us.append({
            "id": i,
            "principal": rng.randbytes(29),
            "handle": "user%d" % i,
            "bio": text(rng, rng.randint(3, 30)),
            "created_ns": t0 + rng.randrange(10**15),
            "followers": [rng.randrange(users) for _ in range(rng.randint(0, 20))],
            "balance": rng.randrange(2**64),
        })
    posts = []
    for i in range(users * 3):
        posts.append({"id": i, "author": rng.randrange(users), "at_ns": t0 + rng.randrange(10**15),
                      "text": text(rng, rng.randint(5, 60)), "likes": rng.randrange(1000)})
    for v in range(version):  # later versions: a few edits
        vr = random.Random(1000 + v)
        for _ in range(5):
            u = us[vr.randrange(users)]
            u["bio"] = text(vr, 8)
            u["balance"] = vr.randrange(2**64)
        posts.append({"id": len(posts), "author": 0, "at_ns": t0 + 10**16 + v, "text": text(vr, 20), "likes": 0})
    return {"schema": 1, "version": version, "users": us, "posts": posts, "config": {"name": "demo", "paused": False}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("size", type=size_arg)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=0)
    ap.add_argument("--version", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    users = a.users or max(10, a.size // 4096)
    body = msgpack.packb(state(rng, users, a.version), use_bin_type=True)
    head = struct.pack("<I", len(body)) + body
    padded = (len(head) + PAGE - 1) // PAGE * PAGE
    size = max(a.size, padded + 2 * PAGE)
    media = (size // 10) // PAGE * PAGE
    with open(a.out, "wb") as f:
        f.write(head)
        f.write(b"\0" * (padded - len(head)))
        f.truncate(size - media)
        f.seek(size - media)
        mr = random.Random(a.seed + 7)
        left = media
        while left:
            n = min(left, 1 << 20)
            f.write(mr.randbytes(n))
            left -= n


if __name__ == "__main__":
    main()
