#!/usr/bin/env python3
"""test_summary_shards.py: a capture's summary pass split across two workers gives the same
answers, byte for byte, as one pass (issue 7, item 3).

Two real servers on 127.0.0.1 with two workers each: one shards every capture's summary pass
(--summary-shard-min-frames 1; a pass is sharded when both workers are free, so uploads to it
wait for each analysis), the other never (the default, 0). Every shared capture,
good and bad, is uploaded to both; every summary route (status, hierarchy, endpoints
and conversations of every table the worker offers, DNS lookups) must answer the same bytes on
both. Sharding must have really run (merged) for some captures and fallen back to one pass for
at least one, as the servers' metrics (sharkapi_summary_shard_runs_total) and log lines say;
and for one capture of each kind the sharded server's hierarchy must equal tshark's.
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import oracle  # noqa: E402
from harness import check  # noqa: E402

sharded = None
single = None
tokens = {}
uploads = {}  # capture path -> (sharded answer, single answer) of the upload
tables = []


def bad_captures():
    return sorted(os.path.join(harness.BAD_DIR, n) for n in os.listdir(harness.BAD_DIR))


def shard_runs(server):
    """{outcome: count} of sharkapi_summary_shard_runs_total."""
    text = server.request("GET", "/metrics").body.decode()
    runs = {}
    for outcome, value in re.findall(r'^sharkapi_summary_shard_runs_total\{outcome="(\w+)"\} (\S+)$', text, re.M):
        runs[outcome] = float(value)
    return runs


def upload_everywhere():
    for path in harness.captures() + bad_captures():
        answers = []
        for server in (sharded, single):
            r = server.upload_put(tokens[server], path)
            answers.append(r)
            # A pass is sharded only when both workers are free: one capture at a time.
            if server is sharded and r.status == 200:
                server.wait_ready(tokens[server], r.json()["id"])
        uploads[path] = answers


def test_uploads_answer_alike():
    upload_everywhere()
    for path, (a, b) in uploads.items():
        check(a.status == b.status, "%s: upload %d vs %d" % (os.path.basename(path), a.status, b.status))
        if a.status != 200:
            check(a.body == b.body, "%s: upload errors differ" % os.path.basename(path))
    good = [p for p, (a, _) in uploads.items() if a.status == 200]
    check(len(good) >= len(harness.captures()), "not every good capture was accepted")
    for path in good:
        for index, server in enumerate((sharded, single)):
            capture_id = uploads[path][index].json()["id"]
            server.wait_ready(tokens[server], capture_id)


def routes():
    yield "status", {}
    yield "stats/hierarchy", {}
    yield "dns/lookups", {}
    for table in tables:
        yield "stats/endpoints", {"protocol": table}
        yield "stats/conversations", {"protocol": table}


def test_every_summary_route_same_bytes():
    problems = []
    compared = 0
    for path, answers in uploads.items():
        if answers[0].status != 200:
            continue
        ids = [answers[0].json()["id"], answers[1].json()["id"]]
        for route, params in routes():
            a = sharded.v2(tokens[sharded], ids[0], route, **params)
            b = single.v2(tokens[single], ids[1], route, **params)
            compared += 1
            if a.status != b.status or a.body != b.body:
                problems.append("%s %s %s: %d vs %d" % (os.path.basename(path), route, params, a.status, b.status))
    print("compared %d answers" % compared)
    check(compared > 1000, "too few answers compared: %d" % compared)
    check(not problems, "sharded and single-pass answers differ:\n" + "\n".join(problems[:20]))


def test_sharding_ran_and_fell_back():
    runs = shard_runs(sharded)
    print("sharded server: %s" % runs)
    check(runs.get("merged", 0) >= 10, "too few captures merged from shards: %s" % runs)
    check(runs.get("fallback", 0) >= 1, "no capture fell back to one pass: %s" % runs)
    check(shard_runs(single) == {}, "the server with sharding off sharded")
    log = "".join(sharded.log)
    check(re.search(r"summary_shards.*outcome=merged", log), "no merged summary_shards log line")
    check(re.search(r"summary_shards.*outcome=fallback.*reason=", log), "no fallback log line with its reason")


def capture_with(outcome):
    """A capture whose sharded run ended with outcome, from the log lines."""
    ids = {answers[0].json()["id"]: path for path, answers in uploads.items() if answers[0].status == 200}
    for line in sharded.log:
        if "summary_shards" in line and "outcome=" + outcome in line:
            for capture_id, path in ids.items():
                if capture_id in line:
                    return path, capture_id
    raise AssertionError("no capture with outcome " + outcome)


def test_sharded_hierarchy_matches_tshark():
    missing = oracle.available()
    check("tshark" not in missing, "tshark is not installed (scripts/install-deps.sh --test)")
    for outcome in ("merged", "fallback"):
        path, capture_id = capture_with(outcome)
        got = sharded.v2(tokens[sharded], capture_id, "stats/hierarchy").json()["data"]
        check(got == oracle.tshark_phs(path), "%s (%s): hierarchy differs from tshark" % (path, outcome))


def main():
    global sharded, single
    sharded = harness.Server(args=["--workers", "2", "--summary-shard-min-frames", "1"]).start()
    single = harness.Server(args=["--workers", "2"]).start()  # the default: never sharded
    try:
        for server in (sharded, single):
            tokens[server] = server.token()
        for _ in range(300):  # 503 until the first worker said HELLO
            listed = sharded.request("GET", "/api/v2/tables", headers={"Authorization": tokens[sharded]})
            if listed.status == 200:
                break
            time.sleep(0.1)
        tables.extend(t["filter"] for t in listed.json()["data"]["tables"])
        harness.run([test_uploads_answer_alike, test_every_summary_route_same_bytes,
                     test_sharding_ran_and_fell_back, test_sharded_hierarchy_matches_tshark])
    finally:
        sharded.cleanup()
        single.cleanup()


if __name__ == "__main__":
    main()
