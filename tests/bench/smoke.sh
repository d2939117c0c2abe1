#!/bin/sh
# smoke.sh - make check: the bench's generator makes the layout it promises, the same bytes to a
# file and to a pipe, and icarc packs, verifies and extracts it to the same bytes. A few seconds.
set -u
B=${ICARC_BUILDDIR:-.}
GEN=$B/tests/bench/gen
ICARC=${ICARC:-$B/src/icarc}
[ -x "$GEN" ] || { echo "no $GEN"; exit 99; }
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX") || exit 99
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$GEN" "$W/m.bin" 16M --seed 5 2>/dev/null || fail "gen to a file"
"$GEN" - 16M --seed 5 2>/dev/null >"$W/p.bin" || fail "gen to a pipe"
cmp -s "$W/m.bin" "$W/p.bin" || fail "file and pipe output differ"
"$GEN" - 16M --seed 6 2>/dev/null | cmp -s - "$W/m.bin" && fail "another seed gives the same bytes"
[ "$(wc -c <"$W/m.bin")" -eq 16777216 ] || fail "size is not 16 MiB"

# u32 LE length, a MessagePack map of 5 at offset 4, zeros after the state to the media region
len=$(od -An -tu4 -N4 "$W/m.bin" | tr -d ' ')
[ "$len" -gt 1000000 ] && [ "$len" -lt 8000000 ] || fail "implausible state length $len"
[ "$(od -An -tx1 -j4 -N1 "$W/m.bin" | tr -d ' ')" = 85 ] || fail "state is not a MessagePack map of 5"
media=$((16777216 / 10 / 65536 * 65536))
zstart=$((4 + len))
zlen=$((16777216 - media - zstart))
cmp -s -n "$zlen" -i "$zstart:0" "$W/m.bin" /dev/zero || fail "zero padding and zero region are not zero"
# the media region does not compress
if command -v zstd >/dev/null 2>&1; then
	z=$(tail -c "$media" "$W/m.bin" | zstd -q -3 -c | wc -c)
	[ "$z" -gt $((media * 99 / 100)) ] || fail "media region compresses ($z of $media)"
fi

[ -x "$ICARC" ] || { echo "no icarc: round trip skipped"; exit 0; }
"$ICARC" keygen -o "$W/id" >"$W/r" 2>/dev/null || fail "keygen"
"$ICARC" pack -r "$(cat "$W/r")" -o "$W/a.icarc" "$W/m.bin" || fail "pack"
"$ICARC" verify -i "$W/id" "$W/a.icarc" >/dev/null || fail "verify"
"$ICARC" extract -i "$W/id" -o - "$W/a.icarc" | cmp -s - "$W/m.bin" || fail "extract differs"
echo "ok: generator layout, determinism, pack/verify/extract round trip"
