#!/bin/sh
# Installs the build and test dependencies, builds sharkapi and runs every test under ctest.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
# Entries run side by side; each declares the cores it keeps busy (tests/CMakeLists.txt), so three
# slots on a 2-core machine overlap one suite's waiting with another's work.
ctest --output-on-failure --timeout 1800 -j"${SHARKAPI_TEST_JOBS:-3}" "$@"
