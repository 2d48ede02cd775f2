"""test_http_fields.py: packets/fields beyond its answers (test_http_analysis.py compares those
with tshark): repeat queries answered from the persisted, size-capped LRU result cache; warm
two-pass queries that skip the first pass (status.analysis.first_passes); a million-row answer
streamed while the server's RSS stays flat; a client that leaves stops its job; a deleted
capture is not kept open by a warm worker.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness
import oracle
from harness import check

SMALL = os.path.join(harness.CAPTURES_DIR, "sv-http-aptget.pcap")
DNS = os.path.join(harness.CAPTURES_DIR, "zeek-dns-edns-ecs.pcap")
ECHO = os.path.join(harness.CAPTURES_DIR, "zeek-echo-connections.pcap.gz")
# Copies of the echo capture concatenated: just over a million frames.
MILLION_COPIES = 13
# The server idles near 12 MiB; streaming must not add the answer's size (tens of MiB) to it.
SERVER_RSS_LIMIT_KIB = 64 * 1024

work_dir = tempfile.mkdtemp(prefix="sharkapi-fields-")


def fields_path(capture_id, **params):
    return "/api/v2/analysis/%s/packets/fields?%s" % (capture_id, urllib.parse.urlencode(params))


def query(server, token, capture_id, **params):
    r = server.request("GET", fields_path(capture_id, **params), headers={"Authorization": token})
    check(r.status == 200, "fields %s: %d %s" % (params, r.status, r.body[:300]))
    return r


def upload(server, token, path):
    r = server.upload_put(token, path)
    check(r.status == 200, "upload %s: %d %s" % (path, r.status, r.body[:200]))
    return r.json()["id"]


def results_dir(server, capture_id):
    return os.path.join(server.data_dir, "captures", capture_id, "results")


def cached_files(server, capture_id):
    folder = results_dir(server, capture_id)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def as_tshark_prints(rows):
    return [{"fields": {k: oracle.csv_escape(v) for k, v in row["fields"].items()}, "frame": row["frame"]}
            for row in rows]


def test_repeat_query_is_answered_from_the_cache():
    server = harness.Server().start()
    try:
        token = server.token()
        capture_id = upload(server, token, DNS)
        params = {"fields": "dns.qry.name,dns.a,ip.src", "filter": "dns"}
        first = query(server, token, capture_id, **params)
        check(first.header("X-Sharkapi-Cache") == "miss", "first query: %s" % first.header("X-Sharkapi-Cache"))
        check(len(cached_files(server, capture_id)) == 1, "one answer cached: %s" % cached_files(server, capture_id))
        second = query(server, token, capture_id, **params)
        check(second.header("X-Sharkapi-Cache") == "hit", "repeat query: %s" % second.header("X-Sharkapi-Cache"))
        check(second.body == first.body, "a cached answer differs from the fresh one")
        want = oracle.tshark_fields(DNS, ["dns.qry.name", "dns.a", "ip.src"], "dns")
        check(as_tshark_prints(second.json()["data"]["packets"]) == want, "cached answer differs from tshark")

        # Another shape of the same query is another answer: NDJSON, paging, passes.
        for other in ({"format": "ndjson"}, {"limit": "3"}, {"offset": "2"}, {"passes": "2"}):
            r = query(server, token, capture_id, **dict(params, **other))
            check(r.header("X-Sharkapi-Cache") == "miss", "%s reused another answer" % other)
        nd = query(server, token, capture_id, format="ndjson", **params)
        check(nd.header("X-Sharkapi-Cache") == "hit", "repeat NDJSON query missed")
        check([json.loads(line) for line in nd.body.decode().splitlines()] == first.json()["data"]["packets"],
              "cached NDJSON rows differ from the JSON rows")

        # A failed query is not cached: the same bad filter is checked again and still fails.
        for _ in range(2):
            r = server.request("GET", fields_path(capture_id, fields="ip.src", filter="ip.src =="),
                               headers={"Authorization": token})
            check(r.status == 400, "bad filter: %d" % r.status)

        # Persisted: a restarted server answers from the same file.
        server.stop()
        server.start()
        again = query(server, token, capture_id, **params)
        check(again.header("X-Sharkapi-Cache") == "hit", "after a restart: %s" % again.header("X-Sharkapi-Cache"))
        check(again.body == first.body, "the answer changed across a restart")

        # Deleting the capture removes its answers.
        r = server.request("POST", "/api/v1/%s/delete/%s" % (token, capture_id))
        check(r.status == 200, "delete: %d" % r.status)
        check(not os.path.exists(os.path.join(server.data_dir, "captures", capture_id)), "capture folder left")
    finally:
        server.cleanup()


def simulate_lru(capacity, sizes, sequence):
    """What an LRU cache of CAPACITY bytes, holding no answer over a quarter of it, answers for
    SEQUENCE (keys into SIZES): a list of "hit"/"miss", and the keys kept at the end."""
    kept = []  # most recent first
    answers = []
    for key in sequence:
        if key in kept:
            answers.append("hit")
            kept.remove(key)
            kept.insert(0, key)
            continue
        answers.append("miss")
        if sizes[key] > capacity // 4:
            continue
        kept.insert(0, key)
        while sum(sizes[k] for k in kept) > capacity:
            kept.pop()
    return answers, kept


def test_cache_is_capped_and_evicts_least_recently_used():
    capacity = 4096
    config = os.path.join(work_dir, "small-cache.conf")
    with open(config, "w") as f:
        f.write("[sharkapi]\nresult-cache-size = %d\n" % capacity)
    # The cap is each node's own (a cluster's nodes each keep to it): one node.
    server = harness.Server(args=["--config", config], nodes=1).start()
    try:
        token = server.token()
        capture_id = upload(server, token, SMALL)
        # Pages of 8 frames are a few hundred bytes; a page of 60 is over a quarter of the cap.
        pages = {i: {"fields": "frame.number,ip.src,tcp.srcport", "limit": "8", "offset": str(8 * i)}
                 for i in range(10)}
        pages[10] = {"fields": "frame.number,ip.src,tcp.srcport", "limit": "60"}
        sizes = {}
        for key in sorted(pages):
            sizes[key] = len(query(server, token, capture_id, **pages[key]).body)
        check(sizes[10] > capacity // 4 and all(sizes[k] < capacity // 4 for k in range(10)),
              "page sizes do not exercise the cap: %s" % sizes)
        sequence = list(sorted(pages)) + [9, 0, 3, 9, 1, 2, 10, 4, 9, 5, 6, 0]
        want, kept = simulate_lru(capacity, sizes, sequence)
        got = []
        for key in sequence[len(pages):]:
            got.append(query(server, token, capture_id, **pages[key]).header("X-Sharkapi-Cache"))
        check(got == want[len(pages):], "hits and misses %s, an LRU of %d bytes gives %s (sizes %s)"
              % (got, capacity, want[len(pages):], sizes))
        on_disk = sum(os.path.getsize(os.path.join(results_dir(server, capture_id), n))
                      for n in cached_files(server, capture_id))
        check(on_disk <= capacity, "%d bytes cached, cap %d" % (on_disk, capacity))
        check(on_disk == sum(sizes[k] for k in kept), "cached bytes %d, expected %d"
              % (on_disk, sum(sizes[k] for k in kept)))

        # Recency survives a restart: the most recent answer is still there, an evicted one not.
        server.stop()
        server.start()
        check(query(server, token, capture_id, **pages[kept[0]]).header("X-Sharkapi-Cache") == "hit",
              "most recent answer lost across a restart")
        evicted = [k for k in range(10) if k not in kept]
        check(evicted, "nothing was evicted")
        check(query(server, token, capture_id, **pages[evicted[0]]).header("X-Sharkapi-Cache") == "miss",
              "an evicted answer came back")
    finally:
        server.cleanup()


def test_warm_two_pass_query_skips_the_first_pass():
    # A warm worker is its node's own: one node.
    server = harness.Server(args=["--workers", "2"], nodes=1).start()
    try:
        token = server.token()
        capture_id = upload(server, token, DNS)
        other_id = upload(server, token, os.path.join(harness.CAPTURES_DIR, "sv-dns-bug-1158.pcap"))
        # Both default summaries done first: one still running would hold a worker, and the
        # one-pass queries below would then have to take the warm one (a loaded machine did).
        server.wait_ready(token, capture_id)
        server.wait_ready(token, other_id)

        def first_passes(cid):
            return server.v2(token, cid, "status").json()["data"]["analysis"]["first_passes"]

        check(first_passes(capture_id) == 0, "no two-pass query yet")
        queries = [(["dns.qry.name", "dns.response_in"], "dns"),
                   (["dns.id", "dns.response_in", "dns.response_to"], None),
                   (["dns.time", "dns.flags.rcode"], "dns.response_to")]
        for n, (fields, display_filter) in enumerate(queries):
            params = {"fields": ",".join(fields), "passes": "2"}
            if display_filter:
                params["filter"] = display_filter
            r = query(server, token, capture_id, **params)
            check(r.header("X-Sharkapi-Cache") == "miss", "query %d was cached" % n)
            want = oracle.tshark_fields(DNS, fields, display_filter, two_pass=True)
            check(as_tshark_prints(r.json()["data"]["packets"]) == want, "two-pass query %d differs from tshark -2" % n)
            check(first_passes(capture_id) == 1, "after query %d: %d first passes, want 1 (warm worker)"
                  % (n, first_passes(capture_id)))
            # A one-pass query in between runs on the other worker and does not cool this one.
            query(server, token, capture_id, fields="ip.src", offset=str(n))
        # Another capture's two-pass query takes the other worker; this capture stays warm.
        query(server, token, other_id, fields="dns.response_in", passes="2")
        check(first_passes(other_id) == 1, "other capture: %d first passes" % first_passes(other_id))
        query(server, token, capture_id, fields="dns.response_in", passes="2", limit="1")
        check(first_passes(capture_id) == 1, "after another capture's two-pass query: %d first passes"
              % first_passes(capture_id))
    finally:
        server.cleanup()


def build_million_frame_capture():
    path = os.path.join(work_dir, "million.pcap")
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", path] + [ECHO] * MILLION_COPIES, check=True)
    out = subprocess.run(["capinfos", "-c", "-M", path], check=True, capture_output=True, text=True).stdout
    return path, int(re.search(r"Number of packets:\s+(\d+)", out).group(1))


class RssSampler(threading.Thread):
    """Samples a process's VmRSS until stopped; keeps the peak."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.samples = 0
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, harness.rss_kib(self.pid))
            self.samples += 1
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def stream_rows(server, token, capture_id, params):
    """Reads an NDJSON answer piece by piece; returns (rows, first row, last row, cache header)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    try:
        conn.request("GET", fields_path(capture_id, **params), headers={"Authorization": token})
        resp = conn.getresponse()
        check(resp.status == 200, "million rows: %d" % resp.status)
        rows, first, last, tail = 0, None, None, b""
        while True:
            piece = resp.read(256 * 1024)
            if not piece:
                break
            lines = (tail + piece).split(b"\n")
            tail = lines.pop()
            if first is None and lines:
                first = json.loads(lines[0])
            rows += len(lines)
            last_complete = lines[-1] if lines else None
            if last_complete:
                last = last_complete
        check(tail == b"", "the answer ends inside a line")
        return rows, first, json.loads(last), resp.getheader("X-Sharkapi-Cache")
    finally:
        conn.close()


def test_million_rows_stream_with_flat_server_memory():
    path, frames = build_million_frame_capture()
    check(frames >= 1000000, "the merged capture has only %d frames" % frames)
    server = harness.Server(args=["--workers", "1"]).start()
    try:
        token = server.token()
        capture_id = upload(server, token, path)
        params = {"fields": "frame.number,ip.src,tcp.srcport", "format": "ndjson"}
        baseline = harness.rss_kib(server.proc.pid)
        for expect_cache in ("miss", "hit"):
            sampler = RssSampler(server.proc.pid)
            sampler.start()
            rows, first, last, cache = stream_rows(server, token, capture_id, params)
            peak = sampler.stop()
            print("  %s: %d rows, server RSS %d KiB before, peak %d KiB (%d samples)"
                  % (cache, rows, baseline, peak, sampler.samples), flush=True)
            check(cache == expect_cache, "cache %s, want %s" % (cache, expect_cache))
            check(rows == frames, "%d rows for %d frames" % (rows, frames))
            check(first["frame"] == 1 and first["fields"]["frame.number"] == "1", "first row %s" % first)
            check(last["frame"] == frames, "last row %s" % last)
            harness.check_memory(peak < SERVER_RSS_LIMIT_KIB, "server RSS peaked at %d KiB while streaming %d rows"
                  % (peak, rows))
        check(server.alive(), "server died")
    finally:
        server.cleanup()
        os.unlink(path)


def test_client_leaving_stops_its_job():
    path, frames = build_million_frame_capture()
    server = harness.Server(args=["--workers", "1"]).start()
    try:
        token = server.token()
        capture_id = upload(server, token, path)
        server.wait_ready(token, capture_id)
        workers_before = harness.worker_pids(server.proc.pid)
        check(len(workers_before) == 1, "workers: %s" % workers_before)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        conn.request("GET", fields_path(capture_id, fields="frame.number,eth.src", format="ndjson"),
                     headers={"Authorization": token})
        resp = conn.getresponse()
        check(resp.status == 200, "status %d" % resp.status)
        check(len(resp.read(64 * 1024)) > 0, "no first rows")
        conn.sock.shutdown(2)
        conn.close()
        # The worker that ran the job is stopped (the only way to stop a pass) and replaced.
        deadline = time.time() + 300
        while time.time() < deadline and os.path.exists("/proc/%d" % workers_before[0]):
            time.sleep(0.1)
        check(not os.path.exists("/proc/%d" % workers_before[0]), "the job's worker still runs after its client left")
        # The server logs before it stops the worker, but the harness reads its log in a thread.
        deadline = time.time() + 120
        while time.time() < deadline and not any("client left during a fields query" in line for line in server.log):
            time.sleep(0.1)
        check(any("client left during a fields query" in line for line in server.log), "no log line")
        check(cached_files(server, capture_id) == [], "a partial answer was cached: %s" % cached_files(server, capture_id))
        r = query(server, token, capture_id, fields="frame.number", limit="5")
        check(len(r.json()["data"]["packets"]) == 5, "the next query failed")
        check(len(harness.worker_pids(server.proc.pid)) == 1, "worker not replaced")
    finally:
        server.cleanup()
        os.unlink(path)


def test_grown_worker_is_replaced_unless_warm():
    # A recycle size of one byte: every cold worker is over it after any job.
    # A node's own workers are watched: one node.
    server = harness.Server(args=["--workers", "1", "--worker-recycle-rss", "1"], nodes=1).start()
    try:
        token = server.token()
        capture_id = upload(server, token, DNS)
        server.wait_ready(token, capture_id)

        def the_worker():
            deadline = time.time() + 180
            while time.time() < deadline:
                pids = harness.worker_pids(server.proc.pid)
                if len(pids) == 1:
                    return pids[0]
                time.sleep(0.05)
            raise AssertionError("not one worker: %s" % harness.worker_pids(server.proc.pid))

        def replacements():
            return sum("over the recycle size" in line for line in server.log)

        before = the_worker()
        replaced = replacements()
        first = query(server, token, capture_id, fields="dns.qry.name", offset="1").body
        deadline = time.time() + 180
        while time.time() < deadline and the_worker() == before:
            time.sleep(0.05)
        check(the_worker() != before, "a worker over the recycle size was kept")
        deadline = time.time() + 120
        while time.time() < deadline and replacements() != replaced + 1:
            time.sleep(0.05)
        check(replacements() == replaced + 1, "%d replacements for one job" % (replacements() - replaced))
        check(query(server, token, capture_id, fields="dns.qry.name", offset="1", limit="1000").status == 200,
              "the new worker does not answer")
        # A worker keeping a capture's first pass warm is kept, whatever its size.
        query(server, token, capture_id, fields="dns.response_in", passes="2")
        warm = the_worker()
        replaced = replacements()
        query(server, token, capture_id, fields="dns.response_to", passes="2")
        check(the_worker() == warm and replacements() == replaced, "the warm worker was replaced")
        first_passes = server.v2(token, capture_id, "status").json()["data"]["analysis"]["first_passes"]
        check(first_passes == 1, "%d first passes" % first_passes)
        check(json.loads(first)["data"]["packets"], "empty answer")
        check(not any("died" in line for line in server.log), "a replacement was logged as a death")
    finally:
        server.cleanup()


def files_held_by(pids, folder):
    """Every path below folder that one of pids has open, deleted files included."""
    held = set()
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith(folder):
                held.add(target)
    return held


def test_deleted_capture_is_not_kept_open_by_a_warm_worker():
    server = harness.Server(args=["--workers", "2"]).start()
    try:
        token = server.token()
        capture_id = upload(server, token, DNS)
        server.wait_ready(token, capture_id)
        capture_dir = os.path.join(server.data_dir, "captures", capture_id)
        query(server, token, capture_id, fields="dns.response_in", passes="2")
        # The warm first pass keeps the capture open in its worker: that is what makes it warm.
        # (On a cluster, on whichever node answered; a delete through any node reaches them all.)
        held = files_held_by(server.all_worker_pids(), capture_dir)
        check(held, "no worker holds the capture after a two-pass query; the test proves nothing")
        r = server.request("DELETE", "/api/v1/%s/delete/%s" % (token, capture_id))
        check(r.status == 200, "delete: %d %s" % (r.status, r.body[:200]))
        # Once deleted, no worker may keep its disk space in use.
        deadline = time.time() + 180
        while time.time() < deadline and files_held_by(server.all_worker_pids(), capture_dir):
            time.sleep(0.1)
        held = files_held_by(server.all_worker_pids(), capture_dir)
        check(not held, "workers still hold the deleted capture: %s" % sorted(held))
        check(server.v2(token, capture_id, "status").status == 404, "deleted capture still has a status")
        # The replaced worker serves the next two-pass query on another capture.
        other_id = upload(server, token, SMALL)
        server.wait_ready(token, other_id)
        query(server, token, other_id, fields="tcp.analysis.ack_rtt", passes="2")
    finally:
        server.cleanup()


def test_nul_in_a_query_value_is_refused():
    """An encoded NUL once cut a value short: filter=ip.src%00==1.2.3.4 answered every IP frame,
    filter/check called junk after it valid, fields=ip.src%00,ip.dst dropped ip.dst."""
    server = harness.Server(args=["--workers", "1"]).start()
    try:
        token = server.token()
        capture_id = upload(server, token, DNS)
        base = "/api/v2/analysis/%s/" % capture_id
        for path in (base + "packets/fields?fields=ip.src&filter=ip.src%00==1.2.3.4",
                     base + "packets/fields?fields=ip.src%00,ip.dst",
                     base + "stats/hierarchy?filter=udp%00junk",
                     "/api/v2/filter/check?filter=ip.src%00%20garbage%20(((",
                     "/api/v2/tables?x=%00"):
            r = server.request("GET", path, headers={"Authorization": token})
            check(r.status == 400 and r.json()["status"] == 400 and "NUL" in r.json()["exceptions"][0],
                  "%s: %d %s" % (path, r.status, r.body[:200]))
        r = server.request("GET", base + "packets/fields?fields=ip.src%00", headers={"Authorization": "bogus"})
        check(r.status == 401, "the token is checked first: %d" % r.status)
        check(server.alive(), "server died")
    finally:
        server.cleanup()


if __name__ == "__main__":
    try:
        harness.run([test_repeat_query_is_answered_from_the_cache,
                     test_nul_in_a_query_value_is_refused,
                     test_cache_is_capped_and_evicts_least_recently_used,
                     test_warm_two_pass_query_skips_the_first_pass,
                     test_grown_worker_is_replaced_unless_warm,
                     test_deleted_capture_is_not_kept_open_by_a_warm_worker,
                     test_million_rows_stream_with_flat_server_memory,
                     test_client_leaving_stops_its_job])
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
