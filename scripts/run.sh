#!/bin/sh
# Installs the dependencies, builds sharkapi, creates an API token and starts the server on
# the embedded default: data in ./sharkapi-data, SQLite, listening on 127.0.0.1:8080.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target sharkapi sharkapi-worker >/dev/null
token=$(./build/sharkapi token create --data-dir sharkapi-data --name "$(id -un)")
listen=${SHARKAPI_LISTEN:-127.0.0.1:8080}
cat <<MSG

sharkapi is starting on http://$listen/ (Ctrl-C stops it). Your API token:

  $token

Try it:
  curl -F file=@capture.pcap http://$listen/api/v1/$token/upload
  curl -H "Authorization: $token" http://$listen/api/v2/analysis/<id>/stats/hierarchy

MSG
exec ./build/sharkapi serve --data-dir sharkapi-data --listen "$listen"
