#!/bin/sh
# run-fuzzers.sh SOURCE_DIR BUILD_DIR SECONDS [TARGET...]: builds fuzz/ with clang (ASan +
# libFuzzer) in BUILD_DIR and runs each target for SECONDS on a copy of its seed corpus.
# Exits 77 (ctest: skipped) when clang or its libFuzzer runtime is missing; non-zero when a
# target finds a crash, leak or trap (the reproducer is left in BUILD_DIR/findings/).
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu
src=$1
build=$2
seconds=$3
shift 3
targets=${*:-query fields multipart search}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! command -v clang >/dev/null 2>&1 || ! clang -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" 2>/dev/null; then
	echo "SKIP: clang with the libFuzzer runtime is not installed (Debian: clang libclang-rt-14-dev)"
	exit 77
fi

CC=clang cmake -S "$src" -B "$build" -DSHARKAPI_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in $targets; do
	cmake --build "$build" -j2 --target "fuzz-$t" >/dev/null
done

mkdir -p "$build/findings"
status=0
for t in $targets; do
	corpus="$build/corpus/$t"
	mkdir -p "$corpus"
	cp "$src/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
	# detect_leaks: a leak in a parser is a finding too.
	if ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$build/findings/$t-" -print_final_stats=1 "$corpus" \
		>"$build/fuzz-$t.log" 2>&1; then
		echo "fuzz-$t: $(grep -E 'stat::number_of_executed_units' "$build/fuzz-$t.log" | awk '{print $2}') executions, no finding"
	else
		echo "fuzz-$t: FINDING, see $build/fuzz-$t.log and $build/findings/"
		tail -40 "$build/fuzz-$t.log"
		status=1
	fi
done
exit $status
