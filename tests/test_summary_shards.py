#!/usr/bin/env python3
"""test_summary_shards.py: a capture's summary pass split across two workers gives the same
answers, byte for byte, as one pass (issue 7, item 3).

Two real servers on 127.0.0.1 with two workers each: one shards every capture's summary pass
(--summary-shard-min-frames 1; a pass is sharded when both workers are free, so each upload to
it waits for the previous analysis and for both workers to wait for a job, blocked reading their
stdin as /proc/PID/syscall shows), the other never (the default, 0). Every shared capture,
good and bad, is uploaded to both; every summary route (status, hierarchy, endpoints
and conversations of every table the worker offers, DNS lookups) must answer the same bytes on
both. Which runs were sharded then follows from the oracles, not from a number written here:
every accepted capture with at least one frame (tshark -z io,phs counts them) had exactly one
sharded run and no other capture had one, as the log lines say and
sharkapi_summary_shard_runs_total counts; a capture in which tshark's io,phs shows a protocol the
shard guard denies (engine-shard.c) fell back; both outcomes occurred; and for one capture of
each kind the sharded server's hierarchy equals tshark's.
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
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
oracle_pool = concurrent.futures.ThreadPoolExecutor(1)  # the only thread that runs the oracle meanwhile
phs_of = {}  # capture path -> future of tshark's io,phs, computed while the uploads wait


def bad_captures():
    return sorted(os.path.join(harness.BAD_DIR, n) for n in os.listdir(harness.BAD_DIR))


def shard_runs(server):
    """{outcome: count} of sharkapi_summary_shard_runs_total."""
    text = server.request("GET", "/metrics").body.decode()
    runs = {}
    for outcome, value in re.findall(r'^sharkapi_summary_shard_runs_total\{outcome="(\w+)"\} (\S+)$', text, re.M):
        runs[outcome] = float(value)
    return runs


# engine_shard_denied_protocols in src/engine/engine-shard.c: any of them in a shard makes it unsafe.
DENIED_PROTOCOLS = {
    "bittorrent", "cflow", "dtls", "erspan", "ftp", "ftp-data", "geneve", "gquic", "gre",
    "gtp", "gtpv2", "h225", "h245", "l2tp", "megaco", "mgcp", "mptcp", "msrp", "nsh", "portmap",
    "quic", "rtcp", "rtp", "rtpevent", "rtsp", "sccp", "sctp", "sdp", "sip", "skinny", "smb",
    "smb2", "srtp", "t38", "teredo", "tftp", "vxlan", "wg",
}
WORKERS = 2


def waiting_for_a_job(pid):
    """True when the worker is blocked reading its stdin (read on fd 0): it said HELLO, runs
    no job, and is not starting or stopping."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            fields = f.read().split()
    except OSError:
        return False
    return len(fields) >= 2 and fields[0] == "0" and int(fields[1], 16) == 0


def wait_workers_idle(server, timeout=120):
    """Until the server has its WORKERS workers and each waits for a job (after a fallback the
    shards' workers are replaced, and a new one needs a moment to start)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = harness.worker_pids(server.proc.pid)
        if len(pids) == WORKERS and all(waiting_for_a_job(pid) for pid in pids):
            return
        time.sleep(0.05)
    raise AssertionError("workers %s not all waiting for a job (read on fd 0 in /proc/PID/syscall) after %d s"
                         % (harness.worker_pids(server.proc.pid), timeout))


def upload_everywhere():
    for path in harness.captures() + bad_captures():
        phs_of[path] = oracle_pool.submit(oracle.tshark_phs, path)
        answers = []
        for server in (sharded, single):
            # A pass is sharded only when both workers are free: one capture at a time, on idle workers.
            if server is sharded:
                wait_workers_idle(server)
            r = server.upload_put(tokens[server], path)
            answers.append(r)
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
    yield "expert", {}
    yield "http/requests", {}
    yield "tls/handshakes", {}
    yield "stats/io", {}  # the all-frames series: the first shard counted every frame
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


def shard_log_lines(server):
    """{capture id: [(outcome, reason)]} of the server's summary_shards log lines."""
    found = {}
    for line in server.log:
        if "event=summary_shards" in line:
            capture = re.search(r"\bcapture=(\w+)", line).group(1)
            outcome = re.search(r"\boutcome=(\w+)", line).group(1)
            reason = re.search(r'\breason="([^"]*)"', line)
            found.setdefault(capture, []).append((outcome, reason.group(1) if reason else None))
    return found


def phs_protocols(nodes):
    names = set()
    for node in nodes:
        names.add(node["proto"])
        names |= phs_protocols(node.get("protos", []))
    return names


def test_sharding_ran_and_fell_back():
    runs = shard_runs(sharded)
    lines = shard_log_lines(sharded)
    print("sharded server: %s" % runs)
    check(shard_runs(single) == {} and not shard_log_lines(single), "the server with sharding off sharded")
    accepted = {answers[0].json()["id"]: path for path, answers in uploads.items() if answers[0].status == 200}
    check(set(lines) <= set(accepted), "sharded runs of captures never accepted: %s" % (set(lines) - set(accepted)))
    problems = []
    outcomes = {"merged": 0, "fallback": 0}
    for capture_id, path in sorted(accepted.items(), key=lambda item: item[1]):
        name = os.path.basename(path)
        phs = phs_of[path].result()["protos"]  # its top node is frame: every frame tshark read
        frames = sum(node["frames"] for node in phs)
        got = lines.get(capture_id, [])
        if frames < 1:  # under --summary-shard-min-frames 1: never sharded
            if got:
                problems.append("%s: %d frames, yet sharded: %s" % (name, frames, got))
            continue
        if len(got) != 1:
            problems.append("%s: %d frames, %d sharded runs: %s" % (name, frames, len(got), got))
            continue
        outcome, reason = got[0]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "fallback" and not reason:
            problems.append("%s: fell back without a reason" % name)
        denied = phs_protocols(phs) & DENIED_PROTOCOLS
        if denied and outcome != "fallback":
            problems.append("%s: tshark shows %s, yet %s" % (name, sorted(denied), outcome))
    print("from the oracles: %s" % outcomes)
    check(not problems, "\n".join(problems))
    check(runs == {k: float(v) for k, v in outcomes.items() if v}, "metrics %s, log lines %s" % (runs, outcomes))
    check(outcomes["merged"] >= 1 and outcomes["fallback"] >= 1, "both outcomes must occur: %s" % outcomes)


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
        check(got == phs_of[path].result(), "%s (%s): hierarchy differs from tshark" % (path, outcome))


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
        oracle_pool.shutdown(cancel_futures=True)
        sharded.cleanup()
        single.cleanup()


if __name__ == "__main__":
    main()
