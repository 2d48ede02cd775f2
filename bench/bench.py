#!/usr/bin/env python3
"""bench.py: sharkapi against tshark and sharkd on one capture, in one run (see bench/run.sh).

    bench.py --build BUILD_DIR --capture FILE --work DIR [--results FILE] [--requests N]
             [--wrk-seconds S] [--label TEXT]

Starts a real server (BUILD_DIR/sharkapi serve on 127.0.0.1, port 0, a data dir under DIR) and
measures, on the same capture:
  ingest       upload (PUT) until status says ready, vs the sum of the tshark runs giving the
               same results (io,phs, endpoints,ip, conv,tcp, conv,udp, -Y dns -T fields, expert, io,stat,
               and the HTTP and TLS fields behind http/requests and tls/handshakes) and vs
               sharkd (load, then its endpt:/conv: taps of eth, ip, ipv6, tcp, udp); with the
               server's default settings (one summary pass), and again on a second server
               with sharding on (--summary-shard-min-frames 1: the row says whether the two
               shards were merged or fell back to one pass);
  routes       cached summary routes: p50/p99 latency over many keep-alive requests, and
               requests/s with 64 connections (wrk);
  fields       packets/fields vs tshark -T fields -E occurrence=a -E aggregator=, (same fields
               and filter); passes=2 cold and warm vs tshark -2 -T fields;
  packets      frames, frames/N and follow against sharkd and tshark (bench_packets.py);
  memory       peak RSS (VmHWM) of the server and of every worker.
Prints the table and writes it, with the machine and its load, to --results (Markdown).
Timings are wall-clock on a shared machine: run it on a quiet one for figures to quote.
Python 3 standard library only (wrk, tshark, sharkd, capinfos as programs).
SPDX-License-Identifier: GPL-2.0-or-later
"""
import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import bench_packets

TABLES = ["Ethernet", "IPv4", "IPv6", "TCP", "UDP"]
DNS_FIELDS = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "dns.id", "dns.flags.response",
              "dns.flags.rcode", "dns.qry.name", "dns.qry.type", "dns.resp.name", "dns.resp.type",
              "dns.resp.ttl", "dns.a", "dns.aaaa", "dns.cname", "dns.response_to", "dns.time"]
HTTP_FIELDS = ["tcp.stream", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "http.request.method", "http.host",
               "http.request.uri", "http.user_agent", "http.response.code", "http.response.phrase",
               "http.content_type", "http.request_in", "http.time"]
TLS_FIELDS = ["tcp.stream", "udp.stream", "ip.src", "ip.dst", "tls.handshake.type", "tls.handshake.extensions_server_name",
              "tls.handshake.extensions_alpn_str", "tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.ja3s",
              "tls.handshake.ja3s_full", "tls.handshake.ciphersuite"]
# The fields query: many rows (every TCP frame), a few fields of each kind.
FIELDS = ["ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.stream"]
FIELDS_FILTER = "tcp"
TWO_PASS_FIELDS = ["dns.qry.name", "dns.response_in", "dns.time", "tcp.stream",
                   "tcp.analysis.retransmission"]
TWO_PASS_FILTER = "dns || tcp.analysis.retransmission"
# The warm query asks for one more field: the same fields again would be answered from the
# persisted result cache, not by the warm two-pass worker this row is about.
TWO_PASS_WARM_FIELDS = TWO_PASS_FIELDS + ["frame.len"]
NOTES_MARKER = "<!-- notes: kept by bench.py when it rewrites the table above -->"


def oracle_env(home):
    return dict(os.environ, LC_ALL="C", TZ="UTC", HOME=home,
                XDG_CONFIG_HOME=os.path.join(home, ".config"))


def timed(argv, env, stdin=None):
    """Runs argv, output discarded (read through a pipe as a client would); wall seconds."""
    started = time.monotonic()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=null, env=env)
        if stdin:
            proc.stdin.write(stdin)
            proc.stdin.close()
        while proc.stdout.read(1 << 20):
            pass
        status = proc.wait()
    if status not in (0, 2):
        raise RuntimeError("%s failed: %d" % (" ".join(argv), status))
    return time.monotonic() - started


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


# ---- the server ----

class Server:
    def __init__(self, build_dir, data_dir, args=()):
        self.build_dir = build_dir
        self.data_dir = data_dir
        cmd = [os.path.join(build_dir, "sharkapi"), "serve", "--listen", "127.0.0.1:0",
               "--data-dir", data_dir, "--wait-limit", "3600", "--job-timeout", "3600",
               "--max-upload-size", str(1 << 40)] + list(args)
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        self.port = None
        self.peak = {}  # pid -> (name, VmHWM KiB), for the server and every worker seen
        for line in self.proc.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            raise RuntimeError("server did not start")
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        self.token = subprocess.run([os.path.join(build_dir, "sharkapi"), "token", "create",
                                     "--data-dir", data_dir, "--name", "bench"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        # Workers' resident size before any capture: libwireshark's own, whatever the capture.
        time.sleep(1.0)
        self.idle_worker_kib = 0
        for pid, name in self._pids():
            if name == "worker":
                self.idle_worker_kib = max(self.idle_worker_kib, self._status_kib(pid, "VmRSS:"))
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _pids(self):
        pids = [(self.proc.pid, "server")]
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                pids += [(int(p), "worker") for p in f.read().split()]
        except OSError:
            pass
        return pids

    @staticmethod
    def _status_kib(pid, key):
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def sample_peaks(self):
        for pid, name in self._pids():
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak[pid] = (name, int(line.split()[1]))
            except OSError:
                pass

    def _sample(self):
        while self._sampling:
            self.sample_peaks()
            time.sleep(0.2)

    def stop(self):
        self.sample_peaks()
        self._sampling = False
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600,
                                          blocksize=1 << 20)

    def get(self, conn, path, expect_cache=None):
        conn.request("GET", path, headers={"Authorization": self.token})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError("GET %s: %d %s" % (path, resp.status, body[:300]))
        if expect_cache is not None and resp.getheader("X-Sharkapi-Cache") != expect_cache:
            raise RuntimeError("GET %s: X-Sharkapi-Cache %s, expected %s"
                               % (path, resp.getheader("X-Sharkapi-Cache"), expect_cache))
        return body

    def upload(self, capture):
        conn = self.connection()
        with open(capture, "rb") as f:
            conn.request("PUT", "/api/v1/%s/upload?filename=%s" % (self.token,
                                                                  os.path.basename(capture)),
                         body=f, headers={"Content-Length": str(os.path.getsize(capture))})
            resp = conn.getresponse()
            body = resp.read()
        conn.close()
        if resp.status != 200:
            raise RuntimeError("upload: %d %s" % (resp.status, body[:300]))
        return json.loads(body)["id"]

    def wait_ready(self, capture_id):
        conn = self.connection()
        while True:
            state = json.loads(self.get(conn, "/api/v2/analysis/%s/status" % capture_id))
            state = state["data"]["analysis"]["state"]
            if state == "ready":
                conn.close()
                return
            if state == "failed":
                raise RuntimeError("analysis failed")
            time.sleep(0.02)


# ---- the measurements ----

def measure_ingest(server, capture):
    started = time.monotonic()
    capture_id = server.upload(capture)
    uploaded = time.monotonic() - started
    server.wait_ready(capture_id)
    return capture_id, uploaded, time.monotonic() - started


def shard_outcome(server):
    """How the server's sharded summary passes ended, from its metrics: "merged",
    "fallback" or "one pass" (not sharded)."""
    conn = server.connection()
    text = server.get(conn, "/metrics").decode()
    conn.close()
    outcomes = re.findall(r'^sharkapi_summary_shard_runs_total\{outcome="(\w+)"\} [1-9]', text, re.M)
    return "/".join(outcomes) if outcomes else "one pass"


def measure_ingest_sharded(args, capture, server_args):
    """Ingest on a fresh server that splits every summary pass it can (sharding is off by
    default); (upload s, ingest s, how the pass ran)."""
    data_dir = tempfile.mkdtemp(prefix="data-", dir=args.work)
    server = Server(args.build, data_dir, server_args + ["--summary-shard-min-frames", "1"])
    try:
        _, uploaded, ingest = measure_ingest(server, capture)
        outcome = shard_outcome(server)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return uploaded, ingest, outcome


def tshark_summary_runs(capture, env):
    base = ["tshark", "-n", "-q", "-r", capture]
    dns = ["tshark", "-n", "-r", capture, "-Y", "dns", "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-e", "frame.number"]
    for field in DNS_FIELDS:
        dns += ["-e", field]
    def fields(display_filter, names):
        argv = ["tshark", "-n", "-r", capture, "-Y", display_filter, "-T", "fields", "-E", "occurrence=a",
                "-E", "aggregator=,", "-e", "frame.number"]
        for name in names:
            argv += ["-e", name]
        return argv
    # The summary pass also answers expert, the default I/O series (stats/io's automatic interval
    # is 1 s or more for captures longer than 100 s), http/requests and tls/handshakes (issue 18).
    runs = [("io,phs", base + ["-z", "io,phs"]), ("endpoints,ip", base + ["-z", "endpoints,ip"]),
            ("conv,tcp", base + ["-z", "conv,tcp"]), ("conv,udp", base + ["-z", "conv,udp"]),
            ("dns fields", dns), ("expert", base + ["-z", "expert"]), ("io,stat", base + ["-z", "io,stat,1"]),
            ("http fields", fields("http", HTTP_FIELDS)), ("tls fields", fields("tls.handshake.type in {1, 2}", TLS_FIELDS))]
    return [(name, timed(argv, env)) for name, argv in runs]


def sharkd_taps(capture, env):
    """sharkd - : load, then one tap request with every endpt:/conv: table; (load s, taps s)."""
    taps = ["endpt:%s" % t for t in TABLES] + ["conv:%s" % t for t in TABLES]
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "setconf",
         "params": {"name": "nameres.mac_name", "value": "false"}},
        {"jsonrpc": "2.0", "id": 2, "method": "load", "params": {"file": capture}},
        {"jsonrpc": "2.0", "id": 3, "method": "tap",
         "params": {"tap%d" % i: tap for i, tap in enumerate(taps)}},
    ]
    proc = subprocess.Popen(["sharkd", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    started = time.monotonic()
    marks = {}
    for request in requests:
        proc.stdin.write((json.dumps(request) + "\n").encode())
    proc.stdin.flush()
    for line in proc.stdout:
        if line.startswith(b"{"):
            message = json.loads(line)
            if "error" in message:
                raise RuntimeError("sharkd: %s" % message)
            marks[message.get("id")] = time.monotonic() - started
            if message.get("id") == 3:
                break
    proc.stdin.close()
    proc.wait()
    return marks[2], marks[3] - marks[2]


def measure_routes(server, capture_id, requests):
    """p50/p99 of each cached summary route over one keep-alive connection; sizes in bytes."""
    base = "/api/v2/analysis/%s/" % capture_id
    routes = [("stats/hierarchy", "stats/hierarchy"),
              ("stats/endpoints?protocol=ip", "stats/endpoints?protocol=ip"),
              ("stats/conversations?protocol=udp", "stats/conversations?protocol=udp"),
              ("stats/conversations?protocol=tcp", "stats/conversations?protocol=tcp"),
              ("dns/lookups", "dns/lookups"),
              # Issue 18's routes read from the same pass (expert's items paged: the whole list
              # is most of the pass's output), and two computed once, then kept.
              ("expert?limit=100", "expert?limit=100"),
              ("expert?offset=1000000&limit=100", "expert?offset=1000000&limit=100"),
              ("stats/io (all frames, automatic interval)", "stats/io"),
              ("http/requests", "http/requests"),
              ("tls/handshakes", "tls/handshakes"),
              ("stats/io?column=tcp&column=udp (kept)", "stats/io?column=tcp&column=udp"),
              ("objects/http (kept)", "objects/http")]
    results = []
    conn = server.connection()
    for name, route in routes:
        started = time.perf_counter()
        size = len(server.get(conn, base + route))  # warms the route
        first = time.perf_counter() - started
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            server.get(conn, base + route)
            times.append(time.perf_counter() - started)
        results.append((name, size, percentile(times, 50), percentile(times, 99), first))
    conn.close()
    return results


def process_cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_wrk(server, capture_id, seconds):
    """wrk's requests/s, and the server's CPU time per request (less sensitive to other load
    than the rate: it tells what one free core would serve)."""
    path = "/api/v2/analysis/%s/stats/hierarchy" % capture_id
    cpu_before = process_cpu_seconds(server.proc.pid)
    out = subprocess.run(["wrk", "-t2", "-c64", "-d%ds" % seconds, "--latency",
                          "-H", "Authorization: %s" % server.token,
                          "http://127.0.0.1:%d%s" % (server.port, path)],
                         check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    cpu = process_cpu_seconds(server.proc.pid) - cpu_before
    count = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError("wrk saw errors:\n" + out)
    return rate, cpu / max(count, 1)


def fetch_fields(server, capture_id, fields, filter, passes):
    query = urllib.parse.urlencode({"fields": ",".join(fields), "filter": filter,
                                    "passes": passes})
    conn = server.connection()
    started = time.monotonic()
    # Every timed fields query must be computed, never replayed from the result cache.
    body = server.get(conn, "/api/v2/analysis/%s/packets/fields?%s" % (capture_id, query),
                      expect_cache="miss")
    elapsed = time.monotonic() - started
    conn.close()
    rows = body.count(b'"frame":')
    return elapsed, rows


def tshark_fields(capture, fields, filter, two_pass, env):
    argv = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=,", "-e", "frame.number", "-Y", filter]
    if two_pass:
        argv.insert(1, "-2")
    for field in fields:
        argv += ["-e", field]
    return timed(argv, env)


# ---- the report ----

def machine_description(build_dir):
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "(%s not available)" % argv[0]
    lscpu = out(["lscpu"])
    keep = ("Architecture", "Model name", "CPU(s)", "Thread(s) per core", "CPU max MHz",
            "L2 cache", "L3 cache", "Hypervisor vendor")
    cpu = "\n".join(l for l in lscpu.splitlines() if l.split(":")[0].strip() in keep)
    memory = out(["free", "-m"])
    versions = "\n".join([
        out([os.path.join(build_dir, "sharkapi-worker"), "--version"]),
        out(["tshark", "--version"]).splitlines()[0] if shutil.which("tshark") else "",
        out(["sharkd", "-v"]).splitlines()[0] if shutil.which("sharkd") else "",
        out(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "",
        "Linux " + platform.release() + ", Python " + platform.python_version(),
    ])
    return cpu, memory, versions


def verdict(value, target, lower_is_better=True):
    ok = value <= target if lower_is_better else value >= target
    return "yes" if ok else "**no**"


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--capture", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=0, help="server workers (0: its default)")
    ap.add_argument("--label", default="")
    ap.add_argument("--summary-only", action="store_true",
                    help="only the ingest row and the cached summary routes")
    ap.add_argument("--packets-only", action="store_true",
                    help="upload, then only the packet-level rows (bench_packets.py)")
    args = ap.parse_args(argv[1:])

    capture = os.path.abspath(args.capture)
    frames = int(subprocess.run(["capinfos", "-T", "-r", "-M", "-c", capture], check=True,
                                capture_output=True, text=True).stdout.split("\t")[-1])
    size = os.path.getsize(capture)
    load_before = open("/proc/loadavg").read().split()[:3]
    home = tempfile.mkdtemp(prefix="home-", dir=args.work)
    env = oracle_env(home)
    data_dir = tempfile.mkdtemp(prefix="data-", dir=args.work)
    server_args = ["--workers", str(args.workers)] if args.workers else []
    rows = []

    def row(name, ours, theirs, ratio, target, met):
        rows.append((name, ours, theirs, ratio, target, met))
        print("%-46s %-16s %-24s %-8s %-10s %s" % (name, ours, theirs, ratio, target, met),
              flush=True)

    print("capture: %s, %d frames, %.1f MB" % (capture, frames, size / 1e6), flush=True)
    server = Server(args.build, data_dir, server_args)
    try:
        # ingest
        capture_id, uploaded, ingest = measure_ingest(server, capture)
        if args.packets_only:
            bench_packets.measure_packets(server, capture_id, capture, frames, env, data_dir, row, verdict)
            return 0
        runs = tshark_summary_runs(capture, env)
        tshark_sum = sum(t for _, t in runs)
        sharkd_load, sharkd_tap = sharkd_taps(capture, env)
        row("ingest (upload %.1f s + summary pass: %s)" % (uploaded, shard_outcome(server)),
            "%.2f s" % ingest, "tshark x%d %.2f s" % (len(runs), tshark_sum), "%.3f" % (ingest / tshark_sum),
            "<= 0.25", verdict(ingest / tshark_sum, 0.25))
        row("ingest vs sharkd load + endpt/conv taps", "%.2f s" % ingest,
            "sharkd %.2f+%.2f s" % (sharkd_load, sharkd_tap),
            "%.3f" % (ingest / (sharkd_load + sharkd_tap)), "-", "-")
        tshark_detail = ", ".join("%s %.2f s" % (n, t) for n, t in runs)

        # cached summary routes
        for name, body_size, p50, p99, first in measure_routes(server, capture_id, args.requests):
            small = body_size < 64 * 1024
            row("%s p50 / p99 (%d B)" % (name, body_size),
                "%.2f / %.2f ms" % (p50 * 1e3, p99 * 1e3), "first %.2f s" % first, "-",
                "p50 <= 2 ms" if small else "(>= 64 KiB)",
                verdict(p50 * 1e3, 2.0) if small else "-")
        if args.summary_only:
            return 0
        rate, cpu_per_request = measure_wrk(server, capture_id, args.wrk_seconds)
        row("stats/hierarchy, wrk 64 connections", "%.0f req/s" % rate, "-", "-", ">= 5000",
            verdict(rate, 5000, lower_is_better=False))
        row("  server CPU per request during wrk", "%.0f us" % (cpu_per_request * 1e6),
            "= %.0f req/s per core" % (1 / cpu_per_request), "-", "-", "-")

        # packets/fields
        ours, n_rows = fetch_fields(server, capture_id, FIELDS, FIELDS_FILTER, 1)
        theirs = tshark_fields(capture, FIELDS, FIELDS_FILTER, False, env)
        row("packets/fields (%d rows)" % n_rows, "%.2f s" % ours, "tshark %.2f s" % theirs,
            "%.3f" % (ours / theirs), "<= 0.5", verdict(ours / theirs, 0.5))
        cold, n_rows = fetch_fields(server, capture_id, TWO_PASS_FIELDS, TWO_PASS_FILTER, 2)
        warm, _ = fetch_fields(server, capture_id, TWO_PASS_WARM_FIELDS, TWO_PASS_FILTER, 2)
        theirs = tshark_fields(capture, TWO_PASS_FIELDS, TWO_PASS_FILTER, True, env)
        row("packets/fields passes=2 cold (%d rows)" % n_rows, "%.2f s" % cold,
            "tshark -2 %.2f s" % theirs, "%.3f" % (cold / theirs), "<= 0.6",
            verdict(cold / theirs, 0.6))
        row("packets/fields passes=2 warm (one more field)", "%.2f s" % warm, "tshark -2 %.2f s" % theirs,
            "%.3f" % (warm / theirs), "<= 0.35", verdict(warm / theirs, 0.35))

        # packet list, packet detail, follow (bench_packets.py)
        bench_packets.measure_packets(server, capture_id, capture, frames, env, data_dir, row, verdict)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)

    # The same ingest with the summary pass split across both workers where it can be.
    uploaded, ingest, outcome = measure_ingest_sharded(args, capture, server_args)
    row("ingest, sharding on (upload %.1f s + summary pass: %s)" % (uploaded, outcome),
        "%.2f s" % ingest, "tshark x%d %.2f s" % (len(runs), tshark_sum), "%.3f" % (ingest / tshark_sum), "-", "-")

    for pid, (name, kib) in sorted(server.peak.items(), key=lambda item: item[1][0] != "server"):
        if name == "server":
            row("server peak RSS (VmHWM)", "%.1f MiB" % (kib / 1024), "-", "-", "< 64 MiB",
                verdict(kib / 1024, 64 - 1e-9))
        else:
            per_frame = kib * 1024 / frames / 1000
            growth = (kib - server.idle_worker_kib) * 1024 / frames / 1000
            row("worker %d peak RSS (VmHWM; idle %d MiB)" % (pid, server.idle_worker_kib // 1024),
                "%.0f MiB" % (kib / 1024),
                "%.3f KB/frame (%.3f above idle)" % (per_frame, growth), "-", "<= 0.7 KB/frame",
                verdict(per_frame, 0.7))

    load_after = open("/proc/loadavg").read().split()[:3]
    if args.results:
        write_results(args, capture, frames, size, rows, tshark_detail, load_before, load_after)
    return 0


def write_results(args, capture, frames, size, rows, tshark_detail, load_before, load_after):
    cpu, memory, versions = machine_description(args.build)
    lines = ["# sharkapi benchmark results", "",
             "Generated by `bench/run.sh` %s on %s UTC. %s" % (
                 args.label, time.strftime("%Y-%m-%d %H:%M", time.gmtime()), ""),
             "",
             "Capture: `%s`, %d frames, %.1f MB." % (os.path.basename(capture), frames, size / 1e6),
             "",
             "| measure | sharkapi | reference | ratio | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    lines += ["", "tshark runs summed for ingest: " + tshark_detail + ".", "",
              "Load average (1, 5, 15 min) before: %s; after: %s. The machine has %d cores; "
              "other processes running at the same time slow every figure, the ratios less "
              "than the absolute times." % (" ".join(load_before), " ".join(load_after),
                                            os.cpu_count() or 0),
              "", "## Machine", "", "```", cpu, "", memory, "", versions, "```", ""]
    # Everything below the notes marker is written by hand and kept across runs.
    notes = NOTES_MARKER + "\n"
    if os.path.exists(args.results):
        with open(args.results) as f:
            old = f.read()
        if NOTES_MARKER in old:
            notes = old[old.index(NOTES_MARKER):]
    with open(args.results, "w") as f:
        f.write("\n".join(lines) + "\n" + notes)
    print("wrote " + args.results)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
