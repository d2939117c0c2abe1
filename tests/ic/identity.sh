#!/bin/sh
# identity.sh - `icarc identity principal` prints what icp-cli prints for each PEM file of
# tests/ic/pem/expected.txt; refuses encrypted and unsupported keys with the right exit code.
srcdir=${ICARC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
icarc=${ICARC:-./src/icarc}
pem="$srcdir/tests/ic/pem"
fail=0
n=0
while read -r file want; do
	case "$file" in ''|'#'*) continue ;; esac
	n=$((n + 1))
	got=$("$icarc" identity principal --identity "$pem/$file") || { echo "FAIL: $file: exit $?"; fail=1; continue; }
	if [ "$got" = "$want" ]; then echo "ok: $file $got"; else echo "FAIL: $file: got $got, want $want"; fail=1; fi
done < "$pem/expected.txt"
[ "$n" -ge 8 ] || { echo "FAIL: only $n files"; fail=1; }
got=$("$icarc" identity principal --anonymous)
[ "$got" = "2vxsx-fae" ] && echo "ok: anonymous" || { echo "FAIL: anonymous: $got"; fail=1; }
msg=$("$icarc" identity principal --identity "$pem/encrypted_pkcs8.pem" 2>&1 >/dev/null); rc=$?
case "$rc:$msg" in 5:*encrypted*export*) echo "ok: encrypted refused: $msg" ;; *) echo "FAIL: encrypted: $rc $msg"; fail=1 ;; esac
"$icarc" identity principal --identity /nonexistent.pem >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && echo "ok: missing file: exit 3" || { echo "FAIL: missing file: exit $rc"; fail=1; }
"$icarc" identity principal >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && echo "ok: usage: exit 2" || { echo "FAIL: usage: exit $rc"; fail=1; }
"$icarc" identity --help | grep -q 'icarc identity principal' && echo "ok: --help" || { echo "FAIL: --help"; fail=1; }
exit $fail
