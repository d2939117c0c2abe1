#!/bin/sh
# snapdir.sh - icarc against the official icp CLI on tests/replica: `icp canister snapshot download`
# of a snapshot equals `icarc export` of the pulled archive, file by file (a taken snapshot, and an
# uploaded one with globals of every kind, a chunk-store entry, certified data, a timer and a hook
# status); an icp directory imported and exported again is identical; icp uploads an exported
# directory; incomplete or damaged directories are refused by import.
. "$ICARC_SRCDIR/tests/pull/lib.sh"
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }
[ -x "$ICP" ] || { echo "SKIP: the icp CLI is not installed ($ICP)"; exit 77; }

export HOME="$T/home"
mkdir -p "$HOME"
for k in $(env | sed -n 's/^\(ICP_[A-Z_]*\)=.*/\1/p'); do unset "$k"; done
icp() { "$ICP" "$@"; }
icp identity import owner --from-pem "$PEM" --storage plaintext >/dev/null 2>&1 || { echo "icp identity import failed"; exit 99; }

"$PY" "$ICARC_SRCDIR/tests/data/gen_memory.py" stable.bin 3M --seed 3 >/dev/null || exit 99
head -c 131072 /dev/urandom >wasm.bin
start_replica "$CID:stable_memory=stable.bin,wasm_memory=wasm.bin,controller=$CONTROLLER"
N="-n $URL -k $ROOT_KEY --identity owner"

# dircmp A B: the same files (names and bytes), icp's lock file aside
dircmp() {
	"$PY" - "$1" "$2" <<'EOF'
import os, sys, filecmp
def files(d):
    out = set()
    for root, dirs, fs in os.walk(d):
        rel = os.path.relpath(root, d)
        out.add(("dir", rel))
        for f in fs:
            if f != ".lock":
                out.add(("file", os.path.normpath(os.path.join(rel, f))))
    return out
a, b = files(sys.argv[1]), files(sys.argv[2])
if a != b:
    print("# only in", sys.argv[1], sorted(a - b), "only in", sys.argv[2], sorted(b - a)); sys.exit(1)
for kind, f in sorted(a):
    if kind == "file" and not filecmp.cmp(os.path.join(sys.argv[1], f), os.path.join(sys.argv[2], f), shallow=False):
        print("# differs:", f)
        if f.endswith(".json"):
            import difflib
            for l in list(difflib.unified_diff(open(os.path.join(sys.argv[1], f)).read().split("\n"),
                                               open(os.path.join(sys.argv[2], f)).read().split("\n"), lineterm=""))[:20]:
                print("#   " + l)
        sys.exit(1)
EOF
}

# a taken snapshot
expect 0 "icarc pull --snapshot new --stop" -- "$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o taken.icarc --no-encrypt --json
SID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot_id"])' out.txt)
# an uploaded snapshot with everything metadata can hold (icp reads and writes the JSON itself)
mkdir -p up/wasm_chunk_store
cp stable.bin up/stable_memory.bin
cp wasm.bin up/wasm_memory.bin
printf '\0asm\1\0\0\0' >up/wasm_module.bin
head -c 5000 /dev/urandom >chunk.bin
H=$(sha chunk.bin)
cp chunk.bin "up/wasm_chunk_store/$H.bin"
"$PY" - "$H" <<'EOF' >up/metadata.json
import json, sys
h = list(bytes.fromhex(sys.argv[1]))
print(json.dumps({"source": {"metadata_upload": None}, "taken_at_timestamp": 5, "wasm_module_size": 8,
    "globals": [{"i32": -5}, {"i64": 1234567890123}, {"f32": 1.5}, {"f32": 3.4028234663852886e38}, {"f64": -2.25},
                {"f64": 1e-7}, {"f64": 0.1}, {"f64": 1e21}, {"f32": 1e-7}, {"v128": [1, 2, 3, 4]},
                {"v128": [4294967295, 7]}, {"v128": []}],
    "wasm_memory_size": 131072, "stable_memory_size": 3145728, "wasm_chunk_store": [{"hash": h}],
    "canister_version": 9, "certified_data": [1, 2, 3], "global_timer": {"active": 1700000000000000000},
    "on_low_wasm_memory_hook_status": "ready"}))
EOF
UP=$(icp canister snapshot upload $CID -i up $N -q 2>err.txt | tail -1)
[ -n "$UP" ] && ok "icp uploaded a snapshot with globals, a chunk, a timer ($UP)" || not_ok "icp upload: $(cat err.txt)"

for s in "$SID" "$UP"; do
	icp canister snapshot download $CID "$s" -o "dl-$s" $N >/dev/null 2>err.txt || not_ok "icp download $s: $(cat err.txt)"
	expect 0 "icarc pull --snapshot $s" -- "$ICARC" pull $CID --snapshot "$s" $NET --identity "$PEM" -o "p-$s.icarc" -r "$("$ICARC" keygen -o "k-$s")"
	expect 0 "icarc export" -- "$ICARC" export -i "k-$s" "p-$s.icarc" "ex-$s"
	dircmp "dl-$s" "ex-$s" && ok "icp download = icarc export, file by file ($s)" || not_ok "icp download and icarc export differ ($s)"
	expect 0 "icarc import of icp's directory" -- "$ICARC" import --no-encrypt --canister $CID -o "i-$s.icarc" "dl-$s"
	expect 0 "... verifies" -- "$ICARC" verify "i-$s.icarc"
	expect 0 "icarc export of the imported archive" -- "$ICARC" export "i-$s.icarc" "ie-$s"
	dircmp "dl-$s" "ie-$s" && ok "imported and exported again: identical ($s)" || not_ok "import/export round trip differs ($s)"
done

# icp uploads what icarc exported, and downloads it identical
UP2=$(icp canister snapshot upload $CID -i "ex-$UP" $N -q 2>err.txt | tail -1)
[ -n "$UP2" ] && ok "icp uploads icarc's export ($UP2)" || not_ok "icp upload of the export: $(cat err.txt)"
icp canister snapshot download $CID "$UP2" -o dl-again $N >/dev/null 2>err.txt || not_ok "icp download: $(cat err.txt)"
for f in stable_memory.bin wasm_memory.bin wasm_module.bin "wasm_chunk_store/$H.bin"; do
	cmp -s "dl-again/$f" "dl-$UP/$f" || not_ok "$f differs after the upload of the export"
done
ok "the uploaded export downloads with the same memories and chunk"

# a dfx-style directory: wasm_memory.bin always, stable_memory.bin and wasm_chunk_store only when not empty
mkdir dfx && cp "dl-$SID/metadata.json" "dl-$SID/wasm_module.bin" "dl-$SID/wasm_memory.bin" "dl-$SID/stable_memory.bin" dfx/
expect 0 "icarc import of a dfx-style directory (no wasm_chunk_store)" -- "$ICARC" import --no-encrypt -o dfx.icarc dfx

# refusals
expect 2 "export into a directory that is not empty" -- "$ICARC" export "i-$SID.icarc" "dl-$SID"
mkdir cut && cp -r "dl-$UP/." cut/ && head -c 1000000 "dl-$UP/stable_memory.bin" >cut/stable_memory.bin
expect 4 "import of an incomplete download" -- "$ICARC" import --no-encrypt -o cut.icarc cut
grep_err "holds 1000000 bytes, metadata.json says 3145728" "... names the file and both sizes"
[ ! -e cut.icarc ] && [ ! -e cut.icarc.part ] && ok "no archive left behind" || not_ok "an archive was left behind"
mkdir bad && cp -r "dl-$UP/." bad/ && printf x >>"bad/wasm_chunk_store/$H.bin"
expect 4 "import of a damaged chunk-store file" -- "$ICARC" import --no-encrypt -o bad.icarc bad
grep_err "SHA-256 is not its name" "... says which check failed"
"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o q.icarc --no-encrypt 2>/dev/null
expect 2 "export of a query-mode archive (no metadata.json)" -- "$ICARC" export q.icarc qdir
done_testing
