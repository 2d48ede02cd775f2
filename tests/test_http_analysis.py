"""test_http_analysis.py: every v2 analysis route over real HTTP, for every shared capture,
against the oracles of the same libwireshark: tshark -z io,phs (default, a filter, -2),
sharkd's endpt:/conv: taps, tshark -T fields, tshark's DNS fields; CloudShark's seed jq
pipelines run as printed; a restarted server answers without a new pass.

    python3 tests/test_http_analysis.py [PART/PARTS] [TEST_NAME...]   (or env SHARKAPI_TEST_PART)

PART/PARTS (1-based) takes every PARTS-th capture from the PART-th for the per-capture checks,
so ctest can run the parts side by side; the route-level checks, which are not per capture,
run in part 1 only (which also uploads the captures they name). Without it: everything, 1/1.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import harness
import oracle
import test_dns_oracle
from harness import check

server = None
token = None
uploaded = {}  # capture path -> id, of every capture this run uploaded
mine = []  # the captures of this part, checked one by one

TABLES = [("eth", "Ethernet"), ("ip", "IPv4"), ("ipv6", "IPv6"), ("tcp", "TCP"), ("udp", "UDP")]

FIELD_QUERIES = [
    (["tcp.stream", "ip.src", "ip.dst", "tcp.dstport", "tcp.analysis.initial_rtt"], "tcp.analysis.initial_rtt", 1),
    (["tls.handshake.extensions_server_name"], "tls.handshake.extensions_server_name", 1),
    (["dns.qry.name", "dns.a", "dns.aaaa", "dns.id"], "dns", 1),
    (["ip.src", "ip.dst", "icmp.type"], "icmp", 1),
    (["tcp.analysis.retransmission", "tcp.seq", "tcp.len"], "tcp.analysis.retransmission", 1),
    (["frame.len", "eth.src", "ip.proto"], None, 1),
    (["_ws.col.Protocol", "_ws.col.Info"], None, 1),
    (["http.request.method", "http.host", "http.request.uri", "http.user_agent"], "http.request", 1),
    (["dns.qry.name", "dns.response_in", "dns.response_to"], "dns", 2),
    (["tcp.stream", "tcp.analysis.acks_frame"], "tcp", 2),
]


# The captures the route-level checks name (part 1 uploads them even when not its own).
PROTOCOL_CAPTURE = os.path.join(harness.CAPTURES_DIR, "sv-community-id-ipv6-tls.pcap")
PAGING_CAPTURE = os.path.join(harness.CAPTURES_DIR, "zeek-http-bro.org.pcap")
DNS_FILTER_CAPTURE = os.path.join(harness.CAPTURES_DIR, "zeek-dns-edns-ecs.pcap")
SEED_CAPTURE = os.path.join(harness.CAPTURES_DIR, "zeek-wikipedia.pcap")
SNI_CAPTURE = os.path.join(harness.CAPTURES_DIR, "zeek-tls-google-cert-repeat.pcap")
ROUTE_CAPTURES = [PROTOCOL_CAPTURE, PAGING_CAPTURE, DNS_FILTER_CAPTURE, SEED_CAPTURE, SNI_CAPTURE]


def take_part_argument(argv):
    """The PART/PARTS argument out of argv (the rest are test names for harness.run), else
    SHARKAPI_TEST_PART, else 1/1."""
    for arg in argv[1:]:
        if re.fullmatch(r"\d+/\d+", arg):
            argv.remove(arg)
            return harness.parse_part(arg)
    return harness.parse_part(os.environ.get("SHARKAPI_TEST_PART") or "1/1")


def upload_all(paths):
    for path in paths:
        r = server.upload_put(token, path)
        check(r.status == 200, "upload %s: %d" % (path, r.status))
        uploaded[path] = r.json()["id"]


def data_of(response, what):
    return harness.data_of(response, what)


def for_each_capture(check_one):
    harness.for_each_capture(mine, uploaded, check_one)


def test_hierarchy_vs_tshark():
    def one(path, capture_id):
        got = data_of(server.v2(token, capture_id, "stats/hierarchy"), "hierarchy")
        check(got == oracle.tshark_phs(path), "hierarchy differs from tshark -z io,phs")
        got = data_of(server.v2(token, capture_id, "stats/hierarchy", filter="tcp || dns"), "filtered")
        check(got == oracle.tshark_phs(path, filter="tcp || dns"), "hierarchy,filter differs")
        got = data_of(server.v2(token, capture_id, "stats/hierarchy", passes=2), "two-pass")
        check(got == oracle.tshark_phs(path, two_pass=True), "two-pass hierarchy differs from tshark -2")
    for_each_capture(one)


def normalise_hosts(hosts):
    return sorted(json.dumps({k: str(v) for k, v in h.items()}, sort_keys=True) for h in hosts)


def normalise_convs(convs):
    rows = []
    for c in convs:
        item = {k: str(v) for k, v in c.items() if k not in ("start", "stop", "duration", "rx_rate", "tx_rate")}
        item["start"] = "%.6f" % c["start"]
        item["stop"] = "%.6f" % c["stop"]
        rows.append(json.dumps(item, sort_keys=True))
    return sorted(rows)


def test_endpoints_and_conversations_vs_sharkd():
    taps = ["endpt:" + name for _, name in TABLES] + ["conv:" + name for _, name in TABLES]

    def one(path, capture_id):
        want = oracle.sharkd_taps(path, taps)
        for protocol, name in TABLES:
            got = data_of(server.v2(token, capture_id, "stats/endpoints", protocol=protocol), "endpoints")
            check(got["proto"] == name and got["geoip"] is False, "endpoints %s proto" % protocol)
            check(normalise_hosts(got["hosts"]) == normalise_hosts(want["endpt:" + name]["hosts"]),
                  "endpoints %s differ from sharkd" % protocol)
            got = data_of(server.v2(token, capture_id, "stats/conversations", protocol=name.lower()), "convs")
            check(got["proto"] == name, "conversations %s proto" % protocol)
            check(normalise_convs(got["convs"]) == normalise_convs(want["conv:" + name]["convs"]),
                  "conversations %s differ from sharkd" % protocol)
            for conv in got["convs"]:
                check(abs(conv["duration"] - (conv["stop"] - conv["start"])) < 1e-6, "duration")
                want_rate = round(conv["txb"] / conv["duration"], 2) if conv["duration"] > 0 else 0
                check(abs(conv["tx_rate"] - want_rate) < 0.011, "tx_rate")
    for_each_capture(one)


def test_protocol_parameter():
    capture_id = uploaded[PROTOCOL_CAPTURE]
    r = server.v2(token, capture_id, "stats/endpoints", protocol="nosuch")
    check(r.status == 400 and "tcp" in r.json()["exceptions"][0], "unknown protocol must list valid names")
    default = data_of(server.v2(token, capture_id, "stats/endpoints"), "default protocol")
    check(default["proto"] == "IPv4", "default protocol is ip")
    r = data_of(server.v2(token, capture_id, "stats/conversations", protocol="SCTP"), "empty table")
    check(r == {"convs": [], "geoip": False, "proto": "SCTP"}, "empty table: %s" % r)
    r = server.v2(token, capture_id, "stats/hierarchy", filter="ip.src ==")
    check(r.status == 400 and r.json()["exceptions"][0], "bad filter on hierarchy: %d" % r.status)


def test_fields_vs_tshark():
    def one(path, capture_id):
        for fields, display_filter, passes in FIELD_QUERIES:
            params = {"fields": ",".join(fields), "passes": passes}
            if display_filter:
                params["filter"] = display_filter
            got = data_of(server.v2(token, capture_id, "packets/fields", **params), "fields")["packets"]
            want = oracle.tshark_fields(path, fields, display_filter, two_pass=passes == 2)
            got = [{"fields": {k: oracle.csv_escape(v) for k, v in row["fields"].items()}, "frame": row["frame"]}
                   for row in got]
            if got != want:
                diff = next(((g, w) for g, w in zip(got, want) if g != w), (len(got), len(want)))
                raise AssertionError("fields %s filter %s passes %d differ from tshark: %s"
                                     % (fields, display_filter, passes, diff))
    for_each_capture(one)


def test_fields_paging_ndjson_and_errors():
    capture_id = uploaded[PAGING_CAPTURE]
    whole = data_of(server.v2(token, capture_id, "packets/fields", fields="ip.src,tcp.stream"), "all")["packets"]
    page = data_of(server.v2(token, capture_id, "packets/fields", fields="ip.src,tcp.stream", limit=50,
                             offset=100), "page")["packets"]
    check(page == whole[100:150], "limit/offset page differs")
    nd = server.v2(token, capture_id, "packets/fields", fields="ip.src,tcp.stream", format="ndjson")
    check(nd.status == 200, "ndjson status")
    rows = [json.loads(line) for line in nd.body.decode().splitlines()]
    check(rows == whole, "ndjson rows differ")
    nd = server.request("GET", "/api/v2/analysis/%s/packets/fields?fields=ip.src,tcp.stream" % capture_id,
                        headers={"Authorization": token, "Accept": "application/x-ndjson"})
    check([json.loads(line) for line in nd.body.decode().splitlines()] == whole, "Accept ndjson")
    for params, what in (({"fields": "no.such.field"}, "unknown field"), ({}, "no fields"),
                         ({"fields": "ip.src", "filter": "ip.src =="}, "bad filter"),
                         ({"fields": ",".join(["ip.src"] * 65)}, "65 fields"),
                         ({"fields": "ip.src", "limit": "-1"}, "negative limit")):
        r = server.v2(token, capture_id, "packets/fields", **params)
        check(r.status == 400 and r.json()["status"] == 400 and r.json()["exceptions"][0], what)
    # tshark's verdict on each filter, on the same capture: refused with its message, or accepted.
    verdicts = {}
    for display_filter in ("ip.src ==", "no.such.field", "ip.src == 1.2.3", "tcp.port == 80 && ip"):
        want = tshark_filter_verdict(PAGING_CAPTURE, display_filter)
        verdicts[display_filter] = want
        r = server.v2(token, capture_id, "packets/fields", fields="ip.src", filter=display_filter)
        if want is None:
            check(r.status == 200, "filter %r accepted by tshark, answered %d %s"
                  % (display_filter, r.status, r.body[:200]))
        else:
            check(r.status == 400 and r.json()["exceptions"] == [want],
                  "filter %r: tshark says %r, the server %d %s" % (display_filter, want, r.status, r.body[:300]))
    check(verdicts["ip.src =="] is not None and verdicts["tcp.port == 80 && ip"] is None,
          "tshark's verdicts are not the ones this check is about: %s" % verdicts)


def tshark_filter_verdict(path, display_filter):
    """None when tshark accepts the display filter on path; else its message (the first line of
    its complaint, without the "tshark: " prefix)."""
    status, _, err = oracle.run(["tshark", "-n", "-r", path, "-c", "1", "-Y", display_filter], inputs=[path])
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("Running as user")]
    if status == 0:
        check(not lines, "tshark accepted %r but complained: %s" % (display_filter, lines))
        return None
    check(lines and lines[0].startswith("tshark: "),
          "tshark failed on %r without a message (%d)" % (display_filter, status))
    return lines[0][len("tshark: "):]


def test_dns_lookups_vs_tshark():
    home = tempfile.mkdtemp(prefix="sharkapi-dns-")

    def one(path, capture_id):
        lookups = data_of(server.v2(token, capture_id, "dns/lookups"), "dns")["lookups"]
        problems = test_dns_oracle.compare_capture(lookups, test_dns_oracle.tshark_rows(path, home))
        check(not problems, "; ".join(problems[:5]))
        for record in lookups:
            check(list(record.keys()) == sorted(record.keys()), "dns keys out of order")
    for_each_capture(one)


def test_dns_lookups_filter():
    capture_id = uploaded[DNS_FILTER_CAPTURE]
    everything = data_of(server.v2(token, capture_id, "dns/lookups"), "dns")["lookups"]
    only_udp = data_of(server.v2(token, capture_id, "dns/lookups", filter="udp"), "dns udp")["lookups"]
    check(any(r["transport"] == "tcp" for r in everything), "the capture has DNS over TCP")
    check(only_udp == [r for r in everything if r["transport"] == "udp"], "filter=udp keeps exactly the UDP records")
    r = server.v2(token, capture_id, "dns/lookups", filter="udp ==")
    check(r.status == 400, "bad dns filter: %d" % r.status)


def jq(program, body):
    return json.loads(subprocess.run(["jq", "-c", program], input=body, capture_output=True, check=True).stdout)


def curl(path):
    url = "http://127.0.0.1:%d%s" % (server.port, path)
    return subprocess.run(["curl", "--request", "GET", "--header", "Authorization: " + token, "--silent",
                           "--url", url], capture_output=True, check=True).stdout


def capinfos_frames_and_duration(path):
    """(frames, duration in seconds as capinfos prints it) of a capture."""
    status, out, err = oracle.run(["capinfos", "-c", "-u", "-M", path], inputs=[path])
    check(status == 0, "capinfos failed: %s" % err)
    frames = re.search(r"^Number of packets:\s+(\d+)$", out, re.M)
    duration = re.search(r"^Capture duration:\s+([0-9.]+) seconds$", out, re.M)
    check(frames and duration, "capinfos output: %r" % out)
    return int(frames.group(1)), float(duration.group(1))


def jq_sort_key(value):
    """jq's order of null and strings (null first), for emulating sort and unique_by."""
    return (value is not None, value if value is not None else "")


def tshark_initial_rtts(path):
    """The initial-RTT example's answer as tshark gives it: per TCP stream (jq unique_by: sorted
    by the stream as a string, the first frame of each) stream, addresses, port and RTT."""
    rows = oracle.tshark_fields(path, ["tcp.stream", "ip.src", "ip.dst", "tcp.dstport", "tcp.analysis.initial_rtt"],
                                "tcp.analysis.initial_rtt")
    first = {}
    for row in rows:
        f = row["fields"]
        first.setdefault(f.get("tcp.stream"), {"stream": f.get("tcp.stream"), "src": f.get("ip.src"),
                                                "dst": f.get("ip.dst"), "dstport": f.get("tcp.dstport"),
                                                "initial_rtt": f.get("tcp.analysis.initial_rtt")})
    return [first[key] for key in sorted(first, key=jq_sort_key)]


def tshark_first_lookup(path):
    """The first record of dns/lookups as tshark sees it (test_dns_oracle's pairing): client,
    query name, and the query type's mnemonic from tshark's own value strings."""
    with tempfile.TemporaryDirectory(prefix="sharkapi-dns-") as home:
        rows = test_dns_oracle.tshark_rows(path, home)
    messages = [m for row in rows for m in test_dns_oracle.split_messages(row)]
    check(messages, "tshark sees no DNS in %s" % path)
    first, _response, _query, from_client = test_dns_oracle.expected_lookups(messages)[0]
    _, out, _ = oracle.run(["tshark", "-n", "-r", path, "-Y", "frame.number == %d" % first["frame"],
                            "-T", "fields", "-E", "occurrence=f", "-e", "dns.qry.type"], inputs=[path])
    type_number = out.strip()
    _, values, _ = oracle.run(["tshark", "-G", "values"])
    names = re.findall(r"^V\tdns\.qry\.type\t%s\t(\S+)" % re.escape(type_number), values, re.M)
    check(len(names) == 1, "dns.qry.type %r in tshark -G values: %s" % (type_number, names))
    carrier = first["carrier"]
    return {"client": carrier["src"] if from_client else carrier["dst"], "full_query": first["query_name"],
            "query_type": names[0]}


def test_seed_examples_as_printed():
    path = SEED_CAPTURE
    capture_id = uploaded[path]
    base = "/api/v2/analysis/" + capture_id
    got = jq("{frames: .data.frames, duration: .data.duration}", curl(base + "/status"))
    frames, duration = capinfos_frames_and_duration(path)
    check(got["frames"] == frames and round(got["duration"], 6) == duration,
          "status example: %s, capinfos %d frames over %.6f s" % (got, frames, duration))
    for proto in ("eth", "ip", "ipv6", "tcp", "udp"):
        got = jq(".data.hosts | sort_by(.txb) | last | {host, txf, txb}",
                 curl(base + "/stats/endpoints?protocol=" + proto))
        name = dict(TABLES)[proto]
        hosts = oracle.sharkd_taps(path, ["endpt:" + name])["endpt:" + name]["hosts"]
        best = max(h["txb"] for h in hosts)
        check(got["txb"] == best and any(h["host"] == got["host"] and h["txf"] == got["txf"] for h in hosts),
              "top talker %s" % proto)
    leaves = jq('[.data | .. | objects | select(has("proto")) | select(.protos == null) | {proto, frames, bytes}]',
                curl(base + "/stats/hierarchy"))
    check(any(leaf["proto"] == "dns" for leaf in leaves) and all(leaf["frames"] > 0 for leaf in leaves), "leaves")
    rtts = jq('[.data.packets[].fields | {"stream": .["tcp.stream"], "src": .["ip.src"], "dst": .["ip.dst"], '
              '"dstport": .["tcp.dstport"], "initial_rtt": .["tcp.analysis.initial_rtt"]}] | unique_by(.["stream"])',
              curl(base + "/packets/fields?fields=tcp.stream,ip.src,ip.dst,tcp.dstport,tcp.analysis.initial_rtt"
                   "&filter=tcp.analysis.initial_rtt"))
    want = tshark_initial_rtts(path)
    check(rtts == want and rtts, "initial rtt example: %s, tshark %s" % (rtts, want))
    dns = jq("[.data.lookups[] | {client, full_query, query_type}]", curl(base + "/dns/lookups"))
    want = tshark_first_lookup(path)
    check(dns and dns[0] == want, "dns audit example: %s, tshark %s" % (dns[:1], want))
    tls_path = SNI_CAPTURE
    names = jq('[.data.packets[].fields["tls.handshake.extensions_server_name"]] | unique',
               curl("/api/v2/analysis/%s/packets/fields?fields=tls.handshake.extensions_server_name"
                    "&filter=tls.handshake.extensions_server_name" % uploaded[tls_path]))
    want = sorted({r["fields"]["tls.handshake.extensions_server_name"]
                   for r in oracle.tshark_fields(tls_path, ["tls.handshake.extensions_server_name"],
                                                 "tls.handshake.extensions_server_name")})
    check(names == want and names, "SNI example: %s vs %s" % (names, want))


def test_restart_answers_without_new_pass():
    capture_id = uploaded[PAGING_CAPTURE]
    before = server.v2(token, capture_id, "stats/hierarchy").body
    server.stop()
    server.start()
    status = server.v2(token, capture_id, "status").json()["data"]["analysis"]
    check(status["state"] == "ready", "summary not ready at once after restart: %s" % status)
    check(server.v2(token, capture_id, "stats/hierarchy").body == before, "hierarchy changed over restart")


PER_CAPTURE_TESTS = [test_hierarchy_vs_tshark, test_endpoints_and_conversations_vs_sharkd, test_fields_vs_tshark,
                     test_dns_lookups_vs_tshark]
ROUTE_TESTS = [test_protocol_parameter, test_fields_paging_ndjson_and_errors, test_dns_lookups_filter,
               test_seed_examples_as_printed, test_restart_answers_without_new_pass]


def main():
    global server, token
    part, parts = take_part_argument(sys.argv)
    everything = harness.captures()
    mine.extend(path for index, path in enumerate(everything) if index % parts == part - 1)
    print("part %d/%d: %d of %d captures%s" % (part, parts, len(mine), len(everything),
                                                ", and the route-level checks" if part == 1 else ""), flush=True)
    missing = oracle.available()
    if missing:
        print("missing oracles: %s" % missing)
        print("0 passed, 1 failed")
        raise SystemExit(1)
    server = harness.Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        upload_all(mine + ([p for p in ROUTE_CAPTURES if p not in mine] if part == 1 else []))
        for capture_id in uploaded.values():
            server.wait_ready(token, capture_id)
        harness.run(PER_CAPTURE_TESTS + (ROUTE_TESTS if part == 1 else []))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
