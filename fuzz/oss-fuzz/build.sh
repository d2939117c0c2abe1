#!/bin/bash -eu
# fuzz/oss-fuzz/build.sh - build icarc's fuzz targets for OSS-Fuzz (projects/icarc/build.sh is a
# copy of this file, or the line `exec $SRC/icarc/fuzz/oss-fuzz/build.sh`).
# Environment (OSS-Fuzz): CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE SRC OUT WORK [SANITIZER].
#  1. the dependencies (zstd, libsodium, xxHash, msgpack-c, secp256k1) are built from the clones
#     in $SRC as static libraries with $CC $CFLAGS into $WORK/deps, so MSan builds are fully
#     instrumented;
#  2. icarc is configured with --enable-fuzzers (the harnesses link $LIB_FUZZING_ENGINE, by $CXX)
#     and --without-libcurl (no network code in fuzz targets), and `make fuzzers` builds them all;
#  3. each fuzz/NAME_fuzzer goes to $OUT with NAME_fuzzer_seed_corpus.zip (fuzz/NAME_fuzzer.in and
#     .repro), and NAME_fuzzer.dict / .options when present.
TOP=${ICARC_SRC:-$SRC/icarc}
DEPS=$WORK/deps
JOBS=$(nproc)
mkdir -p "$DEPS"
export PKG_CONFIG_PATH="$DEPS/lib/pkgconfig"
ASM=""
[ "${SANITIZER:-}" = memory ] && ASM="--disable-asm" # MSan cannot see into assembly

if [ ! -f "$DEPS/.built" ]; then
	make -C "$SRC/zstd/lib" -j"$JOBS" PREFIX="$DEPS" ZSTD_LEGACY_SUPPORT=0 install-static install-pc install-includes
	(cd "$SRC/libsodium" && { [ -x configure ] || ./autogen.sh -s; } &&
		./configure --prefix="$DEPS" --disable-shared --enable-static $ASM &&
		make -j"$JOBS" install)
	make -C "$SRC/xxHash" -j"$JOBS" PREFIX="$DEPS" libxxhash.a libxxhash.pc
	install -d "$DEPS/include" "$DEPS/lib/pkgconfig"
	install -m 644 "$SRC/xxHash/xxhash.h" "$SRC/xxHash/xxh3.h" "$DEPS/include/"
	install -m 644 "$SRC/xxHash/libxxhash.a" "$DEPS/lib/"
	install -m 644 "$SRC/xxHash/libxxhash.pc" "$DEPS/lib/pkgconfig/"
	sed -i "s|^prefix=.*|prefix=$DEPS|" "$DEPS/lib/pkgconfig/libxxhash.pc"
	cmake -S "$SRC/msgpack-c" -B "$WORK/msgpack-build" -DCMAKE_INSTALL_PREFIX="$DEPS" -DBUILD_SHARED_LIBS=OFF \
		-DMSGPACK_BUILD_TESTS=OFF -DMSGPACK_BUILD_EXAMPLES=OFF -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS"
	cmake --build "$WORK/msgpack-build" -j "$JOBS" --target install
	(cd "$SRC/secp256k1" && ./autogen.sh &&
		./configure --prefix="$DEPS" --disable-shared --enable-static --disable-tests --disable-benchmark \
			--disable-exhaustive-tests &&
		make -j"$JOBS" install)
	rm -f "$DEPS"/lib/*.so* # link statically, whatever a dependency installed
	touch "$DEPS/.built"
fi

cd "$TOP"
./autogen.sh
./configure --disable-shared --enable-static --without-libcurl --enable-fuzzers \
	LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" PKG_CONFIG="pkg-config --static"
make -j"$JOBS" fuzzers

for f in fuzz/*_fuzzer; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=$(basename "$f")
	cp "$f" "$OUT/"
	rm -f "$OUT/${name}_seed_corpus.zip"
	seeds=$(ls -d "fuzz/$name.in"/* "fuzz/$name.repro"/* 2>/dev/null || true)
	# shellcheck disable=SC2086
	[ -z "$seeds" ] || zip -q -j "$OUT/${name}_seed_corpus.zip" $seeds
	for ext in dict options; do
		[ -f "fuzz/$name.$ext" ] && cp "fuzz/$name.$ext" "$OUT/"
	done
done
