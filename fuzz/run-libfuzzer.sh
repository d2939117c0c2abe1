#!/bin/sh
# run-libfuzzer.sh [SECONDS [FUZZER...]] - build every fuzz/*_fuzzer with clang and libFuzzer
# (ASan + UBSan) in build-fuzz/ and run each for SECONDS (default 60). `./dev fuzz [SECONDS]`
# calls this from the top directory.
#
# New corpus entries go to build-fuzz/corpus/NAME (the seeds in fuzz/NAME.in are read, never
# written); crashes, leaks and timeouts go to build-fuzz/crashes/NAME/. To keep a crash as a
# regression test, copy it into fuzz/NAME.repro/ once fixed: `make check` replays it.
# BUILD_FUZZ=DIR builds elsewhere; JOBS=N for make; FUZZ_ARGS adds libFuzzer flags.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${BUILD_FUZZ:-$top/build-fuzz}
jobs=${JOBS:-2}

command -v clang >/dev/null 2>&1 || { echo "run-libfuzzer: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 77; }
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
mkdir -p "$build"
if [ ! -f "$build/Makefile" ] || [ "$build/config.status" -ot "$top/configure" ]; then
	(cd "$build" && "$top/configure" -q --disable-shared --enable-fuzzers \
		CC=clang CXX=clang++ \
		CFLAGS="-O1 -g -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" \
		CXXFLAGS="-O1 -g -fsanitize=address,undefined,fuzzer-no-link" \
		LIB_FUZZING_ENGINE=-fsanitize=fuzzer)
fi
if [ $# -gt 0 ]; then
	fuzzers=""
	for f in "$@"; do fuzzers="$fuzzers fuzz/${f%_fuzzer}_fuzzer"; done
else
	fuzzers=$(cd "$top" && ls fuzz/*_fuzzer.c | sed 's/\.c$//')
fi
# -k: a harness that does not build is reported below, the others still run
make -C "$build" -j"$jobs" -s -k $fuzzers || true

status=0
for f in $fuzzers; do
	name=$(basename "$f")
	if [ ! -x "$build/$f" ]; then
		echo "== $name: DID NOT BUILD"
		status=1
		continue
	fi
	corpus="$build/corpus/$name" crashes="$build/crashes/$name"
	mkdir -p "$corpus" "$crashes"
	opts=""
	[ -f "$top/fuzz/$name.options" ] && opts=$(sed -n 's/^\([a-z_]*\) *= *\(.*\)$/-\1=\2/p' "$top/fuzz/$name.options" | tr '\n' ' ')
	dict=""
	[ -f "$top/fuzz/$name.dict" ] && dict="-dict=$top/fuzz/$name.dict"
	echo "== $name: $seconds s"
	# shellcheck disable=SC2086
	if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$build/$f" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
		-artifact_prefix="$crashes/" $opts $dict ${FUZZ_ARGS:-} "$corpus" "$top/fuzz/$name.in" \
		>"$build/$name.log" 2>&1; then
		echo "   FAILED: see $build/$name.log and $crashes/"
		status=1
	fi
	grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov: ' "$build/$name.log" | tail -3 | sed 's/^/   /'
done
exit $status
