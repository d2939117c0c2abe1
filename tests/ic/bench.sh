#!/bin/sh
# bench.sh - agent throughput against tests/replica for several concurrency levels (not in make
# check): ICARC_BUILDDIR=... sh tests/ic/bench.sh [MiB] [levels...]
srcdir=${ICARC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${ICARC_BUILDDIR:-.}
mib=${1:-128}
[ $# -gt 0 ] && shift
levels=${*:-1 2 4 8 16}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ic-bench.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
head -c $((mib * 1048576)) /dev/urandom > "$dir/stable.bin"
controller=2nor3-keehi-duuup-d7jcn-onggn-3atzm-gejtl-5tlzn-k4g6c-nnbf7-7qe
canister=ryjl3-tyaaa-aaaaa-aaaba-cai
mkfifo "$dir/out"
${NODE:-node} "$srcdir/tests/replica/main.mjs" --port 0 --state-dir "$dir/state" ${LATENCY:+--latency-ms $LATENCY} \
	--seed "$canister:stable_memory=$dir/stable.bin,controller=$controller" > "$dir/out" 2> "$dir/replica.log" &
pid=$!
read -r url < "$dir/out" || { cat "$dir/replica.log"; exit 1; }
cat "$dir/out" > /dev/null &
for mode in query snapshot; do
	for c in $levels; do
		"$builddir/tests/ic/agent_bench" "$url" "$canister" "$srcdir/tests/ic/pem/dfx_ed25519_v2.pem" \
			$((mib * 1048576)) "$c" "$mode" || exit 1
	done
done
