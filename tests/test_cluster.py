#!/usr/bin/env python3
"""test_cluster.py: three sharkapi nodes sharing one data dir and one real PostgreSQL (issue 20).

A PostgreSQL server in a temporary directory on a Unix socket (postgres_fixture.py) and three
nodes on loopback ports, one worker each, all with --database and the same --data-dir:
  - an upload through one node is analysed once (counted over every node's
    sharkapi_jobs_total), and every node answers for it, the same bytes, equal to tshark;
  - GET /api/v2/cluster lists the three nodes alive and needs the admin permission;
  - 200 concurrent uploads through the three nodes: 200 distinct ids, each analysed exactly once
    (summary passes and claims counted over the nodes, and the jobs' rows in PostgreSQL);
  - kill -9 of the node running a summary pass: another node claims it when its lease ends and
    finishes it, and the request parked meanwhile on a third node is answered;
  - the shared data dir gone (moved away): every node answers 503 with Retry-After and logs why,
    and serves again when it is back;
  - two nodes with a small result cache: their answers together stay under its cap;
  - PostgreSQL stopped for 10 s under load: requests get 200 or 503 with Retry-After, never a
    500, never a hang; nothing acknowledged is lost; full service within seconds of its restart.
Every wait is for a condition, with a deadline.
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import oracle  # noqa: E402
import postgres_fixture  # noqa: E402
from harness import check  # noqa: E402

NAMES = ["n1", "n2", "n3"]
pg = None
database = None
data_dir = None
nodes = {}  # name -> harness.Server (one node each)
token = None
work_dir = tempfile.mkdtemp(prefix="sharkapi-cluster-")


def start_node(name):
    nodes[name] = harness.Server(data_dir=data_dir, database=database, nodes=1,
                                 args=["--workers", "1", "--node-name", name]).start()
    return nodes[name]


def metric_sum(pattern):
    """The sum over the nodes of the /metrics lines matching pattern (a regex on the series)."""
    total = 0.0
    for node in nodes.values():
        text = node.request("GET", "/metrics").body.decode()
        for line in text.splitlines():
            if re.match(pattern, line):
                total += float(line.rsplit(" ", 1)[1])
    return total


def summary_passes():
    return metric_sum(r'^sharkapi_jobs_total\{job="summary",')


def wait_for(condition, what, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def status(node, capture_id):
    r = node.v2(token, capture_id, "status")
    return r.json()["data"]["analysis"]["state"] if r.status == 200 else None


def cluster_view(node):
    r = node.request("GET", "/api/v2/cluster", headers={"Authorization": token})
    check(r.status == 200, "cluster: %d %s" % (r.status, r.body[:200]))
    return r.json()["data"]


def db(sql, params=None):
    return pg.query(database, sql, params)


# ---- tests ----

def test_every_node_answers_one_pass():
    paths = [os.path.join(harness.CAPTURES_DIR, n) for n in
             ("zeek-http-bro.org.pcap", "sv-dns-udp-a-aaaa-mx.pcap", "tcpdump-mptcp-ssh.pcap")]
    before = summary_passes()
    ids = []
    for path in paths:
        r = nodes["n1"].upload_put(token, path)
        check(r.status == 200, "upload %s: %d %s" % (path, r.status, r.body[:200]))
        ids.append(r.json()["id"])
    for path, capture_id in zip(paths, ids):
        wait_for(lambda: status(nodes["n3"], capture_id) == "ready", "%s ready" % capture_id)
        bodies = {name: node.v2(token, capture_id, "stats/hierarchy") for name, node in nodes.items()}
        check(all(r.status == 200 for r in bodies.values()), "%s: %s" % (path, {n: r.status for n, r in bodies.items()}))
        check(len({r.body for r in bodies.values()}) == 1, "%s: the nodes answer differently" % path)
        check(harness.data_of(bodies["n2"], "hierarchy") == oracle.tshark_phs(path),
              "%s: hierarchy differs from tshark -z io,phs" % path)
        for name, node in nodes.items():
            info = node.request("GET", "/api/v1/%s/info/%s" % (token, capture_id))
            check(info.status == 200, "%s: info on %s: %d" % (path, name, info.status))
    check(summary_passes() - before == len(paths), "%d summary passes for %d uploads" % (summary_passes() - before, len(paths)))


def test_cluster_route():
    view = cluster_view(nodes["n2"])
    check(view["node"] == "n2" and view["shared"] is True, "cluster: %s" % view)
    check(sorted(n["name"] for n in view["nodes"]) == NAMES and all(n["alive"] for n in view["nodes"]),
          "nodes: %s" % view["nodes"])
    check(all(n["workers"] == 1 for n in view["nodes"]), "workers: %s" % view["nodes"])
    analysis = nodes["n1"].token(permissions="analysis")
    r = nodes["n1"].request("GET", "/api/v2/cluster", headers={"Authorization": analysis})
    check(r.status == 403, "cluster without admin: %d" % r.status)
    metrics = nodes["n3"].request("GET", "/metrics").body.decode()
    check('sharkapi_node_info{node="n3"} 1' in metrics, "the node's name is not in its metrics")


def test_200_concurrent_uploads():
    path = os.path.join(harness.CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")
    before_passes = summary_passes()
    before_claims = metric_sum(r"^sharkapi_cluster_claims_total")
    order = [NAMES[i % 3] for i in range(200)]

    def upload(name):
        return nodes[name].upload_put(token, path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(upload, order))
    check(all(r.status == 200 for r in answers), "uploads: %s" % sorted({r.status for r in answers}))
    ids = [r.json()["id"] for r in answers]
    check(len(set(ids)) == 200, "%d distinct ids for 200 uploads" % len(set(ids)))
    for i, capture_id in enumerate(ids):
        wait_for(lambda: status(nodes[NAMES[(i + 1) % 3]], capture_id) == "ready", "%s ready" % capture_id)
    passes = summary_passes() - before_passes
    claims = metric_sum(r"^sharkapi_cluster_claims_total") - before_claims
    check(passes == 200 and claims == 200, "200 uploads: %d summary passes, %d claims" % (passes, claims))
    placeholders = ",".join("?" for _ in ids)
    rows = db("SELECT state, attempts, count(*) FROM cluster_jobs WHERE capture_id IN (%s) AND variant = 'default'"
              " GROUP BY state, attempts" % placeholders, ids)
    check(rows == [["done", "1", "200"]], "the jobs' rows: %s" % rows)
    print("  200 uploads, %d passes, %d claims" % (passes, claims))


def big_capture():
    """About 300,000 frames built from the corpus (bench/make_capture.py): a pass of seconds."""
    path = os.path.join(work_dir, "mixed-300000.pcap")
    if not os.path.exists(path):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "make_capture.py")
        subprocess.run([sys.executable, script, harness.CAPTURES_DIR, path, "300000"], check=True,
                       capture_output=True)
    return path


def test_kill_node_running_summary():
    path = big_capture()
    r = nodes["n1"].upload_put(token, path)
    check(r.status == 200, "upload: %d %s" % (r.status, r.body[:200]))
    capture_id = r.json()["id"]

    def running_on():
        for job in cluster_view(nodes["n1"])["jobs"]:
            if job["capture"] == capture_id and job["state"] == "running":
                return job["node"]
        return None
    victim = wait_for(running_on, "the summary pass to start", timeout=120)
    waiter_name = next(n for n in NAMES if n != victim and n != "n1") if victim != "n1" else "n2"
    waiter = nodes[waiter_name]
    answer = {}

    def park():
        answer["r"] = waiter.v2(token, capture_id, "stats/hierarchy")
    thread = threading.Thread(target=park)
    thread.start()
    # The request is parked (it waits for the pass) before the node running it dies.
    wait_for(lambda: status(waiter, capture_id) == "running", "the pass seen running from %s" % waiter_name)
    check(thread.is_alive(), "the parked request was answered before the kill: the pass was too short")
    nodes[victim].proc.send_signal(signal.SIGKILL)
    nodes[victim].proc.wait()
    killed_at = time.time()
    thread.join(300)
    check(not thread.is_alive(), "the parked request on %s was never answered" % waiter_name)
    r = answer["r"]
    check(r.status == 200 and r.json()["data"]["protos"], "after the kill of %s: %d %s" % (victim, r.status, r.body[:200]))
    rows = db("SELECT state, attempts FROM cluster_jobs WHERE capture_id = ? AND variant = 'default'", [capture_id])
    check(rows == [["done", "2"]], "the job after a lost node: %s" % rows)
    survivors = [n for n in NAMES if n != victim]
    other = nodes[survivors[0]] if survivors[0] != waiter_name else nodes[survivors[1]]
    check(other.v2(token, capture_id, "stats/hierarchy").body == r.body, "the surviving nodes answer differently")
    print("  killed %s mid-pass; %s answered %.1f s later" % (victim, waiter_name, time.time() - killed_at))
    start_node(victim)
    wait_for(lambda: all(n["alive"] for n in cluster_view(nodes["n1"])["nodes"]), "all nodes alive again")


def test_shared_mount_lost():
    """The data dir vanishing under the nodes (a lost mount, simulated by moving it away): 503
    with Retry-After and a log line saying why, and service again when it is back."""
    small = os.path.join(harness.CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")
    known = nodes["n1"].upload_put(token, small).json()["id"]
    wait_for(lambda: status(nodes["n2"], known) == "ready", "a capture ready before the mount goes")
    away = data_dir + ".gone"
    os.rename(data_dir, away)
    try:
        for name in NAMES:
            # Within a look or two of the watch (every 2 s) the node says why.
            r = wait_for(lambda: (lambda r: r if r.status == 503 and b"data directory" in r.body else None)(
                nodes[name].v2(token, known, "stats/hierarchy")), "503 from %s without its data dir" % name, 60)
            check(r.header("Retry-After") is not None, "%s: 503 without Retry-After" % name)
            check(any("data dir is unreachable" in line for line in nodes[name].log), "%s does not log why" % name)
            up = nodes[name].upload_put(token, small)
            check(up.status == 503, "%s: an upload without the data dir: %d" % (name, up.status))
    finally:
        os.rename(away, data_dir)
    for name in NAMES:
        last = {}

        def serving():
            last["r"] = nodes[name].v2(token, known, "stats/hierarchy")
            return last["r"].status == 200
        try:
            wait_for(serving, "%s serving again" % name, 60)
        except AssertionError:
            raise AssertionError("%s not serving again: %d %s" % (name, last["r"].status, last["r"].body[:300]))
    after = nodes["n3"].upload_put(token, small)
    check(after.status == 200, "uploads after the mount came back: %d" % after.status)
    wait_for(lambda: status(nodes["n1"], after.json()["id"]) == "ready", "the upload after the mount came back, analysed")


def test_result_cache_cap_holds_for_all_nodes():
    """Two more nodes on a data dir of their own with a 20,000-byte result cache: answers written
    through both stay under the cap together (each node rebuilds its view from the disk at most
    every 2 s before it evicts)."""
    cap = 20000
    own_dir = tempfile.mkdtemp(prefix="sharkapi-cluster-cache-")
    own_db = pg.create_database("cache")
    pair = [harness.Server(data_dir=own_dir, database=own_db, nodes=1,
                           args=["--workers", "1", "--node-name", "c%d" % k, "--result-cache-size", str(cap)]).start()
            for k in (1, 2)]

    def on_disk():
        folder = os.path.join(own_dir, "captures")
        return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder)
                   if os.path.basename(root) == "results" for name in names)
    try:
        own_token = pair[0].token()
        capture_id = pair[0].upload_put(own_token, os.path.join(harness.CAPTURES_DIR, "zeek-http-bro.org.pcap")).json()["id"]
        wait_for(lambda: pair[1].v2(own_token, capture_id, "status").json()["data"]["analysis"]["state"] == "ready",
                 "the capture ready")
        written = 0
        for n in range(24):  # distinct queries, about 3 KB answers, alternating nodes
            r = pair[n % 2].request("GET", "/api/v2/analysis/%s/packets/fields?fields=ip.src,tcp.len&limit=%d"
                                    % (capture_id, 30 + n), headers={"Authorization": own_token})
            check(r.status == 200, "fields: %d" % r.status)
            written += len(r.body)
        check(written > 2 * cap, "too little written to test the cap: %d bytes" % written)
        # Each node's next commit after its rescan interval evicts down to the cap, whoever wrote:
        # small new answers (a hit commits nothing) until the disk is under the cap.
        fresh = iter(range(1, 100000))

        def settled():
            for node in pair:
                node.request("GET", "/api/v2/analysis/%s/packets/fields?fields=ip.len&limit=%d"
                             % (capture_id, next(fresh)), headers={"Authorization": own_token})
            return on_disk() <= cap
        wait_for(settled, "the answers of both nodes under the cap (%d bytes on disk)" % on_disk(), 60)
        print("  %d bytes of answers written through two nodes, %d kept (cap %d)" % (written, on_disk(), cap))
    finally:
        for node in pair:
            node.stop()
        shutil.rmtree(own_dir, ignore_errors=True)


def test_postgres_outage_under_load():
    small = os.path.join(harness.CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")
    known = nodes["n1"].upload_put(token, small).json()["id"]
    wait_for(lambda: status(nodes["n2"], known) == "ready", "a capture ready before the outage")
    stop = threading.Event()
    seen = []  # (status, has Retry-After, seconds, what)
    acknowledged = []
    lock = threading.Lock()

    def load(name):
        node = nodes[name]
        k = 0
        while not stop.is_set():
            k += 1
            started = time.time()
            if k % 3 == 0:
                r = node.upload_put(token, small)
                what = "upload"
                if r.status == 200:
                    with lock:
                        acknowledged.append(r.json()["id"])
            elif k % 3 == 1:
                r = node.v2(token, known, "status")
                what = "status"
            else:
                r = node.request("GET", "/api/v1/%s/info/%s" % (token, known))
                what = "info"
            with lock:
                seen.append((r.status, r.header("Retry-After") is not None, time.time() - started, what))
    threads = [threading.Thread(target=load, args=(name,)) for name in NAMES]
    for t in threads:
        t.start()
    wait_for(lambda: len(seen) > 30, "load before the outage")
    pg.stop()
    stopped_at = time.time()
    wait_for(lambda: time.time() - stopped_at >= 10 and sum(1 for s in seen if s[0] == 503) >= 3,
             "10 s of outage with 503s")
    pg.start()
    restarted_at = time.time()
    # Full service: an upload and a status through every node.
    for name in NAMES:
        wait_for(lambda: nodes[name].upload_put(token, small).status == 200, "uploads on %s after the restart" % name, 60)
    recovered = time.time() - restarted_at
    stop.set()
    for t in threads:
        t.join(120)
    statuses = sorted({s[0] for s in seen})
    print("  %d requests; statuses %s; %d 503s; slowest %.1f s; full service %.1f s after the restart"
          % (len(seen), statuses, sum(1 for s in seen if s[0] == 503), max(s[2] for s in seen), recovered))
    check(set(statuses) <= {200, 503}, "statuses during the outage: %s" % statuses)
    check(all(s[1] for s in seen if s[0] == 503), "a 503 without Retry-After")
    check(max(s[2] for s in seen) < 30, "a request hung %.1f s" % max(s[2] for s in seen))
    check(recovered < 30, "full service %.1f s after the restart" % recovered)
    for capture_id in acknowledged:
        wait_for(lambda: status(nodes["n3"], capture_id) == "ready", "%s (acknowledged) ready" % capture_id)
    print("  %d uploads acknowledged around the outage, all analysed" % len(acknowledged))


def main():
    global pg, database, data_dir, token
    pg = postgres_fixture.Postgres().start()
    database = pg.create_database()
    data_dir = tempfile.mkdtemp(prefix="sharkapi-cluster-data-")
    try:
        for name in NAMES:
            start_node(name)
        token = nodes["n1"].token()
        harness.run([test_every_node_answers_one_pass, test_cluster_route, test_shared_mount_lost,
                     test_200_concurrent_uploads, test_kill_node_running_summary,
                     test_result_cache_cap_holds_for_all_nodes, test_postgres_outage_under_load])
    finally:
        for node in nodes.values():
            node.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(work_dir, ignore_errors=True)
        pg.cleanup()


if __name__ == "__main__":
    main()
