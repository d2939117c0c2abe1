#!/bin/bash -eu
# fuzz/oss-fuzz/run_tests.sh - OSS-Fuzz's offline test run (Chronos): the fuzz targets replay their
# seeds and reproducers through fuzz/standalone_main.c in an ordinary build. Builds out of tree
# ($WORK/check), so the git tree stays unchanged.
TOP=${ICARC_SRC:-$SRC/icarc}
mkdir -p "$WORK/check"
cd "$WORK/check"
PKG_CONFIG_PATH="$WORK/deps/lib/pkgconfig" "$TOP/configure" -q --disable-shared --without-libcurl \
	PKG_CONFIG="pkg-config --static"
make -j"$(nproc)" check TESTS="$(cd "$TOP" && ls fuzz/*_fuzzer.c | sed 's/\.c$//' | tr '\n' ' ')"
