#!/bin/sh
# demo.sh BUILDDIR - the main job on the bundled default, as the README's first command runs it.
# 1. tests/pull_demo.sh: the local test replica with a demo canister holding a generated
#    MessagePack state; an encrypted snapshot pulled, verified, decoded; the state changed, pulled
#    again, the two snapshots diffed.
# 2. Offline: a generated stable-memory image packed, verified with and without the key,
#    inspected, restored byte for byte, decoded and diffed against the next day's image.
set -eu
B=${1:?usage: demo.sh BUILDDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
ICARC="$B/src/icarc"
D="$B/demo"
rc=0
sh "$top/tests/pull_demo.sh" "$B" || rc=$?
case $rc in
0) ;;
77) echo "demo: the replica part needs Node.js modules: ./dev deps (npm ci in tests/replica)" ;;
*) echo "demo: the pull demo failed (exit $rc)"; exit "$rc" ;;
esac
rm -rf "$D" && mkdir -p "$D"
cd "$D"
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
has() { "$ICARC" --help | grep -q "^  $1 "; }

step "a canister's stable memory (64 MiB, generated)" "gen_memory.py monday.bin 64M"
/usr/bin/python3 "$top/tests/data/gen_memory.py" monday.bin 64M --seed 42
/usr/bin/python3 "$top/tests/data/gen_memory.py" tuesday.bin 64M --seed 42 --version 1
ls -l monday.bin

step "an identity for the backups" "icarc keygen -o backup.key"
R=$("$ICARC" keygen -o backup.key)
echo "recipient: $R"

step "pack, encrypted to the recipient" "icarc pack -r $R --entry stable_memory -o monday.icarc monday.bin"
"$ICARC" pack -r "$R" --entry stable_memory --meta canister_id=ryjl3-tyaaa-aaaaa-aaaba-cai -o monday.icarc monday.bin
"$ICARC" pack -r "$R" --entry stable_memory --meta canister_id=ryjl3-tyaaa-aaaaa-aaaba-cai -o tuesday.icarc tuesday.bin
ls -l monday.icarc tuesday.icarc

step "verify every chunk (with the key) and the structure (without)" "icarc verify -i backup.key monday.icarc"
"$ICARC" verify -i backup.key monday.icarc
"$ICARC" verify --no-key monday.icarc

step "what the archive holds" "icarc info -i backup.key monday.icarc"
"$ICARC" info -i backup.key monday.icarc

step "restore the bytes" "icarc extract -i backup.key -o restored.bin monday.icarc"
"$ICARC" extract -i backup.key -o restored.bin monday.icarc
cmp restored.bin monday.bin && echo "restored.bin is identical to monday.bin"

if has decode; then
	step "decode a path of the MessagePack state" "icarc decode -i backup.key --path users.7 monday.icarc"
	"$ICARC" decode -i backup.key --path users.7 monday.icarc
fi
if has diff; then
	step "which pages changed from Monday to Tuesday (from the indexes)" "icarc diff -i backup.key monday.icarc tuesday.icarc | tail -1"
	rc=0; "$ICARC" diff -i backup.key monday.icarc tuesday.icarc > diff.txt || rc=$?
	[ "$rc" = 1 ] && tail -1 diff.txt
	step "what changed in the state" "icarc diff --decode -i backup.key monday.icarc tuesday.icarc"
	rc=0; "$ICARC" diff --decode -i backup.key monday.icarc tuesday.icarc > sdiff.txt || rc=$?
	[ "$rc" = 1 ] && head -20 sdiff.txt
fi
printf '\ndemo: all steps passed (files in %s)\n' "$D"
