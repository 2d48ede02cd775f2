#!/bin/sh
# bench/run.sh: the benchmark of sharkapi against tshark and sharkd (issue 7); see README.md.
# Usage: bench/run.sh [--frames N] [--capture FILE] [--work DIR] [--build DIR] [--results FILE]
#                     [--requests N] [--wrk-seconds S] [--workers N]
#   --frames N     size of the generated mixed capture (default 2000000); ignored with --capture
#   --capture FILE measure this capture instead of the generated one
#   --work DIR     where the generated capture is cached and the server's data dir lives
#                  (default ${XDG_CACHE_HOME:-$HOME/.cache}/sharkapi-bench); never in the tree
#   --build DIR    build dir (default ./build, configured and built here in Release mode)
#   --results FILE where the Markdown table goes (default bench/RESULTS.md)
# Installs what it needs (wrk, tshark, sharkd) with scripts/install-deps.sh --bench.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
frames=2000000
capture=""
work="${XDG_CACHE_HOME:-$HOME/.cache}/sharkapi-bench"
build="$root/build"
results="$here/RESULTS.md"
extra=""
while [ $# -gt 0 ]; do
	case "$1" in
	--frames) frames=$2; shift 2 ;;
	--capture) capture=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--requests|--wrk-seconds|--workers) extra="$extra $1 $2"; shift 2 ;;
	*) echo "unknown option: $1" >&2; exit 2 ;;
	esac
done

"$root/scripts/install-deps.sh" --bench
mkdir -p "$work"
if [ ! -x "$build/sharkapi" ] || [ ! -x "$build/sharkapi-worker" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 >/dev/null

if [ -z "$capture" ]; then
	capture="$work/mixed-$frames.pcap"
	# Cached: the same inputs give the same file, so it is built once per size.
	if [ ! -f "$capture" ]; then
		python3 "$here/make_capture.py" "$root/tests/captures" \
			"$capture" "$frames"
	fi
fi
# shellcheck disable=SC2086
exec python3 "$here/bench.py" --build "$build" --capture "$capture" --work "$work" \
	--results "$results" $extra
