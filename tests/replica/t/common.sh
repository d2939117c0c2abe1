# Sourced by the replica's test scripts (make check runs them with the TAP driver): find node and the npm
# dependencies, or skip the whole file ("1..0 # SKIP").
NODE=${NODE:-node}
srcdir=${ICARC_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
rdir="$srcdir/tests/replica"
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
command -v "$NODE" >/dev/null 2>&1 || skip_all "node not found"
[ -d "$rdir/node_modules/@icp-sdk/core" ] || skip_all "tests/replica/node_modules missing: run ./dev deps (npm ci in tests/replica)"
# run_node_test FILE: one node:test file; its TAP goes to stdout, its exit status is ours
run_node_test() {
	exec "$NODE" --test --test-reporter=tap "$rdir/t/$1"
}
