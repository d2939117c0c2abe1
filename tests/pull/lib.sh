# lib.sh - shared by the pull/import/export tests: a scratch directory, TAP-style assertions, and a
# test replica started with seeded canisters (tests/replica, documented in its README).
# Exits 77 (skip) without node, python3 or tests/replica/node_modules.
set -u
: "${ICARC:?ICARC must point to the built icarc}"
: "${ICARC_SRCDIR:?}"
NODE=${NODE:-node}
PY=${PYTHON3:-python3}
command -v "$NODE" >/dev/null 2>&1 || { echo "SKIP: node not found"; exit 77; }
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
if [ ! -d "$ICARC_SRCDIR/tests/replica/node_modules/@icp-sdk/core" ]; then
	echo "SKIP: tests/replica/node_modules is missing (npm ci in tests/replica)"
	exit 77
fi
"$ICARC" pull --help >/dev/null 2>&1 || { echo "SKIP: icarc has no pull command"; exit 77; }
ICP="$ICARC_SRCDIR/tests/replica/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"

T=$(mktemp -d "${TMPDIR:-/tmp}/icarc-pull.XXXXXX") || exit 99
REPLICA_PID=
cleanup() {
	[ -n "$REPLICA_PID" ] && kill "$REPLICA_PID" 2>/dev/null && wait "$REPLICA_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
cd "$T" || exit 99

fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
# expect CODE DESCRIPTION -- COMMAND...: run, compare the exit code
expect() {
	want=$1; what=$2; shift 3
	"$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" = "$want" ]; then ok "$what (exit $got)"; else
		not_ok "$what: exit $got, want $want"
		sed 's/^/#   /' err.txt | head -8
	fi
}
grep_err() { if grep -qE "$1" err.txt; then ok "$2"; else not_ok "$2: stderr was: $(head -c 400 err.txt)"; fi; }
same() { if cmp -s "$1" "$2"; then ok "$3"; else not_ok "$3: $1 and $2 differ"; fi; }
sha() { sha256sum "$1" | cut -c1-64; }
done_testing() {
	echo "1..$n"
	if [ "$fails" != 0 ] && [ -n "$REPLICA_PID" ]; then echo "# replica log:"; tail -5 "$T/replica.log" | sed 's/^/#   /'; fi
	[ "$fails" = 0 ] || exit 1
	exit 0
}

# The controller identity: an Ed25519 key from tests/ic/pem (its principal is in expected.txt).
PEM="$ICARC_SRCDIR/tests/ic/pem/dfx_ed25519_v2.pem"
CONTROLLER=2nor3-keehi-duuup-d7jcn-onggn-3atzm-gejtl-5tlzn-k4g6c-nnbf7-7qe
CID=ryjl3-tyaaa-aaaaa-aaaba-cai

# start_replica SEED...: start tests/replica with --seed SEED..., set URL and ROOT_KEY.
start_replica() {
	set -- $(for s in "$@"; do printf -- '--seed %s ' "$s"; done)
	mkfifo "$T/replica.out" || exit 99
	"$NODE" "$ICARC_SRCDIR/tests/replica/main.mjs" --port 0 --state-dir "$T/state" "$@" >"$T/replica.out" 2>"$T/replica.log" &
	REPLICA_PID=$!
	read -r URL <"$T/replica.out" || { echo "replica did not start:"; cat "$T/replica.log"; exit 99; }
	cat "$T/replica.out" >/dev/null &
	ROOT_KEY=$(admin GET /_/info | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["root_key"])')
	NET="--network $URL --root-key $ROOT_KEY"
	echo "# replica at $URL"
}
# admin METHOD PATH [JSON]: the replica's admin API
admin() {
	if [ $# -ge 3 ]; then
		curl -sf -X "$1" -H 'content-type: application/json' -d "$3" "$URL$2"
	else
		curl -sf -X "$1" "$URL$2"
	fi
}
faults() { admin POST /_/faults "$1" >/dev/null || echo "# cannot set faults $1"; }
