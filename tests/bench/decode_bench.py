"""decode_bench.py - the issue 8 benchmarks (not part of make check; `make bench-decode`).

1. icarc decode of a MessagePack state to JSON (one core, output to /dev/null): MB/s of input, peak
   RSS; and python3's msgpack.unpackb + json.dumps on the same input, for reference.
2. icarc diff of two 1 GiB archives whose plaintexts differ in 1% of their 64 KiB pages: wall time
   and peak RSS (goal: under 1 s, at most 64 MiB).
Sizes: BENCH_DECODE_MB (default 256), BENCH_DIFF_MB (default 1024). Work files go to
BENCH_DIR (default: a temporary directory, removed at the end)."""
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import msgpack

ICARC = os.environ.get("ICARC") or "icarc"
work = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="icarc-bench-")
os.makedirs(work, exist_ok=True)
rnd = random.Random(1)


def run(args, stdout=subprocess.DEVNULL):
    """Run a command; its CPU seconds (user + system: what one core spends, whatever else the
    machine runs), wall seconds, peak RSS (MiB) and exit code."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=stdout)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{args}: exit status {os.waitstatus_to_exitcode(status)}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def make_state(path, mb):
    """A state shaped like a canister's: a map of collections of records (strings, integers, floats,
    bytes, nested arrays), written as one top-level map in pieces (map32 header, then members)."""
    users = []
    for i in range(1000):
        users.append(msgpack.packb({"id": i * 7919, "handle": f"user_{i}_" + "x" * (i % 23),
                                    "balance": 1_000_000_007 * i, "score": i / 7.0,
                                    "key": bytes(rnd.getrandbits(8) for _ in range(32)),
                                    "tags": ["alpha", "beta", "gamma"][: i % 4],
                                    "bio": "lorem ipsum dolor sit amet " * (i % 5),
                                    "active": i % 3 == 0, "ts": 1_700_000_000_000 + i}, use_bin_type=True))
    block = b"".join(users)
    n_blocks = max(1, (mb << 20) // len(block))
    with open(path, "wb") as f:
        f.write(b"\x82")
        f.write(msgpack.packb("users"))
        f.write(struct.pack(">BI", 0xdd, n_blocks * len(users)))
        for _ in range(n_blocks):
            f.write(block)
        f.write(msgpack.packb("meta"))
        f.write(msgpack.packb({"version": 3, "blocks": n_blocks}))
    return os.path.getsize(path)


def bench_decode(mb):
    path = os.path.join(work, "state.mp")
    size = make_state(path, mb)
    print(f"decode: {size / 1e6:.0f} MB MessagePack state ({path})")
    print(f"  (MB/s of input per CPU second, user + system; wall time in brackets)")
    best = None
    for _ in range(3):
        cpu, wall, rss, rc = run([ICARC, "decode", "--layout", "raw", path])
        best = (cpu, wall) if best is None or cpu < best[0] else best
    print(f"  icarc decode (json):            {size / 1e6 / best[0]:8.1f} MB/s  ({best[0]:.2f} s CPU, "
          f"{best[1]:.2f} s wall, peak RSS {rss:.0f} MiB)")
    cpu, wall, rss, rc = run([ICARC, "decode", "--layout", "raw", "--format", "ndjson", "--path", "users", path])
    print(f"  icarc decode (ndjson --path):   {size / 1e6 / cpu:8.1f} MB/s  ({cpu:.2f} s CPU, {wall:.2f} s wall, "
          f"peak RSS {rss:.0f} MiB)")
    # python3 msgpack + json on the same input (it holds the whole state, about ten times its size)
    if size > (400 << 20):
        print("  python3 msgpack + json:         skipped above 400 MB (it needs ~10x the input in RAM);"
              " run with BENCH_DECODE_MB=256 to compare")
        os.unlink(path)
        return
    code = ("import msgpack, json, sys\n"
            "d = msgpack.unpackb(open(sys.argv[1], 'rb').read(), raw=False, strict_map_key=False)\n"
            "def fix(o):\n"
            "    if isinstance(o, bytes): return o.hex()\n"
            "    if isinstance(o, list): return [fix(x) for x in o]\n"
            "    if isinstance(o, dict): return {k: fix(v) for k, v in o.items()}\n"
            "    return o\n"
            "sys.stdout.write(json.dumps(fix(d)))\n")
    cpu, wall, rss, rc = run([sys.executable, "-c", code, path])
    print(f"  python3 msgpack + json:         {size / 1e6 / cpu:8.1f} MB/s  ({cpu:.2f} s CPU, {wall:.2f} s wall, "
          f"peak RSS {rss:.0f} MiB)")
    os.unlink(path)


def bench_diff(mb):
    size = mb << 20
    page = 65536
    a = os.path.join(work, "a.bin")
    b = os.path.join(work, "b.bin")
    # compressible, canister-like content: runs of records and zero pages
    rec = os.urandom(4096) + bytes(4096)
    with open(a, "wb") as f:
        for _ in range(size // len(rec)):
            f.write(rec)
    shutil.copyfile(a, b)
    pages = size // page
    changed = rnd.sample(range(pages), pages // 100)
    with open(b, "r+b") as f:
        for p in changed:
            f.seek(p * page + rnd.randrange(page - 16))
            f.write(os.urandom(16))
    ida = os.path.join(work, "id.key")
    if not os.path.exists(ida):
        subprocess.run([ICARC, "keygen", "-o", ida], check=True, stdout=subprocess.DEVNULL)
    rcpt = subprocess.run([ICARC, "keygen", "-y", ida], check=True, capture_output=True).stdout.decode().strip()
    for src in (a, b):
        subprocess.run([ICARC, "pack", "-r", rcpt, "--entry", "stable_memory", "-o", src + ".icarc", src],
                       check=True)
    out = os.path.join(work, "diff.json")
    with open(out, "wb") as f:
        cpu, wall, rss, rc = run([ICARC, "diff", "--json", "-i", ida, a + ".icarc", b + ".icarc"], stdout=f)
    d = json.load(open(out))
    e = d["entries"][0]
    print(f"diff: two {mb} MiB encrypted archives, {len(changed)} of {pages} pages changed (1%)")
    print(f"  icarc diff --json: {wall:.2f} s wall ({cpu:.2f} s CPU), peak RSS {rss:.0f} MiB, exit {rc}; "
          f"{e['changed_pages']} pages "
          f"changed, {e['chunks_read']} of {e['chunks_compared']} chunks read")
    for f in (a, b, a + ".icarc", b + ".icarc", out):
        os.unlink(f)


try:
    bench_decode(int(os.environ.get("BENCH_DECODE_MB", "256")))
    bench_diff(int(os.environ.get("BENCH_DIFF_MB", "1024")))
finally:
    if not os.environ.get("BENCH_DIR"):
        shutil.rmtree(work, ignore_errors=True)
