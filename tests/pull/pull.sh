#!/bin/sh
# pull.sh - icarc pull against tests/replica, both sources: entries byte-identical (sha256) to the
# seeded memories; pulls in a row under injected faults (5xx, resets, 429, latency); a mutation
# during a query-mode pull is caught and leaves no archive; refusals exit with the right code.
# PULL_ROUNDS (default 2) pulls per source under faults (PULL_FAULTS: the replica's fault JSON);
# `make check-pull-long` runs 20 under the issue's faults: 10% 5xx, resets, 429 bursts with
# Retry-After, 300 ms +- 100 ms latency.
. "$ICARC_SRCDIR/tests/pull/lib.sh"
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }
ROUNDS=${PULL_ROUNDS:-2}

# 77 pages of stable memory (three 2,000,000-byte snapshot slices, two query slices): the MessagePack
# image of tests/data, with zero pages; 3 pages of wasm memory; a small module.
"$PY" "$ICARC_SRCDIR/tests/data/gen_memory.py" stable.bin 5046272 --seed 7 >/dev/null || exit 99
head -c 196608 /dev/urandom >wasm.bin
printf '\0asm\1\0\0\0icarc-test-module' >module.bin
start_replica "$CID:stable_memory=stable.bin,wasm_memory=wasm.bin,wasm_module=module.bin,controller=$CONTROLLER"
R=$("$ICARC" keygen -o backup.key) || exit 99
printf 'correct horse battery staple\n' >pass.txt

# entry NAME ARCHIVE KEYOPTS...: extract one entry to NAME.out
entry() { e=$1; a=$2; shift 2; "$ICARC" extract "$@" --entry "$e" -o "$(echo "$e" | tr / _).out" "$a"; }

# --- snapshot source --------------------------------------------------------------------------
expect 2 "--snapshot new on a running canister is refused without --stop" -- \
	"$ICARC" pull $CID --snapshot new $NET --identity "$PEM" -o s0.icarc -r "$R"
grep_err "is running: stop it first" "... with a hint to stop it"
expect 0 "pull --snapshot new --stop, encrypted to a recipient" -- \
	"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o s1.icarc -r "$R" --json
SID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot_id"])' out.txt 2>/dev/null)
case "$SID" in *00000000000000020101) ok "--json names the snapshot ($SID)";; *) not_ok "--json snapshot id: $(cat out.txt)";; esac
[ "$(admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ] &&
	ok "--stop started the canister again" || not_ok "canister not running after --stop"
expect 0 "the snapshot archive verifies with the key" -- "$ICARC" verify -i backup.key s1.icarc
entry stable_memory s1.icarc -i backup.key && entry wasm_memory s1.icarc -i backup.key &&
	entry wasm_module s1.icarc -i backup.key && entry metadata.json s1.icarc -i backup.key || not_ok "extract"
[ "$(sha stable_memory.out)" = "$(sha stable.bin)" ] && ok "stable_memory sha256 = seeded" || not_ok "stable_memory differs"
[ "$(sha wasm_memory.out)" = "$(sha wasm.bin)" ] && ok "wasm_memory sha256 = seeded" || not_ok "wasm_memory differs"
# the replica pads the module to nothing: the module is exactly what was seeded
[ "$(sha wasm_module.out)" = "$(sha module.bin)" ] && ok "wasm_module sha256 = seeded" || not_ok "wasm_module differs"
"$PY" - metadata.json.out <<'EOF' && ok "metadata.json: sizes and source as icp-cli writes them" || not_ok "metadata.json: $(head -c 300 metadata.json.out)"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["source"] == {"taken_from_canister": None}, m["source"]
assert m["stable_memory_size"] == 5046272 and m["wasm_memory_size"] == 196608 and m["wasm_module_size"] == 25
assert list(m) == ["source", "taken_at_timestamp", "wasm_module_size", "globals", "wasm_memory_size",
                   "stable_memory_size", "wasm_chunk_store", "canister_version", "certified_data", "global_timer",
                   "on_low_wasm_memory_hook_status"]
EOF
expect 0 "pull --snapshot ID of the same snapshot, to stdout, unencrypted" -- \
	sh -c '"$0" pull '"$CID --snapshot $SID $NET --identity $PEM"' --no-encrypt > s2.icarc' "$ICARC"
"$ICARC" extract --entry stable_memory -o s2.out s2.icarc && same s2.out stable.bin "the stdout archive holds the same stable memory"
expect 0 "pull --snapshot new --stop --delete-snapshot" -- \
	"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o d.icarc --no-encrypt --delete-snapshot --json
SID2=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot_id"])' out.txt 2>/dev/null)
admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; ids=[s["id"] for s in json.load(sys.stdin)["snapshots"]]; sys.exit(0 if sys.argv[1] not in ids and sys.argv[2] in ids else 1)' "$SID2" "$SID" &&
	ok "... deleted that snapshot ($SID2), kept the other" || not_ok "snapshot $SID2 not deleted"
"$ICARC" extract --entry stable_memory -o d.out d.icarc && same d.out stable.bin "... and the archive is complete"
expect 7 "an anonymous pull of a snapshot is refused by the replica" -- \
	"$ICARC" pull $CID --snapshot "$SID" $NET -o anon.icarc --no-encrypt
grep_err "IC0512" "... with the replica's reject code"
[ ! -e anon.icarc ] && [ ! -e anon.icarc.part ] && ok "no archive left after a refusal" || not_ok "an archive was left behind"
expect 2 "a malformed snapshot id is a usage error" -- "$ICARC" pull $CID --snapshot 0g $NET -o x.icarc --no-encrypt
expect 2 "the management canister is not a canister to back up" -- "$ICARC" pull aaaaa-aa --snapshot new $NET -o x.icarc --no-encrypt
grep_err "management canister" "... saying so"
expect 2 "nor is the anonymous principal" -- "$ICARC" pull 2vxsx-fae --stable-memory $NET -o x.icarc --no-encrypt
grep_err "not a canister id" "... saying so"
# -o a FIFO (or /dev/null): written in place, never replaced by a renamed ARCHIVE.part
mkfifo fifo
timeout 120 cat fifo >fifo.icarc & # (a FIFO replaced by a rename would leave cat waiting)
cpid=$!
expect 0 "pull -o FIFO" -- "$ICARC" pull $CID --snapshot "$SID" $NET --identity "$PEM" -o fifo --no-encrypt
wait $cpid
[ -p fifo ] && [ ! -e fifo.part ] && ok "... the FIFO is still a FIFO" || not_ok "-o FIFO: $(ls -la fifo*)"
expect 0 "... and what came through it verifies" -- "$ICARC" verify fifo.icarc
expect 2 "--resume -o FIFO is refused" -- "$ICARC" pull $CID --snapshot "$SID" $NET --identity "$PEM" -o fifo --no-encrypt --resume
rm -f fifo fifo.icarc
expect 6 "an unreachable network is a network error" -- \
	"$ICARC" pull $CID --snapshot "$SID" --network http://127.0.0.1:9 --root-key fetch -o x.icarc --no-encrypt
[ ! -e x.icarc ] && [ ! -e x.icarc.part ] && ok "... and leaves nothing to resume behind (nothing was pulled)" ||
	not_ok "an unreachable network left $(ls x.icarc* 2>/dev/null)"

# --- query source -----------------------------------------------------------------------------
expect 0 "pull --stable-memory with a passphrase" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o q1.icarc --passphrase-file pass.txt
"$ICARC" extract --passphrase-file pass.txt --entry stable_memory -o q1.out q1.icarc &&
	[ "$(sha q1.out)" = "$(sha stable.bin)" ] && ok "query-mode stable_memory sha256 = seeded" || not_ok "query-mode stable memory differs"
"$ICARC" info --passphrase-file pass.txt q1.icarc >info.txt 2>&1
grep -q "consistency = token" info.txt && grep -q "canister_id = $CID" info.txt && grep -q "principal = $CONTROLLER" info.txt &&
	ok "archive metadata: canister, principal, consistency token" || not_ok "metadata: $(cat info.txt)"
expect 0 "--certified: stable memory read with update calls" -- \
	"$ICARC" pull $CID --stable-memory --certified $NET --identity "$PEM" -o c.icarc --no-encrypt
"$ICARC" extract --entry stable_memory -o c.out c.icarc && same c.out stable.bin "... the same bytes"
"$ICARC" info c.icarc 2>&1 | grep -q "reads = certified" && ok "... and the archive says they were certified" || not_ok "no reads = certified"
expect 0 "--token-method '': a canister without a token is read, unverified" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o nt.icarc --no-encrypt --token-method ''
grep_err "consistency is not verified" "... with a warning"
"$ICARC" info nt.icarc 2>&1 | grep -q "consistency = unverified" && ok "... and the archive says so" || not_ok "no consistency = unverified"
expect 0 "--slice 4M: the reply-too-large rejects halve the slice" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o q2.icarc --no-encrypt --slice 4M --json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["size_rejects"] >= 1 else 1)' out.txt &&
	ok "... (size_rejects in the summary: $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["size_rejects"])' out.txt))" ||
	not_ok "no size reject: $(cat out.txt)"
"$ICARC" extract --entry stable_memory -o q2.out q2.icarc && same q2.out stable.bin "... and the archive holds the stable memory"
expect 7 "an anonymous query pull is refused by the canister" -- \
	"$ICARC" pull $CID --stable-memory $NET -o anonq.icarc --no-encrypt
grep_err "IC0406" "... not authorized (IC0406)"

admin POST /_/canisters/$CID/state '{"status":"stopped"}' >/dev/null
expect 7 "a query pull of a stopped canister fails" -- "$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o st.icarc --no-encrypt
grep_err "is stopped: start it" "... with a hint to start it"
admin POST /_/canisters/$CID/state '{"status":"running"}' >/dev/null
expect 0 "--progress draws a progress line on stderr" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o pr.icarc --no-encrypt --progress
grep_err "pull \[#+\] 100% .* ETA .* retries [0-9]+" "... with bytes, rate, ETA and retries"

# --- faults -----------------------------------------------------------------------------------
FAULTS='{"rate_500":0.04,"rate_502":0.03,"rate_503":0.04,"rate_429":0.05,"retry_after":0,"reset_rate":0.04,"latency_ms":20,"jitter_ms":30,"seed":11}'
faults "${PULL_FAULTS:-$FAULTS}"
i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	rm -f f.icarc f.out
	if "$ICARC" pull $CID --snapshot "$SID" $NET --identity "$PEM" -o f.icarc --no-encrypt --concurrency 4 2>err.txt &&
		"$ICARC" extract --entry stable_memory -o f.out f.icarc && cmp -s f.out stable.bin; then
		ok "snapshot pull $i of $ROUNDS under faults"
	else not_ok "snapshot pull $i under faults: $(head -c 300 err.txt)"; fi
	rm -f f.icarc f.out
	if "$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o f.icarc --no-encrypt --concurrency 4 2>err.txt &&
		"$ICARC" extract --entry stable_memory -o f.out f.icarc && cmp -s f.out stable.bin; then
		ok "query pull $i of $ROUNDS under faults"
	else not_ok "query pull $i under faults: $(head -c 300 err.txt)"; fi
done
admin GET /_/counters | "$PY" -c 'import json,sys; c=json.load(sys.stdin); f=c.get("faults",{}); print("# faults injected:", json.dumps(f)); sys.exit(0 if sum(v for v in f.values() if isinstance(v,(int,float))) > 0 else 1)' &&
	ok "faults were injected" || not_ok "no fault was injected"
faults '{}'

# --- a mutation during a query-mode pull --------------------------------------------------------
faults '{"mutate_every":1}'
expect 7 "a mutation mid-pull is caught (--restarts 0)" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o m.icarc --no-encrypt --restarts 0
grep_err "changed during the pull \(token [0-9a-f]+ -> [0-9a-f]+" "... naming the tokens"
[ ! -e m.icarc ] && [ ! -e m.icarc.part ] && ok "no archive written" || not_ok "an archive was left behind"
expect 7 "a canister that keeps changing fails after the restarts" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o m.icarc --no-encrypt --restarts 2
grep_err "starting again \(2 of 2\)" "... after starting again twice"
before=$(admin GET /_/counters | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stable_reads"])')
expect 7 "--check-every 1M: the change is found before the whole memory is read" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o m.icarc --no-encrypt --restarts 0 --check-every 1M --slice 1M --concurrency 1
reads=$(($(admin GET /_/counters | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stable_reads"])') - before))
[ "$reads" -lt 5 ] && ok "... after $reads of 5 reads" || not_ok "$reads reads: the whole memory was read"
expect 7 "to a pipe: the change is caught and the archive is left incomplete" -- \
	sh -c '"$0" pull '"$CID --stable-memory $NET --identity $PEM"' --no-encrypt > m2.icarc' "$ICARC"
expect 4 "... and verify says so" -- "$ICARC" verify m2.icarc
faults '{}'
done_testing
