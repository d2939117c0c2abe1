#!/bin/sh
# decode_bench.sh - run the decode/diff benchmarks (decode_bench.py) with the built icarc.
# Usage: tests/bench/decode_bench.sh [BUILDDIR]; sizes via BENCH_DECODE_MB, BENCH_DIFF_MB.
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${ICARC_BUILDDIR:-$srcdir/build}}
ICARC=${ICARC:-$build/src/icarc}
export ICARC
for py in ${PYTHON3:-} python3 /usr/bin/python3; do
	if "$py" -c 'import msgpack' 2>/dev/null; then
		exec "$py" "$srcdir/tests/bench/decode_bench.py"
	fi
done
echo "decode_bench: no python3 with msgpack (Debian: python3-msgpack)" >&2
exit 77
