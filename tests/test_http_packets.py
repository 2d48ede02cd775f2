"""test_http_packets.py: the packet-level routes against tshark, on every capture of the corpus.

- frames: every frame's seven columns equal tshark -T fields -e _ws.col.*, with and without a
  filter, paged at several offsets; passes=2 against tshark -2;
- frames/<N>: for a spread of frames of every capture, the tree equals tshark -T pdml node for
  node (abbrev, label, offset, length, value), and bytes equal the frame's bytes;
- follow: chunks, bytes and endpoints equal tshark -z follow,PROTO,raw for TCP and UDP streams,
  an HTTP/2 sub-stream and TLS;
- TLS keys: a PUT key log decrypts in hierarchy, fields, frames and follow alike; DELETE undoes it;
  keys embedded in a pcapng (DSB) work with no key log;
- bad input of every kind: a clear 4xx, nothing stored, the server still answering.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import base64
import json
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

import harness
import oracle
from harness import check

WIRESHARK_DIR = os.path.join(harness.CAPTURES_DIR, "wireshark")
TLS13 = os.path.join(WIRESHARK_DIR, "tls13-20-chacha20poly1305.pcap")
TLS13_KEYS = os.path.join(WIRESHARK_DIR, "tls13-20-chacha20poly1305.keys")
TLS12_DSB = os.path.join(WIRESHARK_DIR, "tls12-dsb.pcapng")
HTTP2 = os.path.join(WIRESHARK_DIR, "http2_follow_multistream.pcapng")
EXTRA = [TLS13, TLS12_DSB, HTTP2, os.path.join(WIRESHARK_DIR, "tcp-badsegments.pcap"),
         os.path.join(WIRESHARK_DIR, "dns-ooo.pcap"), os.path.join(WIRESHARK_DIR, "sip.pcapng")]
COLUMNS = ["_ws.col.No.", "_ws.col.Time", "_ws.col.Source", "_ws.col.Destination", "_ws.col.Protocol",
           "_ws.col.Length", "_ws.col.Info"]
# Captures with at most this many frames are compared whole on every check; larger ones by pages.
WHOLE_LIST_FRAMES = 20000

server = None
token = None
uploaded = {}  # path -> capture id
mine = []      # this part's captures


def data_of(response, what):
    return harness.data_of(response, what)


def for_each_capture(check_one):
    harness.for_each_capture(mine, uploaded, check_one)


def tshark(argv, path, extra_inputs=()):
    status, out, err = oracle.run(["tshark", "-n"] + argv, inputs=[path] + list(extra_inputs))
    check(status in (0, 2), "tshark %s failed (%d): %s" % (argv, status, err[-300:]))
    return out


# ---- frames ----

def tshark_columns(path, display_filter=None, two_pass=False, keys=None):
    """tshark's seven column texts per frame, as our rows print them (tshark escapes \\t etc.)."""
    argv = (["-2"] if two_pass else []) + ["-r", path, "-T", "fields"]
    for column in COLUMNS:
        argv += ["-e", column]
    if display_filter:
        argv += ["-Y", display_filter]
    if keys:
        argv += ["-o", "tls.keylog_file:" + keys]
    out = tshark(argv, path, [keys] if keys else [])
    return [line.split("\t") for line in out.split("\n") if line != ""]


def our_columns(frames):
    return [[oracle.csv_escape(value) for value in frame["columns"]] for frame in frames]


def frames_of(capture_id, **params):
    return data_of(server.v2(token, capture_id, "frames", **params), "frames %s" % params)


def test_frames_vs_tshark():
    def one(path, capture_id):
        want = tshark_columns(path)
        count = len(want)
        if count <= WHOLE_LIST_FRAMES:
            got = frames_of(capture_id)
            check(got["matched"] == count, "matched %d, tshark lists %d" % (got["matched"], count))
            check([c["title"] for c in got["columns"]] ==
                  ["No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"], "columns %s" % got["columns"])
            check([f["frame"] for f in got["frames"]] == [int(row[0]) for row in want], "frame numbers differ")
            rows = our_columns(got["frames"])
            for ours, theirs in zip(rows, want):
                check(ours == theirs, "frame %s: %s, tshark %s" % (theirs[0], ours, theirs))
        # Pages anywhere: the first, one in the middle, the last, one past the end.
        for offset, limit in ((0, 5), (count // 2, 7), (max(count - 3, 0), 10), (count + 5, 3)):
            page = frames_of(capture_id, offset=offset, limit=limit)
            check(page["matched"] == count, "page matched %d, not %d" % (page["matched"], count))
            check(our_columns(page["frames"]) == want[offset:offset + limit],
                  "page offset=%d limit=%d differs from tshark" % (offset, limit))
    for_each_capture(one)


def test_frames_filter_and_two_passes():
    def one(path, capture_id):
        # The largest capture (82 k frames) is checked whole above and with one filter here: its
        # other passes would add minutes and no case the others lack.
        large = data_of(server.v2(token, capture_id, "status"), "status")["frames"] > WHOLE_LIST_FRAMES
        for display_filter in ("tcp",) if large else ("tcp", "frame.len > 100 && !arp"):
            want = tshark_columns(path, display_filter)
            got = frames_of(capture_id, filter=display_filter, limit=WHOLE_LIST_FRAMES)
            check(got["matched"] == len(want), "%s: matched %d, tshark %d" % (display_filter, got["matched"], len(want)))
            check(our_columns(got["frames"]) == want[:WHOLE_LIST_FRAMES], "%s: rows differ from tshark" % display_filter)
            page = frames_of(capture_id, filter=display_filter, offset=len(want) // 3, limit=4)
            check(our_columns(page["frames"]) == want[len(want) // 3:len(want) // 3 + 4], "%s: a page differs" % display_filter)
        if large:
            return
        want = tshark_columns(path, two_pass=True)
        got = frames_of(capture_id, passes=2, limit=WHOLE_LIST_FRAMES)
        check(got["matched"] == len(want), "passes=2: matched %d, tshark -2 %d" % (got["matched"], len(want)))
        check(our_columns(got["frames"]) == want[:WHOLE_LIST_FRAMES], "passes=2 rows differ from tshark -2")
    for_each_capture(one)


# ---- frames/<N> ----

def pdml_nodes(element, out, depth=0):
    """PDML fields depth first as (depth, abbrev, label, offset, length, value): no geninfo, no
    fake-field-wrapper (its children go up a level), no hidden fields."""
    for child in element:
        name = child.get("name")
        if child.tag not in ("proto", "field") or name == "geninfo" or child.get("hide") == "yes":
            continue
        if name == "fake-field-wrapper":
            pdml_nodes(child, out, depth)
            continue
        label = child.get("showname")
        if label is None:
            label = child.get("show")
        # Text-only items (name="") have their text as show, compared as the label.
        out.append((depth, name or None, label, int(child.get("pos", "0")), int(child.get("size", "0")),
                    child.get("show") if child.tag == "field" and name not in ("data", "") else None))
        pdml_nodes(child, out, depth + 1)
    return out


def xml_attribute(text):
    """What an XML parser reads back from an attribute holding text raw, as tshark writes PDML:
    line ends become one newline, then newlines and tabs spaces."""
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ").replace("\t", " ")


def our_nodes(nodes, out, depth=0):
    for node in nodes:
        value = node.get("value") if node.get("abbrev") not in (None, "data") else None
        if node.get("abbrev") is None:
            value = None  # text-only: PDML's show is the label, compared as the label
        out.append((depth, node.get("abbrev"), node["label"], node["offset"], node["length"], value))
        our_nodes(node.get("children", []), out, depth + 1)
    return out


def normalise_pdml(nodes):
    # Text-only items: PDML prints them with name="" and the text as show (no showname), and the
    # "data" protocol without showname or show: compare what both sides have.
    result = []
    for depth, abbrev, label, offset, length, value in nodes:
        if abbrev == "":
            abbrev, value = None, None
        if abbrev == "data":
            label, offset, length = None, None, None  # PDML's data field has neither pos nor size
        result.append((depth, abbrev, label, offset, length, value))
    return result


def tshark_frame_bytes(path, frame, two_pass=False):
    out = tshark((["-2"] if two_pass else []) + ["-r", path, "-Y", "frame.number==%d" % frame, "-T", "json", "-x"], path)
    packets = json.loads(out)
    return packets[0]["_source"]["layers"]["frame_raw"][0]


def check_frame(path, capture_id, frame, two_pass=False):
    argv = (["-2"] if two_pass else []) + ["-r", path, "-Y", "frame.number==%d" % frame, "-T", "pdml"]
    root = ElementTree.fromstring(tshark(argv, path))
    packet = root.find("packet")
    want = normalise_pdml(pdml_nodes(packet, []))
    got_data = data_of(server.v2(token, capture_id, "frames/%d" % frame, **({"passes": 2} if two_pass else {})),
                       "frames/%d" % frame)
    check(got_data["frame"] == frame, "frame number %s" % got_data["frame"])
    got = [(d, a, None, None, None, v) if a == "data" else (d, a, xml_attribute(l), o, n, xml_attribute(v))
           for d, a, l, o, n, v in our_nodes(got_data["tree"], [])]
    for index, (ours, theirs) in enumerate(zip(got, want)):
        check(ours == theirs, "frame %d node %d: %s, PDML %s" % (frame, index, ours, theirs))
    check(len(got) == len(want), "frame %d: %d nodes, PDML %d" % (frame, len(got), len(want)))
    check(got_data["bytes"] == tshark_frame_bytes(path, frame, two_pass), "frame %d: bytes differ" % frame)
    check(got_data["data_sources"][0]["bytes"] == got_data["bytes"], "frame %d: data source 0 is not the frame" % frame)
    return got_data


def test_frame_detail_vs_pdml():
    def one(path, capture_id):
        count = data_of(server.v2(token, capture_id, "status"), "status")["frames"]
        if count == 0:
            return
        for frame in sorted({1, (count + 1) // 2, count}):
            check_frame(path, capture_id, frame)
    for_each_capture(one)


def test_frame_detail_details():
    capture_id = uploaded[TLS12_DSB]
    # Two passes: Wireshark's view of the frame, from the warm first pass.
    check_frame(TLS12_DSB, capture_id, 9, two_pass=True)
    data = data_of(server.v2(token, capture_id, "frames/9"), "frames/9")
    names = [source["name"] for source in data["data_sources"]]
    check(any(name.startswith("Decrypted TLS") for name in names), "no decrypted data source: %s" % names)
    for node in data["tree"]:
        check(0 <= node["source"] < len(data["data_sources"]), "source index %s" % node["source"])
    # Hidden items only on request.
    hidden = data_of(server.v2(token, capture_id, "frames/9", hidden="true"), "hidden")
    flat = our_nodes(hidden["tree"], [])
    check(len(flat) > len(our_nodes(data["tree"], [])), "hidden=true shows no more nodes")
    # Expert info on the node that carries it (tcp-badsegments has warnings).
    bad = os.path.join(WIRESHARK_DIR, "tcp-badsegments.pcap")
    experts = []
    count = data_of(server.v2(token, uploaded[bad], "status"), "status")["frames"]
    for frame in range(1, count + 1):
        def walk(nodes):
            for node in nodes:
                if "expert" in node:
                    experts.append(node["expert"])
                walk(node.get("children", []))
        walk(data_of(server.v2(token, uploaded[bad], "frames/%d" % frame), "frame")["tree"])
    want = tshark(["-r", bad, "-Y", "_ws.expert", "-T", "fields", "-e", "_ws.expert.message", "-E", "occurrence=a",
                   "-E", "aggregator=\x1f"], bad)
    messages = [m for line in want.split("\n") if line for m in line.split("\x1f")]
    check(sorted(e["message"] for e in experts) == sorted(messages),
          "expert messages %s, tshark %s" % (sorted(e["message"] for e in experts)[:5], sorted(messages)[:5]))
    check(all(e["severity"] in ("chat", "note", "warn", "error", "comment") for e in experts), "severities")
    # An annotation shows in the detail and flags the row.
    r = server.request("POST", "/api/v1/%s/annotations/%s" % (token, capture_id), body="frame=3&text=look+here",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status in (200, 204), "annotate: %d %s" % (r.status, r.body[:200]))
    detail = data_of(server.v2(token, capture_id, "frames/3"), "frames/3")
    check([a["text"] for a in detail["annotations"]] == ["look here"], "annotations %s" % detail["annotations"])
    rows = frames_of(capture_id, offset=2, limit=2)["frames"]
    check(rows[0].get("comment") is True and "comment" not in rows[1], "comment flags %s" % rows)


# ---- follow ----

def tshark_follow(path, proto, stream, substream=None, keys=None):
    spec = "follow,%s,raw,%d" % (proto, stream) + ("" if substream is None else ",%d" % substream)
    argv = ["-r", path, "-q", "-z", spec] + (["-o", "tls.keylog_file:" + keys] if keys else [])
    out = tshark(argv, path, [keys] if keys else [])
    lines = out.split("\n")
    result = {"chunks": [], "filter": None, "nodes": []}
    body = False
    for line in lines:
        if line.startswith("Filter: "):
            result["filter"] = line[len("Filter: "):]
        elif line.startswith("Node 0: ") or line.startswith("Node 1: "):
            result["nodes"].append(line[len("Node 0: "):])
            body = line.startswith("Node 1: ")
        elif body and line.startswith("====="):
            body = False
        elif body and line.strip():
            result["chunks"].append(("server" if line.startswith("\t") else "client", line.strip()))
    return result


def node_text(endpoint):
    address = endpoint["address"]
    return ("[%s]:%d" if ":" in address else "%s:%d") % (address, endpoint["port"])


def check_follow(path, capture_id, proto, stream, substream=None, keys=None):
    want = tshark_follow(path, proto, stream, substream, keys)
    route = "follow/%s/%d" % (proto, stream) + ("" if substream is None else "/%d" % substream)
    r = server.v2(token, capture_id, route)
    if not want["chunks"] and all(node.startswith(":") for node in want["nodes"]):
        check(r.status == 404, "%s: tshark follows nothing, we answer %d" % (route, r.status))
        return None
    got = data_of(r, route)
    chunks = [(c["from"], base64.b64decode(c["data"]).hex()) for c in got["chunks"]]
    check(chunks == want["chunks"], "%s: chunks differ from tshark (%d vs %d)" % (route, len(chunks), len(want["chunks"])))
    check(got["filter"] == want["filter"], "%s: filter %r, tshark %r" % (route, got["filter"], want["filter"]))
    check([node_text(got["client"]), node_text(got["server"])] == want["nodes"],
          "%s: endpoints %s %s, tshark %s" % (route, got["client"], got["server"], want["nodes"]))
    sent = {"client": 0, "server": 0}
    for side, data in chunks:
        sent[side] += len(data) // 2
    check(got["client"]["bytes"] == sent["client"] and got["server"]["bytes"] == sent["server"],
          "%s: byte counts %d/%d, chunks hold %s" % (route, got["client"]["bytes"], got["server"]["bytes"], sent))
    return got


def streams_of(path, field):
    out = tshark(["-r", path, "-T", "fields", "-e", field], path)
    return sorted({int(v) for line in out.split("\n") for v in line.split(",") if v.strip().isdigit()})


def test_follow_tcp_and_udp_vs_tshark():
    def one(path, capture_id):
        for proto in ("tcp", "udp"):
            streams = streams_of(path, proto + ".stream")
            # Every stream of small captures; the first, a middle and the last of large ones.
            chosen = streams if len(streams) <= 6 else sorted({streams[0], streams[len(streams) // 2], streams[-1]})
            for stream in chosen:
                check_follow(path, capture_id, proto, stream)
        if streams_of(path, "tcp.stream"):
            last = streams_of(path, "tcp.stream")[-1]
            r = server.v2(token, capture_id, "follow/tcp/%d" % (last + 1000))
            check(r.status == 404, "a stream with no traffic: %d" % r.status)
    for_each_capture(one)


def test_follow_http2_substream_and_tls():
    # Frame 65 carries HTTP/2 streams 21 and 25: following 25 takes only 25's data from it.
    got25 = check_follow(HTTP2, uploaded[HTTP2], "http2", 0, 25)
    got21 = check_follow(HTTP2, uploaded[HTTP2], "http2", 0, 21)
    at65 = [{c["data"] for c in got["chunks"] if c["frame"] == 65} for got in (got25, got21)]
    check(at65[0] and at65[1] and not (at65[0] & at65[1]), "frame 65's data in streams 25 and 21: %s" % at65)
    check_follow(TLS12_DSB, uploaded[TLS12_DSB], "tls", 0)
    check_follow(TLS12_DSB, uploaded[TLS12_DSB], "http", 0)
    # A repeat is a file read.
    r = server.v2(token, uploaded[HTTP2], "follow/http2/0/25")
    check(r.header("X-Sharkapi-Cache") == "hit", "a repeated follow is not a cache hit")


# ---- TLS keys ----

def hierarchy_has(capture_id, abbrev):
    def walk(nodes):
        return any(n["proto"] == abbrev or walk(n.get("protos", [])) for n in nodes)
    return walk(data_of(server.v2(token, capture_id, "stats/hierarchy"), "hierarchy")["protos"])


def put_keys(capture_id, body, tok=None):
    return server.request("PUT", "/api/v2/analysis/%s/tls-keys" % capture_id, body=body,
                          headers={"Authorization": tok or token})


def tshark_key_fields(path, fields, display_filter, keys):
    argv = ["-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number"]
    for field in fields:
        argv += ["-e", field]
    argv += ["-Y", display_filter] + (["-o", "tls.keylog_file:" + keys] if keys else [])
    rows = []
    for line in tshark(argv, path, [keys] if keys else []).split("\n"):
        if line:
            values = line.split("\t")
            rows.append({"fields": {f: v for f, v in zip(fields, values[1:]) if v}, "frame": int(values[0])})
    return rows


def test_tls_keys_decrypt_everything():
    """tls13-20-chacha20poly1305 decrypts only with its key log: the certificate, the alerts and
    the application data (an HTTP exchange, as follow shows) appear in every view, as in tshark
    -o tls.keylog_file:KEYS. libwireshark 4.0.17 does not dissect that exchange as HTTP (its TLS
    segments never reassemble): tshark's hierarchy has no http either way."""
    capture_id = uploaded[TLS13]
    fields = ["tls.handshake.certificate_length", "tls.alert_message.desc"]
    # Keys embedded in the pcapng: HTTP with no key log at all.
    check(hierarchy_has(uploaded[TLS12_DSB], "http"), "tls12-dsb: no http without a key file")
    check(any(f["columns"][4] == "HTTP" for f in frames_of(uploaded[TLS12_DSB])["frames"]), "tls12-dsb: no HTTP rows")

    def state(keys):
        phs_argv = ["-r", TLS13, "-q", "-z", "io,phs"] + (["-o", "tls.keylog_file:" + keys] if keys else [])
        want_phs = oracle.parse_phs(tshark(phs_argv, TLS13, [keys] if keys else []))
        check(data_of(server.v2(token, capture_id, "stats/hierarchy"), "hierarchy") == want_phs, "hierarchy differs")
        rows = data_of(server.v2(token, capture_id, "packets/fields", fields=",".join(fields), filter="tls"),
                       "fields")["packets"]
        want_rows = tshark_key_fields(TLS13, fields, "tls", keys)
        check([{"fields": {k: oracle.csv_escape(v) for k, v in r["fields"].items()}, "frame": r["frame"]} for r in rows]
              == want_rows, "fields differ from tshark")
        columns = our_columns(frames_of(capture_id)["frames"])
        check(columns == tshark_columns(TLS13, keys=keys), "frames differ from tshark")
        follow = check_follow(TLS13, capture_id, "tls", 0, keys=keys)
        detail = data_of(server.v2(token, capture_id, "frames/5"), "frames/5")
        decrypted = [s["name"] for s in detail["data_sources"] if s["name"].startswith("Decrypted")]
        return rows, columns, follow, decrypted

    # Ask everything once without keys, so each answer is cached and must be computed again.
    before = state(None)
    check(not (before[2] or {}).get("chunks") and not before[3], "decrypted without keys: %s" % (before[3],))
    with open(TLS13_KEYS, "rb") as f:
        r = put_keys(capture_id, f.read())
    check(r.status == 200, "PUT tls-keys: %d %s" % (r.status, r.body[:200]))
    check(r.json()["data"]["tls_keys"] == "stored", "PUT answer %s" % r.body[:200])
    check(b"SECRET" not in r.body and b"CLIENT_RANDOM" not in r.body, "the answer echoes key material")
    server.wait_ready(token, capture_id)
    during = state(TLS13_KEYS)
    check(during[0] != before[0] and during[1] != before[1], "the key log changed neither fields nor frames")
    check(during[2] is not None and b"GET / HTTP/1.1" in b"".join(base64.b64decode(c["data"]) for c in during[2]["chunks"]),
          "follow tls shows no HTTP request")
    check(during[3], "frame 5 has no decrypted data source")
    r = server.request("DELETE", "/api/v2/analysis/%s/tls-keys" % capture_id, headers={"Authorization": token})
    check(r.status == 200, "DELETE tls-keys: %d %s" % (r.status, r.body[:200]))
    server.wait_ready(token, capture_id)
    check(state(None) == before, "after DELETE the answers are not what they were")
    r = server.request("DELETE", "/api/v2/analysis/%s/tls-keys" % capture_id, headers={"Authorization": token})
    check(r.status == 404, "DELETE without a key log: %d" % r.status)
    with open(TLS13_KEYS, "rb") as f:
        secret = f.read().split(b"\n")[1].split(b" ")[-1]
    check(secret not in "".join(server.log).encode(), "a key appears in the server's log")


# ---- bad input ----

def test_bad_input():
    capture_id = uploaded[TLS12_DSB]
    count = data_of(server.v2(token, capture_id, "status"), "status")["frames"]
    cases = [
        ("follow/nosuchproto/0", 400, "nosuchproto"),
        ("follow/tcp/99999", 404, "no traffic"),
        ("follow/tcp/abc", 400, "stream"),
        ("follow/http2/0", 400, "substream"),
        ("follow/tcp/0/3", 400, "substream"),
        ("frames/0", 400, "frame"),
        ("frames/abc", 400, "frame"),
        ("frames/%d" % (count + 1), 404, "not in the capture"),
        ("frames/99999999999", 400, "frame"),
        ("frames?limit=-1", 400, "limit"),
        ("frames?offset=x", 400, "offset"),
        ("frames?filter=tcp.port%20%3D%3D", 400, "filter"),
        ("frames/1?hidden=maybe", 400, "hidden"),
        ("frames?passes=3", 400, "passes"),
    ]
    for route, status, word in cases:
        r = server.request("GET", "/api/v2/analysis/%s/%s" % (capture_id, route), headers={"Authorization": token})
        check(r.status == status, "%s: %d, not %d: %s" % (route, r.status, status, r.body[:200]))
        body = r.json()
        check(word.lower() in json.dumps(body).lower(), "%s: the error does not say %r: %s" % (route, word, body))
    keys_path = os.path.join(server.data_dir, "captures", capture_id, "tls-keys")
    for body, status in ((b"this is not a key log\n", 400), (b"CLIENT_RANDOM zz 00\n", 400), (b"", 400),
                         (b"\x00\x01binary", 400), (b"CLIENT_RANDOM 00\n" * 200000, 413)):
        r = put_keys(capture_id, body)
        check(r.status == status, "PUT %r...: %d, not %d" % (body[:20], r.status, status))
        check(not os.path.exists(keys_path), "a refused key log was stored")
        check(b"CLIENT_RANDOM" not in r.body, "the error echoes the body")
    limited = server.token(permissions="analysis", name="reader")
    r = put_keys(capture_id, b"CLIENT_RANDOM 00 00\n", tok=limited)
    check(r.status == 403, "PUT tls-keys without upload permission: %d" % r.status)
    uploader = server.token(permissions="upload", name="uploader")
    r = put_keys(capture_id, b"CLIENT_RANDOM 00 00\n", tok=uploader)
    check(r.status == 403, "PUT tls-keys without analysis permission: %d" % r.status)
    check(not os.path.exists(keys_path), "a refused key log was stored")
    # Still serving, other captures unaffected.
    check(frames_of(uploaded[HTTP2], limit=1)["matched"] > 0, "the server stopped answering")


def test_frames_custom_columns():
    for path in (HTTP2, TLS12_DSB, os.path.join(WIRESHARK_DIR, "dns-ooo.pcap")):
        names = ["ip.src", "tcp.stream", "_ws.col.Info", "dns.qry.name", "frame.len", "tcp"]
        got = frames_of(uploaded[path], columns=",".join(names), filter="ip")
        check([c["title"] for c in got["columns"]] == names, "titles %s" % got["columns"])
        want = oracle.tshark_fields(path, names, "ip")
        rows = [[oracle.csv_escape(v) for v in f["columns"]] for f in got["frames"]]
        check(rows == [[w["fields"].get(n, "") for n in names] for w in want], "%s: custom columns differ from tshark"
              % os.path.basename(path))
        check(got["matched"] == len(want), "matched %d, tshark %d" % (got["matched"], len(want)))
    r = server.v2(token, uploaded[HTTP2], "frames", columns="no.such.field")
    check(r.status == 400 and "no.such.field" in r.body.decode(), "unknown column: %d %s" % (r.status, r.body[:200]))


def test_cli_analyze_frames():
    import subprocess
    sharkapi = os.path.join(harness.BUILD_DIR, "sharkapi")
    out = subprocess.run([sharkapi, "analyze", TLS12_DSB, "frames/5"], capture_output=True, text=True, check=True).stdout
    api = server.v2(token, uploaded[TLS12_DSB], "frames/5").json()
    check(json.loads(out) == api, "sharkapi analyze frames/5 differs from the API's answer")
    # Frames 5 to 8: no annotation (another test annotates frame 3 on the server only).
    out = subprocess.run([sharkapi, "analyze", TLS12_DSB, "frames", "limit=4", "offset=4"], capture_output=True,
                         text=True, check=True).stdout
    check(json.loads(out)["data"]["frames"] == frames_of(uploaded[TLS12_DSB], limit=4, offset=4)["frames"],
          "sharkapi analyze frames differs from the API")


PER_CAPTURE_TESTS = [test_frames_vs_tshark, test_frames_filter_and_two_passes, test_frame_detail_vs_pdml,
                     test_follow_tcp_and_udp_vs_tshark]
ROUTE_TESTS = [test_frame_detail_details, test_frames_custom_columns, test_follow_http2_substream_and_tls, test_tls_keys_decrypt_everything,
               test_bad_input, test_cli_analyze_frames]


def take_part_argument(argv):
    for arg in argv[1:]:
        if re.fullmatch(r"\d+/\d+", arg):
            argv.remove(arg)
            return harness.parse_part(arg)
    return harness.parse_part(os.environ.get("SHARKAPI_TEST_PART") or "1/1")


def main():
    global server, token
    part, parts = take_part_argument(sys.argv)
    everything = harness.captures() + EXTRA
    mine.extend(path for index, path in enumerate(everything) if index % parts == part - 1)
    server = harness.Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        for path in mine + (EXTRA if part == 1 else []):
            if path in uploaded:
                continue
            r = server.upload_put(token, path)
            check(r.status == 200, "upload %s: %d" % (path, r.status))
            uploaded[path] = r.json()["id"]
        harness.run(PER_CAPTURE_TESTS + (ROUTE_TESTS if part == 1 else []))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
