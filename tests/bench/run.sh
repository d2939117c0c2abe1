#!/bin/sh
# run.sh - `make bench`: icarc pack / extract / verify against zstd | age, restic and borg, in one
# process tree and one run, on the same generated canister memory image.
#
# Each round runs every tool once, one after the other (interleaved), so that on a shared machine
# they share the noise; the table gives medians over the rounds and ratios icarc/peer.
# Environment:
#   BENCH_SIZE=256M   image size            BENCH_RUNS=5     rounds
#   BENCH_DIR=DIR     work directory (default: a fresh one under ${TMPDIR:-/tmp}, removed at the end)
#   BENCH_BIG=4G      a second, sparse image: peak RSS of icarc at that size (0: skip)
#   BENCH_PEERS="zstd restic borg"  which peers to run
#   BENCH_INSTALL=1   install missing peers with apt-get (root only; 0: skip those peers)
#   BENCH_PROFILE=1   also run callgrind on `icarc pack --workers 0` of a 64 MiB image
#   ICARC, BENCH_GEN, BENCH_PRIMS  the programs (make bench sets them)
set -u

SIZE=${BENCH_SIZE:-256M}
RUNS=${BENCH_RUNS:-5}
BIG=${BENCH_BIG:-4G}
PEERS=${BENCH_PEERS:-zstd restic borg}
ICARC=${ICARC:-./src/icarc}
GEN=${BENCH_GEN:-./tests/bench/gen}
PRIMS=${BENCH_PRIMS:-./tests/bench/prims}
TIME=/usr/bin/time

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# ---- peers: Debian packages, installed when missing -------------------------------------------
need_pkgs=
command -v "$TIME" >/dev/null 2>&1 || [ -x "$TIME" ] || need_pkgs="$need_pkgs time"
have() { command -v "$1" >/dev/null 2>&1; }
for p in $PEERS; do
	case $p in
	zstd) have zstd || need_pkgs="$need_pkgs zstd"; have age || need_pkgs="$need_pkgs age" ;;
	restic) have restic || need_pkgs="$need_pkgs restic" ;;
	borg) have borg || need_pkgs="$need_pkgs borgbackup" ;;
	esac
done
[ "${BENCH_PROFILE:-0}" = 1 ] && ! have valgrind && need_pkgs="$need_pkgs valgrind"
if [ -n "$need_pkgs" ]; then
	if [ "${BENCH_INSTALL:-1}" = 1 ] && [ "$(id -u)" = 0 ] && have apt-get; then
		say "bench: INSTALLING Debian packages for the peers:$need_pkgs (apt-get install; BENCH_INSTALL=0 to skip)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need_pkgs >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need_pkgs >&2; } ||
			say "bench: apt-get failed: peers that are missing are skipped"
	else
		say "bench: missing:$need_pkgs (not root, or BENCH_INSTALL=0): those peers are skipped"
	fi
fi
[ -x "$TIME" ] || die "/usr/bin/time is needed (Debian package 'time')"
PEERS_OK=
for p in $PEERS; do
	case $p in
	zstd) have zstd && have age && PEERS_OK="$PEERS_OK zstd" ;;
	restic) have restic && PEERS_OK="$PEERS_OK restic" ;;
	borg) have borg && PEERS_OK="$PEERS_OK borg" ;;
	esac
done
peer() { case " $PEERS_OK " in *" $1 "*) return 0 ;; esac; return 1; }

for prog in "$ICARC" "$GEN" "$PRIMS"; do [ -x "$prog" ] || die "$prog is not built (run make bench)"; done
# A libtool wrapper script costs a bash start per run (0.1 s on a loaded machine): run the
# program it wraps, as an installed icarc would run.
if head -c 2 "$ICARC" | grep -q '#!' && [ -x "$(dirname "$ICARC")/.libs/$(basename "$ICARC")" ]; then
	d=$(cd "$(dirname "$ICARC")" && pwd)
	ICARC=$d/.libs/$(basename "$ICARC")
	export LD_LIBRARY_PATH="$d/../format/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# ---- work directory ---------------------------------------------------------------------------
if [ -n "${BENCH_DIR:-}" ]; then
	W=$BENCH_DIR
	mkdir -p "$W" || exit 1
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/icarc-bench.XXXXXX") || exit 1
	trap 'rm -rf "$W"' EXIT INT TERM
fi
IMG=$W/image.bin
LOG=$W/runs.log
: >"$LOG"

say "bench: generating a $SIZE canister memory image"
"$GEN" "$IMG" "$SIZE" --seed 1 || die "generator failed"
BYTES=$(wc -c <"$IMG")
cat "$IMG" >/dev/null # in the page cache for everyone

rm -f "$W/id.key"
"$ICARC" keygen -o "$W/id.key" >"$W/recipient" || die "icarc keygen failed"
RECIP=$(cat "$W/recipient")
if peer zstd; then
	age-keygen -o "$W/age.key" 2>/dev/null || die "age-keygen failed"
	AGE_RECIP=$(sed -n 's/^# public key: //p' "$W/age.key")
fi
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$W/restic-cache"
export BORG_PASSPHRASE=bench BORG_BASE_DIR="$W/borg-base" BORG_RELOCATED_REPO_ACCESS_IS_OK=yes \
	BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes

# ---- measuring --------------------------------------------------------------------------------
# Every timed command starts with no dirty pages left by the one before (sync, untimed): the
# extracts write 256 MiB each, and writeback would otherwise throttle whoever runs next.
now() { date +%s.%N; }
settle() { sync; }
# stage FILE CMD...: run CMD under /usr/bin/time, its CPU seconds and peak RSS (KiB) into FILE
stage() { f=$1; shift; "$TIME" -f '%U %S %M' -o "$f" "$@"; }
# record OP TOOL START END OUTBYTES TIMEFILE...: a line of the log
record() {
	op=$1 tool=$2 t0=$3 t1=$4 out=$5
	shift 5
	cpu=0 rss=0
	for f in "$@"; do
		set -- $(tail -n 1 "$f")
		cpu=$(echo "$cpu $1 $2" | awk '{print $1 + $2 + $3}')
		rss=$((rss + $3)) # stages of a pipeline run at once: their peaks add up
	done
	wall=$(echo "$t1 $t0" | awk '{print $1 - $2}')
	echo "$op $tool $wall $cpu $rss $out" >>"$LOG"
}
fsize() { wc -c <"$1" | tr -d ' '; }
dsize() { du -sb "$1" | cut -f1; }
check_same() { cmp -s "$IMG" "$1" || die "$2: extracted bytes differ from the image"; }

# One function per (operation, tool); a round runs them all, in reverse order every other round so
# that no tool always runs right after the same one.
# icarc_pack OP INPUT ARCHIVE: one timed icarc pack, logged as OP
icarc_pack() {
	settle
	t0=$(now)
	stage "$W/t1" "$ICARC" pack -r "$RECIP" --level 3 "$2" >"$3" || die "icarc pack of $2 failed"
	t1=$(now)
	record "$1" icarc "$t0" "$t1" "$(fsize "$3")" "$W/t1"
}
pack_icarc() { icarc_pack pack "$IMG" "$W/a.icarc"; }
# The same image written out in full (no holes): what a snapshot downloaded by icp-cli looks like.
# icarc skips the holes of a sparse input without reading them; the peers read them as zeros.
pack_icarc_dense() {
	icarc_pack packdense "$W/dense.bin" "$W/d.icarc"
	rm -f "$W/d.icarc"
}
pack_zstd() {
	settle
	t0=$(now)
	stage "$W/t1" zstd -q -T2 -3 -c "$IMG" | stage "$W/t2" age -r "$AGE_RECIP" >"$W/a.zst.age" ||
		die "zstd | age failed"
	t1=$(now)
	record pack zstd+age "$t0" "$t1" "$(fsize "$W/a.zst.age")" "$W/t1" "$W/t2"
}
pack_restic() {
	rm -rf "$W/restic" "$W/restic-cache"
	restic init -q -r "$W/restic" >/dev/null || die "restic init failed"
	base=$(dsize "$W/restic")
	settle
	t0=$(now)
	stage "$W/t1" restic -q -r "$W/restic" backup "$IMG" >/dev/null || die "restic backup failed"
	t1=$(now)
	record pack restic "$t0" "$t1" "$(($(dsize "$W/restic") - base))" "$W/t1"
}
pack_borg() {
	rm -rf "$W/borg" "$W/borg-base"
	borg init -e repokey "$W/borg" 2>/dev/null || die "borg init failed"
	base=$(dsize "$W/borg")
	settle
	t0=$(now)
	stage "$W/t1" borg create -C zstd,3 "$W/borg::a" "$IMG" || die "borg create failed"
	t1=$(now)
	record pack borg "$t0" "$t1" "$(($(dsize "$W/borg") - base))" "$W/t1"
}
extract_icarc() {
	rm -f "$W/x.bin"
	settle
	t0=$(now)
	# to stdout, as the peers: -o FILE would add an fsync (durability, not speed)
	stage "$W/t1" "$ICARC" extract -i "$W/id.key" -o - "$W/a.icarc" >"$W/x.bin" || die "icarc extract failed"
	t1=$(now)
	record extract icarc "$t0" "$t1" "$BYTES" "$W/t1"
	[ "$r" = 1 ] && check_same "$W/x.bin" "icarc extract"
	rm -f "$W/x.bin"
}
extract_zstd() {
	rm -f "$W/x.bin"
	settle
	t0=$(now)
	stage "$W/t1" age -d -i "$W/age.key" "$W/a.zst.age" | stage "$W/t2" zstd -q -d >"$W/x.bin" ||
		die "age -d | zstd -d failed"
	t1=$(now)
	record extract zstd+age "$t0" "$t1" "$BYTES" "$W/t1" "$W/t2"
	[ "$r" = 1 ] && check_same "$W/x.bin" "age -d | zstd -d"
	rm -f "$W/x.bin"
}
extract_restic() {
	rm -rf "$W/rx"
	settle
	t0=$(now)
	stage "$W/t1" restic -q -r "$W/restic" restore latest --target "$W/rx" >/dev/null || die "restic restore failed"
	t1=$(now)
	record extract restic "$t0" "$t1" "$BYTES" "$W/t1"
	[ "$r" = 1 ] && check_same "$W/rx$IMG" "restic restore"
	rm -rf "$W/rx"
}
extract_borg() {
	rm -rf "$W/bx" && mkdir "$W/bx"
	settle
	t0=$(now)
	(cd "$W/bx" && stage "$W/t1" borg extract "$W/borg::a") || die "borg extract failed"
	t1=$(now)
	record extract borg "$t0" "$t1" "$BYTES" "$W/t1"
	[ "$r" = 1 ] && check_same "$W/bx$IMG" "borg extract"
	rm -rf "$W/bx"
}
verify_icarc() {
	settle
	t0=$(now)
	stage "$W/t1" "$ICARC" verify -i "$W/id.key" "$W/a.icarc" >/dev/null || die "icarc verify failed"
	t1=$(now)
	record verify icarc "$t0" "$t1" 0 "$W/t1"
}

round() {
	r=$1
	tools=icarc
	for p in zstd restic borg; do peer "$p" && tools="$tools $p"; done
	[ $((r % 2)) = 0 ] && tools=$(echo "$tools" | tr ' ' '\n' | sed -n '1!G;h;$p' | tr '\n' ' ')
	for t in $tools; do "pack_$t"; done
	pack_icarc_dense
	for t in $tools; do "extract_$t"; done
	verify_icarc
}

cp --sparse=never "$IMG" "$W/dense.bin" || die "cannot write a dense copy of the image"
say "bench: primitives on one core (best of 3, CPU time)"
"$PRIMS" "$IMG" 3 >"$W/prims" || die "prims failed"

i=1
while [ "$i" -le "$RUNS" ]; do
	say "bench: round $i of $RUNS ($(echo "$PEERS_OK" | sed 's/^ //'))"
	round "$i"
	i=$((i + 1))
done

# ---- big image: icarc's peak RSS does not grow with the input --------------------------------
if [ "$BIG" != 0 ]; then
	say "bench: $BIG image (sparse file), icarc pack / verify / extract -o - > /dev/null: peak RSS"
	"$GEN" "$W/big.bin" "$BIG" --seed 2 || die "generator failed"
	BIGB=$(wc -c <"$W/big.bin")
	settle
	t0=$(now)
	stage "$W/t1" "$ICARC" pack -r "$RECIP" "$W/big.bin" >"$W/big.icarc" || die "icarc pack (big) failed"
	t1=$(now)
	record bigpack icarc "$t0" "$t1" "$(fsize "$W/big.icarc")" "$W/t1"
	settle
	t0=$(now)
	stage "$W/t1" "$ICARC" verify -i "$W/id.key" "$W/big.icarc" >/dev/null || die "icarc verify (big) failed"
	t1=$(now)
	record bigverify icarc "$t0" "$t1" 0 "$W/t1"
	settle
	t0=$(now)
	stage "$W/t1" "$ICARC" extract -i "$W/id.key" -o - "$W/big.icarc" | cmp -s - "$W/big.bin" ||
		die "icarc extract (big) differs"
	t1=$(now)
	record bigextract icarc "$t0" "$t1" "$BIGB" "$W/t1"
	rm -f "$W/big.bin" "$W/big.icarc"
fi

if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	say "bench: callgrind, icarc pack --workers 0 of a 64 MiB image (instruction counts)"
	"$GEN" "$W/p.bin" 64M --seed 3 2>/dev/null
	valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out" "$ICARC" pack --workers 0 -r "$RECIP" \
		"$W/p.bin" >/dev/null 2>"$W/callgrind.log"
	callgrind_annotate "$W/callgrind.out" 2>/dev/null | sed -n '/PROGRAM TOTALS/,/^--.*Auto-annotated/p' | head -25
fi

# ---- report -----------------------------------------------------------------------------------
prim() { sed -n "s/^$1 //p" "$W/prims"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v op="$1" -v t="$2" -v c="$3" '$1 == op && $2 == t {print $c}' "$LOG"; }
mbs() { w=$(col "$1" "$2" 3 | median); echo "$BYTES $w" | awk '{ if ($2 > 0) printf "%.0f", $1 / 1e6 / $2; else print 0 }'; }
rssmax() { col "$1" "$2" 5 | sort -n | tail -n 1 | awk '{printf "%.1f", $1 / 1024}'; }
cpumed() { col "$1" "$2" 4 | median | awk '{printf "%.2f", $1}'; }
outmed() { col "$1" "$2" 6 | median | awk '{printf "%.2f", $1 / 1e6}'; }

echo
echo "icarc bench: $(date -u +%Y-%m-%dT%H:%MZ), $(uname -m), $(nproc) CPUs: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
vers="zstd $(zstd --version 2>/dev/null | sed -n 's/.* v\([0-9.]*\),.*/\1/p')"
peer zstd && vers="$vers, age $(age --version 2>/dev/null)"
peer restic && vers="$vers, $(restic version 2>/dev/null | cut -d' ' -f1-2)"
peer borg && vers="$vers, $(borg --version 2>/dev/null)"
echo "peers: $vers; icarc level 3, 1 MiB chunks, one recipient; restic compression auto; borg repokey, -C zstd,3"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: wall times carry others' load)"
echo "image: $BYTES bytes ($SIZE; $(prim zero_chunks) of $(prim chunks) 1 MiB chunks all zero), $RUNS rounds, medians"
echo
echo "primitives, one core (MB/s of the image per CPU-second):"
echo "  XXH3-128 $(prim xxh3_128)  zero check $(prim zero_check)  zstd-3 $(prim zstd3_all_chunks) (all chunks) / $(prim zstd3_nonzero_chunks) (non-zero)"
echo "  XChaCha20-Poly1305 seal $(prim xchacha20poly1305_seal_per_stored_byte) per stored byte  zstd -d $(prim zstd_decompress)"
L1=$(prim pack_one_core)
U1=$(prim unpack_one_core)
echo "  hash+zstd-3+AEAD: $L1 MB/s one core, so the two-core pack limit is $((2 * L1)) MB/s;" \
	"open+unzstd+hash: $U1 MB/s one core"
echo
printf '%-8s %-10s %8s %8s %9s %10s %11s %9s\n' op tool "MB/s" "CPU s" "RSS MiB" "out MB" "icarc/peer" "CPU ratio"
for op in pack extract verify; do
	ic=$(mbs "$op" icarc)
	icpu=$(cpumed "$op" icarc)
	for t in icarc zstd+age restic borg; do
		[ -n "$(col "$op" "$t" 3)" ] || continue
		m=$(mbs "$op" "$t")
		ratio=- cratio=-
		[ "$t" != icarc ] && ratio=$(echo "$ic $m" | awk '{ if ($2 > 0) printf "%.2fx", $1 / $2 }')
		# how many times less CPU time icarc spends than the peer for the same bytes
		[ "$t" != icarc ] && cratio=$(echo "$icpu $(cpumed "$op" "$t")" | awk '{ if ($1 > 0) printf "%.2fx", $2 / $1 }')
		out=$(outmed "$op" "$t")
		[ "$op" = pack ] || out=-
		name=$t
		[ "$t" = zstd+age ] && { [ "$op" = pack ] && name="zstd|age" || name="age|zstd"; }
		printf '%-8s %-10s %8s %8s %9s %10s %11s %9s\n' "$op" "$name" "$m" "$(cpumed "$op" "$t")" "$(rssmax "$op" "$t")" "$out" "$ratio" "$cratio"
	done
done
printf '%-8s %-10s %8s %8s %9s %10s %11s %9s\n' pack "icarc*" "$(mbs packdense icarc)" "$(cpumed packdense icarc)" \
	"$(rssmax packdense icarc)" "$(outmed packdense icarc)" \
	"$(peer zstd && echo "$(mbs packdense icarc) $(mbs pack zstd+age)" | awk '{ if ($2 > 0) printf "%.2fx", $1 / $2 }')" \
	"$(peer zstd && echo "$(cpumed packdense icarc) $(cpumed pack zstd+age)" | awk '{ if ($1 > 0) printf "%.2fx", $2 / $1 }')"
echo "  (icarc*: the same image as a dense file, every zero byte written out; the peers' rows are the same either way)"
if [ "$BIG" != 0 ]; then
	for op in bigpack bigverify bigextract; do
		printf '%-8s %-10s %8s %8s %9s %10s\n' "$BIG" "icarc ${op#big}" \
			"$(col "$op" icarc 3 | awk -v b="$BIGB" '{printf "%.0f", b / 1e6 / $1}')" "$(cpumed "$op" icarc)" \
			"$(rssmax "$op" icarc)" "$([ $op = bigpack ] && outmed "$op" icarc || echo -)"
	done
fi

# goals (issue 3)
echo
goal() { printf '  %-58s %s\n' "$1" "$2"; }
ic=$(mbs pack icarc)
ge() { echo "$1 $2" | awk '{ exit !($1 >= $2) }' && echo met || echo "NOT met"; }
if peer zstd; then
	z=$(mbs pack zstd+age)
	goal "pack >= 1.2x zstd -T2 -3 | age ($ic vs $z MB/s)" "$(ge "$ic" "$(echo "$z" | awk '{print 1.2 * $1}')")"
	zs=$(zstd -q -3 -c "$IMG" | wc -c)
	is=$(col pack icarc 6 | median)
	goal "output <= zstd -3 + 1% ($is vs $zs bytes)" "$(ge "$(echo "$zs" | awk '{print 1.01 * $1}')" "$is")"
	zx=$(mbs extract zstd+age)
	goal "extract >= 1.5x age -d | zstd -d ($(mbs extract icarc) vs $zx MB/s)" "$(ge "$(mbs extract icarc)" "$(echo "$zx" | awk '{print 1.5 * $1}')")"
	goal "verify >= 1.5x age -d | zstd -d ($(mbs verify icarc) vs $zx MB/s)" "$(ge "$(mbs verify icarc)" "$(echo "$zx" | awk '{print 1.5 * $1}')")"
fi
for p in restic borg; do
	peer "$p" || continue
	m=$(mbs pack "$p")
	goal "pack >= 3x $p ($ic vs $m MB/s)" "$(ge "$ic" "$(echo "$m" | awk '{print 3 * $1}')")"
done
goal "pack >= 85% of the two-core limit ($ic vs $((2 * L1)) MB/s)" "$(ge "$ic" "$(echo "$L1" | awk '{print 1.7 * $1}')")"
icd=$(mbs packdense icarc)
goal "  same, dense input ($icd vs $((2 * L1)) MB/s)" "$(ge "$icd" "$(echo "$L1" | awk '{print 1.7 * $1}')")"
cpu=$(cpumed pack icarc)
goal "  same, per CPU-second ($(echo "$BYTES $cpu" | awk '{printf "%.0f", $1 / 1e6 / $2}') vs $L1 MB/s one core)" \
	"$(ge "$(echo "$BYTES $cpu" | awk '{print $1 / 1e6 / $2}')" "$(echo "$L1" | awk '{print 0.85 * $1}')")"
rss=$(awk '$2 == "icarc" {print $5}' "$LOG" | sort -n | tail -n 1)
goal "peak RSS < 64 MiB at every size ($(echo "$rss" | awk '{printf "%.1f", $1 / 1024}') MiB)" "$( [ "$rss" -lt 65536 ] && echo met || echo "NOT met")"
echo
echo "raw runs (op tool wall_s cpu_s rss_kib out_bytes): $LOG"
[ -n "${BENCH_DIR:-}" ] || sed 's/^/  /' "$LOG"
