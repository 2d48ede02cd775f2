#!/bin/sh
# soak.sh [SECONDS] [BUILD_DIR]: mixed load against a fresh server (benchmark, not a test).
# wrk (8 connections) reads every route of a few stored captures while two loops upload captures
# (PUT and multipart POST) for SECONDS (default 600). Reports the answers by class (5xx must be 0),
# socket errors by kind (an answer slower than 10 s counts as a timeout)
# and the RSS of the server and of every worker at start and at end. Loopback only.
# Each curl upload is its own connection, closed by curl while idle when it exits (the case
# libsoup 3.2.3 leaked; README, Safety); SOAK_UPLOAD_CLOSE=1 makes the uploads say
# "Connection: close" instead, so the server ends them. Beside them bench/soak-attacks.py sends
# the hostile requests of tests/test_hostile_requests.py in a loop (SOAK_NO_ATTACKS=1 leaves
# them out) and reports how each kind was answered.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu
seconds=${1:-600}
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../build}
captures=$here/../tests/captures
command -v wrk >/dev/null || { echo "soak: wrk is missing (scripts/install-deps.sh --test)"; exit 1; }

work=$(mktemp -d /tmp/sharkapi-soak-XXXXXX)
# SOAK_WRAPPER runs the server under a tool, e.g. "valgrind --error-exitcode=99 --log-file=/tmp/vg.%p".
${SOAK_WRAPPER:-} "$build/sharkapi" serve --listen 127.0.0.1:0 --data-dir "$work/data" --workers 2 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ -n "${SOAK_KEEP:-}" ] || rm -rf "$work"' EXIT
while ! grep -q "listening on" "$work/server.log"; do sleep 0.2; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\) .*/\1/p' "$work/server.log" | sed 's:/$::')
token=$("$build/sharkapi" token create --data-dir "$work/data")

ids=""
for f in sv-dns-udp-a-aaaa-mx.pcap sv-tls-cert-issuer.pcap zeek-http-pipelined-requests.pcap \
	zeek-pcapng-multi-interface.pcapng sv-http-aptget.pcap; do
	id=$(curl -sf -T "$captures/$f" "$url/api/v1/$token/upload" | jq -r .id)
	ids="$ids${ids:+,}$id"
done
for id in $(echo "$ids" | tr , ' '); do
	until curl -sf -H "Authorization: $token" "$url/api/v2/analysis/$id/status" | jq -e '.data.analysis.state == "ready"' >/dev/null; do
		sleep 0.2
	done
done

rss() {
	printf '%s RSS KiB: server %s' "$1" "$(ps -o rss= -p $server | tr -d ' ')"
	for w in $(pgrep -P $server); do printf ', worker %s %s' "$w" "$(ps -o rss= -p "$w" | tr -d ' ')"; done
	echo
}
rss start

close_header=""
[ -z "${SOAK_UPLOAD_CLOSE:-}" ] || close_header="Connection: close"
uploads() {
	end=$(( $(date +%s) + seconds ))
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		for f in zeek-dhcp.pcap sv-dns-tcp-www-google-com.pcap tcpdump-dnssec.pcap; do
			if [ $((n % 2)) -eq 0 ]; then
				code=$(curl -s -o /dev/null -w '%{http_code}' -H "$close_header" -T "$captures/$f" "$url/api/v1/$token/upload")
			else
				code=$(curl -s -o /dev/null -w '%{http_code}' -H "$close_header" -F "file=@$captures/$f" "$url/api/v1/$token/upload")
			fi
			echo "$code" >>"$work/uploads.$1"
			n=$((n + 1))
		done
	done
}
uploads a &
ua=$!
uploads b &
ub=$!
attacks=""
if [ -z "${SOAK_NO_ATTACKS:-}" ]; then
	python3 "$here/soak-attacks.py" "$url" "$token" "${ids%%,*}" "$seconds" >"$work/attacks.out" 2>&1 &
	attacks=$!
fi
SOAK_TOKEN=$token SOAK_IDS=$ids wrk -t 2 -c 8 -d "${seconds}s" --timeout 10s -s "$here/soak.lua" "$url" | grep -E "^wrk:|Requests/sec"
wait $ua $ub $attacks
[ -z "$attacks" ] || cat "$work/attacks.out"
cat "$work"/uploads.* | sort | uniq -c | awk '{printf "uploads: %s answered %s\n", $1, $2}'
echo "uploads with 5xx: $(cat "$work"/uploads.* | grep -c '^5' || true)"
rss end
echo "server log warnings: $(grep -c -i -E 'warning|critical' "$work/server.log" || true)"
kill -0 $server 2>/dev/null && echo "server: running" || echo "server: DIED"
