#!/bin/sh
# The archive commands end to end: pack / verify / extract / info / keygen, exit codes, messages.
. "$ICARC_SRCDIR/tests/cli/lib.sh"

"$PY" "$ICARC_SRCDIR/tests/data/gen_memory.py" mem.bin 6M --seed 3 || exit 99
head -c 1000 /dev/urandom > small.bin
printf 'correct horse battery staple\n' > pass.txt
R1=$("$ICARC" keygen -o id1) && R2=$("$ICARC" keygen -o id2) && "$ICARC" keygen -o other >/dev/null || exit 99

for c in pack extract verify info keygen; do expect 0 "$c --help" -- "$ICARC" $c --help; done
expect 2 "unknown command" -- "$ICARC" frobnicate
expect 2 "unknown option" -- "$ICARC" pack --frobnicate x
[ "$(stat -c %a id1)" = 600 ] && ok "identity file is mode 0600" || not_ok "identity mode $(stat -c %a id1)"
expect 3 "keygen never overwrites" -- "$ICARC" keygen -o id1
grep_err "never overwritten" "and says so"
expect 0 "keygen -y prints the recipient" -- "$ICARC" keygen -y id1
[ "$(cat out.txt)" = "$R1" ] && ok "same recipient" || not_ok "keygen -y printed $(cat out.txt), keygen said $R1"

expect 0 "pack to two recipients and a passphrase" -- "$ICARC" pack -r "$R1" -r "$R2" --passphrase-file pass.txt --chunk-size 64K -o enc.icarc mem.bin
[ ! -e enc.icarc.part ] && ok "no .part left behind" || not_ok ".part left"
expect 0 "pack unencrypted" -- "$ICARC" pack --no-encrypt --level 9 -o plain.icarc mem.bin
expect 2 "pack without a key and without a terminal refuses" -- "$ICARC" pack -o x.icarc mem.bin
grep_err "passphrase" "and asks for a passphrase file"
expect 2 "a mistyped recipient is refused" -- "$ICARC" pack -r "$(echo "$R1" | tr a b)" -o x.icarc mem.bin
[ ! -e x.icarc ] && [ ! -e x.icarc.part ] && ok "nothing written on error" || not_ok "output left after error"

for k in "-i id1" "-i id2" "--passphrase-file pass.txt" "-i other -i id2"; do
	expect 0 "verify with $k" -- "$ICARC" verify $k enc.icarc
	expect 0 "extract with $k" -- "$ICARC" extract $k -o out.bin enc.icarc
	same out.bin mem.bin "extract with $k gives the input back"
done
blocks=$(du -k out.bin | cut -f1); kib=$(( $(stat -c %s out.bin) / 1024 ))
[ "$blocks" -lt $((kib / 2)) ] && ok "extract writes zero pages as holes ($blocks of $kib KiB allocated)" \
	|| not_ok "extract output not sparse: $blocks of $kib KiB allocated"
# standard output: holes into a fresh regular file (`> FILE`), every byte into an appended one or a pipe
"$ICARC" extract -i id1 enc.icarc > stdout.bin && same stdout.bin mem.bin "extract > FILE gives the input back"
blocks=$(du -k stdout.bin | cut -f1)
[ "$blocks" -lt $((kib / 2)) ] && ok "extract > FILE writes holes too ($blocks of $kib KiB allocated)" \
	|| not_ok "extract > FILE not sparse: $blocks of $kib KiB allocated"
printf 'head\n' > appended.bin; { printf 'head\n'; cat mem.bin; } > want.bin
"$ICARC" extract -i id1 enc.icarc >> appended.bin && same appended.bin want.bin "extract >> FILE appends every byte"
{ printf 'head\n'; "$ICARC" extract -i id1 enc.icarc; printf 'tail\n'; } > shared.bin
{ printf 'head\n'; cat mem.bin; printf 'tail\n'; } > want.bin
same shared.bin want.bin "extract into a shared standard output, after and before other writers"
expect 0 "pack a /proc file (regular, size 0: read to its end)" -- "$ICARC" pack --no-encrypt -o proc.icarc /proc/self/status
"$ICARC" extract -o proc.txt proc.icarc && grep -q '^Name:' proc.txt && ok "and its bytes are there" || not_ok "a /proc file packed empty"
expect 0 "pack to a recipient only" -- "$ICARC" pack -r "$R1" -o recip.icarc small.bin
expect 5 "extract of a recipients-only archive without -i: no key, no passphrase prompt" -- "$ICARC" extract -o x.bin recip.icarc
grep_err "give an identity" "and says an identity is needed"
expect 5 "the same from a pipe" -- sh -c "cat recip.icarc | '$ICARC' extract - > /dev/null"
expect 5 "verify with a wrong identity" -- "$ICARC" verify -i other enc.icarc
grep_out "none of the 1 identity opens" "names why"
expect 5 "extract with a wrong identity" -- "$ICARC" extract -i other -o wrong.bin enc.icarc
[ ! -e wrong.bin ] && [ ! -e wrong.bin.part ] && ok "no plaintext written" || not_ok "plaintext written with a wrong key"
expect 0 "verify --no-key checks structure" -- "$ICARC" verify --no-key enc.icarc
grep_out "structure and checksums only" "and says what it checked"

cat enc.icarc | "$ICARC" extract -i id1 - > pipe.bin; [ $? = 0 ] && ok "extract from a pipe" || not_ok "extract from a pipe"
same pipe.bin mem.bin "extract from a pipe equals extract from a file"
expect 0 "verify from a pipe" -- sh -c "cat plain.icarc | '$ICARC' verify -"
expect 0 "extract a range from a file" -- "$ICARC" extract -i id2 --range 100000:300000 -o range.bin enc.icarc
dd if=mem.bin of=ref.bin bs=1 skip=100000 count=200000 2>/dev/null
same range.bin ref.bin "range bytes are right"
expect 0 "info --json" -- "$ICARC" info --json -i id1 enc.icarc
"$PY" -c "import json,sys; d=json.load(open('out.txt')); e=d['entries'][0]; sys.exit(0 if d['encrypted'] and e['name']=='mem.bin' and e['size']==$(stat -c %s mem.bin) and e['chunks']==96 and d['chunk_size']==65536 else 1)" \
	&& ok "info --json describes the archive" || not_ok "info --json: $(head -c 300 out.txt)"

# damage: a flipped byte inside a chunk is named; a cut archive is truncated
cp enc.icarc bad.icarc
"$PY" - <<'PYEOF'
f = open("bad.icarc", "r+b"); f.seek(300000); b = f.read(1); f.seek(300000); f.write(bytes([b[0] ^ 0x20])); f.close()
PYEOF
expect 4 "verify finds a flipped byte" -- "$ICARC" verify -i id1 bad.icarc
grep_out "^BAD   entry mem.bin bytes [0-9]+\.\.[0-9]+" "and names the chunk's entry and byte range"
expect 0 "verify --json" -- "$ICARC" verify --json -i id1 enc.icarc
expect 4 "verify --json on damage" -- "$ICARC" verify --json -i id1 bad.icarc
"$PY" -c "import json; d=json.load(open('out.txt')); assert not d['ok'] and len(d['bad_chunks'])==1 and d['bad_chunks'][0]['entry']=='mem.bin'" \
	&& ok "verify --json lists the bad chunk" || not_ok "verify --json: $(head -c 300 out.txt)"
expect 4 "extract refuses a damaged archive" -- "$ICARC" extract -i id1 -o dmg.bin bad.icarc
[ ! -e dmg.bin ] && [ ! -e dmg.bin.part ] && ok "and leaves no output" || not_ok "output left from a damaged archive"
cut=$(( $(stat -c %s enc.icarc) / 2 ))
head -c $cut enc.icarc > cut.icarc
expect 4 "verify of a cut archive" -- "$ICARC" verify -i id1 cut.icarc
grep_out "cut at offset $cut" "names the offset of the cut"
expect 4 "extract --salvage of a cut archive" -- "$ICARC" extract --salvage -i id1 -o salv.bin cut.icarc
s=$(stat -c %s salv.bin 2>/dev/null || echo 0)
cmp -n "$s" salv.bin mem.bin >/dev/null 2>&1
[ $? = 0 ] && [ "$s" -gt 100000 ] && ok "salvage gives a correct prefix ($s bytes)" || not_ok "salvage prefix wrong ($s bytes)"
expect 4 "random access refuses a cut archive" -- "$ICARC" extract -i id1 --range 0:10 -o r.bin cut.icarc
expect 4 "not an archive" -- "$ICARC" verify small.bin
grep_err "not an icarc archive" "says it is not an archive"

# several entries: from a directory
"$ICARC" pack --no-encrypt --entry wasm_memory -o one.icarc small.bin >/dev/null 2>&1
mkdir outdir
expect 0 "extract all entries into a directory" -- "$ICARC" extract -o outdir one.icarc
same outdir/wasm_memory small.bin "entry file written under its name"
done_testing
