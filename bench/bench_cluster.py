#!/usr/bin/env python3
"""bench_cluster.py: captures analysed per minute by one, two and three nodes of one worker each,
and the cost of a job claim (issue 20).

    bench_cluster.py --build BUILD_DIR [--captures N] [--frames F] [--work DIR] [--results FILE]

A real PostgreSQL in a temporary directory (tests/postgres_fixture.py, Unix socket only) and, for
each cluster size, a fresh database and data dir with that many `sharkapi serve` nodes on
127.0.0.1 (--workers 1, --node-name nK). N copies of an F-frame capture built from the corpus
(bench/make_capture.py) are uploaded concurrently, spread round-robin over the nodes; the rate is
N over the time from the first upload to the last capture ready. The claim cost is the median of
the claim_ms every node logs with event=cluster_claim (the UPDATE ... FOR UPDATE SKIP LOCKED
round trip). As a reference in the same run: tshark's io,phs over the same N files one after
another, the single pass the summary replaces.
On a 2-core machine, three one-worker nodes share two cores: the row says what the cores allow.
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
import harness  # noqa: E402
import postgres_fixture  # noqa: E402


def run_cluster(pg, build, n_nodes, capture, n_captures):
    os.environ["SHARKAPI_BUILD_DIR"] = build
    database = pg.create_database("bench")
    data_dir = tempfile.mkdtemp(prefix="bench-cluster-")
    nodes = []
    try:
        for k in range(n_nodes):
            nodes.append(harness.Server(data_dir=data_dir, database=database, nodes=1,
                                        args=["--workers", "1", "--node-name", "n%d" % (k + 1)]).start())
        token = nodes[0].token()
        started = time.monotonic()

        def upload(i):
            r = nodes[i % n_nodes].upload_put(token, capture)
            if r.status != 200:
                raise RuntimeError("upload: %d %s" % (r.status, r.body[:200]))
            return r.json()["id"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(upload, range(n_captures)))
        pending = set(ids)
        while pending:
            for capture_id in list(pending):
                r = nodes[0].v2(token, capture_id, "status")
                state = r.json()["data"]["analysis"]["state"]
                if state == "failed":
                    raise RuntimeError("analysis of %s failed" % capture_id)
                if state == "ready":
                    pending.discard(capture_id)
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        claims = []
        per_node = []
        for node in nodes:
            mine = [float(m.group(1)) for line in node.log for m in [re.search(r"event=cluster_claim .*claim_ms=([\d.]+)", line)] if m]
            claims += mine
            per_node.append(len(mine))
        return elapsed, claims, per_node
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--captures", type=int, default=40)
    ap.add_argument("--frames", type=int, default=20000)
    ap.add_argument("--work", default=None)
    ap.add_argument("--results")
    args = ap.parse_args(argv[1:])
    build = os.path.abspath(args.build)
    work = args.work or tempfile.mkdtemp(prefix="bench-cluster-work-")
    capture = os.path.join(work, "mixed-%d.pcap" % args.frames)
    if not os.path.exists(capture):
        subprocess.run([sys.executable, os.path.join(HERE, "make_capture.py"), os.path.join(ROOT, "tests", "captures"),
                        capture, str(args.frames)], check=True, capture_output=True)
    env = harness.oracle_env()
    started = time.monotonic()
    for _ in range(args.captures):
        subprocess.run(["tshark", "-n", "-q", "-r", capture, "-z", "io,phs"], check=True, capture_output=True, env=env)
    tshark_rate = args.captures / (time.monotonic() - started) * 60
    pg = postgres_fixture.Postgres().start()
    rows = []
    try:
        for n_nodes in (1, 2, 3):
            elapsed, claims, per_node = run_cluster(pg, build, n_nodes, capture, args.captures)
            rate = args.captures / elapsed * 60
            rows.append("| %d node%s x 1 worker | %.1f captures/min | %.2f ms (%d claims; per node %s) | tshark io,phs one after another: %.1f/min |"
                        % (n_nodes, "s" if n_nodes > 1 else "", rate, statistics.median(claims), len(claims),
                           "/".join(map(str, per_node)), tshark_rate))
            print(rows[-1], flush=True)
    finally:
        pg.cleanup()
    load = open("/proc/loadavg").read().split()[:3]
    text = ["", "## Several nodes (bench/bench_cluster.py, %s UTC)" % time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "",
            "%d uploads of a %d-frame capture built from the corpus, spread over the nodes; %d cores; load %s." %
            (args.captures, args.frames, os.cpu_count() or 0, " ".join(load)), "",
            "| cluster | analysed | job claim, median | reference |", "|---|---|---|---|"] + rows + [""]
    print("\n".join(text))
    if args.results:
        with open(args.results, "a") as f:
            f.write("\n".join(text))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
