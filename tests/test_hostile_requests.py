"""test_hostile_requests.py: requests built to make the server spend memory, disk or time.

A request is refused from its request line and headers before its body is read: an unknown
route, a wrong token or a missing permission, a body a GET does not take, or one over the route's
limit, costs the server neither memory nor spool space however much the client sends, and a
refused Expect: 100-continue never gets 100 Continue. Each test measures the server's resident
memory and its data directory's tmp/ while the bodies arrive.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import harness
from harness import check

server = None
token = None
# Generous for a loaded machine: the answers come before any body, in milliseconds when quiet.
ANSWER_TIMEOUT = 60


def tmp_bytes(srv):
    tmp = os.path.join(srv.data_dir, "tmp")
    return sum(os.path.getsize(os.path.join(tmp, name)) for name in os.listdir(tmp)
               if os.path.isfile(os.path.join(tmp, name)))


def metric(srv, name, labels):
    for line in srv.request("GET", "/metrics").body.decode().splitlines():
        if line.startswith(name + "{" + labels + "}") or (not labels and line.startswith(name + " ")):
            return float(line.split()[-1])
    return 0.0


def echo_copies(directory, copies):
    """zeek-echo-connections.pcap.gz (82k frames) appended to itself copies times, as pcap."""
    path = os.path.join(directory, "echo-x%d.pcap" % copies)
    echo = os.path.join(harness.CAPTURES_DIR, "zeek-echo-connections.pcap.gz")
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", path] + [echo] * copies, check=True,
                   env=harness.oracle_env())
    return path


def read_response(sock, timeout=ANSWER_TIMEOUT):
    """The status line, headers and body of one answer (Content-Length), or None at the end."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


def head_only(method, path, extra_headers=(), length=None):
    """Sends a request's line and headers announcing a body, but no body: the answer must come."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    if length is not None:
        lines.append("Content-Length: %d" % length)
    lines += list(extra_headers)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def stream_body(method, path, total, headers=(), stop=None):
    """Sends total bytes of body (or until the server closes); returns (answer, bytes sent)."""
    sock = head_only(method, path, headers, length=total)
    chunk = b"x" * 65536
    sent = 0
    try:
        while sent < total and not (stop and stop.is_set()):
            sock.sendall(chunk[:min(len(chunk), total - sent)])
            sent += min(len(chunk), total - sent)
    except OSError:
        pass  # the server answered and closed: what a refusal does
    try:
        answer = read_response(sock)
    except OSError:
        answer = None
    sock.close()
    return answer, sent


def test_refused_before_the_body_is_read():
    # Each request announces 300 MB and sends none of it: the answer comes anyway, so the
    # server decided from the headers (the old server waited for the body, and timed out here).
    cases = [
        ("POST", "/api/v1/bogus-token/search", (), 401),
        ("POST", "/api/v1/%s/no-such-route" % token, (), 404),
        ("PUT", "/api/v1/bogus-token/upload", (), 401),
        ("POST", "/api/v1/bogus-token/upload", ("Content-Type: multipart/form-data; boundary=x",), 401),
        ("POST", "/api/v2/deep_search", ("Authorization: bogus-token", "Content-Type: application/json"), 401),
        ("POST", "/api/v2/deep_search", ("Authorization: " + limited_token,), 403),
        ("PUT", "/api/v1/%s/upload" % limited_token, (), 403),
        ("POST", "/api/v1/%s/search" % token, (), 413),  # over the 1 MiB a form may have
        ("POST", "/api/v2/analysis/0123456789ab/status", ("Authorization: " + token,), 405),
    ]
    for method, path, headers, want in cases:
        sock = head_only(method, path, headers, length=300 * 1000 * 1000)
        try:
            answer = read_response(sock)
        finally:
            sock.close()
        check(answer is not None, "%s %s: the connection closed without an answer" % (method, path))
        status, response_headers, body = answer
        check(status == want, "%s %s: %d, want %d" % (method, path, status, want))
        check(response_headers.get("content-type", "").startswith("application/json"),
              "%s %s: not a JSON error" % (method, path))
        check(b'"status":%d' % want in body, "%s %s: body %r" % (method, path, body))
        check(response_headers.get("connection") == "close", "%s %s: connection kept after a refused body"
              % (method, path))
    check(tmp_bytes(server) == 0, "refused uploads left spool files: %d bytes" % tmp_bytes(server))
    check(server.alive(), "server died")


def test_refused_body_is_drained_not_reset():
    # After a refusal the server shuts its side and reads (and drops) what the client still
    # sends, up to a few MB: a client that sends its body after reading the answer is not reset.
    for method, path in (("POST", "/api/v1/%s/nowhere" % token), ("PUT", "/api/v1/bogus-token/upload")):
        sock = head_only(method, path, length=1000 * 1000)
        try:
            answer = read_response(sock)
            check(answer is not None and answer[0] in (401, 404), "%s %s: %r" % (method, path, answer))
            sock.sendall(b"x" * (1000 * 1000))
            sock.settimeout(ANSWER_TIMEOUT)
            rest = sock.recv(100)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise AssertionError("%s %s: the connection was reset under the body: %r" % (method, path, e))
        finally:
            sock.close()
        check(rest == b"", "%s %s: more than the end after the answer: %r" % (method, path, rest))


def test_refused_bodies_cost_no_memory_or_disk():
    # Four clients each send 128 MB at an unknown token, an unknown route and deep search: the
    # old server read every byte into memory (or spooled uploads to tmp/) before its 401.
    pid = server.proc.pid
    before = harness.rss_kib(pid)
    peak = [before]
    peak_tmp = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], harness.rss_kib(pid))
            peak_tmp[0] = max(peak_tmp[0], tmp_bytes(server))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    total = 128 * 1000 * 1000
    targets = [("POST", "/api/v1/bogus-token/search", ()),
               ("PUT", "/api/v1/bogus-token/upload", ()),
               ("POST", "/api/v1/%s/nowhere" % token, ()),
               ("POST", "/api/v2/deep_search", ("Authorization: bogus-token",))]
    try:
        with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
            results = list(pool.map(lambda t: stream_body(t[0], t[1], total, t[2]), targets))
    finally:
        done.set()
        sampler.join()
    grown_mib = (peak[0] - before) / 1024
    print("  RSS %d -> peak %d KiB (+%.1f MiB), tmp/ peak %d bytes" % (before, peak[0], grown_mib, peak_tmp[0]))
    for (method, path, _), (answer, sent) in zip(targets, results):
        check(answer is not None and answer[0] in (401, 404), "%s %s: %r" % (method, path, answer))
        # The server reads and drops a few MB at most before it closes (http-refusal.h).
        check(sent < total, "%s %s: the server took all %d bytes" % (method, path, sent))
    check(grown_mib < 32, "server RSS grew by %.1f MiB for refused bodies" % grown_mib)
    check(peak_tmp[0] == 0, "refused uploads were spooled: %d bytes in tmp/" % peak_tmp[0])
    check(server.alive(), "server died")


def test_expect_continue_refused_without_100():
    for headers, want in [(("Expect: 100-continue",), 401),
                          (("Expect: 100-continue", "Authorization: bogus"), 401)]:
        for path in ("/api/v1/bogus-token/upload", "/api/v2/deep_search"):
            method = "PUT" if path.endswith("upload") else "POST"
            sock = head_only(method, path, headers, length=256 * 1000 * 1000)
            try:
                answer = read_response(sock)
            finally:
                sock.close()
            check(answer is not None and answer[0] == want, "%s %s with Expect: %r" % (method, path, answer))
    # An admitted upload still gets its 100 Continue, then its answer.
    capture = os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")
    with open(capture, "rb") as f:
        data = f.read()
    sock = head_only("PUT", "/api/v1/%s/upload" % token, ("Expect: 100-continue",), length=len(data))
    try:
        sock.settimeout(ANSWER_TIMEOUT)
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += sock.recv(1)
        check(interim.startswith(b"HTTP/1.1 100"), "admitted upload: %r" % interim)
        sock.sendall(data)
        answer = read_response(sock)
    finally:
        sock.close()
    check(answer is not None and answer[0] == 200, "upload after 100 Continue: %r" % (answer,))


def test_bodies_a_route_does_not_take():
    # A GET takes no body: refused at once, not read.
    answer, sent = stream_body("GET", "/api/v1/%s/info/0123456789ab" % token, 64 * 1000 * 1000)
    check(answer is not None and answer[0] == 400 and b"takes no body" in answer[2], "GET with a body: %r"
          % (answer,))
    # A chunked form body is counted as it arrives: 413 once past 1 MiB.
    sock = head_only("POST", "/api/v1/%s/search" % token,
                     ("Transfer-Encoding: chunked", "Content-Type: application/x-www-form-urlencoded"))
    answer = None
    try:
        piece = b"x" * 65536
        for _ in range(64):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
    except OSError:
        pass
    try:
        answer = read_response(sock)
    finally:
        sock.close()
    check(answer is not None and answer[0] == 413, "chunked form over 1 MiB: %r" % (answer,))
    # Refusals without a body keep the connection: a second request on it is answered.
    sock = socket.create_connection(("127.0.0.1", server.port))
    try:
        sock.sendall(b"GET /api/v1/bogus-token/info/0123456789ab HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(sock)
        sock.sendall(("GET /api/v1/%s/search HTTP/1.1\r\nHost: x\r\n\r\n" % token).encode())
        second = read_response(sock)
    finally:
        sock.close()
    check(first is not None and first[0] == 401, "first: %r" % (first,))
    check(second is not None and second[0] == 200, "second on the same connection: %r" % (second,))
    # Within its limit a form body still works.
    r = server.request("POST", "/api/v1/%s/search" % token, body="search[filename]=none",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status == 200 and r.json() == [], "form search: %d %r" % (r.status, r.body[:100]))
    check(server.alive(), "server died")


def upload_small():
    r = server.upload_put(token, os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap"))
    check(r.status == 200, "upload: %d %s" % (r.status, r.body))
    return r.json()["id"]


def test_smuggling_after_chunks_closes_the_connection():
    # Content-Length beside chunked: the chunks are read (real clients send both) but the
    # connection ends after the answer, so the request behind the last chunk never runs.
    sock = socket.create_connection(("127.0.0.1", server.port))
    smuggled = b"GET /api/v2/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        sock.sendall(("POST /api/v1/%s/search HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                      "Transfer-Encoding: chunked\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n\r\n" % token).encode()
                     + b"0\r\n\r\n" + smuggled)
        first = read_response(sock)
        second = read_response(sock)
    finally:
        sock.close()
    check(first is not None and first[0] == 200, "the chunked request: %r" % (first,))
    check(first[1].get("connection") == "close", "no Connection: close: %r" % (first[1],))
    check(second is None, "the smuggled request was answered: %r" % (second,))


def test_malformed_paths_get_json_errors():
    # libsoup refuses these itself, with an empty body; API.md wants the JSON error.
    for path in ("/api/v1/%s/info/ab%%00cd" % token, "/api/v1/%s/info/..%%2F..%%2Fetc" % token,
                 "/api/v2/analysis/..%2F..%2F/status"):
        r = server.request("GET", path, headers={"Authorization": token})
        check(r.status == 400, "%s: %d" % (path, r.status))
        check(r.json()["status"] == 400 and r.json()["exceptions"][0], "%s: %r" % (path, r.body))


def test_head_wherever_get():
    capture_id = upload_small()
    gets = ["/api/v1/%s/info/%s" % (token, capture_id), "/api/v1/%s/search" % token,
            "/api/v1/%s/download/%s" % (token, capture_id),
            "/api/v2/analysis/%s/status" % capture_id, "/api/v2/analysis/%s/stats/hierarchy" % capture_id,
            "/api/v2/analysis/%s/packets/fields?fields=ip.src" % capture_id, "/api/v2/tables",
            "/api/v2/openapi.json", "/docs", "/"]
    for path in gets:
        got = server.request("GET", path, headers={"Authorization": token})
        head = server.request("HEAD", path, headers={"Authorization": token})
        check(head.status == got.status == 200, "%s: HEAD %d, GET %d" % (path, head.status, got.status))
        check(head.body == b"", "%s: HEAD answered a body" % path)
        check(head.header("Content-Type") == got.header("Content-Type"), "%s: HEAD's Content-Type" % path)
    r = server.request("HEAD", "/api/v2/analysis/%s/status" % capture_id, headers={"Authorization": "bogus"})
    check(r.status == 401 and r.body == b"", "HEAD with a wrong token: %d %r" % (r.status, r.body))


def test_format_must_be_json_or_ndjson():
    capture_id = upload_small()
    for value in ("xml", "csv", "", "ndjsonx"):
        r = server.v2(token, capture_id, "packets/fields", fields="ip.src", format=value)
        check(r.status == 400 and "format" in r.json()["exceptions"][0], "format=%r: %d %r" % (value, r.status,
                                                                                              r.body[:200]))
    for value in ("json", "ndjson", "NDJSON"):
        r = server.v2(token, capture_id, "packets/fields", fields="ip.src", format=value)
        check(r.status == 200, "format=%s: %d" % (value, r.status))


def log_lines(pattern):
    return [line for line in list(server.log) if pattern in line]


def wait_for(condition, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("not seen within %d s: %s" % (timeout, what))


def fields_misses():
    return metric(server, "sharkapi_cache_misses_total", 'cache="fields"')


def test_abandoned_request_is_logged_as_such():
    # The client resets the connection once its request is being answered (the route counted
    # its cache miss): the answer cannot be written, and the log says the client left.
    capture_id = upload_small()
    before = len(log_lines("status=499"))
    for i in range(3):
        misses = fields_misses()
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.sendall(("GET /api/v2/analysis/%s/packets/fields?fields=frame.number&filter=frame.number>%d HTTP/1.1\r\n"
                      "Host: x\r\nAuthorization: %s\r\n\r\n" % (capture_id, i, token)).encode())
        wait_for(lambda: fields_misses() > misses, "the request reached its route")
        sock.close()
    wait_for(lambda: len(log_lines("status=499")) >= before + 3, "three requests logged as abandoned")
    abandoned = log_lines("status=499")[-1]
    check("abandoned" in abandoned and "level=info" in abandoned, "abandoned request: %s" % abandoned)
    check(not log_lines("status=500"), "an abandoned request was logged as a 500: %s" % log_lines("status=500"))


def test_killed_worker_is_named():
    capture_id = upload_small()
    check(server.v2(token, capture_id, "stats/hierarchy").status == 200, "hierarchy")
    workers = harness.worker_pids(server.proc.pid)
    check(workers, "no worker to kill")
    os.kill(workers[0], 9)
    wait_for(lambda: log_lines("died"), "the worker's death in the log")
    for line in log_lines("died"):
        check("(null)" not in line and str(workers[0]) in line, "worker death logged as: %s" % line)
    check(server.v2(token, capture_id, "stats/hierarchy").status == 200, "hierarchy after the kill")

def test_headers_that_trickle_in_are_cut():
    # Slowloris: a header line now and then used to keep a connection for good (each byte reset
    # the idle timeout). With --header-timeout 2, each of 20 such connections gets 408 and ends.
    slow = harness.Server(args=["--workers", "1", "--header-timeout", "2"]).start()
    try:
        socks = []
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", slow.port))
            sock.sendall(b"GET /api/v2/openapi.json HTTP/1.1\r\nHost: x\r\n")
            sock.setblocking(False)
            socks.append(sock)
        answers = {}
        deadline = time.time() + 120
        while len(answers) < len(socks) and time.time() < deadline:
            for i, sock in enumerate(socks):
                if i in answers:
                    continue
                try:
                    data = sock.recv(65536)
                    answers[i] = data
                except BlockingIOError:
                    try:
                        sock.sendall(b"X-Trickle: 1\r\n")
                    except OSError as e:
                        answers[i] = repr(e).encode()
            time.sleep(0.5)
        for sock in socks:
            sock.close()
        check(len(answers) == len(socks), "%d of %d trickling connections still open after 120 s"
              % (len(socks) - len(answers), len(socks)))
        timed_out = [a for a in answers.values() if a.startswith(b"HTTP/1.1 408")]
        check(len(timed_out) == len(socks), "answers: %r" % list(answers.values())[:3])
        check(b'"status":408' in timed_out[0], "408 without the JSON error: %r" % timed_out[0])
        counted = metric(slow, "sharkapi_http_requests_total", 'method="-",route="(unparsed)",status="408"')
        check(counted == len(socks), "408s counted: %s" % counted)
        # A request sent whole is served as before.
        r = slow.request("GET", "/api/v2/openapi.json")
        check(r.status == 200, "a normal request: %d" % r.status)
        check(slow.alive(), "server died")
    finally:
        slow.cleanup()


def open_descriptors(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_connections_past_the_limit_wait():
    capped = harness.Server(args=["--workers", "1", "--max-connections", "20"]).start()
    try:
        pid = capped.proc.pid
        base = open_descriptors(pid)
        held = [socket.create_connection(("127.0.0.1", capped.port)) for _ in range(200)]
        # Accepted connections are the server's; the rest wait in the kernel's backlog.
        wait_for(lambda: open_descriptors(pid) >= base + 20, "twenty connections accepted")
        grown = open_descriptors(pid) - base
        print("  200 connections at max-connections 20: server descriptors +%d" % grown)
        check(grown <= 20 + 4, "server descriptors grew by %d for 200 connections" % grown)
        # A request on a waiting connection is answered once enough held ones close.
        waiting = held[-1]
        waiting.sendall(b"GET /api/v2/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in held[:-1]:
            sock.close()
        answer = read_response(waiting)
        check(answer is not None and answer[0] == 200, "the waiting connection's request: %r" % (answer,))
        waiting.close()
        r = capped.request("GET", "/api/v2/openapi.json")
        check(r.status == 200, "after the burst: %d" % r.status)
        wait_for(lambda: open_descriptors(pid) <= base + 2, "descriptors back after the burst")
        check(capped.alive(), "server died")
    finally:
        capped.cleanup()

def test_tables_known_before_the_first_worker_is_up():
    # A dashboard polling through a restart: the summary is on disk, but until a worker says
    # HELLO the table list came from nowhere and protocol=tcp was a 400 with an empty list.
    data_dir = tempfile.mkdtemp(prefix="sharkapi-tables-")
    gate = os.path.join(data_dir, "workers-may-start")
    wrapper = os.path.join(data_dir, "held-worker.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nwhile [ ! -e '%s' ]; do sleep 0.05; done\nexec '%s' \"$@\"\n"
                % (gate, os.path.abspath(os.path.join(harness.BUILD_DIR, "sharkapi-worker"))))
    os.chmod(wrapper, 0o755)
    first = harness.Server(data_dir=data_dir, args=["--workers", "1"]).start()
    try:
        t = first.token()
        capture_id = first.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")).json()["id"]
        check(first.wait_ready(t, capture_id) == "ready", "first analysis")
        want = {p: first.v2(t, capture_id, "stats/" + route, protocol=p).body
                for p in ("tcp", "udp", "ip") for route in ("endpoints",)}
    finally:
        first.stop()
    # Restarted with its worker held before HELLO: the kept list answers.
    second = harness.Server(data_dir=data_dir, args=["--workers", "1", "--worker-path", wrapper]).start()
    try:
        for protocol, body in want.items():
            r = second.v2(t, capture_id, "stats/endpoints", protocol=protocol)
            check(r.status == 200 and r.body == body, "protocol=%s before HELLO: %d %r" % (protocol, r.status,
                                                                                          r.body[:200]))
        r = second.v2(t, capture_id, "stats/conversations", protocol="nosuch")
        check(r.status == 400 and "valid: " in r.json()["exceptions"][0] and "tcp" in r.json()["exceptions"][0],
              "an unknown table still names the valid ones: %r" % r.body[:300])
        r = second.request("GET", "/api/v2/tables", headers={"Authorization": t})
        check(r.status == 200 and "tcp" in r.body.decode(), "tables before HELLO: %d" % r.status)
        open(gate, "w").close()
        r = second.v2(t, capture_id, "stats/endpoints", protocol="tcp", filter="udp")
        check(r.status == 200, "a filtered summary once the worker is up: %d %r %s" % (r.status, r.body[:300], "".join(second.log[-8:])))
    finally:
        open(gate, "w").close()
        second.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

def test_abandoned_queries_free_their_worker():
    # Five clients ask slow questions of a large capture and leave before the first byte of the
    # answer: one running, four queued. Their jobs are withdrawn (the running one's worker is
    # stopped and replaced, the queued ones never start), so a small query is served next.
    work = tempfile.mkdtemp(prefix="sharkapi-abandon-")
    slow = harness.Server(args=["--workers", "1"]).start()
    try:
        big_path = echo_copies(work, 8)
        t = slow.token()
        big = slow.upload_put(t, big_path).json()["id"]
        small = slow.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")).json()["id"]
        check(slow.wait_ready(t, big) == "ready" and slow.wait_ready(t, small) == "ready", "summaries")
        clients = []
        routes = ["packets/fields?fields=frame.number&filter=frame%%20contains%%20%%22zz%d%%22" % i for i in range(4)]
        routes.append("stats/hierarchy?filter=frame%20contains%20%22zzz%22")
        for route in routes:
            misses = metric(slow, "sharkapi_cache_misses_total", 'cache="fields"')
            parked = metric(slow, "sharkapi_job_queue_length", "")
            sock = socket.create_connection(("127.0.0.1", slow.port))
            sock.sendall(("GET /api/v2/analysis/%s/%s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                          % (big, route, t)).encode())
            if "fields" in route:
                wait_for(lambda: metric(slow, "sharkapi_cache_misses_total", 'cache="fields"') > misses,
                         "a fields request reached its route")
            else:  # the one worker is busy: the summary job waits in the queue
                wait_for(lambda: metric(slow, "sharkapi_job_queue_length", "") > parked,
                         "the filtered summary was queued")
            clients.append(sock)
        left = time.time()
        for sock in clients:
            sock.close()
        wait_for(lambda: len([l for l in slow.log if "client left during a fields query" in l]) >= 4,
                 "the four fields jobs withdrawn")
        wait_for(lambda: any("every request left, stopping it" in l for l in slow.log),
                 "the filtered summary withdrawn")
        r = slow.v2(t, small, "packets/fields", fields="frame.number", filter="udp")
        check(r.status == 200, "the small query after: %d" % r.status)
        print("  five abandoned slow queries: a small query answered %.2f s after they left" % (time.time() - left))
        check(metric(slow, "sharkapi_job_queue_length", "") == 0, "jobs still queued")
        abandoned = [l for l in slow.log if "status=499" in l]
        check(len(abandoned) == 5, "abandoned requests logged: %d" % len(abandoned))
        check(slow.alive(), "server died")
    finally:
        slow.cleanup()
        shutil.rmtree(work, ignore_errors=True)

def test_deep_search_limits_and_delete():
    work = tempfile.mkdtemp(prefix="sharkapi-deep-")
    busy = harness.Server(args=["--workers", "1"]).start()
    try:
        # Eight captures per search: a search's next match job queues behind the next search's
        # filter check, so the searches created one after another all still run at the fifth.
        medium_path = echo_copies(work, 2)
        t = busy.token()
        pool = [busy.upload_put(t, medium_path).json()["id"] for _ in range(8)]
        for capture_id in pool:
            check(busy.wait_ready(t, capture_id) == "ready", "summary")

        def create(display_filter, tok=t):
            return busy.request("POST", "/api/v2/deep_search", body=json.dumps(
                {"display_filter": display_filter, "capture_ids": pool}),
                headers={"Authorization": tok, "Content-Type": "application/json"})

        # A filter past 64 KiB is refused before any worker compiles it.
        long_filter = "||".join("ip.addr==10.0.%d.%d" % (i // 250, i % 250) for i in range(4000))
        r = create(long_filter)
        check(r.status == 400 and "display_filter" in r.json()["exceptions"][0], "long filter: %d %r"
              % (r.status, r.body[:200]))
        # Four searches of one token run at once (each scans its pool for nothing); a fifth is a
        # 503 with Retry-After, while another token still may start one.
        ids = []
        for i in range(4):
            r = create('frame contains "zz%d"' % i)
            check(r.status == 201, "search %d: %d %r" % (i, r.status, r.body[:200]))
            ids.append(r.json()["id"])
        r = create('frame contains "zz9"')
        check(r.status == 503 and r.header("Retry-After"), "a fifth search: %d %r" % (r.status, r.body[:200]))
        other = busy.token(name="other")
        r = create('frame contains "zz8"', tok=other)
        check(r.status == 201, "another token's search: %d" % r.status)
        # DELETE by another token is a 404; by the creator it stops the search's jobs.
        r = busy.request("DELETE", "/api/v2/deep_search/" + ids[0], headers={"Authorization": other})
        check(r.status == 404, "DELETE by another token: %d" % r.status)
        stopped = 0
        for search_id in ids:
            r = busy.request("GET", "/api/v2/deep_search/" + search_id, headers={"Authorization": t})
            running = r.status == 200 and not r.json()["finished?"]
            r = busy.request("DELETE", "/api/v2/deep_search/" + search_id, headers={"Authorization": t})
            check(r.status == 200 and r.json() == {"deleted": True, "id": search_id}, "DELETE: %d %r"
                  % (r.status, r.body))
            r = busy.request("GET", "/api/v2/deep_search/" + search_id, headers={"Authorization": t})
            check(r.status == 404, "status after DELETE: %d" % r.status)
            # A finished search has no jobs left to withdraw (one may finish between the two requests).
            withdrawn = any(search_id in l and "its jobs withdrawn" in l for l in busy.log)
            check(running or not withdrawn, "search %s had finished, yet jobs were withdrawn" % search_id)
            stopped += withdrawn
        check(stopped > 0, "no DELETE stopped a running search")
        r = create('frame contains "zz9"')
        check(r.status == 201, "a search after the deletes: %d" % r.status)
        check(busy.alive(), "server died")
    finally:
        busy.cleanup()
        shutil.rmtree(work, ignore_errors=True)

def variant_dirs(srv, capture_id):
    summary = os.path.join(srv.data_dir, "captures", capture_id, "summary")
    return sorted(name for name in os.listdir(summary) if name.startswith("v-") and ".tmp" not in name)


def test_filtered_summaries_stay_within_their_budget():
    # Every distinct filter= persists a whole summary; they are kept under --filtered-summary-size,
    # least recently used first out, the newest always kept. With a 1-byte budget only the
    # newest stays; the default summary is never touched, and an evicted variant is computed
    # again when asked for.
    data_dir = tempfile.mkdtemp(prefix="sharkapi-budget-")
    args = ["--workers", "1", "--filtered-summary-size", "1"]
    tight = harness.Server(data_dir=data_dir, args=args).start()
    try:
        t = tight.token()
        capture_id = tight.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-dns-mdns.pcap")).json()["id"]
        check(tight.wait_ready(t, capture_id) == "ready", "default summary")
        first = {}
        for n in range(1, 9):
            r = tight.v2(t, capture_id, "stats/endpoints", protocol="ip", filter="frame.number > %d" % n)
            check(r.status == 200, "filter %d: %d" % (n, r.status))
            first[n] = r.body
            kept = variant_dirs(tight, capture_id)
            check(len(kept) == 1, "after %d filters, variants kept: %r" % (n, kept))
        check(os.path.isdir(os.path.join(data_dir, "captures", capture_id, "summary", "default")),
              "the default summary was removed")
        used = metric(tight, "sharkapi_filtered_summary_bytes", "")
        check(used > 0, "the budget counts nothing: %r" % used)
        r = tight.v2(t, capture_id, "stats/endpoints", protocol="ip", filter="frame.number > 1")
        check(r.status == 200 and r.body == first[1], "an evicted variant asked again: %d" % r.status)
    finally:
        tight.stop()
    # After a restart the variant on disk is counted again.
    again = harness.Server(data_dir=data_dir, args=args).start()
    try:
        check(metric(again, "sharkapi_filtered_summary_bytes", "") == used,
              "after a restart: %r bytes, before %r" % (metric(again, "sharkapi_filtered_summary_bytes", ""), used))
    finally:
        again.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

def write_many_conversations(path, count):
    """A pcap of count UDP packets, each its own conversation (and two endpoints of its own)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
            dst = bytes([172, 16, (i >> 8) & 255, i & 255])
            payload = b"x" * 8
            udp = struct.pack("!HHHH", 1024 + (i % 50000), 53 + (i % 7), 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, src, dst)
            frame = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1000000 + i // 1000, (i % 1000) * 1000, len(frame), len(frame)))
            f.write(frame)


def test_slow_readers_of_a_large_answer_pin_no_heap():
    # Sixteen clients ask for a conversation table of many MB and do not read it. The answer
    # used to be copied whole per request (16 x the table in heap until they left); now it is a
    # mapping of its file, shared by all and paced by each client's reading.
    work = tempfile.mkdtemp(prefix="sharkapi-readers-")
    srv = harness.Server(args=["--workers", "1"]).start()
    socks = []
    try:
        path = os.path.join(work, "many.pcap")
        write_many_conversations(path, 60000)
        t = srv.token()
        capture_id = srv.upload_put(t, path).json()["id"]
        check(srv.wait_ready(t, capture_id) == "ready", "summary")
        whole = srv.v2(t, capture_id, "stats/conversations", protocol="udp")
        check(whole.status == 200 and len(whole.body) > 8 * 1024 * 1024, "the table: %d bytes" % len(whole.body))
        pid = srv.proc.pid
        before = harness.rss_kib(pid, "RssAnon")
        for _ in range(16):
            sock = socket.create_connection(("127.0.0.1", srv.port))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(("GET /api/v2/analysis/%s/stats/conversations?protocol=udp HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: %s\r\n\r\n" % (capture_id, t)).encode())
            socks.append(sock)
        # Each answer has started (its first bytes are here); none is read further.
        for sock in socks:
            sock.settimeout(ANSWER_TIMEOUT)
            check(sock.recv(16).startswith(b"HTTP/1.1 200"), "an answer did not start")
        grown_mib = (harness.rss_kib(pid, "RssAnon") - before) / 1024
        print("  16 unread answers of %.1f MiB: server heap +%.1f MiB" % (len(whole.body) / 1048576, grown_mib))
        check(grown_mib < 32, "16 slow readers pinned %.1f MiB of heap" % grown_mib)
        # And a reader that reads gets the same bytes.
        again = srv.v2(t, capture_id, "stats/conversations", protocol="udp")
        check(again.body == whole.body, "the answer changed")
    finally:
        for sock in socks:
            sock.close()
        srv.cleanup()
        shutil.rmtree(work, ignore_errors=True)

def test_main_loop_never_waits_on_the_disk():
    # The main loop answers every request: a sync of a 200 MB capture there (0.55 s) stalled all
    # of them. strace -f -y shows which thread syncs what: captures and their rows (upload,
    # merge), a deep search's pool rows and field answers are synced by worker threads; info and
    # download (which count views) sync nothing.
    data_dir = tempfile.mkdtemp(prefix="sharkapi-sync-")
    trace = os.path.join(data_dir, "strace.out")
    cmd = ["strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace,
           os.path.join(harness.BUILD_DIR, "sharkapi"), "serve", "--listen", "127.0.0.1:0",
           "--data-dir", data_dir, "--workers", "1"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    harness.track_server_process(proc)
    main_pid = None
    try:
        port = None
        for line in proc.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        check(port is not None, "the server under strace did not start")
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        srv = harness.Server(data_dir=data_dir)
        srv.port = port
        main_pid = int(subprocess.run(["pgrep", "-P", str(proc.pid), "-x", "sharkapi"], capture_output=True,
                                      text=True).stdout.split()[0])

        def main_thread_syncs():
            with open(trace) as f:
                return [l for l in f if l.split()[0] == str(main_pid) and ("fsync(" in l or "fdatasync(" in l)]

        t = srv.token()
        at_start = len(main_thread_syncs())  # opening the database syncs its folder
        capture_id = srv.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-dns-mdns.pcap")).json()["id"]
        check(srv.wait_ready(t, capture_id) == "ready", "summary")
        r = srv.v2(t, capture_id, "packets/fields", fields="frame.number,ip.src")
        check(r.status == 200, "fields: %d" % r.status)
        answers = os.path.join(data_dir, "captures", capture_id, "results")
        wait_for(lambda: os.path.isdir(answers) and os.listdir(answers), "the field answer kept")
        merged = srv.request("POST", "/api/v1/%s/merge?capture_ids=%s,%s" % (t, capture_id, capture_id))
        check(merged.status == 200, "merge: %d %s" % (merged.status, merged.body[:200]))
        created = srv.request("POST", "/api/v2/deep_search", body=json.dumps({"display_filter": "dns"}),
                              headers={"Authorization": t, "Content-Type": "application/json"})
        check(created.status == 201, "deep search: %d %s" % (created.status, created.body[:200]))
        syncs = main_thread_syncs()
        check(len(syncs) == at_start, "the main loop synced: %s" % syncs[at_start:])
        before = len(syncs)
        for _ in range(5):
            check(srv.request("GET", "/api/v1/%s/info/%s" % (t, capture_id)).status == 200, "info")
            check(srv.request("GET", "/api/v1/%s/download/%s" % (t, capture_id)).status == 200, "download")
        check(srv.request("GET", "/api/v1/%s/info/%s" % (t, capture_id)).json()["viewcount"] >= 10,
              "views not counted")
        after = main_thread_syncs()
        check(len(after) == before, "info and download requests synced on the main loop: %s" % after[before:])
        with open(trace) as f:
            others = [l for l in f if l.split()[0] != str(main_pid)]
        check(any("/tmp/" in l or "/captures/" in l for l in others),
              "no thread synced the capture: the trace saw nothing")
        check(any("sharkapi.db" in l for l in others), "no thread committed a row: the trace saw nothing")
    finally:
        # strace detaches when it is stopped and its tracee runs on: the server goes first.
        if main_pid is not None:
            os.kill(main_pid, 15)
            wait_for(lambda: not os.path.exists("/proc/%d" % main_pid) or
                     open("/proc/%d/stat" % main_pid).read().split()[2] == "Z", "the traced server's exit")
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)

def test_parked_request_then_idle_close():
    # A request that waited for a job (its connection watched for the client leaving), answered,
    # then the keep-alive connection closed by its client and, on another, left to the idle
    # timeout: both are closed cleanly (the watch once stayed in its parked state, and the idle
    # close then crashed libsoup).
    idle = harness.Server(args=["--workers", "1", "--idle-timeout", "2"]).start()
    try:
        t = idle.token()
        capture_id = idle.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-dns-mdns.pcap")).json()["id"]
        check(idle.wait_ready(t, capture_id) == "ready", "summary")
        pid = idle.proc.pid
        base = open_descriptors(pid)
        for n, closes in ((1, True), (2, False), (3, True), (4, False)):
            sock = socket.create_connection(("127.0.0.1", idle.port))
            sock.sendall(("GET /api/v2/analysis/%s/stats/hierarchy?filter=frame.number>%d HTTP/1.1\r\n"
                          "Host: x\r\nAuthorization: %s\r\n\r\n" % (capture_id, n, t)).encode())
            answer = read_response(sock)
            check(answer is not None and answer[0] == 200, "parked request %d: %r" % (n, answer))
            if closes:
                sock.close()
                wait_for(lambda: open_descriptors(pid) <= base, "the closed connection let go")
            else:
                wait_for(lambda: sock.recv(1) == b"", "the idle timeout closing the connection")
                sock.close()
            check(idle.alive(), "the server died after request %d" % n)
        check(idle.request("GET", "/api/v2/openapi.json").status == 200, "a request after")
    finally:
        idle.cleanup()

if __name__ == "__main__":
    server = harness.Server(args=["--workers", "1"]).start()
    try:
        token = server.token()
        limited_token = server.token(permissions="info")
        harness.run([test_refused_before_the_body_is_read, test_refused_body_is_drained_not_reset,
                     test_refused_bodies_cost_no_memory_or_disk,
                     test_expect_continue_refused_without_100, test_bodies_a_route_does_not_take,
                     test_smuggling_after_chunks_closes_the_connection, test_malformed_paths_get_json_errors,
                     test_head_wherever_get, test_format_must_be_json_or_ndjson,
                     test_abandoned_request_is_logged_as_such, test_killed_worker_is_named,
                     test_headers_that_trickle_in_are_cut, test_connections_past_the_limit_wait,
                     test_tables_known_before_the_first_worker_is_up, test_abandoned_queries_free_their_worker,
                     test_deep_search_limits_and_delete, test_filtered_summaries_stay_within_their_budget,
                     test_slow_readers_of_a_large_answer_pin_no_heap,
                     test_main_loop_never_waits_on_the_disk, test_parked_request_then_idle_close])
    finally:
        server.cleanup()
