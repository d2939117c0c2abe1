# lib.sh - shared by the CLI tests: a scratch directory, assertions, and $ICARC.
set -u
: "${ICARC:?ICARC must point to the built icarc}"
: "${ICARC_SRCDIR:?}"
PY=${PYTHON3:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/icarc-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
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
	if [ "$got" = "$want" ]; then ok "$what (exit $got)"; else not_ok "$what: exit $got, want $want"; sed 's/^/#   /' err.txt | head -5; fi
}
# grep_err PATTERN DESCRIPTION: the last command's stderr matches
grep_err() { if grep -qE "$1" err.txt; then ok "$2"; else not_ok "$2: stderr was: $(head -c 300 err.txt)"; fi; }
grep_out() { if grep -qE "$1" out.txt; then ok "$2"; else not_ok "$2: stdout was: $(head -c 300 out.txt)"; fi; }
same() { if cmp -s "$1" "$2"; then ok "$3"; else not_ok "$3: $1 and $2 differ"; fi; }
done_testing() { echo "1..$n"; [ "$fails" = 0 ] || exit 1; exit 0; }
