#!/bin/sh
# Installs what sharkapi needs to build, run and test on Debian 12, when it is missing.
# Usage: scripts/install-deps.sh [--test|--bench]   (--test adds the test oracles and tools,
#        --bench those and wrk, for bench/run.sh)
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

packages="build-essential cmake pkg-config libglib2.0-dev libsoup-3.0-dev libjson-glib-dev
libsqlite3-dev libpq-dev libwireshark-dev libwiretap-dev libwsutil-dev curl jq"
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
	# tshark, sharkd, capinfos, mergecap and editcap (wireshark-common) are the oracles; python3
	# runs the HTTP test suites; node and chromium run the web UI's browser test (it installs
	# playwright-core from npm itself), node also the OpenAPI validator (its test installs it from
	# npm into the build dir); dpkg-dev, groff-base and systemd check the Debian package
	# (dpkg-shlibdeps, the man page, the unit); python3-cryptography encrypts the QUIC Initial
	# packets of test_ja4_hellos.py.
	packages="$packages tshark wireshark-common python3 python3-cryptography nodejs chromium dpkg-dev groff-base systemd"
	# Reliability suites: strace (no network), openssl (a TLS test certificate), clang and its
	# libFuzzer runtime (fuzz-short), wrk (bench/soak.sh).
	packages="$packages strace openssl clang libclang-rt-14-dev wrk"
	# The PostgreSQL store's suites start their own server (initdb and pg_ctl in a temporary
	# directory): the server package, with pg_trgm (contrib is part of it in Debian 12).
	packages="$packages postgresql"
	# A nodejs from elsewhere (NodeSource) brings its own npm and conflicts with Debian's.
	command -v npm >/dev/null 2>&1 || packages="$packages npm"
fi
if [ "${1:-}" = "--bench" ]; then
	# wrk loads the summary routes with 64 connections.
	packages="$packages wrk"
fi

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing:$missing" >&2
$SUDO apt-get update -qq
# wireshark-common asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
