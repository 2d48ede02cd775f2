#!/usr/bin/env python3
"""test_worker_engine.py: sharkapi-worker against tshark and sharkd, capture by capture.

    python3 tests/test_worker_engine.py BUILD_DIR CAPTURES_DIR [PART/PARTS]

For every capture in CAPTURES_DIR (tests/captures; PART/PARTS takes every PARTS-th of them from
the PART-th, 1-based, so ctest runs the parts side by side), one long-lived worker (as the server runs it) is
asked for:
  - the summary, one pass: hierarchy.json vs tshark -q -z io,phs; endpoints and conversations
    of eth, ip, ipv6, tcp and udp vs sharkd's endpt:/conv: taps (hosts, ports, counts,
    start/stop, filters; a table without data has no file);
  - the summary with the filter "tcp": hierarchy vs tshark -z io,phs,tcp;
  - the summary with passes=2: hierarchy vs tshark -2 -z io,phs, once from a cold first pass
    and once from the warm one a fields job left (alternating by capture);
  - fields (the seed queries and more: initial RTT, SNI, DNS answers, retransmissions, the Info
    and Protocol columns, HTTP URIs, ICMP-quoted IP, no filter, protocol fields, and passes=2
    with dns.response_in) vs tshark -T fields -E occurrence=a -E aggregator=,;
plus the protocol itself: HELLO, check_filter, paging, NDJSON, errors (400/422), the
first-pass counter, broken captures from CAPTURES_DIR/bad, and exit 0 at end of input.
Prints one line per check, then "N passed, M failed"; exits non-zero on any failure.
Python 3 standard library only. No timing assertions.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
import glob
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (parse_part only: this suite drives a worker, not a server)
import oracle  # noqa: E402
from worker_client import WorkerClient  # noqa: E402

TABLES = [("eth", "Ethernet"), ("ip", "IPv4"), ("ipv6", "IPv6"), ("tcp", "TCP"), ("udp", "UDP")]

# (name, fields, filter, passes, requires): fields queries run on every capture. tshark is
# asked only when one of the protocols in requires (or ICMP, which may quote anything) is in
# the capture's protocol hierarchy; otherwise no frame can match and the answer must be empty.
FIELD_QUERIES = [
    ("initial-rtt", ["tcp.stream", "ip.src", "ip.dst", "tcp.dstport",
                     "tcp.analysis.initial_rtt"], "tcp.analysis.initial_rtt", 1, {"tcp"}),
    ("sni", ["tls.handshake.extensions_server_name"], "tls.handshake.extensions_server_name", 1,
     {"tls", "quic", "dtls"}),
    ("dns-answers", ["dns.a", "dns.qry.name"], "dns", 1, {"dns"}),
    ("retransmissions", ["tcp.analysis.retransmission", "tcp.stream"],
     "tcp.analysis.retransmission", 1, {"tcp"}),
    ("columns", ["_ws.col.Info", "_ws.col.Protocol", "_ws.col.Time", "_ws.col.Source",
                 "_ws.col.No."], "", 1, None),
    ("http-uri", ["http.request.uri", "http.host"], "http.request", 1, {"http"}),
    ("icmp-quoted-ip", ["ip.src", "ip.dst", "icmp.type", "icmpv6.type"], "icmp || icmpv6", 1,
     {"icmp", "icmpv6"}),
    ("no-filter", ["frame.len", "frame.time_relative", "eth.src", "ip.ttl", "udp.length",
                   "tcp.len", "vlan.id"], "", 1, None),
    ("protocol-fields", ["ip", "udp"], "udp", 1, {"udp"}),
]
TWO_PASS_QUERY = ("dns-response-in", ["dns.id", "dns.response_in", "dns.response_to",
                                      "dns.time"], "dns", 2, {"dns"})


def hierarchy_protocols(nodes, found=None):
    found = set() if found is None else found
    for node in nodes:
        found.add(node["proto"])
        hierarchy_protocols(node.get("protos", []), found)
    return found


def oracle_fields(capture, phs_future, query):
    """tshark's rows for query, or [] without asking when no frame can match."""
    name, fields, filter, passes, requires = query
    if requires is not None:
        present = hierarchy_protocols(phs_future.result()["protos"])
        if not present & (requires | {"icmp", "icmpv6"}):
            return []
    return oracle.tshark_fields(capture, fields, filter, passes == 2)


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail[:1500]) if detail else ""))
        sys.stdout.flush()
        return ok


def first_difference(ours, theirs, path="$"):
    """Where two JSON values differ first, for failure messages."""
    if type(ours) is not type(theirs) and not (isinstance(ours, (int, float)) and
                                               isinstance(theirs, (int, float))):
        return "%s: %r vs %r" % (path, ours, theirs)
    if isinstance(ours, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours or key not in theirs:
                return "%s.%s: %r vs %r" % (path, key, ours.get(key, "<absent>"),
                                            theirs.get(key, "<absent>"))
            diff = first_difference(ours[key], theirs[key], "%s.%s" % (path, key))
            if diff:
                return diff
        return None
    if isinstance(ours, list):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            diff = first_difference(a, b, "%s[%d]" % (path, i))
            if diff:
                return diff
        if len(ours) != len(theirs):
            return "%s: %d items vs %d" % (path, len(ours), len(theirs))
        return None
    return None if ours == theirs else "%s: %r vs %r" % (path, ours, theirs)


def c_round(value, decimals):
    """C's round() (half away from zero) at decimals, as the worker's JSON writer rounds."""
    scale = 10.0 ** decimals
    scaled = value * scale
    whole = math.floor(scaled)
    return (whole + 1 if scaled - whole >= 0.5 else whole) / scale


def expected_table(table):
    """sharkd's table with the rates rounded as the worker rounds them."""
    for conv in table.get("convs", []):
        duration = conv["duration"]
        conv["rx_rate"] = c_round(conv["rxb"] / duration, 2) if duration > 0 else 0
        conv["tx_rate"] = c_round(conv["txb"] / duration, 2) if duration > 0 else 0
    return table


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class CaptureOracle:
    """The oracle's answers for one capture, computed in the background."""

    def __init__(self, pool, capture):
        taps = ["endpt:%s" % name for _, name in TABLES] + ["conv:%s" % name for _, name in TABLES]
        self.phs = pool.submit(oracle.tshark_phs, capture)
        self.phs_tcp = pool.submit(oracle.tshark_phs, capture, "tcp")
        self.phs_2pass = pool.submit(oracle.tshark_phs, capture, None, True)
        self.taps = pool.submit(oracle.sharkd_taps, capture, taps)
        self.fields = {}
        # FIFO: the hierarchy these wait on was submitted, so started, before them.
        for query in FIELD_QUERIES + [TWO_PASS_QUERY]:
            self.fields[query[0]] = pool.submit(oracle_fields, capture, self.phs, query)


class WorkerTest:
    def __init__(self, client, results, scratch):
        self.client = client
        self.results = results
        self.scratch = scratch
        self.first_passes = 0
        self.runs = 0

    # ---- helpers ----

    def summary(self, capture, filter="", passes=1):
        self.runs += 1
        output = os.path.join(self.scratch, "run%d" % self.runs, "results")
        answer = self.client.request({"job": "summary", "capture": capture, "output": output,
                                      "filter": filter, "passes": passes})
        return answer, output

    def fields(self, capture, fields, filter="", passes=1, limit=-1, offset=0, format="json"):
        return self.client.request({"job": "fields", "capture": capture, "fields": fields,
                                    "filter": filter, "passes": passes, "limit": limit,
                                    "offset": offset, "format": format})

    def check_progress(self, name, answer):
        values = answer.progress
        ok = all(0.0 <= v <= 1.0 for v in values) and values == sorted(values)
        self.results.check(name + " progress", ok, repr(values[:20]))

    def check_first_passes(self, name, answer):
        self.results.check(name + " first_passes", answer.end.get("first_passes") ==
                           self.first_passes, "%r, expected %d" % (answer.end, self.first_passes))

    def check_summary_files(self, name, output):
        ok = (os.path.isfile(os.path.join(output, "hierarchy.json")) and
              os.path.isfile(os.path.join(output, "dns.json")) and
              not glob.glob(glob.escape(output) + ".tmp*"))
        self.results.check(name + " files", ok, output)
        if ok:
            dns = load_json(os.path.join(output, "dns.json"))
            self.results.check(name + " dns.json", isinstance(dns.get("lookups"), list),
                               repr(dns)[:200])

    def compare_hierarchy(self, name, output, expected):
        ours = load_json(os.path.join(output, "hierarchy.json"))
        self.results.check(name + " hierarchy", ours == expected,
                           first_difference(ours, expected) or "")

    def compare_tables(self, name, output, taps):
        for filter_name, table_name in TABLES:
            for folder, tap in (("endpoints", "endpt:"), ("conversations", "conv:")):
                expected = expected_table(taps[tap + table_name])
                items = expected.get("hosts", expected.get("convs"))
                path = os.path.join(output, folder, filter_name + ".json")
                label = "%s %s/%s" % (name, folder, filter_name)
                if not items:
                    self.results.check(label + " (no data, no file)", not os.path.exists(path))
                    continue
                if not self.results.check(label + " exists", os.path.isfile(path)):
                    continue
                ours = load_json(path)
                self.results.check(label, ours == expected,
                                   first_difference(ours, expected) or "")

    def compare_fields(self, name, answer, expected):
        if not self.results.check(name, answer.ok, repr(answer.error)):
            return
        rows = answer.json()["data"]["packets"]
        for row in rows:
            row["fields"] = {k: oracle.csv_escape(v) for k, v in row["fields"].items()}
        self.results.check(name + " rows", rows == expected,
                           first_difference(rows, expected) or "")
        self.results.check(name + " END rows", answer.end.get("rows") == len(expected),
                           repr(answer.end))

    # ---- per capture ----

    def run_capture(self, capture, index, expected):
        base = os.path.basename(capture)

        answer, output = self.summary(capture)
        if self.results.check(base + " summary", answer.ok, repr(answer.error)):
            self.check_first_passes(base + " summary", answer)
            self.check_progress(base + " summary", answer)
            self.check_summary_files(base + " summary", output)
            self.compare_hierarchy(base + " summary", output, expected.phs.result())
            self.compare_tables(base + " summary", output, expected.taps.result())

        answer, output = self.summary(capture, filter="tcp")
        if self.results.check(base + " summary filter=tcp", answer.ok, repr(answer.error)):
            self.compare_hierarchy(base + " summary filter=tcp", output,
                                   expected.phs_tcp.result())

        for name, fields, filter, passes, _ in FIELD_QUERIES:
            answer = self.fields(capture, fields, filter, passes)
            self.compare_fields("%s fields %s" % (base, name), answer,
                                expected.fields[name].result())

        # Two passes: a cold first pass, then the warm one; which job comes first alternates.
        if index % 2 == 0:
            self.two_pass_summary(base, capture, expected, warm=False)
            self.two_pass_fields(base, capture, expected, warm=True)
        else:
            self.two_pass_fields(base, capture, expected, warm=False)
            self.two_pass_summary(base, capture, expected, warm=True)

    def two_pass_summary(self, base, capture, expected, warm):
        label = "%s summary passes=2 (%s)" % (base, "warm" if warm else "cold")
        if not warm:
            self.first_passes += 1
        answer, output = self.summary(capture, passes=2)
        if self.results.check(label, answer.ok, repr(answer.error)):
            self.check_first_passes(label, answer)
            self.check_progress(label, answer)
            self.compare_hierarchy(label, output, expected.phs_2pass.result())

    def two_pass_fields(self, base, capture, expected, warm):
        name, fields, filter, passes, _ = TWO_PASS_QUERY
        label = "%s fields %s passes=2 (%s)" % (base, name, "warm" if warm else "cold")
        if not warm:
            self.first_passes += 1
        answer = self.fields(capture, fields, filter, passes)
        self.compare_fields(label, answer, expected.fields[name].result())
        if answer.ok:
            self.check_first_passes(label, answer)

    # ---- the protocol ----

    def run_protocol(self, captures_dir):
        results = self.results
        hello = self.client.hello
        names = {t["filter"]: t["name"] for t in hello.get("tables", [])}
        results.check("HELLO lists the tables",
                      all(names.get(f) == n for f, n in TABLES), repr(hello)[:400])
        results.check("HELLO version", hello.get("version", "").startswith("4.0."), repr(hello))

        answer = self.client.request({"job": "check_filter", "filter": "tcp.port == 443"})
        results.check("check_filter good", answer.ok and answer.end == {}, repr(answer.error))
        answer = self.client.request({"job": "check_filter", "filter": "tcp.port =="})
        tshark_says = oracle.tshark_filter_error("tcp.port ==") or ""
        results.check("check_filter bad: 400 in libwireshark's words",
                      answer.error is not None and answer.error["status"] == 400 and
                      answer.error["message"] in tshark_says,
                      "%r vs %r" % (answer.error, tshark_says))
        answer = self.client.request({"job": "dissect"})
        results.check("unknown job: 400", answer.error is not None and
                      answer.error["status"] == 400, repr(answer.end or answer.error))
        answer = self.client.request("this is not json")
        results.check("not JSON: 400", answer.error is not None and
                      answer.error["status"] == 400, repr(answer.end or answer.error))

        capture = os.path.join(captures_dir, "zeek-http-bro.org.pcap")
        answer = self.fields(capture, ["ip.src", "no.such.field"])
        results.check("unknown field: 400", answer.error is not None and
                      answer.error == {"message": "unknown field: no.such.field", "status": 400},
                      repr(answer.error))
        answer = self.fields(capture, ["ip.src"] + ["tcp.port"] * 64)
        results.check("more than 64 fields: 400", answer.error is not None and
                      answer.error["status"] == 400, repr(answer.error))
        answer = self.fields(capture, ["ip.src"], filter="ip.src ==")
        results.check("fields with a bad filter: 400", answer.error is not None and
                      answer.error["status"] == 400 and not answer.data, repr(answer.error))
        answer, output = self.summary(capture, filter="frame.len >")
        results.check("summary with a bad filter: 400, nothing written",
                      answer.error is not None and answer.error["status"] == 400 and
                      not os.path.exists(output) and not glob.glob(glob.escape(output) + ".tmp*"),
                      repr(answer.error))
        answer, output = self.summary(os.path.join(captures_dir, "no-such-capture.pcap"))
        results.check("summary of a missing capture: 422",
                      answer.error is not None and answer.error["status"] == 422,
                      repr(answer.error))
        answer = self.fields(os.path.join(captures_dir, "bad", "not-a-capture.txt"), ["ip.src"])
        results.check("fields of a text file: 422",
                      answer.error is not None and answer.error["status"] == 422,
                      repr(answer.error))

        self.run_paging(capture)
        self.run_bad_captures(os.path.join(captures_dir, "bad"))

    def run_paging(self, capture):
        results = self.results
        fields = ["tcp.stream", "http.request.method"]
        expected = oracle.tshark_fields(capture, fields, "tcp")
        for limit, offset in ((5, 3), (0, 0), (-1, len(expected) - 2), (10, len(expected) + 5)):
            answer = self.fields(capture, fields, "tcp", limit=limit, offset=offset)
            end = len(expected) if limit < 0 else offset + limit
            want = expected[offset:end]
            label = "paging limit=%d offset=%d" % (limit, offset)
            if results.check(label, answer.ok, repr(answer.error)):
                rows = answer.json()["data"]["packets"]
                results.check(label + " rows", rows == want, first_difference(rows, want) or "")
        answer = self.fields(capture, fields, "tcp", format="ndjson")
        if results.check("ndjson", answer.ok, repr(answer.error)):
            results.check("ndjson rows", answer.ndjson() == expected,
                          first_difference(answer.ndjson(), expected) or "")
            results.check("ndjson lines end with a newline", answer.data.endswith(b"\n"))
        answer = self.fields(os.path.join(os.path.dirname(capture), "sv-dhcp-request-flood.pcap"),
                             ["frame.len", "ip.src"])
        results.check("a long answer comes in several DATA frames",
                      answer.ok and answer.data_frames > 1, "%d frames" % answer.data_frames)

    def run_bad_captures(self, bad_dir):
        # Every file named here is part of the corpus: a missing one is a failure, not a skip.
        capture = os.path.join(bad_dir, "pcap-magic-then-garbage.pcap")
        answer, _ = self.summary(capture)
        self.results.check("bad/pcap-magic-then-garbage.pcap summary: 422",
                           answer.error is not None and answer.error["status"] == 422,
                           repr(answer.end or answer.error))
        for name in ("truncated-mid-packet.pcap", "truncated-mid-record-header.pcap",
                     "truncated-mid-block.pcapng"):
            capture = os.path.join(bad_dir, name)
            if not self.results.check("bad/%s is in the corpus" % name, os.path.exists(capture)):
                continue
            answer, output = self.summary(capture)
            if self.results.check("bad/%s summary (frames up to the cut)" % name, answer.ok,
                                  repr(answer.error)):
                self.compare_hierarchy("bad/" + name, output, oracle.tshark_phs(capture))

def main(argv):
    if len(argv) not in (3, 4):
        print("usage: %s BUILD_DIR CAPTURES_DIR [PART/PARTS]" % argv[0], file=sys.stderr)
        return 2
    build_dir, captures_dir = argv[1], argv[2]
    part, parts = harness.parse_part(argv[3] if len(argv) == 4 else "1/1")
    worker = os.environ.get("SHARKAPI_WORKER") or os.path.join(build_dir, "sharkapi-worker")
    captures = sorted(p for pattern in ("*.pcap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz")
                      for p in glob.glob(os.path.join(captures_dir, pattern)))
    missing = oracle.available()
    if missing or not os.access(worker, os.X_OK) or not captures:
        print("cannot test: missing %s" % (missing or worker if captures else captures_dir),
              file=sys.stderr)
        return 1
    # This part's captures, keeping each one's index in the whole list (it picks cold or warm).
    mine = [(index, capture) for index, capture in enumerate(captures) if index % parts == part - 1]
    print("part %d/%d: %d of %d captures" % (part, parts, len(mine), len(captures)))

    results = Results()
    with tempfile.TemporaryDirectory(prefix="sharkapi-worker-test-") as scratch, \
            concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        expected = {index: CaptureOracle(pool, capture) for index, capture in mine}
        with WorkerClient(worker) as client:
            test = WorkerTest(client, results, scratch)
            if part == 1:
                test.run_protocol(captures_dir)
            for index, capture in mine:
                test.run_capture(capture, index, expected[index])
            status = client.close()
            results.check("worker exits 0 at the end of its input", status == 0, str(status))
    print("%d passed, %d failed" % (results.passed, results.failed))
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
