"""soak-attacks.py URL TOKEN CAPTURE_ID SECONDS: the hostile requests of tests/test_hostile_requests.py,
in a loop beside bench/soak.sh's legitimate load (benchmark, not a test). Loopback only.

Each round sends: bodies at a wrong token, route and size (announced, partly sent), Expect:
100-continue at a wrong token, a trickling header (slowloris), a request line and headers over
64 KiB, a Content-Length-plus-chunked request with a second one behind it, a slow fields query
and a filtered summary abandoned before their answers, a deep search created and deleted, a
deep JSON body, and HEAD requests. It prints how each kind was answered; a 5xx to any of them,
or a connection the server dropped without answering where an answer is due, is a finding.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import collections
import json
import random
import re
import socket
import sys
import threading
import time
import urllib.parse

url, token, capture_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
parsed = urllib.parse.urlparse(url)
HOST, PORT = parsed.hostname, parsed.port
seen = collections.Counter()
lock = threading.Lock()


def note(kind, outcome):
    with lock:
        seen[(kind, outcome)] += 1


def status_of(data):
    if data.startswith(b"HTTP/1.1 ") and len(data) >= 12:
        return data[9:12].decode()
    return "closed"


def exchange(kind, head, body=b"", read=True, close_early=False):
    try:
        sock = socket.create_connection((HOST, PORT), timeout=30)
    except OSError as e:
        note(kind, "connect " + type(e).__name__)
        return
    try:
        sock.sendall(head + body)
        if close_early:
            sock.close()
            note(kind, "left")
            return
        data = b""
        if read:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        note(kind, status_of(data))
    except OSError as e:
        note(kind, type(e).__name__)
    finally:
        sock.close()


def request(method, path, headers=(), length=None):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: x"] + list(headers)
    if length is not None:
        lines.append("Content-Length: %d" % length)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def slowloris():
    try:
        sock = socket.create_connection((HOST, PORT), timeout=30)
        sock.sendall(b"GET /api/v2/openapi.json HTTP/1.1\r\nHost: x\r\n")
        data = b""
        while not data:
            time.sleep(1)
            sock.sendall(b"X-Slow: 1\r\n")
            sock.settimeout(0.1)
            try:
                data = sock.recv(100)
            except socket.timeout:
                continue
        note("slowloris", status_of(data))
    except OSError as e:
        note("slowloris", type(e).__name__)


def one_round(n):
    auth = "Authorization: " + token
    exchange("bogus-token body", request("POST", "/api/v1/bogus/search", length=200_000_000), b"x" * 65536)
    exchange("bogus-token upload 100-continue",
             request("PUT", "/api/v1/bogus/upload", ["Expect: 100-continue"], length=100_000_000))
    exchange("unknown route body", request("POST", "/api/v1/%s/nowhere" % token, length=50_000_000), b"y" * 65536)
    exchange("form over 1 MiB", request("POST", "/api/v1/%s/search" % token, length=5_000_000))
    exchange("GET with body", request("GET", "/api/v2/analysis/%s/status" % capture_id, [auth], length=10), b"z" * 10)
    exchange("request line 70 KiB", ("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % ("a" * 70000)).encode())
    exchange("headers 70 KiB", ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % ("b" * 70000)).encode())
    exchange("CL plus chunked", request("POST", "/api/v1/%s/search" % token,
                                        ["Transfer-Encoding: chunked", "Content-Length: 5"]),
             b"0\r\n\r\nGET /api/v2/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
    exchange("deep JSON", request("POST", "/api/v2/deep_search", [auth], length=100_000), b"[" * 100_000)
    exchange("abandoned fields", request("GET", "/api/v2/analysis/%s/packets/fields?fields=frame.number&filter="
                                         "frame.number%%3E%d" % (capture_id, random.randint(1, 10**9)), [auth]),
             close_early=True)
    exchange("abandoned summary", request("GET", "/api/v2/analysis/%s/stats/hierarchy?filter=frame.len%%3E%d"
                                          % (capture_id, random.randint(1, 10**9)), [auth]), close_early=True)
    exchange("HEAD", request("HEAD", "/api/v2/analysis/%s/status" % capture_id, [auth]))
    body = json.dumps({"display_filter": "frame.len > %d" % n, "capture_ids": [capture_id]}).encode()
    try:
        sock = socket.create_connection((HOST, PORT), timeout=60)
        sock.sendall(request("POST", "/api/v2/deep_search", [auth, "Content-Type: application/json"], len(body)) + body)
        data = sock.recv(65536)
        # The head and the body may come in separate segments: read up to Content-Length.
        length = re.search(rb"Content-Length: (\d+)", data, re.I)
        while length and len(data.split(b"\r\n\r\n", 1)[-1]) < int(length.group(1)):
            more = sock.recv(65536)
            if not more:
                break
            data += more
        sock.close()
        note("deep search create", status_of(data))
        if data.startswith(b"HTTP/1.1 201"):
            search_id = json.loads(data.split(b"\r\n\r\n", 1)[1])["id"]
            exchange("deep search delete", request("DELETE", "/api/v2/deep_search/" + search_id, [auth]))
    except (OSError, ValueError) as e:
        note("deep search create", type(e).__name__)


def main():
    end = time.time() + seconds
    n = 0
    loris = []
    while time.time() < end:
        if len(loris) < 20:
            thread = threading.Thread(target=slowloris, daemon=True)
            thread.start()
            loris.append(thread)
        loris = [t for t in loris if t.is_alive()]
        one_round(n)
        n += 1
    for (kind, outcome), count in sorted(seen.items()):
        print("attacks: %-32s %-20s %d" % (kind, outcome, count))
    fives = sum(c for (k, o), c in seen.items() if o.startswith("5") and k not in ("deep search create",))
    print("attacks answered with 5xx: %d (deep search create's 503 past four searches is by design)" % fives)


main()
