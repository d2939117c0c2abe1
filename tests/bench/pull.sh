#!/bin/sh
# pull.sh - `make bench-pull`, and the end of `make bench`: icarc pull of a snapshot against the same end
# result by hand, `icp canister snapshot download` then `zstd -T2 -3 | age -r` (and the way back: icarc
# push against `age -d | zstd -d` then `icp canister snapshot upload`), on tests/replica at
# 0 ms and 200 ms latency; wall time, peak RSS, and icarc's throughput as a fraction of what the
# replica serves to a client that verifies nothing (tests/replica/bench.mjs, as many in flight as icarc).
# Environment: BENCH_PULL_SIZE (default 1G; a quarter of it random data, the rest zero pages, as
# canister memories are sparse), BENCH_PULL_LATENCIES (default "0 200"), BENCH_PULL_CONCURRENCY
# (icarc --concurrency; default: icarc's own).
set -u
: "${ICARC:?}" "${ICARC_SRCDIR:?}"
NODE=${NODE:-node}
PY=${PYTHON3:-python3}
SIZE=${BENCH_PULL_SIZE:-1G}
LATS=${BENCH_PULL_LATENCIES:-0 200}
ICP="$ICARC_SRCDIR/tests/replica/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"
for t in "$ICP" zstd age age-keygen /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench pull: skipped, $t is missing (./dev deps; make bench installs zstd and age)"; exit 0; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/icarc-bench-pull.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
export HOME="$T/home"
mkdir -p "$HOME"
PEM="$ICARC_SRCDIR/tests/ic/pem/dfx_ed25519_v2.pem"
CONTROLLER=2nor3-keehi-duuup-d7jcn-onggn-3atzm-gejtl-5tlzn-k4g6c-nnbf7-7qe
CID=ryjl3-tyaaa-aaaaa-aaaba-cai
"$ICP" identity import owner --from-pem "$PEM" --storage plaintext >/dev/null 2>&1 || exit 1

bytes=$("$PY" -c "import sys; s=sys.argv[1].upper().rstrip('IB'); m={'K':1<<10,'M':1<<20,'G':1<<30}; print(int(s[:-1])*m[s[-1]] if s[-1] in m else int(s))" "$SIZE")
"$PY" - "$bytes" <<'EOF' || exit 1
import os, sys
n = int(sys.argv[1]); stripe = 16 << 20
with open("mem.bin", "wb") as f:
    f.truncate(n)
    for off in range(0, n, 4 * stripe):  # one stripe of data in four
        f.seek(off); f.write(os.urandom(min(stripe, n - off)))
EOF
mkfifo out
"$NODE" "$ICARC_SRCDIR/tests/replica/main.mjs" --port 0 --state-dir st --seed "$CID:stable_memory=mem.bin,controller=$CONTROLLER" >out 2>replica.log &
pid=$!
read -r URL <out
cat out >/dev/null &
NET="--network $URL --root-key fetch --identity $PEM"
"$ICARC" pull $CID --snapshot new --stop $NET -o first.icarc --no-encrypt --json --no-progress >j || exit 1
SID=$("$PY" -c 'import json; print(json.load(open("j"))["snapshot_id"])')
rm -f first.icarc
R=$("$ICARC" keygen -o icarc.key)
age-keygen -o age.key 2>/dev/null
AR=$(age-keygen -y age.key)
CONC=${BENCH_PULL_CONCURRENCY:+--concurrency $BENCH_PULL_CONCURRENCY}
printf 'canister: %s bytes (a quarter random), snapshot %s\n' "$bytes" "$SID"
printf '%-8s %-34s %9s %10s %9s\n' latency tool seconds "RSS MiB" "MB/s"
for lat in $LATS; do
	curl -sf -X POST -H 'content-type: application/json' -d "{\"latency_ms\":$lat}" "$URL/_/faults" >/dev/null
	# by hand: download, then compress and encrypt every file
	rm -rf dl
	/usr/bin/time -f '%e %M' -o t1 "$ICP" canister snapshot download $CID "$SID" -o dl -n "$URL" -k fetch --identity owner >/dev/null 2>&1 || echo "icp download failed"
	/usr/bin/time -f '%e %M' -o t2 sh -c 'tar -C dl -cf - . | zstd -T2 -3 -q | age -r "$0" > hand.tar.zst.age' "$AR"
	read -r s1 m1 <t1
	read -r s2 m2 <t2
	hs=$("$PY" -c "print('%.2f' % ($s1 + $s2))")
	hm=$(( (m1 > m2 ? m1 : m2) / 1024 ))
	printf '%-8s %-34s %9s %10s %9s\n' "${lat}ms" "icp download + zstd -T2 -3 | age" "$hs" "$hm" "$("$PY" -c "print('%.1f' % ($bytes / $hs / 1e6))")"
	rm -f pull.icarc
	/usr/bin/time -f '%e %M' -o t3 "$ICARC" pull $CID --snapshot "$SID" $NET -r "$R" -o pull.icarc --no-progress $CONC || echo "icarc pull failed"
	read -r s3 m3 <t3
	printf '%-8s %-34s %9s %10s %9s\n' "${lat}ms" "icarc pull (-r, zstd -3)" "$s3" "$((m3 / 1024))" "$("$PY" -c "print('%.1f' % ($bytes / $s3 / 1e6))")"
	echo "$lat $s3" >>icarc.times
	printf '%-8s %-34s %9s\n' "" "speed-up" "$("$PY" -c "print('%.2fx' % ($hs / $s3))")"
	# the way back, as a new snapshot: by hand, decrypt, decompress, unpack and `icp canister snapshot
	# upload`; icarc push of its archive (each snapshot deleted after)
	rm -rf up
	mkdir up
	/usr/bin/time -f '%e %M' -o t4 sh -c 'age -d -i "$0" hand.tar.zst.age | zstd -d -q | tar -C up -xf -' age.key || echo "unpacking failed"
	/usr/bin/time -f '%e %M' -o t5 "$ICP" canister snapshot upload $CID -i up -n "$URL" -k fetch --identity owner -q >up.id 2>/dev/null || echo "icp upload failed"
	"$ICP" canister snapshot delete $CID "$(tail -1 up.id)" -n "$URL" -k fetch --identity owner >/dev/null 2>&1
	read -r s4 m4 <t4
	read -r s5 m5 <t5
	us=$("$PY" -c "print('%.2f' % ($s4 + $s5))")
	um=$(( (m4 > m5 ? m4 : m5) / 1024 ))
	printf '%-8s %-34s %9s %10s %9s\n' "${lat}ms" "age -d | zstd -d | icp upload" "$us" "$um" "$("$PY" -c "print('%.1f' % ($bytes / $us / 1e6))")"
	/usr/bin/time -f '%e %M' -o t6 "$ICARC" push pull.icarc $CID $NET -i icarc.key --no-progress >push.id 2>/dev/null || echo "icarc push failed"
	"$ICP" canister snapshot delete $CID "$(tail -1 push.id)" -n "$URL" -k fetch --identity owner >/dev/null 2>&1
	read -r s6 m6 <t6
	printf '%-8s %-34s %9s %10s %9s\n' "${lat}ms" "icarc push (-i)" "$s6" "$((m6 / 1024))" "$("$PY" -c "print('%.1f' % ($bytes / $s6 / 1e6))")"
	printf '%-8s %-34s %9s\n' "" "speed-up" "$("$PY" -c "print('%.2fx' % ($us / $s6))")"
	rm -rf dl up hand.tar.zst.age pull.icarc
done
curl -sf -X POST -H 'content-type: application/json' -d '{}' "$URL/_/faults" >/dev/null
# what the replica serves to a client that checks nothing (it takes the canister over: last)
INFLIGHT=${BENCH_PULL_CONCURRENCY:-128} # icarc's default (src/cmd_pull.c)
BENCH_MODE=snapshot "$NODE" "$ICARC_SRCDIR/tests/replica/bench.mjs" "$URL" $CID 10 "$INFLIGHT" >cap.json 2>/dev/null &&
	"$PY" - "$bytes" "$INFLIGHT" <<'EOF'
import json, sys
cap = json.load(open("cap.json"))["MB_per_s"]
print("replica capacity (certified 2,000,000-byte reads, %s in flight, 0 ms): %.1f MB/s" % (sys.argv[2], cap))
for line in open("icarc.times"):
    lat, s = line.split()
    print("icarc pull at %s ms: %.0f%% of it" % (lat, 100 * int(sys.argv[1]) / float(s) / 1e6 / cap))
EOF
