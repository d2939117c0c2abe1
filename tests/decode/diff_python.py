"""diff_python.py - icarc diff against independent computations: cmp(1) of the bytes for the
changed ranges, Python for page counts, chunk counts and a dict comparison of the decoded states;
the --json-patch output applied by a small RFC 6902 applier written here must turn A into B."""
import copy
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

import msgpack

from mpref import ICARC, Tap, expected, icarc, to_json, unpack

t = Tap()
tmp = tempfile.mkdtemp(prefix="icarc-diff-")
rnd = random.Random(8)
PAGE = 65536


def write(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def cmp_ranges(a, b):
    """Changed ranges from cmp -l (1-based offsets of differing bytes), merged; plus the tail."""
    p = subprocess.run(["cmp", "-l", a, b], capture_output=True, text=True)
    offs = [int(line.split()[0]) - 1 for line in p.stdout.splitlines() if line.strip()]
    ranges = []
    for o in offs:
        if ranges and ranges[-1][1] == o:
            ranges[-1][1] = o + 1
        else:
            ranges.append([o, o + 1])
    sa, sb = os.path.getsize(a), os.path.getsize(b)
    if sa != sb:
        lo, hi = min(sa, sb), max(sa, sb)
        if ranges and ranges[-1][1] == lo:
            ranges[-1][1] = hi
        else:
            ranges.append([lo, hi])
    return [tuple(r) for r in ranges]


def pages_of(ranges):
    return len({p for s, e in ranges for p in range(s // PAGE, (e - 1) // PAGE + 1)})


# ---- plain files: ranges against cmp -l ----
base = bytearray(os.urandom(3 * 1024 * 1024 + 1000))
b = bytearray(base)
for off, n in [(0, 1), (10, 5), (15, 3), (65530, 12), (1048576 - 1, 2), (2000000, 1), (2000002, 1)]:
    for i in range(off, off + n):
        b[i] ^= 0x5a
for _ in range(40):
    o = rnd.randrange(len(b))
    b[o] = (b[o] + 1) % 256
b += b"tail bytes"
fa, fb = write("a.bin", bytes(base)), write("b.bin", bytes(b))
p = icarc("diff", "--json", fa, fb, check=False)
d = json.loads(p.stdout)
got = [(r["start"], r["end"]) for r in d["ranges"]]
want = cmp_ranges(fa, fb)
t.ok(p.returncode == 1 and got == want, f"plain files: {len(got)} ranges as cmp -l finds them, exit {p.returncode}")
e = d["entries"][0]
t.ok(e["changed_pages"] == pages_of(want) and e["changed_bytes"] == sum(e - s for s, e in want)
     and e["pages"] == (len(b) + PAGE - 1) // PAGE, f"page and byte counts ({e['changed_pages']} pages)")
t.ok(d["same"] is False and all(r["end"] > r["start"] for r in d["ranges"]), "same is false, ends exclusive")
p = icarc("diff", fa, fa, check=False)
t.ok(p.returncode == 0, "a file against itself: exit 0")
p = icarc("diff", "--json", fa, fa, check=False)
t.ok(json.loads(p.stdout)["same"] is True and json.loads(p.stdout)["ranges"] == [], "--json says same")
p = icarc("diff", "--quiet", fa, fb, check=False)
t.ok(p.returncode == 1 and p.stdout == b"", "--quiet: only the exit code")
p = icarc("diff", fa, check=False)
t.ok(p.returncode == 2, "one input is a usage error")

# ---- archives with different keys: hashes first, only differing chunks read ----
ida, idb = os.path.join(tmp, "a.key"), os.path.join(tmp, "b.key")
icarc("keygen", "-o", ida)
icarc("keygen", "-o", idb)
ra = icarc("keygen", "-y", ida).stdout.decode().strip()
rb = icarc("keygen", "-y", idb).stdout.decode().strip()
aa, ab = os.path.join(tmp, "a.icarc"), os.path.join(tmp, "b.icarc")
pa = icarc("pack", "-r", ra, "--chunk-size", "64K", "--entry", "stable_memory", "-o", aa, fa, check=False)
pb = icarc("pack", "-r", rb, "--chunk-size", "64K", "--entry", "stable_memory", "-o", ab, fb, check=False)
if pa.returncode == 0 and pb.returncode == 0:
    p = icarc("diff", "--json", "--a-identity", ida, "--b-identity", idb, aa, ab, check=False)
    d = json.loads(p.stdout) if p.stdout else {}
    got = [(r["start"], r["end"]) for r in d.get("ranges", [])]
    t.ok(p.returncode == 1 and got == want and all(r["entry"] == "stable_memory" for r in d["ranges"]),
         f"archives (two keys): the same ranges as cmp -l of the plain files {p.stderr.decode()[:200]}")
    e = d["entries"][0] if d else {}
    # chunks whose content differs, computed here
    n_common = min(len(base), len(b))
    differing = sum(1 for c in range(0, n_common, PAGE)
                    if base[c:c + PAGE] != b[c:c + PAGE] or min(c + PAGE, len(base)) != min(c + PAGE, len(b)))
    t.ok(e.get("by_hash") is True and e.get("chunks_read") == differing,
         f"only the {differing} chunks whose hashes differ were read ({e.get('chunks_read')} of {e.get('chunks_compared')})")
    p = icarc("diff", "-i", ida, aa, aa, check=False)
    t.ok(p.returncode == 0, "an archive against itself: exit 0")
    # proof that unchanged chunks are not decrypted: damage a chunk record in a copy of A; diffing
    # A against the copy still succeeds (its index hashes match), while reading that chunk fails
    raw = bytearray(open(aa, "rb").read())
    raw[len(raw) // 2] ^= 0xff
    ac = write("a-damaged.icarc", bytes(raw))
    p = icarc("diff", "--json", "-i", ida, aa, ac, check=False)
    dd = json.loads(p.stdout) if p.returncode == 0 else {}
    t.ok(p.returncode == 0 and dd["entries"][0]["chunks_read"] == 0,
         f"a damaged but unchanged chunk is never read: exit {p.returncode} {p.stderr.decode()[:100]}")
    p = icarc("diff", "-i", ida, ac, fa, check=False)
    t.ok(p.returncode == 4, f"reading it (against the plain file) fails: exit {p.returncode}")
    p = icarc("diff", "--a-identity", ida, aa, ab, check=False)
    t.ok(p.returncode == 5, f"no key for B: exit {p.returncode} (5)")
    p = icarc("diff", "--json", "-i", ida, aa, fb, check=False)
    got2 = [(r["start"], r["end"]) for r in json.loads(p.stdout)["ranges"]] if p.stdout else None
    t.ok(p.returncode == 1 and got2 == want, "an archive against a plain file")
else:
    t.ok(True, "# SKIP pack failed: " + (pa.stderr + pb.stderr).decode()[:200])


def on_terminal(args, answer):
    """Run icarc on a pseudo-terminal; type `answer` after each passphrase prompt. Returns
    (exit code, everything shown on the terminal)."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(ICARC, [ICARC] + args)
    shown = b""
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
        if chunk.rstrip().endswith(b"Passphrase:"):
            os.write(fd, answer + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


# two archives of one passphrase and no key given: one question opens both
pw = write("pw.txt", b"one passphrase for both days\n")
qa, qb = os.path.join(tmp, "qa.icarc"), os.path.join(tmp, "qb.icarc")
pa = icarc("pack", "--passphrase-file", pw, "--entry", "m", "-o", qa, fa, check=False)
pb = icarc("pack", "--passphrase-file", pw, "--entry", "m", "-o", qb, fb, check=False)
if pa.returncode == 0 and pb.returncode == 0:
    rc, shown = on_terminal(["diff", qa, qb], b"one passphrase for both days")
    t.ok(rc == 1 and shown.count("Passphrase:") == 1 and "changed" in shown,
         f"diff of two passphrase archives asks once on the terminal: exit {rc}, {shown[-80:]!r}")
    p = icarc("diff", qa, qb, check=False, stdin=subprocess.DEVNULL)
    t.ok(p.returncode == 2 and b"passphrase-file" in p.stderr,
         f"without a terminal it says to use --passphrase-file: exit {p.returncode}")
else:
    t.ok(False, "pack with a passphrase failed: " + (pa.stderr + pb.stderr).decode()[:200])

# ---- --decode: structural diff against a dict comparison; --json-patch applied ----
A = {"users": {str(i): {"name": f"u{i}", "age": 20 + i % 7, "tags": ["a", "b"][: i % 3]} for i in range(60)},
     "posts": [{"id": i, "text": "t" * (i % 4)} for i in range(30)],
     "counters": [1, 2, 3, 4, 5], "version": 1, "owner": b"\x01\x02", "flag": True, 7: "int key", "gone": None}
B = copy.deepcopy(A)
B["users"]["3"]["age"] = 99
B["users"]["10"]["tags"] = ["z"]
del B["users"]["11"]
B["users"]["new/one~"] = {"name": "n", "age": 1, "tags": []}
B["posts"][4]["text"] = "changed"
B["posts"].append({"id": 30, "text": ""})
B["counters"] = [1, 2, 30]
B["version"] = 2
B["owner"] = b"\x01\x03"
B[7] = "other"
del B["gone"]
B["added"] = {"x": [1.5, None]}
B = {k: B[k] for k in reversed(list(B.keys()))}  # another key order: the index path
pk = lambda o: msgpack.packb(o, use_bin_type=True)
ma, mb = write("a.mp", struct.pack("<I", len(pk(A))) + pk(A)), write("b.mp", struct.pack("<I", len(pk(B))) + pk(B))
JA, JB = to_json(expected(unpack(pk(A)))), to_json(expected(unpack(pk(B))))


def ptr(parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def dict_diff(a, b, path=()):
    """(op, pointer) of every change, maps by key, arrays by position: the reference. Tagged scalars
    ({"$bin": ...}, {"$ext": ..., "$data": ...}, ...) are leaves; map keys starting with '$' are '$$'."""
    out = set()
    leaf = lambda x: isinstance(x, dict) and len(x) > 0 and all(k.startswith("$") and not k.startswith("$$")
                                                               and len(k) > 1 and k[1].isalpha() for k in x)
    if isinstance(a, dict) and isinstance(b, dict) and not leaf(a) and not leaf(b):
        for k in a:
            if k not in b:
                out.add(("remove", ptr(path + (k,))))
            else:
                out |= dict_diff(a[k], b[k], path + (k,))
        for k in b:
            if k not in a:
                out.add(("add", ptr(path + (k,))))
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(min(len(a), len(b))):
            out |= dict_diff(a[i], b[i], path + (i,))
        for i in range(len(a), len(b)):
            out.add(("add", ptr(path + (i,))))
        for i in range(len(b), len(a)):
            out.add(("remove", ptr(path + (i,))))
    elif a != b or type(a) is not type(b):
        out.add(("replace", ptr(path)))
    return out


p = icarc("diff", "--decode", "--json", ma, mb, check=False)
d = json.loads(p.stdout) if p.returncode in (0, 1) else {"changes": []}
got = {(c["op"], c["path"]) for c in d["changes"]}
want = dict_diff(JA, JB)
t.ok(p.returncode == 1 and got == want, f"--decode --json: {len(got)} changes as a dict comparison finds them"
     + ("" if got == want else f": extra {sorted(got - want)[:5]} missing {sorted(want - got)[:5]}"))
ch = {c["path"]: c for c in d["changes"]}
t.ok(ch.get("/users/3/age", {}).get("old") == 23 and ch["/users/3/age"].get("value") == 99
     and ch.get("/users/11", {}).get("old") == JA["users"]["11"], "old and new values")


def apply_patch(doc, ops):
    """RFC 6902 add / remove / replace on plain JSON data (what icarc emits)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [s.replace("~1", "/").replace("~0", "~") for s in op["path"].split("/")[1:]]
        if not parts:
            doc = op["value"]
            continue
        parent = doc
        for s in parts[:-1]:
            parent = parent[int(s)] if isinstance(parent, list) else parent[s]
        last = parts[-1]
        if isinstance(parent, list):
            i = len(parent) if last == "-" else int(last)
            if op["op"] == "add":
                assert i <= len(parent)
                parent.insert(i, op["value"])
            elif op["op"] == "remove":
                del parent[i]
            else:
                parent[i] = op["value"]
        else:
            if op["op"] == "remove":
                del parent[last]
            elif op["op"] == "replace":
                assert last in parent
                parent[last] = op["value"]
            else:
                parent[last] = op["value"]
    return doc


p = icarc("diff", "--decode", "--json-patch", ma, mb, check=False)
patch = json.loads(p.stdout)
t.ok(p.returncode == 1 and apply_patch(JA, patch) == JB, f"--json-patch turns A into B ({len(patch)} operations)")
# the same through encrypted archives with different keys
if pa.returncode == 0:
    xa, xb = os.path.join(tmp, "ma.icarc"), os.path.join(tmp, "mb.icarc")
    icarc("pack", "-r", ra, "--entry", "stable_memory", "-o", xa, ma)
    icarc("pack", "-r", rb, "--entry", "stable_memory", "-o", xb, mb)
    q = icarc("diff", "--decode", "--json-patch", "--a-identity", ida, "--b-identity", idb, xa, xb, check=False)
    t.ok(q.returncode == 1 and q.stdout == p.stdout, "--decode on two encrypted archives = on the plain files")
    # entries only in one archive
    ya = os.path.join(tmp, "two.icarc")
    q = icarc("pack", "--no-encrypt", "--entry", "other", "-o", ya, ma, check=False)
    q = icarc("diff", "--json", "-i", ida, xa, ya, check=False)
    d2 = json.loads(q.stdout) if q.stdout else {}
    st = sorted((e["name"], e["status"]) for e in d2.get("entries", []))
    t.ok(q.returncode == 1 and st == [("other", "added"), ("stable_memory", "removed")] and d2["ranges"] == [],
         f"entries only in A or only in B: {st}")
p = icarc("diff", "--decode", "--json-patch", mb, ma, check=False)
t.ok(apply_patch(JB, json.loads(p.stdout)) == JA, "and the reverse patch turns B into A")
p = icarc("diff", "--decode", ma, mb, check=False)
lines = p.stdout.decode().splitlines()
t.ok(p.returncode == 1 and "~ /users/3/age: 23 -> 99" in lines and "- /gone: null" in lines
     and any(l.startswith("+ /users/new~1one~0: ") for l in lines), "text output")
p = icarc("diff", "--decode", ma, ma, check=False)
t.ok(p.returncode == 0 and p.stdout == b"", "--decode of equal states: exit 0, no output")
# equal values with different encodings are not changes
same1 = write("s1.mp", b"\x82\xa1a\xcc\x05\xa1b\xd9\x01x")   # uint8 5, str8 "x"
same2 = write("s2.mp", b"\x82\xa1b\xa1x\xa1a\x05")           # fixint 5, fixstr "x", other order
p = icarc("diff", "--decode", "--layout", "raw", same1, same2, check=False)
t.ok(p.returncode == 0, f"equal values in other encodings and key order: exit {p.returncode} {p.stdout[:100]}")
p = icarc("diff", "--decode", "--layout", "raw", write("r1.mp", b"\x91\x01"), write("r2.mp", b"\x91\xc1"), check=False)
t.ok(p.returncode == 4, f"malformed input: exit {p.returncode}: {p.stderr.decode().strip()[:120]}")
# random documents: the patch always applies
for k in range(30):
    def gen(depth):
        r = rnd.random()
        if depth > 3 or r < 0.3:
            return rnd.choice([None, True, rnd.randrange(-1000, 1000), "s" + str(rnd.randrange(5)), 1.25])
        if r < 0.6:
            return [gen(depth + 1) for _ in range(rnd.randrange(4))]
        return {rnd.choice("abcdef"): gen(depth + 1) for _ in range(rnd.randrange(5))}
    x, y = gen(0), gen(0)
    fx, fy = write("x.mp", pk(x)), write("y.mp", pk(y))
    p = icarc("diff", "--decode", "--json-patch", "--layout", "raw", fx, fy, check=False)
    jx, jy = to_json(expected(unpack(pk(x)))), to_json(expected(unpack(pk(y))))
    ok = p.returncode in (0, 1) and apply_patch(jx, json.loads(p.stdout)) == jy and (p.returncode == 0) == (jx == jy)
    if not ok:
        t.ok(False, f"random pair {k}: {x!r} -> {y!r}: {p.stdout[:200]!r} {p.stderr[:200]!r}")
        break
else:
    t.ok(True, "30 random pairs: every patch turns A into B")

sys.exit(t.done())
