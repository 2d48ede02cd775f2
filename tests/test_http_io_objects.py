"""test_http_io_objects.py: stats/io and objects/<proto> against tshark 4.0 on a real server.

- stats/io equals `tshark -q -z io,stat,S,C1,C2...` (its table parsed): on every capture of the
  corpus a cheap set of columns at the automatic interval (checked against API.md's rule), and
  on a few captures every function (COUNT, SUM, MIN, MAX, AVG, LOAD, on unsigned, signed,
  floating-point and relative-time fields) at several intervals, the last partial interval
  included; a zero-duration capture gives one row; a repeat is a cache hit; bad columns and
  intervals are 400s naming the parameter.
- objects/<proto> lists, for every handler on every capture, exactly the files
  `tshark -q --export-objects PROTO,DIR` writes (names and sizes), and each download has the
  file's bytes, a Content-Type and a safe Content-Disposition; the answers are kept in the
  capture's folder and go with it; unknown handlers are 400s naming the known ones, an index
  past the list a 404.
One tshark run per capture answers both (the io table and every handler's files).
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
import math
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import harness
from harness import check

HANDLERS = ["dicom", "ftp-data", "http", "imf", "smb", "tftp"]
AUTO_INTERVALS = ["0.001", "0.01", "0.1", "1", "10", "60", "600"]
FUNCTIONS = ("COUNT(", "SUM(", "MIN(", "MAX(", "AVG(", "LOAD(")
# Every capture: filters and each function on fields every IP capture has.
CHEAP_COLUMNS = ["", "tcp", "SUM(frame.len)frame.len", "MIN(frame.len)frame.len", "MAX(ip.ttl)ip.ttl",
                 "AVG(frame.len)frame.len", "COUNT(ip.ttl)ip"]
# A few captures: every function on every kind of field, at several intervals.
FULL = {
    "zeek-http-bro.org.pcap": ["udp or dns", "COUNT(tcp.len)tcp.len", "SUM(tcp.len)tcp.len",
                               "MIN(tcp.len)tcp.len", "MAX(tcp.window_size)tcp.window_size",
                               "AVG(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt",
                               "MAX(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt",
                               "SUM(frame.time_delta)frame.time_delta",
                               "LOAD(frame.time_delta_displayed)frame", "LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt"],
    "sv-http-aptget.pcap": ["http", "AVG(frame.time_delta)frame.time_delta", "MIN(frame.time_delta)frame.time_delta",
                            "LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt", "SUM(tcp.seq)tcp.seq",
                            "AVG(tcp.srcport)tcp"],
    "tcpdump-ieee802.11-radiotap.pcap": ["SUM(radiotap.dbm_antsignal)radiotap.dbm_antsignal",
                                         "MIN(radiotap.dbm_antsignal)radiotap.dbm_antsignal",
                                         "MAX(radiotap.dbm_antsignal)radiotap.dbm_antsignal",
                                         "AVG(radiotap.dbm_antsignal)radiotap.dbm_antsignal",
                                         "MIN(radiotap.datarate)radiotap.datarate",
                                         "SUM(radiotap.datarate)radiotap.datarate", "wlan"],
    "zeek-icmp6-ping.pcap": ["icmpv6", "AVG(icmpv6.resptime)icmpv6.resptime", "MAX(icmpv6.resptime)icmpv6.resptime",
                             "SUM(frame.len)", "COUNT(frame.len)frame"],
}
FULL_INTERVALS = ["1", "0.1", "0.37", "1.0", "2.5", "100000"]

server = None
token = None
uploaded = {}  # capture path -> id
work_dir = tempfile.mkdtemp(prefix="sharkapi-io-objects-")


def corpus():
    wireshark_dir = os.path.join(harness.CAPTURES_DIR, "wireshark")
    extra = sorted(os.path.join(wireshark_dir, n) for n in os.listdir(wireshark_dir)
                   if re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", n))
    return harness.captures() + extra


def io_query(capture_id, columns, interval=None, passes=None):
    params = [("column", c) for c in columns]
    if interval is not None:
        params.append(("interval", interval))
    if passes is not None:
        params.append(("passes", passes))
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    return server.request("GET", "/api/v2/analysis/%s/stats/io%s" % (capture_id, query),
                          headers={"Authorization": token})


def interval_text(value):
    """The interval as the server printed it, as text tshark takes (0.1, 1, 600)."""
    return ("%.6f" % value).rstrip("0").rstrip(".")


# ---- tshark ----

def tshark(path, interval, columns, objects_dir=None):
    """tshark's io,stat table as API.md's rows (and every handler's files into objects_dir)."""
    stat = "io,stat,%s" % interval if columns == [""] else "io,stat,%s,%s" % (interval, ",".join(columns))
    argv = ["tshark", "-n", "-r", path, "-q", "-z", stat]
    if objects_dir is not None:
        for handler in HANDLERS:
            os.makedirs(os.path.join(objects_dir, handler), exist_ok=True)
            argv += ["--export-objects", "%s,%s" % (handler, os.path.join(objects_dir, handler))]
    out = subprocess.run(argv, capture_output=True, text=True, env=harness.oracle_env(), timeout=600)
    check(out.returncode == 0, "tshark %s: %s" % (argv, out.stderr[-500:]))
    rows = []
    for line in out.stdout.splitlines():
        m = re.match(r"^\|\s*([\d.]+)\s*<>\s*(?:[\d.]+|Dur)\s*\|(.*)$", line)
        if not m:
            continue
        cells = [c.strip() for c in m.group(2).split("|") if c.strip()]
        values = []
        for column in columns:
            if column.strip().startswith(FUNCTIONS):
                cell = cells.pop(0)
                values.append({"value": float(cell) if "." in cell else int(cell)})
            else:
                frames, size = int(cells.pop(0)), int(cells.pop(0))
                values.append({"bytes": size, "frames": frames})
        rows.append({"start": float(m.group(1)), "values": values})
    return rows


def floating_columns(columns):
    """Columns on float/double fields: tshark prints garbage in some of their cells (an uninitialised
    first interval, a %f fed integers where a column has no item), so only cells where ours is not 0
    and past the first row are compared."""
    return {i for i, c in enumerate(columns) if re.match(r"^(SUM|MIN|MAX|AVG)\((radiotap\.datarate|icmpv6?\.resptime)\)", c)}


def compare_io(label, ours, theirs, columns):
    floating = floating_columns(columns)
    check(len(ours) == len(theirs), "%s: %d rows, tshark %d" % (label, len(ours), len(theirs)))
    for n, (a, b) in enumerate(zip(ours, theirs)):
        check(round(a["start"], 6) == round(b["start"], 6), "%s row %d: start %s, tshark %s" % (label, n, a["start"], b["start"]))
        for i, (x, y) in enumerate(zip(a["values"], b["values"])):
            if i in floating and (n == 0 or x.get("value") == 0):
                continue
            same = all(isinstance(y[k], int) and x[k] == y[k] or round(x[k], 6) == round(y[k], 6) for k in y)
            check(set(x) == set(y) and same, "%s row %d column %r: %s, tshark %s" % (label, n, columns[i], x, y))


# ---- set-up ----

def upload_corpus():
    for path in corpus():
        r = server.upload_put(token, path)
        check(r.status == 200, "upload %s: %d %s" % (path, r.status, r.body[:200]))
        uploaded[path] = r.json()["id"]
    for path, capture_id in uploaded.items():
        server.wait_ready(token, capture_id)


def status(capture_id):
    return server.v2(token, capture_id, "status").json()["data"]


# ---- stats/io ----

def check_capture_cheap(path):
    """Ours at the automatic interval against tshark, and every handler's objects: one tshark run."""
    capture_id = uploaded[path]
    name = os.path.basename(path)
    r = io_query(capture_id, CHEAP_COLUMNS)
    check(r.status == 200, "%s stats/io: %d %s" % (name, r.status, r.body[:300]))
    data = r.json()["data"]
    check(data["columns"] == CHEAP_COLUMNS, "%s: columns %s" % (name, data["columns"]))
    info = status(capture_id)
    duration, frames = float(info["duration"]), info["frames"]
    want = next((t for t in AUTO_INTERVALS if duration / float(t) <= 1000), AUTO_INTERVALS[-1])
    check(interval_text(data["interval"]) == want, "%s: automatic interval %s for %s s, want %s"
          % (name, data["interval"], duration, want))
    objects_dir = os.path.join(work_dir, name)
    theirs = tshark(path, want, CHEAP_COLUMNS, objects_dir)
    check_default_series(name, capture_id, want, frames, [{"start": row["start"], "values": row["values"][:1]} for row in theirs])
    if not theirs:
        # A zero duration: tshark prints no row, API.md asks for one holding every frame.
        check(len(data["rows"]) == 1 and data["rows"][0]["start"] == 0, "%s: %s" % (name, data["rows"]))
        check(data["rows"][0]["values"][0]["frames"] == frames, "%s: one row of %d frames: %s"
              % (name, frames, data["rows"][0]))
    else:
        compare_io(name + " @" + want, data["rows"], theirs, CHEAP_COLUMNS)
        check(sum(row["values"][0]["frames"] for row in data["rows"]) <= frames, "%s: more frames than the capture" % name)
    return check_objects(path, objects_dir)


def check_default_series(name, capture_id, want, frames, theirs):
    """stats/io without columns or interval: the all-frames series the summary pass wrote, so the
    first request after the upload is ready is already a hit (no io job ran); tshark's "" column."""
    r = io_query(capture_id, [])
    check(r.status == 200, "%s default stats/io: %d %s" % (name, r.status, r.body[:300]))
    check(r.header("X-Sharkapi-Cache") == "hit", "%s: the default series is not the summary pass's (%s)"
          % (name, r.header("X-Sharkapi-Cache")))
    data = r.json()["data"]
    check(data["columns"] == [""] and interval_text(data["interval"]) == want, "%s default: %s @%s"
          % (name, data["columns"], data["interval"]))
    if not theirs:
        check(len(data["rows"]) == 1 and data["rows"][0]["values"][0]["frames"] == frames,
              "%s default: one row of %d frames: %s" % (name, frames, data["rows"]))
    else:
        compare_io(name + " default @" + want, data["rows"], theirs, [""])
    # The same interval written out is the same file.
    again = io_query(capture_id, [], want)
    check(again.status == 200 and again.body == r.body and again.header("X-Sharkapi-Cache") == "hit",
          "%s: interval=%s differs from the automatic one" % (name, want))


def test_io_and_objects_every_capture():
    paths = corpus()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(check_capture_cheap, paths))
    with_objects = [os.path.basename(p) for p, n in zip(paths, found) if n > 0]
    print("  %d captures; objects in %s" % (len(paths), with_objects))
    check(len(with_objects) >= 5, "too few captures with objects: %s" % with_objects)


def test_io_every_function_several_intervals():
    partial_seen = False
    for name, columns in FULL.items():
        path = os.path.join(harness.CAPTURES_DIR, name)
        capture_id = uploaded[path]
        duration = float(status(capture_id)["duration"])
        for interval in FULL_INTERVALS:
            r = io_query(capture_id, columns, interval)
            check(r.status == 200, "%s @%s: %d %s" % (name, interval, r.status, r.body[:300]))
            rows = r.json()["data"]["rows"]
            compare_io("%s @%s" % (name, interval), rows, tshark(path, interval, columns), columns)
            step = float(interval)
            if duration > step and not math.isclose(duration / step, round(duration / step)):
                # The last interval ends with the capture: it starts within one interval of its end.
                partial_seen = True
                check(rows[-1]["start"] < duration < rows[-1]["start"] + step + 1e-6,
                      "%s @%s: last row starts at %s for %s s" % (name, interval, rows[-1]["start"], duration))
            if step > duration > 0:
                check(len(rows) == 1, "%s @%s: an interval longer than the capture is one row" % (name, interval))
    check(partial_seen, "no partial last interval was checked")


def test_io_two_passes_and_cache():
    path = os.path.join(harness.CAPTURES_DIR, "zeek-http-bro.org.pcap")
    capture_id = uploaded[path]
    columns = ["http", "COUNT(http.response_in)http.response_in"]
    first = io_query(capture_id, columns, "1")
    check(first.status == 200 and first.header("X-Sharkapi-Cache") == "miss", "first: %d %s" % (first.status, first.header("X-Sharkapi-Cache")))
    again = io_query(capture_id, columns, "1")
    check(again.header("X-Sharkapi-Cache") == "hit" and again.body == first.body, "a repeat is a cache hit, the same bytes")
    results = os.path.join(server.data_dir, "captures", capture_id, "results")
    check(os.path.isdir(results) and os.listdir(results), "the answer is kept with the capture")
    two = io_query(capture_id, columns, "1", passes="2")
    check(two.status == 200, "passes=2: %d %s" % (two.status, two.body[:200]))
    out = subprocess.run(["tshark", "-n", "-2", "-r", path, "-q", "-z", "io,stat,1," + ",".join(columns)],
                         capture_output=True, text=True, env=harness.oracle_env())
    one_pass_counts = sum(row["values"][1]["value"] for row in first.json()["data"]["rows"])
    two_pass_counts = sum(row["values"][1]["value"] for row in two.json()["data"]["rows"])
    want = sum(int([c for c in l.split("|") if c.strip()][-1]) for l in out.stdout.splitlines() if "<>" in l)
    check(two_pass_counts == want, "passes=2 counts %d http.response_in, tshark -2 %d" % (two_pass_counts, want))
    check(one_pass_counts == 0 and two_pass_counts > 0, "one pass has no forward references (%d, %d)"
          % (one_pass_counts, two_pass_counts))
    # The all-frames series at an interval the summary pass does not keep (more than 1,001 rows:
    # this capture is longer than 1.001 s): an io job computes it, equal to tshark.
    duration = float(status(capture_id)["duration"])
    check(duration > 1.001, "%s lasts %s s" % (path, duration))
    fine = io_query(capture_id, [], "0.001")
    check(fine.status == 200 and fine.header("X-Sharkapi-Cache") == "miss",
          "0.001 s series: %d %s" % (fine.status, fine.header("X-Sharkapi-Cache")))
    compare_io("0.001 s series", fine.json()["data"]["rows"], tshark(path, "0.001", [""]), [""])


def test_io_bad_input():
    capture_id = uploaded[os.path.join(harness.CAPTURES_DIR, "zeek-http-bro.org.pcap")]
    cases = [
        ({"interval": "0"}, "interval"), ({"interval": "-1"}, "interval"), ({"interval": "abc"}, "interval"),
        ({"interval": "0.0000001"}, "interval"), ({"interval": "0.000001"}, "interval"),
        ({"column": "SUM(no.such.field)"}, "column"), ({"column": "SUM(frame.len"}, "column"),
        ({"column": "SUM()frame"}, "column"), ({"column": "SUM(ip.src)ip"}, "column"),
        ({"column": "LOAD(frame.len)frame"}, "column"), ({"column": "tcp.port =="}, "column"),
        ({"column": "FRAMES(x)"}, "column"), ({"column": "sum(frame.len)"}, "column"),
    ]
    for params, name in cases:
        r = io_query(capture_id, [params["column"]] if "column" in params else [], params.get("interval"))
        check(r.status == 400, "%s: %d %s" % (params, r.status, r.body[:200]))
        message = r.json()["exceptions"][0]
        check(message.startswith(name), "%s: the message names %s: %s" % (params, name, message))
    check(io_query("0123456789ab", []).status == 404, "an unknown capture is a 404")
    check(status(capture_id)["frames"] > 0, "the server still answers")


# ---- objects ----

def check_objects(path, objects_dir):
    """Our list and downloads for every handler against the files tshark wrote; returns how many."""
    capture_id = uploaded[path]
    name = os.path.basename(path)
    total = 0
    for handler in HANDLERS:
        folder = os.path.join(objects_dir, handler)
        files = {}
        for entry in os.listdir(folder):
            with open(os.path.join(folder, entry), "rb") as f:
                files[entry] = f.read()
        if not files and handler not in ("http", "ftp-data") and name not in ("zeek-http-bro.org.pcap", "tftp.pcap"):
            continue  # a pass per handler per capture would be slow; these are checked where they matter
        r = server.v2(token, capture_id, "objects/" + handler)
        check(r.status == 200, "%s objects/%s: %d %s" % (name, handler, r.status, r.body[:200]))
        data = r.json()["data"]
        check(data["protocol"] == handler, "%s: protocol %s" % (name, data["protocol"]))
        objects = data["objects"]
        check([o["index"] for o in objects] == list(range(1, len(objects) + 1)), "%s/%s: indexes" % (name, handler))
        listed = sorted((o["filename"], o["size"]) for o in objects)
        wanted = sorted((f, len(b)) for f, b in files.items())
        check(listed == wanted, "%s objects/%s: %s, tshark wrote %s" % (name, handler, listed, wanted))
        for o in objects:
            d = server.v2(token, capture_id, "objects/%s/%d" % (handler, o["index"]))
            check(d.status == 200, "%s/%s/%d: %d" % (name, handler, o["index"], d.status))
            check(d.body == files[o["filename"]], "%s/%s/%d: bytes differ from tshark's %s"
                  % (name, handler, o["index"], o["filename"]))
            disposition = d.header("Content-Disposition") or ""
            m = re.match(r"^attachment; filename=([A-Za-z0-9._+~-]+); filename\*=UTF-8''([A-Za-z0-9._+~%-]+)$", disposition)
            check(m and not m.group(1).startswith("."), "%s: unsafe Content-Disposition %r" % (name, disposition))
            check(urllib.parse.unquote(m.group(2), errors="strict") == o["filename"] or "%" in o["filename"],
                  "%s: filename* %r is not %r" % (name, m.group(2), o["filename"]))
            check(d.header("Content-Type"), "%s: no Content-Type" % name)
            if o["content_type"] and re.fullmatch(r"[\x20-\x7e]+", o["content_type"]):
                check(d.header("Content-Type") == o["content_type"], "%s: Content-Type %s, listed %s"
                      % (name, d.header("Content-Type"), o["content_type"]))
        if objects:
            past = server.v2(token, capture_id, "objects/%s/%d" % (handler, len(objects) + 1))
            check(past.status == 404 and past.json()["exceptions"][0].startswith("index"), "past the list: %d" % past.status)
        total += len(objects)
    return total


def test_objects_bad_input_and_deletion():
    path = os.path.join(harness.CAPTURES_DIR, "zeek-http-pipelined-requests.pcap")
    capture_id = uploaded[path]
    r = server.v2(token, capture_id, "objects/nosuch")
    check(r.status == 400, "unknown handler: %d" % r.status)
    message = r.json()["exceptions"][0]
    check("nosuch" in message and all(h in message for h in HANDLERS), "the message names it and the handlers: %s" % message)
    for index, status_code in (("0", 400), ("x", 400), ("-1", 400), ("999", 404)):
        r = server.v2(token, capture_id, "objects/http/" + index)
        check(r.status == status_code, "objects/http/%s: %d, want %d" % (index, r.status, status_code))
    check(server.v2(token, "0123456789ab", "objects/http").status == 404, "an unknown capture is a 404")
    # Kept with the capture (result cache) and gone with it.
    check(server.v2(token, capture_id, "objects/http").header("X-Sharkapi-Cache") == "hit", "a repeat list is a hit")
    folder = os.path.join(server.data_dir, "captures", capture_id)
    check(os.listdir(os.path.join(folder, "results")), "the objects are kept in the capture's folder")
    r = server.request("POST", "/api/v1/%s/delete/%s" % (token, capture_id))
    check(r.status == 200, "delete: %d" % r.status)
    check(not os.path.exists(folder), "the capture's folder (and its objects) went with it")
    check(server.v2(token, capture_id, "objects/http/1").status == 404, "a deleted capture's object is a 404")


def main():
    global server, token
    server = harness.Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        upload_corpus()
        harness.run([test_io_and_objects_every_capture, test_io_every_function_several_intervals,
                     test_io_two_passes_and_cache, test_io_bad_input, test_objects_bad_input_and_deletion])
    finally:
        server.cleanup()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
