#!/bin/sh
# pull_demo.sh BUILDDIR - icarc pull on the bundled default, for the README's first command
# (tests/demo.sh calls it): tests/replica with a canister holding a generated MessagePack state,
# an encrypted snapshot archive pulled, verified, a path of the state decoded; the state changed
# through the replica's admin API, pulled again, and the two snapshots compared; Monday's archive is
# then pushed back into the canister (snapshot upload and load) and pulled once more to show it.
# Needs node with tests/replica/node_modules (npm ci in tests/replica), python3 with msgpack, curl.
set -eu
B=${1:?usage: pull_demo.sh BUILDDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
ICARC="$B/src/icarc"
NODE=${NODE:-node}
PY=${PYTHON3:-/usr/bin/python3}
D="$B/pull-demo"
[ -d "$top/tests/replica/node_modules/@icp-sdk/core" ] || { echo "pull demo: run npm ci in tests/replica first"; exit 77; }
rm -rf "$D" && mkdir -p "$D"
cd "$D"
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
has() { "$ICARC" --help | grep -q "^  $1 "; }
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -f replica.out' EXIT

CID=ryjl3-tyaaa-aaaaa-aaaba-cai
PEM="$top/tests/ic/pem/dfx_ed25519_v2.pem"

step "a canister's stable memory: a MessagePack state (16 MiB, generated)" "gen_memory.py monday.bin 16M"
"$PY" "$top/tests/data/gen_memory.py" monday.bin 16M --seed 42
"$PY" "$top/tests/data/gen_memory.py" tuesday.bin 16M --seed 42 --version 1

step "the backup identity's principal, a controller of the canister" "icarc identity principal --identity $PEM"
P=$("$ICARC" identity principal --identity "$PEM")
echo "$P"

step "a local IC (tests/replica) hosting the canister" "node tests/replica/main.mjs --port 0 --seed $CID:stable_memory=monday.bin,controller=$P"
mkfifo replica.out
"$NODE" "$top/tests/replica/main.mjs" --port 0 --state-dir state --seed "$CID:stable_memory=monday.bin,controller=$P" \
	>replica.out 2>replica.log &
pid=$!
read -r URL <replica.out
cat replica.out >/dev/null &
echo "replica at $URL"
NET="--network $URL --root-key fetch"

step "an identity for the archives" "icarc keygen -o backup.key"
R=$("$ICARC" keygen -o backup.key)
echo "recipient: $R"

step "pull a snapshot (stop, snapshot, start), encrypted to the recipient" \
	"icarc pull $CID --snapshot new --stop $NET --identity dfx.pem -r $R -o monday.icarc --json"
"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -r "$R" -o monday.icarc --json --no-progress

step "verify every chunk" "icarc verify -i backup.key monday.icarc"
"$ICARC" verify -i backup.key monday.icarc

step "what the archive holds" "icarc info -i backup.key monday.icarc"
"$ICARC" info -i backup.key monday.icarc

if has decode; then
	step "decode a path of the canister's state" "icarc decode -i backup.key --path users.7 monday.icarc"
	"$ICARC" decode -i backup.key --path users.7 monday.icarc
fi

step "the canister's state changes" "curl -X POST $URL/_/canisters/$CID/memory -d '{\"file\":\"tuesday.bin\"}'"
curl -sf -X POST -H 'content-type: application/json' -d "{\"file\":\"$D/tuesday.bin\"}" "$URL/_/canisters/$CID/memory"
echo

step "pull again" "icarc pull $CID --snapshot new --stop ... -o tuesday.icarc"
"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -r "$R" -o tuesday.icarc --no-progress

if has diff; then
	step "which pages changed (from the indexes)" "icarc diff -i backup.key --entry stable_memory monday.icarc tuesday.icarc | tail -1"
	rc=0; "$ICARC" diff -i backup.key --entry stable_memory monday.icarc tuesday.icarc >diff.txt || rc=$?
	[ "$rc" = 1 ] && tail -1 diff.txt
	step "what changed in the state" "icarc diff --decode -i backup.key --entry stable_memory monday.icarc tuesday.icarc"
	rc=0; "$ICARC" diff --decode -i backup.key --entry stable_memory monday.icarc tuesday.icarc >sdiff.txt || rc=$?
	[ "$rc" = 1 ] && head -20 sdiff.txt
fi

step "the same snapshot as icp-cli's directory (icp canister snapshot upload -i reads it)" "icarc export -i backup.key tuesday.icarc tuesday-dir"
"$ICARC" export -i backup.key tuesday.icarc tuesday-dir
ls -l tuesday-dir
cmp tuesday-dir/stable_memory.bin tuesday.bin && echo "stable_memory.bin is identical to the canister's state"
if has push; then
	step "restore Monday into the canister (upload a snapshot, stop, load, start)" \
		"icarc push -i backup.key monday.icarc $CID --load --stop ..."
	"$ICARC" push -i backup.key monday.icarc $CID --load --stop $NET --identity "$PEM"
	step "pull once more: the canister holds Monday's state again" "icarc pull ... -o restored.icarc; icarc diff monday.icarc restored.icarc"
	"$ICARC" pull $CID --snapshot new --stop $NET --identity "$PEM" -r "$R" -o restored.icarc --no-progress
	"$ICARC" diff -i backup.key --entry stable_memory monday.icarc restored.icarc
fi
printf '\npull demo: all steps passed (files in %s)\n' "$D"
