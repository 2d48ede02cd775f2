"""bench_packets.py: the packet-level rows of bench.py (issue 17): packet list, packet detail and
follow stream, against sharkd's frames/frame/follow and tshark on the same capture, in the same run.

  frames       first page of a fresh upload (the list not made yet); the whole list's pass; a page
               of 100 rows anywhere once it exists (p50/p99 over random offsets) vs sharkd's
               frames with skip/limit (which dissects from frame 1 each time) and tshark printing
               the same rows; a new filter (one pass) vs tshark -Y, and the same filter again;
               the disk the kept list takes per frame;
  frames/N     passes=2 on a warm worker, p50 over random frames, vs sharkd's frame; one pass for a
               frame near the end vs tshark -Y frame.number==N -T pdml;
  follow       the TCP stream with the most bytes vs tshark -q -z follow,tcp,raw and sharkd's follow; the repeat.
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import http.client
import json
import os
import random
import subprocess
import time
import urllib.parse

PAGE = 100
PAGE_REQUESTS = 200
DETAIL_FRAMES = 40
LIST_FILTER = "udp"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def timed(argv, env):
    started = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.monotonic() - started


class Sharkd:
    """sharkd - with one capture loaded; request() times one JSON-RPC call."""

    def __init__(self, capture, env):
        self.proc = subprocess.Popen(["sharkd", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        self.next_id = 1
        self.request("setconf", {"name": "nameres.mac_name", "value": "false"})
        self.load_seconds, _ = self.request("load", {"file": capture})

    def request(self, method, params):
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.next_id += 1
        started = time.monotonic()
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(b"{"):
                answer = json.loads(line)
                if answer.get("id") == message["id"]:
                    if "error" in answer:
                        raise RuntimeError("sharkd %s: %s" % (method, answer["error"]))
                    return time.monotonic() - started, answer["result"]
        raise RuntimeError("sharkd ended")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def get_timed(server, conn, path, expect_cache=None):
    started = time.perf_counter()
    try:
        body = server.get(conn, path, expect_cache)
    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
        # The server closes a keep-alive connection left idle (during a long oracle run): again,
        # on a new one, timed from there.
        conn.close()
        started = time.perf_counter()
        body = server.get(conn, path, expect_cache)
    return time.perf_counter() - started, body


def list_dir_size(data_dir, capture_id):
    folder = os.path.join(data_dir, "captures", capture_id, "summary")
    total = 0
    for name in os.listdir(folder):
        if name.startswith("l-") and not name.endswith(".tmp"):
            for root, _, files in os.walk(os.path.join(folder, name)):
                total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
            return total
    return 0


def tshark_page(capture, first, env):
    argv = ["tshark", "-n", "-r", capture, "-T", "fields", "-Y",
            "frame.number > %d && frame.number <= %d" % (first, first + PAGE)]
    for column in ("No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"):
        argv += ["-e", "_ws.col." + column]
    return timed(argv, env)


def measure_packets(server, capture_id, capture, frames, env, data_dir, row, verdict):
    base = "/api/v2/analysis/%s/" % capture_id
    conn = server.connection()
    sharkd = Sharkd(capture, env)
    try:
        # The first page before the list exists, then a deep page, which waits for the whole list.
        first, body = get_timed(server, conn, base + "frames?offset=0&limit=%d" % PAGE)
        row("frames first page, list not made yet", "%.0f ms" % (first * 1e3), "-", "-", "<= 1 s",
            verdict(first, 1.0))
        deep = max(frames - PAGE, 0)
        made, _ = get_timed(server, conn, base + "frames?offset=%d&limit=%d" % (deep, PAGE))
        size = list_dir_size(data_dir, capture_id)
        row("frames: the list's pass (kept: %.0f B/frame)" % (size / max(frames, 1)), "%.2f s" % made, "-", "-",
            "-", "-")
        times = []
        for _ in range(PAGE_REQUESTS):
            offset = random.randrange(0, max(frames - PAGE, 1))
            elapsed, _ = get_timed(server, conn, base + "frames?offset=%d&limit=%d" % (offset, PAGE))
            times.append(elapsed)
        sharkd_page, _ = sharkd.request("frames", {"skip": deep, "limit": PAGE})
        row("frames page of %d anywhere p50 / p99" % PAGE,
            "%.1f / %.1f ms" % (percentile(times, 50) * 1e3, percentile(times, 99) * 1e3),
            "sharkd last page %.0f ms, tshark %.1f s" % (sharkd_page * 1e3, tshark_page(capture, deep, env)),
            "%.4f" % (percentile(times, 50) / sharkd_page), "p50 <= 20 ms", verdict(percentile(times, 50) * 1e3, 20))
        query = urllib.parse.urlencode({"filter": LIST_FILTER, "offset": 0, "limit": PAGE})
        new_filter, _ = get_timed(server, conn, base + "frames?" + query)
        theirs = timed(["tshark", "-n", "-r", capture, "-Y", LIST_FILTER, "-T", "fields", "-e", "_ws.col.No.",
                        "-e", "_ws.col.Info"], env)
        row("frames with a new filter (%s): one pass" % LIST_FILTER, "%.2f s" % new_filter, "tshark -Y %.2f s" % theirs,
            "%.3f" % (new_filter / theirs), "one pass", "-")
        repeat, _ = get_timed(server, conn, base + "frames?" + query)
        row("frames with the same filter again", "%.1f ms" % (repeat * 1e3), "-", "-", "no pass",
            verdict(repeat, 0.5))

        # Packet detail: two passes on a warm worker, then one pass near the end.
        get_timed(server, conn, base + "frames/1?passes=2")  # the first pass, kept warm
        ours, theirs_times = [], []
        for _ in range(DETAIL_FRAMES):
            number = random.randrange(1, frames + 1)
            elapsed, _ = get_timed(server, conn, base + "frames/%d?passes=2" % number, expect_cache="miss")
            ours.append(elapsed)
            elapsed, _ = sharkd.request("frame", {"frame": number, "proto": True, "bytes": True})
            theirs_times.append(elapsed)
        row("frames/N passes=2 warm p50 / p99",
            "%.1f / %.1f ms" % (percentile(ours, 50) * 1e3, percentile(ours, 99) * 1e3),
            "sharkd frame %.1f ms" % (percentile(theirs_times, 50) * 1e3),
            "%.3f" % (percentile(ours, 50) / percentile(theirs_times, 50)), "p50 <= 50 ms",
            verdict(percentile(ours, 50) * 1e3, 50))
        near_end = max(frames - 10, 1)
        one_pass, _ = get_timed(server, conn, base + "frames/%d" % near_end, expect_cache="miss")
        theirs = timed(["tshark", "-n", "-r", capture, "-Y", "frame.number==%d" % near_end, "-T", "pdml"], env)
        row("frames/N one pass, frame %d" % near_end, "%.2f s" % one_pass, "tshark -T pdml %.2f s" % theirs,
            "%.3f" % (one_pass / theirs), "<= 1", verdict(one_pass / theirs, 1.0))

        # Follow: the TCP stream with the most bytes. The connection sat idle through tshark's
        # PDML run: the server has closed it.
        conn.close()
        tcp = json.loads(server.get(conn, base + "stats/conversations?protocol=tcp"))["data"]["convs"]
        biggest = max(tcp, key=lambda conv: conv["totalb"])
        query = urllib.parse.urlencode({"fields": "tcp.stream", "filter": biggest["filter"], "limit": 1})
        packets = json.loads(server.get(conn, base + "packets/fields?" + query))["data"]["packets"]
        stream = int(packets[0]["fields"]["tcp.stream"])
        ours, body = get_timed(server, conn, base + "follow/tcp/%d" % stream, expect_cache="miss")
        theirs = timed(["tshark", "-n", "-r", capture, "-q", "-z", "follow,tcp,raw,%d" % stream], env)
        sharkd_follow, _ = sharkd.request("follow", {"follow": "TCP", "filter": "tcp.stream eq %d" % stream})
        row("follow/tcp/%d (%d chunks)" % (stream, body.count(b'"frame":')), "%.2f s" % ours,
            "tshark %.2f s, sharkd %.2f s" % (theirs, sharkd_follow), "%.3f" % (ours / theirs), "<= 1",
            verdict(ours / theirs, 1.0))
        repeat, _ = get_timed(server, conn, base + "follow/tcp/%d" % stream, expect_cache="hit")
        row("follow, the same stream again", "%.1f ms" % (repeat * 1e3), "-", "-", "a file read", "-")
        row("sharkd load (for its rows above)", "-", "%.2f s" % sharkd.load_seconds, "-", "-", "-")
    finally:
        sharkd.close()
        conn.close()
