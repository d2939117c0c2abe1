#!/bin/sh
# resume.sh - icarc pull --resume against tests/replica: kill -9 in the middle of a pull (both
# sources, an archive encrypted to a recipient), then --resume gives the same content as the
# canister's memory while reading only what the cut archive lacked (replica counters); refusals when
# the snapshot id differs, the canister changed, or nothing is there to resume.
. "$ICARC_SRCDIR/tests/pull/lib.sh"
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }

SIZE=25165824 # 384 pages: twelve and a half 2,000,000-byte slices
head -c $SIZE /dev/urandom >stable.bin
start_replica "$CID:stable_memory=stable.bin,controller=$CONTROLLER"
R=$("$ICARC" keygen -o backup.key) || exit 99
counter() { admin GET /_/counters | "$PY" -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }

# cut NAME ARGS...: start a pull to NAME, kill -9 it once NAME.part holds 6 MB
cut() {
	name=$1
	shift
	"$ICARC" pull "$@" -o "$name" --no-progress 2>cut.err &
	pid=$!
	i=0
	while [ "$(stat -c %s "$name.part" 2>/dev/null || echo 0)" -lt 6000000 ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	sleep 1 # requests of the killed pull still being served (latency) count as read
	if [ -e "$name.part" ] && [ ! -e "$name" ]; then
		ok "kill -9 mid-pull left $name.part ($(stat -c %s "$name.part") bytes) and no $name"
	else
		not_ok "no cut $name.part to resume: $(cat cut.err)"
	fi
}

faults '{"latency_ms":250}'
cut s.icarc $CID --snapshot new --stop $NET --identity "$PEM" -r "$R" --concurrency 2
SID=$(admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][0]["id"])')
faults '{}'
expect 5 "--resume of an archive encrypted to a recipient needs its identity" -- \
	"$ICARC" pull $CID --snapshot "$SID" $NET --identity "$PEM" -o s.icarc --resume
[ -e s.icarc.part ] && ok "... and keeps the .part" || not_ok "the .part is gone"
expect 2 "--resume with another snapshot id is refused" -- \
	"$ICARC" pull $CID --snapshot 0000000000000009"${SID#0000000000000001}" $NET --identity "$PEM" -o s.icarc --resume -i backup.key
grep_err "holds snapshot $SID" "... naming the snapshot the archive holds"
before=$(counter snapshot_read_bytes)
expect 0 "the same command (--snapshot new --stop) with --resume continues the archive's snapshot" -- \
	"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -o s.icarc --resume -i backup.key
grep_err "resuming snapshot $SID" "... and says which"
[ "$(admin GET /_/canisters/$CID | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["snapshots"]))')" = 1 ] &&
	ok "... without taking another snapshot" || not_ok "a new snapshot was taken"
read_bytes=$(($(counter snapshot_read_bytes) - before))
[ "$read_bytes" -lt $((SIZE - 4000000)) ] && ok "the resume read $read_bytes of $SIZE bytes again" ||
	not_ok "the resume read $read_bytes bytes (of $SIZE): complete chunks were read again"
"$ICARC" extract -i backup.key --entry stable_memory -o s.out s.icarc && same s.out stable.bin "the resumed archive holds the canister's stable memory"
expect 0 "... and verifies" -- "$ICARC" verify -i backup.key s.icarc
"$ICARC" info -i backup.key s.icarc >info.txt 2>&1
grep -q "resumed = " info.txt && ok "the archive's metadata says it was resumed" || not_ok "no resumed metadata: $(cat info.txt)"

faults '{"latency_ms":250}'
printf 'a passphrase\n' >pass.txt
cut q.icarc $CID --stable-memory $NET --identity "$PEM" --passphrase-file pass.txt --concurrency 2
faults '{}'
before=$(counter stable_read_bytes)
expect 0 "pull --stable-memory --resume continues it" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o q.icarc --resume --passphrase-file pass.txt
read_bytes=$(($(counter stable_read_bytes) - before))
[ "$read_bytes" -lt $((SIZE - 4000000)) ] && ok "the resume read $read_bytes of $SIZE bytes again" ||
	not_ok "the resume read $read_bytes bytes (of $SIZE)"
"$ICARC" extract --passphrase-file pass.txt --entry stable_memory -o q.out q.icarc && same q.out stable.bin "the resumed query-mode archive holds the stable memory"

faults '{"latency_ms":250}'
cut m.icarc $CID --stable-memory $NET --identity "$PEM" --no-encrypt --concurrency 2
faults '{}'
admin POST /_/canisters/$CID/memory '{"offset":100,"hex":"deadbeef"}' >/dev/null
expect 2 "--resume after the canister changed is refused" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o m.icarc --resume --no-encrypt
grep_err "the canister changed since m.icarc.part was cut \(token [0-9a-f]+, now [0-9a-f]+\)" "... naming both tokens"
[ -e m.icarc.part ] && [ ! -e m.icarc ] && ok "... keeping the cut archive, writing none" || not_ok "m.icarc.part gone or m.icarc written"
expect 2 "--resume with nothing to resume" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o none.icarc --resume --no-encrypt
expect 2 "--resume to stdout is refused" -- \
	"$ICARC" pull $CID --stable-memory $NET --identity "$PEM" -o - --resume --no-encrypt
done_testing
