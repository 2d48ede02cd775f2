"""hostile_files.py: hostile capture files made at test time, for the reliability suites.

randpkt captures of every type it offers, editcap -E corruption, truncations, a huge snaplen,
zero frames and thousands of pcapng interfaces. Every maker writes into a folder and returns the
paths it wrote, each named after what it is, so a failure names its input.

The random makers take a seed and give the same files for the same seed (the suite prints its
seed, and SHARKAPI_TEST_SEED replays it): editcap -E gets --seed; randpkt has no seed option
and draws from GLib's g_rand_new() (seeded from /dev/urandom), so it runs with a tiny preloaded
library whose g_rand_new() is g_rand_new_with_seed(SHARKAPI_RANDPKT_SEED), compiled at test time
with the system C compiler; make_randpkt checks that two runs with one seed give the same file.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile

import harness


def randpkt_types():
    """The packet types this randpkt offers, read from its own help text."""
    out = subprocess.run(["randpkt", "-h"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    types = re.findall(r"^\t(\S+)\s{2,}", text.split("Types:", 1)[1], re.M)
    if not types:
        raise RuntimeError("randpkt -h lists no types:\n" + text)
    return types


RANDPKT_SEED_SHIM = r"""
/* randpkt's GRand, seeded from SHARKAPI_RANDPKT_SEED (tests/hostile_files.py). */
#include <stdlib.h>
typedef struct _GRand GRand;
extern GRand *g_rand_new_with_seed(unsigned int seed);
GRand *g_rand_new(void)
{
	const char *seed = getenv("SHARKAPI_RANDPKT_SEED");
	if (seed == NULL)
		abort(); /* never unseeded */
	return g_rand_new_with_seed((unsigned int)strtoul(seed, NULL, 10));
}
"""


def build_randpkt_shim(folder):
    """Compiles the seeding library into folder; returns its path."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("a C compiler is needed to seed randpkt (it has no seed option)")
    source = os.path.join(folder, "randpkt-seed.c")
    library = os.path.join(folder, "randpkt-seed.so")
    with open(source, "w") as f:
        f.write(RANDPKT_SEED_SHIM)
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", library, source], check=True, capture_output=True)
    return library


def run_randpkt(env, shim, seed, kind, path, count, max_bytes):
    env = dict(env, LD_PRELOAD=shim, SHARKAPI_RANDPKT_SEED=str(seed))
    subprocess.run(["randpkt", "-b", str(max_bytes), "-c", str(count), "-t", kind, path], check=True,
                   capture_output=True, env=env)


def make_randpkt(folder, seed, count=1000, max_bytes=3000):
    """One capture per randpkt type, each from its own seed drawn from seed."""
    rng = random.Random(seed)
    paths = []
    with tempfile.TemporaryDirectory(prefix="sharkapi-randpkt-") as scratch:
        shim = build_randpkt_shim(scratch)
        env = harness.oracle_env()
        for kind in randpkt_types():
            kind_seed = rng.randrange(1 << 32)
            path = os.path.join(folder, "randpkt-%s.pcap" % kind)
            run_randpkt(env, shim, kind_seed, kind, path, count, max_bytes)
            if not paths:  # the seed must decide the file, or a replay would not replay
                again = os.path.join(scratch, "again.pcap")
                run_randpkt(env, shim, kind_seed, kind, again, count, max_bytes)
                with open(path, "rb") as a, open(again, "rb") as b:
                    if a.read() != b.read():
                        raise RuntimeError("randpkt gave two files for one seed: the seeding library did not take")
            paths.append(path)
    return paths


def make_corrupted(folder, sources, seed, rounds=2):
    """editcap -E: each byte of each frame flipped with some probability, --seed from seed."""
    rng = random.Random(seed)
    paths = []
    for source in sources:
        base = os.path.basename(source).split(".")[0]
        for i, rate in enumerate([0.02, 0.2][:rounds]):
            path = os.path.join(folder, "corrupt-%s-%d.pcap" % (base, i))
            subprocess.run(["editcap", "-F", "pcap", "--seed", str(rng.randrange(1 << 31)), "-E", str(rate),
                            source, path], check=True, capture_output=True, env=harness.oracle_env())
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
