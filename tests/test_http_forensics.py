#!/usr/bin/env python3
"""test_http_forensics.py: the expert, http/requests and tls/handshakes routes against tshark.

One server; every capture of the corpus (tests/captures and tests/captures/wireshark) uploaded
once; for each, the three routes are compared with tshark 4.0 (-n, empty home) at test time, one
tshark run per capture and check family, kept through tests/oracle.py:
- expert: the grouped table printed exactly as `tshark -q -z expert` prints it (frequency, group,
  protocol, summary per severity), the counts per severity, and the items per frame against the
  _ws.expert fields (severity, group, message); a page (limit/offset) is a slice of the items; one
  filtered variant against `-z expert,FILTER`. (Where libwireshark's expert items depend on
  whether a protocol tree is built, as for SIP's SDP bodies, tshark with a tree is the oracle: the
  summary pass always builds one.)
- http/requests: per frame, requests (method, uri, host, user agent) and responses (status,
  reason, http.request_in pairing, http.time, content type) against single-pass tshark fields,
  with tcp.stream, addresses and ports; every HTTP message in exactly one record.
- tls/handshakes: one record per ClientHello frame; JA3/JA3S equal tls.handshake.ja3/ja3s
  (dtls.* for DTLS); SNI and ALPN; JA4's counts, SNI flag, ALPN characters and cipher hash
  recomputed from tshark's own JA3 string; JA4 equal to Suricata's expectations for
  sv-ja4-tls.pcap and sv-ja4-tls-quic-ipv6.pcap.
- bad input: a bad filter and a bad limit are 400s naming the parameter.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import hashlib
import json
import os
import re

import harness
import oracle
from harness import check

SEP = "\x1f"  # aggregator: never part of the values compared here

# epan/expert.c's expert_group_vals and the PI_* severities (epan/proto.h), as tshark numbers them.
GROUPS = {0x01000000: "Checksum", 0x02000000: "Sequence", 0x03000000: "Response", 0x04000000: "Request",
          0x05000000: "Undecoded", 0x06000000: "Reassemble", 0x07000000: "Malformed", 0x08000000: "Debug",
          0x09000000: "Protocol", 0x0a000000: "Security", 0x0b000000: "Comment", 0x0c000000: "Decryption",
          0x0d000000: "Assumption", 0x0e000000: "Deprecated"}
SEVERITIES = {0x00100000: "comment", 0x00200000: "chat", 0x00400000: "note", 0x00600000: "warn",
              0x00800000: "error"}
# tshark's table titles, highest severity first.
TITLES = [("error", "Errors"), ("warn", "Warns"), ("note", "Notes"), ("chat", "Chats"), ("comment", "Comments")]

# Suricata 8's expectations (suricata-verify tests/ja4-tls and tests/ja4-tls-quic), by capture
# and ClientHello transport.
SURICATA_JA4 = {
    "sv-ja4-tls.pcap": {"tcp": "t12i1810s1_27d4652c4487_06a4338d0495"},
    "sv-ja4-tls-quic-ipv6.pcap": {"tcp": "t13d1516h2_8daaf6152771_e5627efa2ab1",
                                  "quic": "q13d0310h3_55b375c5d22e_cd85d2d88918"},
}
EXPERT_FILTER = "tcp"  # the filtered variant checked on every capture that has TCP expert items


def corpus():
    extra = os.path.join(harness.CAPTURES_DIR, "wireshark")
    names = sorted(n for n in os.listdir(extra) if re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", n))
    return harness.captures() + [os.path.join(extra, n) for n in names]


def tshark(capture, *args):
    status, out, err = oracle.run(["tshark", "-n", "-r", capture] + list(args), inputs=[capture])
    check(status == 0, "tshark %s on %s: %s" % (" ".join(args), capture, err[-300:]))
    return out


def tshark_fields(capture, display_filter, fields):
    """Rows of {field: [occurrences]} for the frames display_filter matches (one pass)."""
    args = ["-Y", display_filter, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + SEP]
    for field in fields:
        args += ["-e", field]
    rows = []
    for line in tshark(capture, *args).splitlines():
        values = line.split("\t")
        if len(values) == len(fields):
            rows.append({f: (v.split(SEP) if v != "" else []) for f, v in zip(fields, values)})
    return rows


# ---- expert ----

def expert_table(groups):
    """The groups as `tshark -q -z expert` prints them."""
    out = []
    for severity, title in TITLES:
        rows = [g for g in groups if g["severity"] == severity]
        if not rows:
            continue
        out.append("\n%s (%d)\n=============\n   Frequency      Group           Protocol  Summary\n"
                   % (title, sum(g["count"] for g in rows)))
        for g in rows:
            out.append("%12d %10s %18s  %s\n" % (g["count"], g["group"], g["protocol"], g["summary"]))
    return "".join(out)


def check_expert_document(name, data):
    counts = {s: 0 for s, _ in TITLES}
    for item in data["items"]:
        counts[item["severity"]] += 1
    check(data["counts"] == counts, "%s: counts %s, items say %s" % (name, data["counts"], counts))
    per_group = {}
    for item in data["items"]:
        key = (item["severity"], item["protocol"], item["message"])
        per_group[key] = per_group.get(key, 0) + 1
    check(per_group == {(g["severity"], g["protocol"], g["summary"]): g["count"] for g in data["groups"]},
          "%s: groups do not fold the items" % name)
    frames = [item["frame"] for item in data["items"]]
    check(frames == sorted(frames), "%s: items not in frame order" % name)


def check_expert(server, token, name, capture, capture_id):
    # A page first, before any whole answer is in the server's memory: read from the file.
    first_page = server.v2(token, capture_id, "expert", limit="3")
    check(first_page.status == 200 and "data" in first_page.json(),
          "%s: a first page %d %s" % (name, first_page.status, first_page.body[:200]))
    r = server.v2(token, capture_id, "expert")
    check(r.status == 200, "%s: expert %d %s" % (name, r.status, r.body[:200]))
    data = r.json()["data"]
    check_expert_document(name, data)
    check(first_page.json()["data"]["items"] == data["items"][:3], "%s: the first page differs from the items" % name)
    want = tshark(capture, "-q", "-z", "expert")
    if expert_table(data["groups"]) != want:
        # tshark -q -z expert builds no protocol tree, the summary pass always does (so do
        # Wireshark and the _ws.expert fields below), and a few dissectors (SIP's SDP bodies)
        # add other expert items with a tree: then the table tshark prints with one is the oracle.
        want = tshark(capture, "-q", "-Y", "frame", "-z", "expert")
        print("  %s: -z expert differs without a protocol tree; compared with one" % name)
    check(expert_table(data["groups"]) == want,
          "%s: expert groups differ from tshark -z expert:\n%s\n--- tshark:\n%s" % (name, expert_table(data["groups"]), want))

    # Items per frame, as the _ws.expert fields list them (tree order: compared as multisets).
    rows = tshark_fields(capture, "_ws.expert", ["frame.number", "_ws.expert.severity", "_ws.expert.group",
                                                 "_ws.expert.message"])
    want_items = {}
    for row in rows:
        frame = int(row["frame.number"][0])
        triples = zip(row["_ws.expert.severity"], row["_ws.expert.group"], row["_ws.expert.message"])
        want_items[frame] = sorted((SEVERITIES[int(s)], GROUPS.get(int(g), "Unknown (%d)" % int(g)), m)
                                   for s, g, m in triples)
    have_items = {}
    for item in data["items"]:
        have_items.setdefault(item["frame"], []).append((item["severity"], item["group"], esc(item["message"])))
    have_items = {frame: sorted(items) for frame, items in have_items.items()}
    check(have_items == want_items, "%s: expert items differ from the _ws.expert fields: %s" % (
        name, [(f, have_items.get(f), want_items.get(f)) for f in sorted(set(have_items) | set(want_items))
               if have_items.get(f) != want_items.get(f)][:3]))

    # A page is a slice of the items, with the same counts and groups.
    if len(data["items"]) >= 3:
        page = server.v2(token, capture_id, "expert", limit="2", offset="1")
        check(page.status == 200, "%s: expert page %d" % (name, page.status))
        paged = page.json()["data"]
        check(paged["items"] == data["items"][1:3] and paged["groups"] == data["groups"]
              and paged["counts"] == data["counts"], "%s: a page is not a slice of the items" % name)
        tail = server.v2(token, capture_id, "expert", offset=str(len(data["items"]) - 1)).json()["data"]
        check(tail["items"] == data["items"][-1:], "%s: the last page is not the last item" % name)
        none = server.v2(token, capture_id, "expert", limit="0").json()["data"]
        check(none["items"] == [], "%s: limit=0 gave items" % name)
    return any(item["protocol"] == "TCP" for item in data["items"])


def check_expert_filtered(server, token, name, capture, capture_id):
    r = server.v2(token, capture_id, "expert", filter=EXPERT_FILTER)
    check(r.status == 200, "%s: filtered expert %d %s" % (name, r.status, r.body[:200]))
    data = r.json()["data"]
    check_expert_document(name, data)
    want = tshark(capture, "-q", "-z", "expert," + EXPERT_FILTER)
    check(expert_table(data["groups"]) == want, "%s: filtered expert differs from -z expert,%s" % (name, EXPERT_FILTER))


# ---- http/requests ----

HTTP_FIELDS = ["frame.number", "tcp.stream", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
               "http.request.method", "http.request.uri", "http.host", "http.user_agent", "http.response.code",
               "http.response.phrase", "http.request_in", "http.time", "http.content_type"]


def esc(value):
    """A value as tshark -T fields prints it (None stays None)."""
    return oracle.csv_escape(value) if value is not None else None


def last(values):
    return values[-1] if values else None


def check_http(server, token, name, capture, capture_id):
    r = server.v2(token, capture_id, "http/requests")
    check(r.status == 200, "%s: http/requests %d %s" % (name, r.status, r.body[:200]))
    records = r.json()["data"]["requests"]
    rows = tshark_fields(capture, "http", HTTP_FIELDS)
    if not rows:
        check(records == [], "%s: http records without HTTP: %s" % (name, records[:2]))
        return 0
    firsts = [rec["frame"] if rec["frame"] is not None else rec["response_frame"] for rec in records]
    check(firsts == sorted(firsts), "%s: records not in order of their first frame" % name)
    by_request = {}
    by_response = {}
    for rec in records:
        if rec["frame"] is not None:
            by_request.setdefault(rec["frame"], []).append(rec)
        if rec["response_frame"] is not None:
            by_response.setdefault(rec["response_frame"], []).append(rec)
    seen_requests = seen_responses = 0
    for row in rows:
        frame = int(row["frame.number"][0])
        methods, codes = row["http.request.method"], row["http.response.code"]
        requests, responses = by_request.get(frame, []), by_response.get(frame, [])
        seen_requests += len(requests)
        seen_responses += len(responses)
        check([q["method"] for q in requests] == methods, "%s frame %d: methods %s, tshark %s"
              % (name, frame, [q["method"] for q in requests], methods))
        check([esc(q["uri"]) for q in requests] == row["http.request.uri"], "%s frame %d: uris" % (name, frame))
        check([str(p["status"]) for p in responses] == codes, "%s frame %d: status %s, tshark %s"
              % (name, frame, [p["status"] for p in responses], codes))
        check([esc(p["reason"]) for p in responses] == row["http.response.phrase"], "%s frame %d: reasons" % (name, frame))
        # Pairing: a response's record holds the request http.request_in names.
        paired = [p for p in responses if p["frame"] is not None]
        check(sorted(str(p["frame"]) for p in paired) == sorted(set(row["http.request_in"]))
              or len(paired) <= len(row["http.request_in"]),
              "%s frame %d: paired with %s, request_in %s" % (name, frame, [p["frame"] for p in paired],
                                                              row["http.request_in"]))
        for p in paired:
            check(str(p["frame"]) in row["http.request_in"], "%s frame %d: paired with %d, not http.request_in %s"
                  % (name, frame, p["frame"], row["http.request_in"]))
        if len(responses) == 1 and len(codes) == 1:
            p = responses[0]
            if row["http.time"]:
                check(p["time"] is not None and abs(p["time"] - float(row["http.time"][0])) < 1e-9,
                      "%s frame %d: time %s, http.time %s" % (name, frame, p["time"], row["http.time"]))
            want_type = row["http.content_type"][0] if row["http.content_type"] else None
            check(esc(p["content_type"]) == want_type, "%s frame %d: content type %s, tshark %s"
                  % (name, frame, p["content_type"], want_type))
        if len(requests) == 1 and len(methods) == 1:
            q = requests[0]
            check(esc(q["host"]) == last(row["http.host"]) and esc(q["user_agent"]) == last(row["http.user_agent"]),
                  "%s frame %d: host/user agent %s %s, tshark %s %s" % (name, frame, q["host"], q["user_agent"],
                                                                        row["http.host"], row["http.user_agent"]))
        for rec in requests + responses:
            check(rec["stream"] == int(last(row["tcp.stream"])), "%s frame %d: stream" % (name, frame))
        src = last(row["ip.src"]) or last(row["ipv6.src"])
        dst = last(row["ip.dst"]) or last(row["ipv6.dst"])
        for q in requests:
            check((q["client"], str(q["client_port"]), q["server"], str(q["server_port"]))
                  == (src, last(row["tcp.srcport"]), dst, last(row["tcp.dstport"])),
                  "%s frame %d: request endpoints" % (name, frame))
        for p in responses:
            if p["frame"] is None:
                check((p["server"], p["client"]) == (src, dst), "%s frame %d: response endpoints" % (name, frame))
    check(seen_requests == sum(rec["frame"] is not None for rec in records)
          and seen_responses == sum(rec["response_frame"] is not None for rec in records),
          "%s: records name frames tshark's http filter does not match" % name)
    return len(records)


# ---- tls/handshakes ----

TLS_FIELDS = ["frame.number", "tcp.stream", "udp.stream", "quic.connection.number",
              "tls.handshake.type", "tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.ja3s",
              "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
              "dtls.handshake.type", "dtls.handshake.ja3", "dtls.handshake.ja3_full", "dtls.handshake.ja3s"]
JA4_SHAPE = re.compile(r"^[tqd](13|12|11|10|s3|s2|d1|d2|d3|00)[di](\d\d)(\d\d)(..)_([0-9a-f]{12})_([0-9a-f]{12})$")


def ja4_from_ja3(ja3_full):
    """The JA4 parts tshark's own JA3 string gives: cipher and extension counts (JA3 leaves out
    GREASE, as JA4 does) and the cipher hash."""
    parts = ja3_full.split(",")
    ciphers = [int(c) for c in parts[1].split("-") if c]
    extensions = [int(e) for e in parts[2].split("-") if e]
    text = ",".join("%04x" % c for c in sorted(ciphers))
    cipher_hash = hashlib.sha256(text.encode()).hexdigest()[:12] if ciphers else "000000000000"
    return min(len(ciphers), 99), min(len(extensions), 99), cipher_hash, 0 in extensions


def alpn_chars(value):
    if not value:
        return "00"
    first, last_char = value[0], value[-1]
    if first.isascii() and first.isalnum() and last_char.isascii() and last_char.isalnum():
        return first + last_char
    raw = value.encode()
    return "%x%x" % (raw[0] >> 4, raw[-1] & 0xf)


def check_tls(server, token, name, capture, capture_id):
    r = server.v2(token, capture_id, "tls/handshakes")
    check(r.status == 200, "%s: tls/handshakes %d %s" % (name, r.status, r.body[:200]))
    records = r.json()["data"]["handshakes"]
    rows = tshark_fields(capture, "tls.handshake.type in {1,2} || dtls.handshake.type in {1,2}", TLS_FIELDS)
    frames = [rec["frame"] for rec in records]
    check(frames == sorted(frames), "%s: handshakes not in frame order" % name)
    by_frame = {}
    for rec in records:
        by_frame.setdefault(rec["frame"], []).append(rec)
    server_frames = {}
    for rec in records:
        if rec["server_frame"] is not None:
            server_frames.setdefault(rec["server_frame"], []).append(rec)
    client_frames = set()
    for row in rows:
        frame = int(row["frame.number"][0])
        dtls = bool(row["dtls.handshake.type"])
        prefix = "dtls" if dtls else "tls"
        types = row[prefix + ".handshake.type"]
        hellos = by_frame.get(frame, [])
        if "1" in types:
            client_frames.add(frame)
            check([h["ja3"] for h in hellos] == row[prefix + ".handshake.ja3"],
                  "%s frame %d: ja3 %s, tshark %s" % (name, frame, [h["ja3"] for h in hellos],
                                                      row[prefix + ".handshake.ja3"]))
            check([h["ja3_full"] for h in hellos] == row[prefix + ".handshake.ja3_full"],
                  "%s frame %d: ja3_full" % (name, frame))
        else:
            check(hellos == [], "%s frame %d: a record without a ClientHello" % (name, frame))
        if "2" in types and frame in server_frames:
            joined = server_frames[frame]
            check(all(h["ja3s"] in row[prefix + ".handshake.ja3s"] for h in joined),
                  "%s frame %d: ja3s %s, tshark %s" % (name, frame, [h["ja3s"] for h in joined],
                                                       row[prefix + ".handshake.ja3s"]))
        for h in hellos:
            transport = "udp" if dtls else ("quic" if row["quic.connection.number"] else "tcp")
            check(h["transport"] == transport, "%s frame %d: transport %s" % (name, frame, h["transport"]))
            stream = {"tcp": row["tcp.stream"], "udp": row["udp.stream"], "quic": row["quic.connection.number"]}[transport]
            check(str(h["stream"]) == last(stream), "%s frame %d: stream %s, tshark %s" % (name, frame, h["stream"], stream))
            if len(hellos) == 1:
                want_sni = row["tls.handshake.extensions_server_name"][0] if row["tls.handshake.extensions_server_name"] else None
                check(esc(h["server_name"]) == want_sni, "%s frame %d: SNI %s, tshark %s" % (name, frame, h["server_name"], want_sni))
                if not dtls:
                    check([esc(a) for a in h["alpn"]] == row["tls.handshake.extensions_alpn_str"], "%s frame %d: alpn %s, tshark %s"
                          % (name, frame, h["alpn"], row["tls.handshake.extensions_alpn_str"]))
            shape = JA4_SHAPE.match(h["ja4"] or "")
            check(shape is not None, "%s frame %d: JA4 %r" % (name, frame, h["ja4"]))
            check(h["ja4"][0] == {"tcp": "t", "quic": "q", "udp": "d"}[transport], "%s frame %d: JA4 transport" % (name, frame))
            if h["ja3_full"]:
                n_ciphers, n_extensions, cipher_hash, has_sni = ja4_from_ja3(h["ja3_full"])
                check((int(shape.group(2)), int(shape.group(3)), shape.group(5)) == (n_ciphers, n_extensions, cipher_hash),
                      "%s frame %d: JA4 %s disagrees with JA3 %s" % (name, frame, h["ja4"], h["ja3_full"]))
                check(h["ja4"][3] == ("d" if has_sni else "i"), "%s frame %d: JA4 SNI flag" % (name, frame))
            check(shape.group(4) == alpn_chars(h["alpn"][0] if h["alpn"] else ""), "%s frame %d: JA4 ALPN" % (name, frame))
            if h["server_frame"] is not None:
                check(h["server_frame"] > h["frame"] and h["version"] and h["cipher_suite"],
                      "%s frame %d: server side %s" % (name, frame, h))
    check(set(by_frame) == client_frames, "%s: ClientHello frames %s, tshark %s" % (name, sorted(by_frame), sorted(client_frames)))
    for transport, want in SURICATA_JA4.get(name, {}).items():
        have = [h["ja4"] for h in records if h["transport"] == transport]
        check(have == [want], "%s: JA4 over %s %s, Suricata's %s" % (name, transport, have, want))
    return len(records)


# ---- the suite ----

def test_forensics_against_tshark():
    server = harness.Server().start()
    failures = []
    try:
        token = server.token()
        uploaded = []
        for capture in corpus():
            r = server.upload_put(token, capture)
            if r.status != 200:
                continue  # not a capture the server takes (test_http_captures covers those)
            uploaded.append((os.path.basename(capture), capture, r.json()["id"]))
        check(any(name in SURICATA_JA4 for name, _, _ in uploaded), "the JA4 captures are not in the corpus")
        filtered = 0
        found = {check_expert: 0, check_http: 0, check_tls: 0}
        for name, capture, capture_id in uploaded:
            if server.wait_ready(token, capture_id) != "ready":
                continue
            for family in (check_expert, check_http, check_tls):
                try:
                    result = family(server, token, name, capture, capture_id)
                    found[family] += bool(result)
                    if family is check_expert and result and filtered < 3:
                        check_expert_filtered(server, token, name, capture, capture_id)
                        filtered += 1
                except AssertionError as error:
                    failures.append(str(error)[:1500])
        check(filtered > 0, "no capture had TCP expert items for the filtered check")
        # The comparisons were not vacuous: the corpus has HTTP and TLS in several captures.
        check(found[check_http] >= 3 and found[check_tls] >= 5,
              "too few captures with records: http %d, tls %d" % (found[check_http], found[check_tls]))
        print("  %d captures compared; with HTTP records %d, with TLS handshakes %d"
              % (len(uploaded), found[check_http], found[check_tls]))
    finally:
        server.stop()
    check(not failures, "%d failures:\n%s" % (len(failures), "\n".join(failures)))


def test_bad_input():
    server = harness.Server().start()
    try:
        token = server.token()
        r = server.upload_put(token, os.path.join(harness.CAPTURES_DIR, "sv-ja4-tls.pcap"))
        capture_id = r.json()["id"]
        for route, params, word in (("expert", {"limit": "x"}, "limit"), ("expert", {"offset": "-1"}, "offset"),
                                    ("expert", {"filter": "tcp.port =="}, "filter"),
                                    ("http/requests", {"filter": "no_such_field"}, "filter"),
                                    ("tls/handshakes", {"passes": "3"}, "passes")):
            r = server.v2(token, capture_id, route, **params)
            check(r.status == 400, "%s %s: %d" % (route, params, r.status))
            message = r.json()["exceptions"][0]
            check(word in message, "%s %s: the 400 does not name %s: %s" % (route, params, word, message))
        check(server.v2(token, capture_id, "tls/handshakes").status == 200, "the server stopped answering")
    finally:
        server.stop()


if __name__ == "__main__":
    harness.run([test_bad_input, test_forensics_against_tshark])
