#!/usr/bin/env python3
"""make_capture.py: builds the benchmark's large mixed capture, reproducibly, from the test corpus (tests/captures).

    make_capture.py CAPTURES_DIR OUTPUT FRAMES

One "round" is every Ethernet pcap of the test corpus (TCP, UDP, DNS, TLS, HTTP, QUIC, ARP, ...),
plus the first 10,000 frames of the 82k-frame TCP echo capture and the first 1,000 of the DHCP
flood, each shifted with editcap -t to start at a fixed time and merged in time order with
mergecap: about 20,000 frames spanning 300 s. Rounds are then copied with editcap -t, each 300 s
after the previous one, and concatenated (mergecap -a, already in time order) until FRAMES
frames; the last round is cut with editcap -r to land exactly on FRAMES. Only editcap, mergecap
and capinfos are used, so the same inputs always give the same bytes.
Must not write anywhere but beside OUTPUT (a scratch folder OUTPUT.parts, removed at the end).
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import shutil
import subprocess
import sys

ROUND_SECONDS = 300
ROUND_START = 1700000000  # 2023-11-14, a fixed epoch so the bytes do not depend on the day
# Left out: other link types (a pcap holds one), the 3-year DNS capture (it would overlap the
# next round), captures with 0 or 1 broken frame; the two large ones come in as slices below.
SKIPPED = {"zeek-dns-edns-ecs.pcap", "zeek-empty.pcap", "zeek-snaplen1-trunc-hdr.pcap",
           "zeek-echo-connections.pcap.gz", "sv-dhcp-request-flood.pcap"}
SLICES = [("zeek-echo-connections.pcap.gz", 10000), ("sv-dhcp-request-flood.pcap", 1000)]


def run(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, LC_ALL="C", TZ="UTC"))


def capinfo(path):
    """(encapsulation, frames, start time in seconds) from capinfos."""
    out = subprocess.run(["capinfos", "-T", "-r", "-E", "-c", "-a", "-S", path], check=True,
                         capture_output=True, text=True, env=dict(os.environ, LC_ALL="C")).stdout
    cols = out.strip().split("\t")
    start = float(cols[3]) if cols[3] not in ("n/a", "") else None
    return cols[1], int(cols[2]), start


def round_inputs(captures_dir):
    names = sorted(n for n in os.listdir(captures_dir) if n.endswith(".pcap") and n not in SKIPPED)
    return [(os.path.join(captures_dir, n), None) for n in names] + \
        [(os.path.join(captures_dir, n), count) for n, count in SLICES]


def build_round(captures_dir, parts):
    """The first round: every input shifted to start within the round's first seconds."""
    shifted = []
    for index, (path, count) in enumerate(round_inputs(captures_dir)):
        encap, frames, start = capinfo(path)
        if encap != "ether" or frames < 2 or start is None:
            continue
        source = path
        if count is not None:
            source = os.path.join(parts, "slice%d.pcap" % index)
            run(["editcap", "-F", "pcap", "-r", path, source, "1-%d" % count])
        out = os.path.join(parts, "in%03d.pcap" % index)
        # Staggered by 0.1 s per input so flows interleave as on a busy link.
        offset = ROUND_START + index * 0.1 - start
        run(["editcap", "-F", "pcap", "-t", "%.6f" % offset, source, out])
        shifted.append(out)
    round0 = os.path.join(parts, "round0.pcap")
    run(["mergecap", "-F", "pcap", "-w", round0] + shifted)
    return round0


def main(argv):
    if len(argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    captures_dir, output, frames = argv[1], argv[2], int(argv[3])
    parts = output + ".parts"
    shutil.rmtree(parts, ignore_errors=True)
    os.makedirs(parts)
    round0 = build_round(captures_dir, parts)
    _, per_round, _ = capinfo(round0)
    rounds = []
    remaining = frames
    k = 0
    while remaining > 0:
        out = os.path.join(parts, "r%05d.pcap" % k)
        argv = ["editcap", "-F", "pcap", "-t", str(k * ROUND_SECONDS), round0, out]
        if remaining < per_round:
            argv += ["1-%d" % remaining]
            argv.insert(1, "-r")
        run(argv)
        rounds.append(out)
        remaining -= min(per_round, remaining)
        k += 1
    tmp = output + ".tmp"
    # mergecap -a on many files: in batches, to stay under the open-file limit.
    batch = 200
    merged = []
    for i in range(0, len(rounds), batch):
        part = os.path.join(parts, "batch%d.pcap" % (i // batch))
        run(["mergecap", "-a", "-F", "pcap", "-w", part] + rounds[i:i + batch])
        merged.append(part)
    if len(merged) == 1:
        os.replace(merged[0], tmp)
    else:
        run(["mergecap", "-a", "-F", "pcap", "-w", tmp] + merged)
    os.replace(tmp, output)
    shutil.rmtree(parts, ignore_errors=True)
    print("%s: %d frames in %d rounds of %d" % (output, frames, k, per_round))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
