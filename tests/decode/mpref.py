"""mpref.py - the reference side of the decode and diff tests.

MessagePack is written and read here by Debian's python3-msgpack (an independent implementation);
`expected()` maps what it decodes to the JSON that icarc decode documents (man/icarc-decode.1),
written from the documentation, not from the C code; `same()` compares that with icarc's output
parsed by Python's json module (member order and duplicate names kept)."""
import base64
import json
import math
import os
import struct
import subprocess

import msgpack

ICARC = os.environ.get("ICARC", "icarc")


def unpack(data):
    """python-msgpack's view: maps as ('map', pairs), ext as ('ext', code, data), str as text or,
    when not UTF-8, as text with surrogate escapes."""
    return msgpack.unpackb(data, raw=False, unicode_errors="surrogateescape", strict_map_key=False,
                           object_pairs_hook=lambda p: ("map", list(p)), use_list=True,
                           ext_hook=lambda c, d: ("ext", c, d))


def b64(b):
    return base64.b64encode(b).decode()


def valid_utf8(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def expected(o, binary=b64):
    """The documented JSON mapping of a decoded value: maps stay ('map', pairs)."""
    if o is None or isinstance(o, bool) or isinstance(o, int):
        return o
    if isinstance(o, float):
        return ("float", o)
    if isinstance(o, str):
        if valid_utf8(o):
            return o
        return ("map", [("$str", binary(o.encode("utf-8", "surrogateescape")))])
    if isinstance(o, (bytes, bytearray)):
        return ("map", [("$bin", binary(bytes(o)))])
    if isinstance(o, tuple) and o[0] == "ext":
        return ("map", [("$ext", o[1]), ("$data", binary(o[2]))])
    if isinstance(o, list):
        return [expected(x, binary) for x in o]
    if isinstance(o, tuple) and o[0] == "map":
        return ("map", [(key_name(k, binary), expected(v, binary)) for k, v in o[1]])
    raise TypeError(repr(o))


def to_json(e):
    """An expected value as plain JSON data (for key text and for JSON Patch checks)."""
    if isinstance(e, tuple) and e[0] == "float":
        return e[1]
    if isinstance(e, tuple) and e[0] == "map":
        return {k: to_json(v) for k, v in e[1]}
    if isinstance(e, list):
        return [to_json(x) for x in e]
    return e


def key_name(k, binary=b64):
    if isinstance(k, str) and valid_utf8(k):
        return "$" + k if k.startswith("$") else k
    return "$" + json.dumps(to_json(expected(k, binary)), separators=(",", ":"), ensure_ascii=False)


def parse(text):
    return json.loads(text, object_pairs_hook=lambda p: ("map", list(p)))


def f32(x):
    return struct.unpack(">f", struct.pack(">f", x))[0]


def same(got, exp, path="$"):
    """None if got (parsed icarc output) is what exp says, else where and why not."""
    if isinstance(exp, tuple) and exp[0] == "float":
        x = exp[1]
        if not math.isfinite(x):
            # {"$float64": hex bits} or {"$float32": ...}: same class of value
            if not (isinstance(got, tuple) and got[0] == "map" and len(got[1]) == 1):
                return f"{path}: want a non-finite float object, got {got!r}"
            tag, bits = got[1][0]
            if tag == "$float64":
                y = struct.unpack(">d", bytes.fromhex(bits))[0]
            elif tag == "$float32":
                y = struct.unpack(">f", bytes.fromhex(bits))[0]
            else:
                return f"{path}: bad tag {tag}"
            if (math.isnan(x) and math.isnan(y)) or x == y:
                return None
            return f"{path}: {y} != {x}"
        if not isinstance(got, float):
            return f"{path}: want float {x!r}, got {got!r}"
        if got == x and math.copysign(1, got) == math.copysign(1, x):
            return None
        if f32(x) == x and f32(got) == x:
            return None  # a float32 printed as its shortest float32 decimal
        return f"{path}: float {got!r} != {x!r}"
    if isinstance(exp, bool) or exp is None:
        return None if got is exp else f"{path}: {got!r} != {exp!r}"
    if isinstance(exp, int):
        return None if type(got) is int and got == exp else f"{path}: {got!r} != {exp!r}"
    if isinstance(exp, str):
        return None if got == exp else f"{path}: {got!r} != {exp!r}"
    if isinstance(exp, list):
        if not isinstance(got, list) or len(got) != len(exp):
            return f"{path}: want an array of {len(exp)}, got {str(got)[:80]}"
        for i, (g, e) in enumerate(zip(got, exp)):
            r = same(g, e, f"{path}[{i}]")
            if r:
                return r
        return None
    if isinstance(exp, tuple) and exp[0] == "map":
        if not (isinstance(got, tuple) and got[0] == "map") or len(got[1]) != len(exp[1]):
            return f"{path}: want a map of {len(exp[1])}, got {str(got)[:80]}"
        for (gk, gv), (ek, ev) in zip(got[1], exp[1]):
            if gk != ek:
                return f"{path}: key {gk!r} != {ek!r}"
            r = same(gv, ev, f"{path}.{ek}")
            if r:
                return r
        return None
    return f"{path}: cannot compare {exp!r}"


def icarc(*args, check=True, stdin=None):
    p = subprocess.run([ICARC] + [str(a) for a in args], capture_output=True, stdin=stdin)
    if check and p.returncode != 0:
        raise SystemExit(f"icarc {' '.join(map(str, args))}: exit {p.returncode}: {p.stderr.decode()[:500]}")
    return p


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {what}", flush=True)
        return cond

    def done(self):
        print(f"1..{self.n}")
        print(f"{self.n - self.failed} passed, {self.failed} failed")
        return 1 if self.failed else 0
