"""test_cli_analyze.py: `sharkapi analyze FILE ROUTE` prints what the server answers.

For several captures and routes (summary statistics with and without filter and passes, DNS,
fields as JSON and NDJSON, errors), the CLI's stdout is compared byte for byte with the body a
real server returns for the same capture and parameters; info is compared key by key except the
keys that name the upload itself (id, times of the upload, user). A capture libwiretap refuses
gets the upload route's 415 answer. With stderr on a terminal (a pty), a progress bar appears
there; with stderr on a pipe, stderr stays empty.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import pty
import subprocess

from harness import BAD_DIR, BUILD_DIR, CAPTURES_DIR, Server, check, run

SHARKAPI = os.path.join(BUILD_DIR, "sharkapi")
CAPTURES = [os.path.join(CAPTURES_DIR, name) for name in
            ("sv-dns-udp-a-aaaa-mx.pcap", "sv-http-aptget.pcap", "zeek-ipv6-fragmented-dns.pcap", "tcpdump-dns_tcp.pcap")]
TRUNCATED = os.path.join(BAD_DIR, "truncated-mid-packet.pcap")

# (route, parameters): each is asked of the server and of the CLI.
CASES = [
    ("status", {}),
    ("stats/hierarchy", {}),
    ("stats/hierarchy", {"filter": "udp || tcp", "passes": "2"}),
    ("stats/endpoints", {}),
    ("stats/endpoints", {"protocol": "tcp"}),
    ("stats/endpoints", {"protocol": "IPv6"}),
    ("stats/conversations", {"protocol": "udp"}),
    ("stats/conversations", {"protocol": "eth", "filter": "dns"}),
    ("dns/lookups", {}),
    ("packets/fields", {"fields": "ip.src,ipv6.dst,tcp.stream,dns.qry.name,_ws.col.Info", "limit": "40"}),
    ("packets/fields", {"fields": "frame.len,udp.srcport", "format": "ndjson", "offset": "2", "limit": "10"}),
    ("packets/fields", {"fields": "dns.response_in", "passes": "2", "filter": "dns"}),
    ("stats/endpoints", {"protocol": "bogus"}),
    ("packets/fields", {"fields": "no.such.field"}),
    ("packets/fields", {"fields": "ip.src", "filter": "ip.src =="}),
    ("stats/hierarchy", {"passes": "3"}),
]
# Keys of info that describe the upload act rather than the capture.
UPLOAD_KEYS = {"id", "file", "created_at", "last_accessed", "user", "cap_file_id"}

server = None
token = None


def analyze(path, route, params, stderr=subprocess.PIPE):
    args = [SHARKAPI, "analyze", path, route] + ["%s=%s" % kv for kv in params.items()]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=stderr, timeout=240)


def upload(path):
    response = server.upload_post(token, path)
    check(response.status == 200, "upload %s: %d" % (path, response.status))
    capture_id = response.json()["id"]
    server.wait_ready(token, capture_id)
    return capture_id


def test_routes_equal_server():
    compared = 0
    for index, path in enumerate(CAPTURES):
        capture_id = upload(path)
        # Every case on two captures, the main routes on the others: each call starts a worker.
        for route, params in CASES if index < 2 else CASES[:2] + CASES[6:10]:
            answer = server.v2(token, capture_id, route, **params)
            out = analyze(path, route, params)
            what = "%s %s %s" % (os.path.basename(path), route, params)
            # The body as sent, plus a final newline when it has none (NDJSON ends in one).
            expected = answer.body if answer.body.endswith(b"\n") else answer.body + b"\n"
            check(out.stdout == expected,
                  "%s differs:\n cli    %r\n server %r" % (what, out.stdout[:300], answer.body[:300]))
            check(out.returncode == (0 if answer.status == 200 else 1),
                  "%s: exit %d for status %d (%s)" % (what, out.returncode, answer.status, out.stderr))
            compared += 1
    print("compared %d answers" % compared)


def test_info_equals_server():
    for path in CAPTURES[:2] + [TRUNCATED]:
        capture_id = upload(path)
        server_info = server.request("GET", "/api/v1/%s/info/%s" % (token, capture_id)).json()
        out = analyze(path, "info", {})
        check(out.returncode == 0, "info exit %d" % out.returncode)
        cli_info = json.loads(out.stdout)
        check(sorted(cli_info) == sorted(server_info), "info keys differ")
        for key in sorted(set(server_info) - UPLOAD_KEYS):
            check(cli_info[key] == server_info[key], "info %s: cli %r, server %r" % (key, cli_info[key], server_info[key]))


def test_truncated_status_carries_warning():
    capture_id = upload(TRUNCATED)
    answer = server.v2(token, capture_id, "status")
    out = analyze(TRUNCATED, "/api/v2/analysis/%s/status" % capture_id, {})
    check(out.stdout[:-1] == answer.body, "status of a truncated capture differs")
    check(json.loads(out.stdout)["data"]["warnings"], "no warning for a truncated capture")


def test_refused_file_is_415_as_upload():
    bad = os.path.join(BAD_DIR, "not-a-capture.png")
    answer = server.upload_put(token, bad)
    out = analyze(bad, "status", {})
    check(answer.status == 415 and out.returncode == 1, "415 expected")
    check(out.stdout[:-1] == answer.body, "refusal differs: %r vs %r" % (out.stdout, answer.body))


def test_progress_bar_only_on_terminal():
    piped = analyze(CAPTURES[1], "stats/hierarchy", {})
    check(piped.returncode == 0 and piped.stderr == b"", "stderr not empty on a pipe: %r" % piped.stderr)
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([SHARKAPI, "analyze", CAPTURES[1], "stats/hierarchy"], stdout=subprocess.PIPE,
                            stderr=child_fd)
    os.close(child_fd)
    seen = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.stdout.read()
    proc.wait(timeout=240)
    os.close(main_fd)
    check(b"[" in seen and b"%" in seen and b"\x1b[K" in seen, "no progress bar on the terminal: %r" % seen)
    check(json.loads(stdout) == json.loads(piped.stdout), "stdout changed with a terminal on stderr")


def main():
    global server, token
    server = Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        run([test_routes_equal_server, test_info_equals_server, test_truncated_status_carries_warning,
             test_refused_file_is_415_as_upload, test_progress_bar_only_on_terminal])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
