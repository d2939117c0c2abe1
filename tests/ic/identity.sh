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
# libcurl is loaded by the first exchange (src/ic/curl_lazy.h): the offline commands do not link it,
# and a missing or wrong one is a clear error of the network command, not a failure to start
if command -v ldd >/dev/null && [ -x "$(dirname "$icarc")/.libs/$(basename "$icarc")" ]; then real=$(dirname "$icarc")/.libs/$(basename "$icarc"); else real=$icarc; fi
if ldd "$real" 2>/dev/null | grep -q libcurl; then echo "FAIL: icarc links libcurl at start"; fail=1; else echo "ok: libcurl not loaded at start"; fi
msg=$(ICARC_LIBCURL=/nonexistent/libcurl.so.4 "$icarc" pull ryjl3-tyaaa-aaaaa-aaaba-cai --stable-memory --network http://127.0.0.1:9 --root-key mainnet --no-encrypt -o "${TMPDIR:-/tmp}/icarc-nocurl.$$" 2>&1); rc=$?
case "$rc:$msg" in 6:*libcurl*nonexistent*) echo "ok: libcurl missing: exit 6: $msg" ;; *) echo "FAIL: libcurl missing: $rc $msg"; fail=1 ;; esac
msg=$(ICARC_LIBCURL=libc.so.6 "$icarc" pull ryjl3-tyaaa-aaaaa-aaaba-cai --stable-memory --network http://127.0.0.1:9 --root-key mainnet --no-encrypt -o "${TMPDIR:-/tmp}/icarc-nocurl.$$" 2>&1); rc=$?
case "$rc:$msg" in 6:*"has no curl_global_init"*) echo "ok: not a libcurl: exit 6: $msg" ;; *) echo "FAIL: not a libcurl: $rc $msg"; fail=1 ;; esac
exit $fail
