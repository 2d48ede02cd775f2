#!/bin/sh
# Builds sharkapi with AddressSanitizer and UBSan (build-sanitize/) and runs every test under
# ctest with it. Servers and workers write any report to build-sanitize/sanitizer-reports/
# instead of stderr (a worker's report would otherwise only show as a retried job), and the run
# fails if a report was written. Leak checking is on for the server and the tests' own C
# programs; sanitizers/lsan.supp lists the one-time allocations of GLib and libwireshark. To see
# full stacks of a leak through libraries built without frame pointers, add
# fast_unwind_on_malloc=0 to ASAN_OPTIONS (much slower: the workers allocate a lot).
# Takes about twice as long as scripts/test.sh. Extra arguments go to ctest (-R, -E ...).
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DSHARKAPI_SANITIZE=ON >/dev/null
cmake --build build-sanitize -j"$(nproc)"
reports=$PWD/build-sanitize/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$PWD/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
status=0
(cd build-sanitize && ctest --output-on-failure --timeout 3600 "$@") || status=$?
if [ -n "$(ls -A "$reports")" ]; then
	echo "sanitizer reports in $reports:"
	for f in "$reports"/*; do
		echo "== $f"
		head -40 "$f"
	done
	exit 1
fi
echo "sanitizers: no report"
exit $status
