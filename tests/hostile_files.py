"""hostile_files.py: hostile capture files made at test time, for the reliability suites.

randpkt captures of every type it offers, editcap -E corruption, truncations, a huge snaplen,
zero frames and thousands of pcapng interfaces. Every maker writes into a folder and returns the
paths it wrote, each named after what it is, so a failure names its input.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import struct
import subprocess

import harness


def randpkt_types():
    """The packet types this randpkt offers, read from its own help text."""
    out = subprocess.run(["randpkt", "-h"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    types = re.findall(r"^\t(\S+)\s{2,}", text.split("Types:", 1)[1], re.M)
    if not types:
        raise RuntimeError("randpkt -h lists no types:\n" + text)
    return types


def make_randpkt(folder, count=1000, max_bytes=3000):
    paths = []
    for kind in randpkt_types():
        path = os.path.join(folder, "randpkt-%s.pcap" % kind)
        subprocess.run(["randpkt", "-b", str(max_bytes), "-c", str(count), "-t", kind, path], check=True,
                       capture_output=True, env=harness.oracle_env())
        paths.append(path)
    return paths


def make_corrupted(folder, sources, rounds=2):
    """editcap -E: each byte of each frame flipped with some probability."""
    paths = []
    for source in sources:
        base = os.path.basename(source).split(".")[0]
        for i, rate in enumerate([0.02, 0.2][:rounds]):
            path = os.path.join(folder, "corrupt-%s-%d.pcap" % (base, i))
            subprocess.run(["editcap", "-F", "pcap", "-E", str(rate), source, path], check=True,
                           capture_output=True, env=harness.oracle_env())
            paths.append(path)
    return paths


def make_truncated(folder, source, cuts=16):
    """The same file cut short at offsets spread over the whole file, header included."""
    data = open(source, "rb").read()
    offsets = sorted(set([1, 4, 12, 23, 24, 25, 40] + [len(data) * k // cuts for k in range(1, cuts)]))
    base = os.path.basename(source).split(".")[0]
    paths = []
    for offset in offsets:
        if offset >= len(data):
            continue
        path = os.path.join(folder, "truncated-%s-at-%d.pcap" % (base, offset))
        with open(path, "wb") as f:
            f.write(data[:offset])
        paths.append(path)
    return paths


def udp_frame(n):
    """A small Ethernet/IPv4/UDP frame (checksums zero, as allowed)."""
    payload = b"hostile-%06d" % n
    udp = struct.pack("!HHHH", 40000 + n % 1000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp


def pcap(snaplen, records):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)
    for i, (incl, orig, data) in enumerate(records):
        out += struct.pack("<IIII", 1700000000 + i, 0, incl, orig) + data
    return out


def pcapng_block(kind, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def pcapng_shb():
    return pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_idb(linktype=1, snaplen=262144):
    return pcapng_block(1, struct.pack("<HHI", linktype, 0, snaplen))


def pcapng_epb(interface, n, data):
    return pcapng_block(6, struct.pack("<IIIII", interface, 0, 1000000 * n, len(data), len(data)) + data)


def make_crafted(folder):
    """Hand-made edge cases: huge snaplen, lying lengths, no frames, many interfaces."""
    frames = [udp_frame(i) for i in range(20)]
    files = {
        "snaplen-max.pcap": pcap(0xFFFFFFFF, [(len(f), len(f), f) for f in frames]),
        "snaplen-zero.pcap": pcap(0, [(len(f), len(f), f) for f in frames]),
        "record-longer-than-file.pcap": pcap(65535, [(len(frames[0]), len(frames[0]), frames[0]),
                                                     (0xFFFFFF00, 0xFFFFFF00, frames[1])]),
        "record-over-snaplen.pcap": pcap(64, [(len(f), len(f), f) for f in frames]),
        "orig-len-huge.pcap": pcap(65535, [(len(f), 0xFFFFFFFF, f) for f in frames]),
        "zero-frames.pcap": pcap(65535, []),
        "zero-frames.pcapng": pcapng_shb() + pcapng_idb(),
        "header-only-shb.pcapng": pcapng_shb(),
        "zero-length-frames.pcap": pcap(65535, [(0, 0, b"")] * 50),
        "many-interfaces.pcapng": pcapng_shb() + b"".join(pcapng_idb() for _ in range(5000)) +
        b"".join(pcapng_epb((i * 997) % 5000, i, frames[i % 20]) for i in range(400)),
        "interface-missing.pcapng": pcapng_shb() + pcapng_idb() + pcapng_epb(0, 0, frames[0]) +
        pcapng_epb(4000, 1, frames[1]),
        "interfaces-odd-linktypes.pcapng": pcapng_shb() +
        b"".join(pcapng_idb(linktype=lt, snaplen=0) for lt in range(0, 300)) +
        b"".join(pcapng_epb(i % 300, i, frames[i % 20]) for i in range(300)),
        "block-length-huge.pcapng": pcapng_shb() + pcapng_idb() +
        struct.pack("<II", 6, 0x7FFFFFF0) + b"\0" * 64,
        "not-a-capture.pcap": b"GET / HTTP/1.1\r\n\r\n" * 10,
        "empty-file.pcap": b"",
    }
    paths = []
    for name, data in files.items():
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths
