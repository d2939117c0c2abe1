#!/bin/sh
# push.sh - icarc push against tests/replica: a snapshot archive pushed with --load --stop brings
# the canister back to the pulled state (a second pull gives byte-identical entries, sha256); the
# same for a stable-memory archive through stable_write (into a changed canister, and into an
# empty one, skipping zero pages); a non-controller is refused (exit 7); a damaged archive stops
# the push part-way with exit 4, the incomplete snapshot deleted and nothing loaded; `icp canister
# snapshot upload` of `icarc export`'s directory and `icarc push` make the same snapshot.
. "$ICARC_SRCDIR/tests/pull/lib.sh"
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }
"$ICARC" push --help >/dev/null 2>&1 || { echo "SKIP: icarc has no push command"; exit 77; }

"$PY" "$ICARC_SRCDIR/tests/data/gen_memory.py" stable.bin 5046272 --seed 11 >/dev/null || exit 99
head -c 196608 /dev/urandom >wasm.bin
printf '\0asm\1\0\0\0icarc-push-module' >module.bin
start_replica "$CID:stable_memory=stable.bin,wasm_memory=wasm.bin,wasm_module=module.bin,controller=$CONTROLLER"
head -c 70000 /dev/urandom >chunk.bin
CH=$(sha chunk.bin)
admin POST /_/canisters/$CID/chunks "{\"file\":\"$T/chunk.bin\"}" >/dev/null || not_ok "cannot add a chunk-store entry"
R=$("$ICARC" keygen -o backup.key) || exit 99
OTHER="$ICARC_SRCDIR/tests/ic/pem/openssl_ed25519_v1.pem" # not a controller
K="-i backup.key"

# entries ARCHIVE PREFIX KEYOPTS...: every entry's sha256 as "name sha" lines into PREFIX.sums
entries() {
	a=$1; pfx=$2; shift 2
	: >"$pfx.sums"
	for e in wasm_module wasm_memory stable_memory "wasm_chunk/$CH"; do
		"$ICARC" extract "$@" --entry "$e" -o "$pfx.x" "$a" 2>/dev/null || { echo "$e missing" >>"$pfx.sums"; continue; }
		echo "$e $(sha "$pfx.x")" >>"$pfx.sums"
	done
	rm -f "$pfx.x"
}
snapshot_ids() { admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; [print(s["id"]) for s in json.load(sys.stdin)["snapshots"]]'; }
snapshots() { snapshot_ids | wc -l; }
has_snapshot() { snapshot_ids | grep -qx "$1"; }
# bytes 8 and 9 of the canister's stable memory, in hex, as a pull reads them
stable_8() {
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o s8.icarc --no-encrypt 2>/dev/null &&
		"$ICARC" extract --entry stable_memory -o s8.bin s8.icarc && dd if=s8.bin bs=1 skip=8 count=2 2>/dev/null | od -An -tx1 | tr -d ' '
	rm -f s8.icarc s8.bin
}
patch_stable() { admin POST /_/canisters/$1/memory "{\"offset\":$2,\"hex\":\"$3\"}" >/dev/null || not_ok "cannot patch $1"; }

# --- snapshot archives -------------------------------------------------------------------------
expect 0 "pull --snapshot new --stop (the state to restore)" -- \
	"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o s1.icarc -r "$R"
entries s1.icarc s1 $K
grep -q "wasm_chunk/$CH [0-9a-f]" s1.sums && ok "the archive holds the chunk-store entry" || not_ok "no chunk entry: $(cat s1.sums)"
# change the state: stable memory, wasm memory, the chunk store
patch_stable $CID 1000 deadbeefdeadbeef
patch_stable $CID 4000000 0123456789
admin POST /_/canisters/$CID/memory "{\"kind\":\"wasm_memory\",\"offset\":0,\"hex\":\"ffff\"}" >/dev/null
head -c 1000 /dev/urandom >chunk2.bin
admin POST /_/canisters/$CID/chunks "{\"file\":\"$T/chunk2.bin\"}" >/dev/null
expect 0 "pull the changed state" -- "$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o c.icarc --no-encrypt
entries c.icarc c
cmp -s s1.sums c.sums && not_ok "the change did not change the pulled entries" || ok "the changed state pulls differently"

expect 2 "--load on a running canister without --stop is refused" -- \
	"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --load
grep_err "is running: .*--stop" "... with a hint to stop it"
n0=$(snapshots)
expect 7 "a non-controller identity is refused" -- "$ICARC" push s1.icarc $CID $NET --identity "$OTHER" $K
grep_err "IC0512" "... with the replica's reject code"
grep_err "controller" "... and says a controller is needed"
[ "$(snapshots)" = "$n0" ] && ok "... and no snapshot was made" || not_ok "a refused push left a snapshot"

expect 0 "push --load --stop" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --load --stop --json
PSID=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["loaded"] is True; print(d["snapshot_id"])' out.txt 2>/dev/null)
[ -n "$PSID" ] && ok "--json names the uploaded snapshot ($PSID), loaded" || not_ok "--json: $(cat out.txt)"
"$PY" -c 'import json,sys; d=json.load(open("out.txt")); sys.exit(0 if d["skipped_zero_bytes"] > 0 and d["bytes"] + d["skipped_zero_bytes"] == 5046272 + 196608 + 25 + 70000 else 1)' &&
	ok "... zero pages were not sent (a new snapshot reads zero)" || not_ok "zero pages: $(cat out.txt)"
[ "$(admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ] &&
	ok "--stop started the canister again" || not_ok "canister not running after push --stop"
expect 0 "pull again" -- "$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o s2.icarc --no-encrypt
entries s2.icarc s2
same s1.sums s2.sums "every entry pulled after the push is byte-identical (sha256) to the first pull"
"$ICARC" extract $K --entry metadata.json -o m1.json s1.icarc && "$ICARC" extract --entry metadata.json -o m2.json s2.icarc
"$PY" - m1.json m2.json <<'PYEOF' && ok "metadata.json: the same but for time and version" || not_ok "metadata.json differs"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for k in ("taken_at_timestamp", "canister_version"):
    a.pop(k); b.pop(k)
if a != b:
    print("#", a, "\n#", b); sys.exit(1)
PYEOF

# Ctrl-C while a snapshot is uploaded: the calls in flight end, the incomplete snapshot is deleted,
# exit 130; nothing is loaded (slow calls, so that the interrupt falls in the middle of the upload)
before=$(snapshots)
faults '{"latency_ms":700}'
"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --all-pages --concurrency 1 --load --stop >int.out 2>int.err &
ppid_=$!
i=0
while [ "$(snapshots)" = "$before" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -INT $ppid_
rc=0; wait $ppid_ || rc=$?
faults '{}'
[ "$rc" = 130 ] && ok "push interrupted during the upload: exit 130" || not_ok "interrupted push: exit $rc: $(cat int.err)"
grep -q "interrupted" int.err && grep -q "incomplete and is deleted" int.err && ok "... saying so, and that the snapshot is deleted" ||
	not_ok "interrupted push said: $(cat int.err)"
[ "$(snapshots)" = "$before" ] && ok "... and no snapshot is left behind" || not_ok "snapshots: $before before, $(snapshots) after"
[ "$(admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ] &&
	ok "... nothing was loaded, the canister runs" || not_ok "the canister is not running after an interrupted push"

# kill -9 during an upload: nothing could delete the incomplete snapshot (its id was said at the
# start); --resume ID reads back what is there, sends only the rest, and the snapshot then holds
# the archive, byte for byte
before=$(snapshots)
faults '{"latency_ms":400}'
"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --all-pages --concurrency 1 --no-progress >k.out 2>k.err &
ppid_=$!
i=0
while ! grep -q "uploading into new snapshot" k.err && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1.3 # about three of the six calls
kill -9 $ppid_
wait $ppid_ 2>/dev/null
sleep 0.5 # the call in flight when it died may still land
faults '{}'
KSID=$(sed -n 's/.*uploading into new snapshot \([0-9a-f]*\) .*/\1/p' k.err)
[ -n "$KSID" ] && [ "$(snapshots)" = $((before + 1)) ] &&
	ok "kill -9 mid-push left the incomplete snapshot $KSID, whose id it said at the start" ||
	not_ok "after kill -9: snapshot '$KSID', $before snapshots before, $(snapshots) after: $(cat k.err)"
expect 2 "--resume with --stable-memory is refused" -- \
	"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --stable-memory --resume "$KSID"
expect 7 "--resume of a snapshot the canister does not have is refused" -- \
	"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --resume 00ff
# an archive with other sizes: its stable memory one page shorter
"$ICARC" export $K s1.icarc short.d 2>/dev/null &&
	truncate -s -65536 short.d/stable_memory.bin &&
	"$PY" - short.d/metadata.json <<'PYEOF' && "$ICARC" import short.d -o short.icarc --no-encrypt 2>/dev/null || not_ok "cannot make short.icarc"
import json, sys
m = json.load(open(sys.argv[1])); m["stable_memory_size"] -= 65536
json.dump(m, open(sys.argv[1], "w"))
PYEOF
expect 2 "--resume with an archive the snapshot was not uploaded from is refused" -- \
	"$ICARC" push short.icarc $CID $NET --identity "$PEM" --resume "$KSID"
grep_err "not an upload of short.icarc" "... saying so"
[ "$(snapshots)" = $((before + 1)) ] && ok "... and the incomplete snapshot is still there" || not_ok "refused resumes changed the snapshots"
expect 0 "push --resume finishes it" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --all-pages --resume "$KSID" --json
"$PY" - out.txt "$KSID" <<'PYEOF' && ok "... the same snapshot; part of it was there already and was not sent again" || not_ok "--resume summary: $(cat out.txt)"
import json, sys
d = json.load(open(sys.argv[1]))
print("# present %d, sent %d" % (d["present_bytes"], d["bytes"]))
sys.exit(0 if d["snapshot_id"] == sys.argv[2] and d["present_bytes"] > 0 and d["bytes"] > 0 else 1)
PYEOF
"$ICARC" pull $CID --snapshot "$KSID" $NET --identity "$PEM" -o k.icarc --no-encrypt 2>/dev/null || not_ok "pull k.icarc"
entries k.icarc k
same s1.sums k.sums "... and the resumed snapshot holds the archive's entries (sha256)"
expect 0 "a second --resume finds everything there and sends nothing" -- \
	"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --all-pages --resume "$KSID" --json
"$PY" -c 'import json,sys; d=json.load(open("out.txt")); sys.exit(0 if d["bytes"] == 0 and d["present_bytes"] > 0 else 1)' &&
	ok "... (0 bytes sent)" || not_ok "second resume: $(cat out.txt)"
"$ICARC" pull $CID --snapshot "$KSID" --delete-snapshot $NET --identity "$PEM" -o del.icarc --no-encrypt 2>/dev/null # a canister keeps 10
rm -f del.icarc
[ "$(snapshots)" = "$before" ] || not_ok "snapshot $KSID was not deleted"

# under faults (5xx, 429 with Retry-After, connection resets): retried, the same result
patch_stable $CID 1000 00ff00ff
faults '{"rate_500":0.15,"rate_503":0.1,"rate_429":0.1,"retry_after":1,"reset_rate":0.1,"seed":9}'
expect 0 "push --load --stop --replace under injected faults" -- \
	"$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --load --stop --replace "$PSID" --all-pages --json
"$PY" -c 'import json,sys; d=json.load(open("out.txt")); sys.exit(0 if d["skipped_zero_bytes"] == 0 else 1)' &&
	ok "... --all-pages sends zero pages too" || not_ok "--all-pages: $(cat out.txt)"
admin GET /_/counters | "$PY" -c 'import json,sys; f=json.load(sys.stdin)["faults"]; print("# faults:", f); sys.exit(0 if sum(f.values()) > 0 else 1)' &&
	ok "... faults were injected" || not_ok "no faults were injected"
faults '{}'
"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o s3.icarc --no-encrypt 2>/dev/null || not_ok "pull s3"
entries s3.icarc s3
same s1.sums s3.sums "... and the canister holds the pulled state again"

# without --load: a snapshot is made, the canister is untouched
patch_stable $CID 8 cafe
expect 0 "push without --load prints the snapshot id" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K
USID=$(head -1 out.txt)
has_snapshot "$USID" &&
	ok "... which the canister lists ($USID)" || not_ok "snapshot '$USID' not listed"
[ "$(stable_8)" = cafe ] && ok "... and the canister's state is not loaded" || not_ok "push without --load changed the canister"
expect 0 "push --replace the snapshot just made" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --replace "$USID"
RSID=$(head -1 out.txt)
! has_snapshot "$USID" && has_snapshot "$RSID" &&
	ok "... replaced it" || not_ok "--replace did not replace $USID"

# a damaged archive: a byte flipped in a stable_memory chunk (found with verify)
"$ICARC" pull $CID --snapshot "$RSID" $NET --identity "$PEM" -o u.icarc --no-encrypt 2>/dev/null || not_ok "pull u.icarc"
size=$(stat -c %s u.icarc)
for pct in 50 60 70 40 80; do
	cp u.icarc bad.icarc
	"$PY" - $((size * pct / 100)) <<'PYEOF'
import sys
o = int(sys.argv[1]); f = open("bad.icarc", "r+b"); f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0x20])); f.close()
PYEOF
	"$ICARC" verify bad.icarc >verify.txt 2>&1
	grep -qE "BAD +entry stable_memory bytes [1-9]" verify.txt && break
done
grep -qE "BAD +entry stable_memory bytes [1-9]" verify.txt && ok "a byte flipped in stable_memory, after its first chunk" ||
	not_ok "could not damage stable_memory: $(head -3 verify.txt)"
patch_stable $CID 8 beef
n0=$(snapshots)
expect 4 "push --load --stop --replace of the damaged archive stops with exit 4" -- \
	"$ICARC" push bad.icarc $CID $NET --identity "$PEM" --load --stop --replace "$RSID"
grep_err "bad.icarc: .*stable_memory" "... naming the archive and the entry"
grep_err "incomplete and is deleted; nothing was loaded" "... and saying the incomplete snapshot is deleted"
[ "$(snapshots)" = "$n0" ] && ok "... no snapshot is left" || not_ok "the incomplete snapshot is still there"
has_snapshot "$RSID" &&
	ok "... and the snapshot it was to replace is still there" || not_ok "a failed --replace push lost snapshot $RSID"
[ "$(stable_8)" = beef ] && ok "... nothing was loaded" || not_ok "the damaged push changed the canister"
[ "$(admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ] &&
	ok "... and the canister runs" || not_ok "canister not running after the damaged push"

head -c $(($(stat -c %s u.icarc) - 100)) u.icarc >cut.icarc
n0=$(snapshots)
expect 4 "a cut archive is refused" -- "$ICARC" push cut.icarc $CID $NET --identity "$PEM" --load --stop
[ "$(snapshots)" = "$n0" ] && ok "... before anything is uploaded" || not_ok "a cut archive left a snapshot"
expect 0 "push --help" -- "$ICARC" push --help
grep -q "^usage: icarc push ARCHIVE CANISTER" out.txt && ok "... prints the usage on stdout" || not_ok "push --help: $(head -2 out.txt)"
expect 2 "an archive that is not a canister's" -- sh -c 'head -c 1000 /dev/urandom >x.bin && "$0" pack --no-encrypt -o x.icarc x.bin && "$0" push x.icarc '"$CID $NET --identity $PEM" "$ICARC"
expect 2 "--stop without --load" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --stop
expect 2 "a malformed --replace" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K --replace xyz

# --- stable-memory archives --------------------------------------------------------------------
expect 0 "pull --stable-memory (the state to restore)" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o q1.icarc --no-encrypt
"$ICARC" extract --entry stable_memory -o q1.bin q1.icarc || not_ok "extract q1"
patch_stable $CID 100 00112233445566778899
patch_stable $CID 5000000 77
expect 7 "a non-controller cannot stable_write" -- "$ICARC" push q1.icarc $CID $NET --identity "$OTHER"
grep_err "not authorized.*controller" "... saying a controller is needed"
expect 0 "push a stable-memory archive" -- "$ICARC" push q1.icarc $CID $NET --identity "$PEM" --json
"$PY" -c 'import json,sys; d=json.load(open("out.txt")); sys.exit(0 if d["target"]=="stable_memory" and d["skipped_zero_bytes"]==0 and d["bytes"]==5046272 else 1)' &&
	ok "... every page written (the memory was not empty)" || not_ok "--json: $(cat out.txt)"
expect 0 "pull --stable-memory again" -- "$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o q2.icarc --no-encrypt
"$ICARC" extract --entry stable_memory -o q2.bin q2.icarc && [ "$(sha q2.bin)" = "$(sha q1.bin)" ] &&
	ok "stable memory after the push is byte-identical (sha256) to the first pull" || not_ok "stable memory differs after push"
# into an empty canister: zero pages skipped
NEW=$(admin POST /_/canisters "{\"controllers\":[\"$CONTROLLER\"]}" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
expect 0 "push into an empty canister" -- "$ICARC" push q1.icarc "$NEW" $NET --identity "$PEM" --json
"$PY" -c 'import json,sys; d=json.load(open("out.txt")); sys.exit(0 if d["skipped_zero_bytes"]>0 and d["bytes"]+d["skipped_zero_bytes"]==5046272 else 1)' &&
	ok "... skipping zero pages" || not_ok "--json: $(cat out.txt)"
"$ICARC" pull "$NEW" --stable-memory $NET --identity "$PEM" -o q3.icarc --no-encrypt 2>/dev/null &&
	"$ICARC" extract --entry stable_memory -o q3.bin q3.icarc && [ "$(sha q3.bin)" = "$(sha q1.bin)" ] &&
	ok "... and reads back byte-identical" || not_ok "the empty canister's stable memory differs"
patch_stable $CID 6000000 01
expect 2 "a canister whose stable memory is larger than the archive's is refused" -- \
	"$ICARC" push q1.icarc $CID $NET --identity "$PEM"
grep_err "cannot shrink" "... saying why"
expect 7 "a canister without the method" -- "$ICARC" push q1.icarc "$NEW" $NET --identity "$PEM" --write-method nope
grep_err "nope" "... names it"

# --- against icp: `icp canister snapshot upload` of icarc export's directory = icarc push ---------
if [ -x "$ICP" ]; then
	export HOME="$T/home"
	mkdir -p "$HOME"
	for k in $(env | sed -n 's/^\(ICP_[A-Z_]*\)=.*/\1/p'); do unset "$k"; done
	"$ICP" identity import owner --from-pem "$PEM" --storage plaintext >/dev/null 2>&1 || not_ok "icp identity import"
	N="-n $URL -k $ROOT_KEY --identity owner"
	expect 0 "icarc export of the snapshot archive" -- "$ICARC" export $K s1.icarc ex
	IUP=$("$ICP" canister snapshot upload $CID -i ex $N -q 2>err.txt | tail -1)
	[ -n "$IUP" ] && ok "icp uploads the exported directory ($IUP)" || not_ok "icp upload: $(cat err.txt)"
	expect 0 "icarc push of the same archive" -- "$ICARC" push s1.icarc $CID $NET --identity "$PEM" $K
	AUP=$(head -1 out.txt)
	"$ICP" canister snapshot download $CID "$IUP" -o dl-icp $N >/dev/null 2>err.txt || not_ok "icp download: $(cat err.txt)"
	"$ICP" canister snapshot download $CID "$AUP" -o dl-icarc $N >/dev/null 2>err.txt || not_ok "icp download: $(cat err.txt)"
	"$PY" - dl-icp dl-icarc <<'PYEOF' && ok "the two uploaded snapshots download identical (metadata but for time and version)" || not_ok "icp upload and icarc push differ"
import json, os, sys, filecmp
a, b = sys.argv[1:]
def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs if f != ".lock")
if files(a) != files(b):
    print("#", files(a), files(b)); sys.exit(1)
for f in files(a):
    if f == "metadata.json":
        x, y = (json.load(open(os.path.join(d, f))) for d in (a, b))
        for k in ("taken_at_timestamp", "canister_version"):
            x.pop(k); y.pop(k)
        if x != y:
            print("#", x, "\n#", y); sys.exit(1)
    elif not filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False):
        print("# differs:", f); sys.exit(1)
PYEOF
	# and restoring each gives the same canister state
	for s in "$IUP" "$AUP"; do
		"$ICP" canister stop $CID $N >/dev/null 2>&1
		"$ICP" canister snapshot restore $CID "$s" $N >/dev/null 2>err.txt || not_ok "icp restore $s: $(cat err.txt)"
		"$ICP" canister start $CID $N >/dev/null 2>&1
		"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o "r-$s.icarc" --no-encrypt 2>/dev/null || not_ok "pull after restore"
		entries "r-$s.icarc" "r-$s"
	done
	same "r-$IUP.sums" "r-$AUP.sums" "restoring icp's upload and icarc's push gives the same canister state"
	same "r-$AUP.sums" s1.sums "... which is the pulled state"
else
	echo "# the icp CLI is not installed: no cross-check"
fi
# --- a canister with as many snapshots as it may: --replace replaces at once (as icp does) ------
mkdir tiny tiny/wasm_chunk_store && printf '\0asm\1\0\0\0' >tiny/wasm_module.bin && : >tiny/stable_memory.bin
printf '{"source":{"metadata_upload":null},"taken_at_timestamp":1,"wasm_module_size":8,"globals":[],"wasm_memory_size":0,"stable_memory_size":0,"wasm_chunk_store":[],"canister_version":1,"certified_data":[],"global_timer":null,"on_low_wasm_memory_hook_status":null}' >tiny/metadata.json
"$ICARC" import --no-encrypt -o tiny.icarc tiny 2>err.txt || not_ok "import tiny: $(cat err.txt)"
i=0
while [ "$(snapshots)" -lt 10 ] && [ $i -lt 12 ]; do
	"$ICARC" push tiny.icarc $CID $NET --identity "$PEM" >/dev/null 2>err.txt || break
	i=$((i + 1))
done
[ "$(snapshots)" = 10 ] && ok "the canister holds 10 snapshots" || not_ok "could not fill the snapshots: $(cat err.txt)"
LAST=$(snapshot_ids | tail -1)
expect 0 "push --replace into a full canister" -- "$ICARC" push tiny.icarc $CID $NET --identity "$PEM" --replace "$LAST"
grep_err "replaced as the upload begins" "... warns that the old snapshot goes first"
[ "$(snapshots)" = 10 ] && ! has_snapshot "$LAST" && has_snapshot "$(head -1 out.txt)" &&
	ok "... and replaced it" || not_ok "full canister: $LAST not replaced"
expect 7 "push into a full canister without --replace is refused" -- "$ICARC" push tiny.icarc $CID $NET --identity "$PEM"
grep_err "maximum number of snapshots" "... with the IC's reason"
grep_err "keeps at most 10 snapshots.*push --replace ID" "... and what to do about it"
expect 7 "pull --snapshot new of a full canister is refused" -- \
	"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o full.icarc --no-encrypt
grep_err "pull --delete-snapshot deletes each one" "... pointing at --delete-snapshot (backups from cron)"
done_testing
