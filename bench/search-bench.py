#!/usr/bin/env python3
"""search-bench.py: v1 search over many captures, timed over HTTP.

Creates a data dir with sharkapi's own schema (through `sharkapi token create`), inserts N capture
rows (default 100,000) with tags and comments directly with Python's sqlite3 (the schema's
triggers fill the full-text index as the server's own inserts do), starts the server on it and
times a set of searches: median and 95th percentile of the round trip, and the number of
captures answered. Rows have no capture files (search reads only the database); they are marked
as failed analyses so the server does not try to analyse them at start.

    SHARKAPI_BUILD_DIR=build python3 bench/search-bench.py [--rows 100000] [--runs 30]

SPDX-License-Identifier: GPL-2.0-or-later
"""
import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import shutil

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
         "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor",
         "whiskey", "xray", "yankee", "zulu", "voip", "dns", "http", "tls", "quic", "dhcp", "smb", "ssh"]
TAGS = ["tag%03d" % i for i in range(200)]  # tag000 is on ~1% of rows, like any other tag


def populate(data_dir, rows, seed=1):
    rng = random.Random(seed)
    db = sqlite3.connect(os.path.join(data_dir, "sharkapi.db"))
    start = time.time()
    base = 1700000000  # 2023-11-14
    with db:
        for n in range(rows):
            capture_id = "%012x" % rng.getrandbits(48)
            words = rng.sample(WORDS, 3)
            filename = "%s-%s-%06d.pcap" % (words[0], words[1], n)
            comments = "capture of %s traffic from site %d" % (words[2], rng.randrange(500))
            tags = rng.sample(TAGS, rng.randrange(1, 4))
            created = base + n * 600  # one every ten minutes: about two years
            created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
            start_ns = (created - rng.randrange(86400)) * 1000000000
            db.execute(
                "INSERT INTO captures (id, filename, comments, tag_list, user, created_at, last_accessed, size, "
                "num_packets, data_size, has_times, start_time_ns, end_time_ns, time_digits, file_type, "
                "encapsulation, truncated, analysis_failed) VALUES (?, ?, ?, ?, 'bench', ?, ?, ?, ?, ?, 1, ?, ?, 6, "
                "'Wireshark/tcpdump/... - pcap', 'Ethernet', 0, 'benchmark row without a capture file')",
                (capture_id, filename, comments, ",".join(tags), created_at, created_at, rng.randrange(1000, 10 ** 8),
                 rng.randrange(1, 10 ** 6), rng.randrange(1000, 10 ** 8), start_ns, start_ns + 10 ** 10))
            db.executemany("INSERT INTO capture_tags (capture_id, tag) VALUES (?, ?)", [(capture_id, t) for t in tags])
    db.execute("ANALYZE")
    db.close()
    return time.time() - start


QUERIES = [
    ("newest 100 (no criteria)", ""),
    ("newest 10", "search[limit]=10"),
    ("one tag (~1% of rows)", "search[tags][]=tag000"),
    ("two tags", "search[tags][]=tag001&search[tags][]=tag002"),
    ("filename substring, rare (1 row)", "search[filename]=-012345.pcap"),
    ("filename substring, common (~9%)", "search[filename]=tango"),
    ("filename 2 characters (scan)", "search[filename]=go"),
    ("comments substring", "search[comments]=site+42"),
    ("created_at range (one day)", "search[created_at][from]=2024-06-01&search[created_at][to]=2024-06-01"),
    ("start_time range", "search[start_time][from]=2025-01-01T00:00:00Z&search[start_time][to]=2025-01-02T00:00:00Z"),
    ("tag + filename + date", "search[tags][]=tag007&search[filename]=alpha&search[created_at][from]=2024-01-01"),
    ("sort filename, page 200", "search[sort]=filename.asc&search[limit]=100&search[page]=200"),
    ("sort size desc", "search[sort]=size.desc&search[limit]=50"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument("--reuse", metavar="DIR", help="a data dir a --keep run left, instead of a new one")
    args = parser.parse_args()

    data_dir = args.reuse or tempfile.mkdtemp(prefix="sharkapi-search-bench-")
    server = None
    try:
        token = subprocess.run([os.path.join(harness.BUILD_DIR, "sharkapi"), "token", "create", "--data-dir", data_dir,
                                "--permissions", "info", "--name", "bench"], check=True, capture_output=True,
                               text=True).stdout.strip()
        if not args.reuse:
            seconds = populate(data_dir, args.rows)
            print("inserted %d captures in %.1f s (data dir %s)" % (args.rows, seconds, data_dir))
        server = harness.Server(data_dir=data_dir, args=["--workers", "1"]).start()
        print("%-40s %10s %10s %8s" % ("search", "median ms", "p95 ms", "answered"))
        for name, query in QUERIES:
            path = "/api/v1/%s/search?%s" % (token, query)
            first = server.request("GET", path)
            if first.status != 200:
                raise SystemExit("%s: %d %s" % (name, first.status, first.body[:200]))
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                server.request("GET", path)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            print("%-40s %10.2f %10.2f %8d" % (name, statistics.median(times), times[int(len(times) * 0.95) - 1],
                                               len(first.json())), flush=True)
    finally:
        if server is not None:
            server.stop()
        if not args.keep and not args.reuse:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
