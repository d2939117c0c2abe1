#!/bin/sh
# live.sh - run tests/ic/ic_live against a fresh tests/replica. Skips (77) without node or
# tests/replica/node_modules, or when the agent was built without libcurl.
srcdir=${ICARC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${ICARC_BUILDDIR:-.}
node=${NODE:-node}
prog="$builddir/tests/ic/ic_live"
if [ ! -d "$srcdir/tests/replica/node_modules" ]; then
	echo "SKIP: tests/replica/node_modules is missing (run npm ci in tests/replica)"
	exit 77
fi
command -v "$node" >/dev/null 2>&1 || { echo "SKIP: node not found"; exit 77; }
[ -x "$prog" ] || { echo "SKIP: $prog not built (no libcurl?)"; exit 77; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/ic-live.XXXXXX") || exit 99
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# 5,046,272 bytes (77 pages: three 2,000,000-byte slices) of random data as the stable memory
head -c 5046272 /dev/urandom > "$dir/stable.bin" || exit 99
pem="$srcdir/tests/ic/pem/dfx_ed25519_v2.pem"
controller=2nor3-keehi-duuup-d7jcn-onggn-3atzm-gejtl-5tlzn-k4g6c-nnbf7-7qe
canister=ryjl3-tyaaa-aaaaa-aaaba-cai
# a second canister on the same subnet (same seeded memory): node keys are cached per subnet
IC_LIVE_CANISTER2=rrkah-fqaaa-aaaaa-aaaaq-cai
export IC_LIVE_CANISTER2
mkfifo "$dir/out" || exit 99
"$node" "$srcdir/tests/replica/main.mjs" --port 0 --state-dir "$dir/state" \
	--seed "$canister:stable_memory=$dir/stable.bin,controller=$controller" \
	--seed "$IC_LIVE_CANISTER2:stable_memory=$dir/stable.bin,controller=$controller" > "$dir/out" 2> "$dir/replica.log" &
pid=$!
read -r url < "$dir/out" || { echo "replica did not start:"; cat "$dir/replica.log"; exit 99; }
# keep the fifo drained
cat "$dir/out" > /dev/null &
echo "# replica at $url"
"$prog" "$url" "$canister" "$dir/stable.bin" "$pem"
rc=$?
[ $rc -ne 0 ] && { echo "# replica log:"; tail -20 "$dir/replica.log"; exit $rc; }
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=

# second run: https (a throwaway CA), HTTP/2, certificates delegated to a subnet
if ! command -v openssl >/dev/null 2>&1; then echo "# no openssl: https run skipped"; exit 0; fi
( cd "$dir" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj /CN=icarc-test-ca >/dev/null 2>&1 &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr -subj /CN=127.0.0.1 \
	>/dev/null 2>&1 &&
  printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf &&
  openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out tls.pem -days 2 -extfile ext.cnf \
	>/dev/null 2>&1 ) || { echo "certificate generation failed"; exit 99; }
rm -f "$dir/out"; mkfifo "$dir/out"
"$node" "$srcdir/tests/replica/main.mjs" --port 0 --state-dir "$dir/state2" --tls-cert "$dir/tls.pem" \
	--tls-key "$dir/tls.key" --subnet-delegation \
	--seed "$canister:stable_memory=$dir/stable.bin,controller=$controller" \
	--seed "$IC_LIVE_CANISTER2:stable_memory=$dir/stable.bin,controller=$controller" > "$dir/out" 2> "$dir/replica2.log" &
pid=$!
read -r url < "$dir/out" || { echo "https replica did not start:"; cat "$dir/replica2.log"; exit 99; }
cat "$dir/out" > /dev/null &
echo "# https replica at $url"
"$prog" "$url" "$canister" "$dir/stable.bin" "$pem" "$dir/ca.pem"
rc=$?
[ $rc -ne 0 ] && { echo "# replica log:"; tail -20 "$dir/replica2.log"; }
exit $rc
