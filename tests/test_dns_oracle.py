#!/usr/bin/env python3
"""test_dns_oracle.py: the dns/lookups result of the worker's summary job against tshark.

For every capture of tests/captures (and the DNS ones of tests/captures/wireshark), plus one
written here (DNS quoted in ICMP errors and carried in tunnels: no capture of the corpus has
any), runs one summary job on build/sharkapi-worker (the protocol of
include/worker-protocol.h), reads DIR/dns.json, and compares each lookup with what
`tshark -n -2 -Y dns -T fields` says about the same DNS messages: pairing (dns.response_to),
frames, ids, names, query types, rcodes, rtt (dns.time), addresses and ports, transport, and
the answers (name, type, ttl; data as the Info column shows it).

Usage: test_dns_oracle.py BUILD_DIR [CAPTURES_DIR]   (or env SHARKAPI_BUILD_DIR; default tests/captures)
Prints one line per failing capture, then "N passed, M failed"; exits non-zero on failure.
Python 3 standard library only; needs tshark on PATH. Writes only into a temporary directory.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402  (pinned tshark runs, kept per build for the corpus)

JOB_TIMEOUT = 600  # seconds for one summary job; the largest capture of the corpus needs a few
SEP = "\x1f"  # tshark aggregator: never part of a DNS name as tshark prints it

FIELDS = [
    "frame.number", "frame.time_epoch", "dns.id", "dns.flags.response", "dns.flags.rcode",
    "dns.count.queries", "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr",
    "dns.qry.name", "dns.response_to", "dns.time",
    "dns.resp.name", "dns.resp.type", "dns.resp.ttl",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "_ws.col.Info", "frame.protocols",
]

RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
               "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI"]


# ---- the oracle: tshark ----

def clean_env(home):
    env = dict(os.environ, LC_ALL="C", TZ="UTC", HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    return env


def tshark_rows(capture, home):
    cmd = ["tshark", "-n", "-2", "-r", capture, "-Y", "dns", "-T", "fields",
           "-E", "occurrence=a", "-E", "aggregator=" + SEP]
    for field in FIELDS:
        cmd += ["-e", field]
    _, out, _ = oracle.run(cmd, inputs=[capture])
    rows = []
    for line in out.splitlines():
        values = line.split("\t")
        if len(values) != len(FIELDS):
            continue
        rows.append({name: (value.split(SEP) if value != "" else []) for name, value in zip(FIELDS, values)})
    return rows


def take(values, count):
    """Pops the first count values off a list (one message's share of a frame's occurrences)."""
    head = values[:count]
    del values[:count]
    return head


def carrier(row):
    """The layers that carry the DNS message: the innermost IP and UDP/TCP layers before it in
    frame.protocols (tunnels, ICMP errors), and the last occurrence of their fields."""
    layers = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
    before = layers[:layers.index("dns")] if "dns" in layers else layers
    family = ([name for name in before if name in ("ip", "ipv6")] or ["ip"])[-1]
    transport = ([name for name in before if name in ("udp", "tcp")] or ["udp"])[-1]
    last = lambda name: row[name][-1] if row[name] else None
    src_port = last(transport + ".srcport")
    dst_port = last(transport + ".dstport")
    return {
        "src": last(family + ".src"), "dst": last(family + ".dst"),
        "transport": transport if src_port is not None else None,
        "src_port": int(src_port) if src_port is not None else None,
        "dst_port": int(dst_port) if dst_port is not None else None,
    }


def usable_info(row, questions):
    """The Info column, when it describes this message: it shows only the last DNS message of
    a frame, and an ICMP error's own text when DNS is quoted inside one."""
    info = row["_ws.col.Info"][0] if row["_ws.col.Info"] else ""
    if len(row["dns.id"]) != 1 or not questions or questions[0] not in info:
        return None
    return info


def split_messages(row):
    """The DNS messages of one frame (several when TCP carries several), in order."""
    names = list(row["dns.qry.name"])
    rr_names, rr_types, rr_ttls = list(row["dns.resp.name"]), list(row["dns.resp.type"]), list(row["dns.resp.ttl"])
    links, times = list(row["dns.response_to"]), list(row["dns.time"])
    rcodes = list(row["dns.flags.rcode"])  # shown in responses only
    frame = int(row["frame.number"][0])
    names_line_up = len(row["dns.resp.name"]) == len(row["dns.resp.type"])
    messages = []
    for i, dns_id in enumerate(row["dns.id"]):
        count = lambda name: int(row[name][i]) if i < len(row[name]) else 0
        is_response = row["dns.flags.response"][i] in ("1", "True")
        questions = take(names, count("dns.count.queries"))
        n_records = count("dns.count.answers") + count("dns.count.auth_rr") + count("dns.count.add_rr")
        # SRV owners are not dns.resp.name fields: names line up only when none is missing.
        types = take(rr_types, n_records)
        owners = take(rr_names, n_records) if names_line_up else [None] * len(types)
        records = list(zip(owners, types))
        # OPT records have no ttl field: ttls line up with the non-OPT records only.
        answers = []
        for name, rr_type in records[:count("dns.count.answers")]:
            answers.append({"name": name, "type": int(rr_type), "ttl": int(rr_ttls.pop(0)) if rr_type != "41" and rr_ttls else None})
        for _name, rr_type in records[count("dns.count.answers"):]:
            if rr_type != "41" and rr_ttls:
                rr_ttls.pop(0)
        rcode = int(rcodes.pop(0)) if is_response and rcodes else None
        link = int(links.pop(0)) if is_response and links else 0
        rtt = float(times.pop(0)) if link and times else None
        messages.append({
            "frame": frame, "time": float(row["frame.time_epoch"][0]), "id": int(dns_id, 0),
            "is_response": is_response, "rcode": rcode,
            "query_name": questions[0] if questions else "", "response_to": link, "rtt": rtt,
            "answers": answers, "carrier": carrier(row), "info": usable_info(row, questions),
        })
    return messages


def expected_lookups(messages):
    """Pairs as API.md says: a response joins the query its dns.response_to names (same id in
    that frame, else its first query) unless that query already has a response."""
    by_frame = {}
    for index, message in enumerate(messages):
        by_frame.setdefault(message["frame"], []).append(index)
    partner = {}

    def find_query(response):
        candidates = [i for i in by_frame.get(response["response_to"], []) if not messages[i]["is_response"]]
        same_id = [i for i in candidates if messages[i]["id"] == response["id"]]
        return (same_id or candidates or [None])[0]

    for index, message in enumerate(messages):
        if message["is_response"] and message["response_to"]:
            query = find_query(message)
            if query is not None and query not in partner:
                partner[query] = index
                partner[index] = query
    records = []
    for index, message in enumerate(messages):
        if not message["is_response"]:
            response = messages[partner[index]] if index in partner else None
            records.append((message, response, message, True))
        elif index not in partner:
            linked = find_query(message) if message["response_to"] else None
            records.append((message, message, messages[linked] if linked is not None else None, False))
    return records


# ---- a capture of DNS in ICMP errors and tunnels ----

def checksum(data):
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ipv4(src, dst, proto, payload, options=b""):
    header = struct.pack("!BBHHHBBH4s4s", 0x45 + len(options) // 4, 0, 20 + len(options) + len(payload),
                         1, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def ipv6(src, dst, next_header, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 64,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, payload):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 0x50, 0x18, 65535, 0, 0) + payload


def dns_message(dns_id, name, answer=None):
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0\0\1\0\1"
    record = b"\xc0\x0c\0\1\0\1" + struct.pack("!IH", 300, 4) + socket.inet_aton(answer) if answer else b""
    return struct.pack("!HHHHHH", dns_id, 0x8180 if answer else 0x0100, 1, 1 if answer else 0, 0, 0) + question + record


def icmp(icmp_type, code, quoted, version=4):
    """An ICMP or ICMPv6 error quoting a packet (ICMPv6 checksum left 0: not needed here)."""
    message = struct.pack("!BBHI", icmp_type, code, 0, 0) + quoted
    if version == 6:
        return message
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def write_quoted_capture(path):
    """DNS whose carrying layers are not the outermost ones, between client 10.0.0.2 and
    server 192.168.1.1 (2001:db8::2 and ::53 over IPv6): ICMP errors quoting DNS, tunnels."""
    c, s, c6, s6 = "10.0.0.2", "192.168.1.1", "2001:db8::2", "2001:db8::53"
    query = udp(40000, 53, dns_message(0x1111, "example.com"))
    response = udp(53, 40000, dns_message(0x1111, "example.com", "192.0.2.1"))
    query6 = udp(40002, 53, dns_message(0x3333, "v6.example"))
    tcp_query = dns_message(0x7777, "tcp.example")
    tcp_query = tcp(40010, 53, struct.pack("!H", len(tcp_query)) + tcp_query)
    dstopts = b"\x11\0\x01\x04\0\0\0\0"
    packets = [
        ipv4(c, s, 17, query), ipv4(s, c, 17, response),
        ipv4(c, s, 1, icmp(3, 3, ipv4(s, c, 17, response))),  # came after the client's port closed
        ipv4(s, c, 1, icmp(3, 3, ipv4(c, s, 6, tcp_query))),
        ipv4("10.0.0.254", c, 1, icmp(11, 0, ipv4(c, s, 17, query, b"\1\1\1\0"))),
        ipv6(s6, c6, 58, icmp(1, 4, ipv6(c6, s6, 17, query6), 6)),
        ipv6(s6, c6, 58, icmp(1, 4, ipv6(c6, s6, 60, dstopts + query6), 6)),
        ipv4("1.1.1.1", "2.2.2.2", 4, ipv4(c, s, 1, icmp(3, 3, ipv4(s, c, 17, response)))),
        ipv4("2.2.2.2", "1.1.1.1", 1, icmp(3, 3, ipv4("1.1.1.1", "2.2.2.2", 41, ipv6(c6, s6, 17, query6)))),
        ipv4("1.1.1.1", "2.2.2.2", 4, ipv4(c, s, 17, query)),
        ipv4("1.1.1.1", "2.2.2.2", 41, ipv6(s6, c6, 17, udp(53, 40002, dns_message(0x3333, "v6.example", "192.0.2.6")))),
        ipv6("2001:db8:a::1", "2001:db8:a::2", 4, ipv4(c, s, 17, query)),
    ]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # raw IP
        for n, packet in enumerate(packets):
            f.write(struct.pack("<IIII", 1000 + n, 0, len(packet), len(packet)) + packet)


# ---- the worker ----

class Worker:
    def __init__(self, build_dir, home):
        binary = os.path.join(build_dir, "sharkapi-worker")
        self.process = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=clean_env(home), cwd=home)
        frame_type, payload = self.read_frame()
        if frame_type != b"H":
            raise RuntimeError("worker did not say HELLO first (got %r)" % frame_type)
        self.hello = json.loads(payload)

    def read_exact(self, size):
        data = b""
        while len(data) < size:
            ready, _, _ = select.select([self.process.stdout], [], [], JOB_TIMEOUT)
            if not ready:
                raise RuntimeError("worker timed out")
            chunk = os.read(self.process.stdout.fileno(), size - len(data))
            if not chunk:
                raise RuntimeError("worker closed its output (exit %s)" % self.process.poll())
            data += chunk
        return data

    def read_frame(self):
        header = self.read_exact(5)
        (length,) = struct.unpack(">I", header[1:5])
        return header[0:1], self.read_exact(length)

    def summary(self, capture, output):
        request = {"job": "summary", "capture": capture, "output": output, "filter": "", "passes": 1}
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        while True:
            frame_type, payload = self.read_frame()
            if frame_type == b"E":
                break
            if frame_type == b"X":
                raise RuntimeError("summary job failed: " + payload.decode("utf-8", "replace"))
        with open(os.path.join(output, "dns.json"), encoding="utf-8") as f:
            return json.load(f)

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---- comparison ----

def close_enough(a, b, tolerance):
    return a is not None and b is not None and abs(a - b) <= tolerance


def answers_text(answers):
    return " ".join((a["type"] + " " + a["data"]) if a["data"] else a["type"] for a in answers)


def compare_record(got, expected):
    """Differences between one lookup and tshark's view of it, as readable strings."""
    first, response, query, from_client = expected
    problems = []

    def check(key, want):
        if got.get(key) != want:
            problems.append("%s: got %r, tshark %r" % (key, got.get(key), want))

    c = first["carrier"]
    check("client", c["src"] if from_client else c["dst"])
    check("server", c["dst"] if from_client else c["src"])
    check("client_port", c["src_port"] if from_client else c["dst_port"])
    check("server_port", c["dst_port"] if from_client else c["src_port"])
    check("transport", c["transport"])
    check("full_query", first["query_name"])
    check("id", first["id"])
    if first["info"] is not None and (" %s %s" % (got.get("query_type"), first["query_name"])) not in first["info"]:
        problems.append("query_type %r not in Info %r" % (got.get("query_type"), first["info"]))
    check("query_frame", first["frame"] if from_client else (first["response_to"] or None))
    if query is None:
        check("query_time", None)
    elif not close_enough(got.get("query_time"), query["time"], 1e-6):
        problems.append("query_time: got %r, tshark %r" % (got.get("query_time"), query["time"]))
    check("response_frame", response["frame"] if response else None)
    check("rcode", response["rcode"] if response else None)
    if response is not None and response["rcode"] is not None and response["rcode"] < len(RCODE_NAMES):
        check("rcode_name", RCODE_NAMES[response["rcode"]])
    want_rtt = response["rtt"] if response else None
    if want_rtt is None:
        check("rtt", None)
    elif not close_enough(got.get("rtt"), want_rtt, 1e-9):
        problems.append("rtt: got %r, tshark %r" % (got.get("rtt"), want_rtt))
    problems += compare_answers(got.get("answers", []), response)
    return problems


def compare_answers(got, response):
    want = response["answers"] if response else []
    if len(got) != len(want):
        return ["answers: got %d, tshark %d" % (len(got), len(want))]
    problems = []
    for g, w in zip(got, want):
        if (w["name"] is not None and g.get("name") != w["name"]) or g.get("ttl") != w["ttl"]:
            problems.append("answer %r/%r, tshark %r/%r" % (g.get("name"), g.get("ttl"), w["name"], w["ttl"]))
    if got and response["info"] is not None and answers_text(got) not in response["info"]:
        problems.append("answers %r not in Info %r" % (answers_text(got), response["info"]))
    return problems


def compare_capture(lookups, rows):
    messages = [m for row in rows for m in split_messages(row)]
    expected = expected_lookups(messages)
    problems = []
    if len(lookups) != len(expected):
        problems.append("%d lookups, tshark gives %d" % (len(lookups), len(expected)))
    for got, want in zip(lookups, expected):
        for problem in compare_record(got, want):
            problems.append("frame %d: %s" % (want[0]["frame"], problem))
    return problems


# ---- main ----

# Wireshark's own DNS test captures. Neither quotes DNS in an ICMP error (dns+icmp pings the
# names it resolves); dns-ooo's response is out of order, so tshark's defaults show no DNS at all.
WIRESHARK_DNS = ("dns+icmp.pcapng.gz", "dns-ooo.pcap")


def captures_in(folder):
    names = sorted(n for n in os.listdir(folder) if ".pcap" in n or ".cap" in n)
    found = [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]
    return found + [os.path.join(folder, "wireshark", n) for n in WIRESHARK_DNS]


def main(argv):
    build_dir = argv[1] if len(argv) > 1 else os.environ.get("SHARKAPI_BUILD_DIR", "build")
    captures_dir = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "captures")
    if shutil.which("tshark") is None:
        print("tshark not found")
        return 2
    home = tempfile.mkdtemp(prefix="sharkapi-dns-oracle-")
    passed = failed = 0
    worker = None
    quoted = os.path.join(home, "dns-quoted-and-tunnelled.pcap")
    try:
        write_quoted_capture(quoted)
        for n, capture in enumerate(captures_in(os.path.abspath(captures_dir)) + [quoted]):
            name = os.path.basename(capture)
            try:
                if worker is None:
                    worker = Worker(os.path.abspath(build_dir), home)
                result = worker.summary(capture, os.path.join(home, "out-%d" % n))
                problems = compare_capture(result.get("lookups", []), tshark_rows(capture, home))
            except (OSError, RuntimeError, ValueError) as error:
                problems = ["worker: %s" % error]
                if worker is not None:
                    worker.close()
                    worker = None
            if problems:
                failed += 1
                print("FAIL %s" % name)
                for problem in problems[:20]:
                    print("    " + problem)
            else:
                passed += 1
    finally:
        if worker is not None:
            worker.close()
        shutil.rmtree(home, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
