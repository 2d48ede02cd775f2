#!/usr/bin/env python3
"""shard_experiment.py: would splitting one capture's summary pass across workers pay, and
would it stay exact? (issue 7, item 3)

    shard_experiment.py --build BUILD_DIR --capture FILE.pcap --work DIR [--shards 2]

1. Splits an Ethernet pcap into flow-consistent shards: a frame goes to the shard of its IP
   address pair (unordered, so both directions, fragments, ICMP errors between the same hosts
   and every port of the pair stay together); frames without IP go to shard 0. Each shard
   remembers the capture's frame numbers of its frames and its first frame's time.
2. Runs the worker's summary job on the whole capture (one worker), then on every shard at
   once (one worker each), and reports wall and CPU times: the CPU time of the slowest shard
   is what two free cores would take, whatever else runs on the machine.
3. Merges the shards' additive results (hierarchy counts, endpoint and conversation counts
   with start/stop brought back to the capture's first frame, DNS lookups with their frame
   numbers mapped back) and compares them with the single pass, item by item, order aside;
   then says whether the orders agree too.
Python 3 standard library only; the worker is driven through tests/worker_client.py.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import argparse
import json
import os
import resource
import shutil
import struct
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from worker_client import WorkerClient  # noqa: E402

VLAN_TYPES = (0x8100, 0x88A8, 0x9100)


# ---- splitting ----

def flow_key(data):
    """The unordered IP address pair of an Ethernet frame, or None."""
    offset = 12
    while offset + 2 <= len(data):
        ethertype = struct.unpack_from("!H", data, offset)[0]
        if ethertype in VLAN_TYPES:
            offset += 4
            continue
        offset += 2
        if ethertype == 0x0800 and len(data) >= offset + 20:
            a, b = data[offset + 12:offset + 16], data[offset + 16:offset + 20]
        elif ethertype == 0x86DD and len(data) >= offset + 40:
            a, b = data[offset + 8:offset + 24], data[offset + 24:offset + 40]
        else:
            return None
        return min(a, b) + max(a, b)
    return None


def split(capture, work, shards):
    """Writes shard pcaps; returns [(path, [capture frame numbers], first time)]."""
    with open(capture, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            raise SystemExit("not a pcap file (pcapng is not split here)")
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        linktype = struct.unpack(endian + "I", header[20:24])[0]
        outs = []
        for i in range(shards):
            path = os.path.join(work, "shard%d.pcap" % i)
            out = open(path, "wb")
            out.write(header)
            outs.append((path, out, [], [None]))
        number = 0
        while True:
            record = f.read(16)
            if len(record) < 16:
                break
            secs, frac, caplen, _ = struct.unpack(endian + "IIII", record)
            data = f.read(caplen)
            number += 1
            key = flow_key(data) if linktype == 1 else None
            index = 0 if key is None else zlib.crc32(key) % shards
            _, out, numbers, first = outs[index]
            out.write(record)
            out.write(data)
            numbers.append(number)
            if first[0] is None:
                first[0] = secs + frac / (1e9 if nano else 1e6)
    result = []
    for path, out, numbers, first in outs:
        out.close()
        result.append((path, numbers, first[0]))
    return result


# ---- running ----

def summary(worker, capture, output):
    shutil.rmtree(output, ignore_errors=True)
    with WorkerClient(worker) as client:
        started = time.monotonic()
        answer = client.request({"job": "summary", "capture": capture, "output": output,
                                 "filter": "", "passes": 1})
        wall = time.monotonic() - started
        with open("/proc/%d/stat" % client.process.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if not answer.ok:
        raise RuntimeError("summary of %s failed: %s" % (capture, answer.error))
    return wall, cpu


def idle_worker_cpu(worker):
    """CPU time a worker spends starting (libwireshark's registration), to subtract."""
    with WorkerClient(worker) as client:
        client.request({"job": "check_filter", "filter": "tcp"})
        with open("/proc/%d/stat" % client.process.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- merging and comparing ----

def load(path):
    with open(path) as f:
        return json.load(f)


def hierarchy_counts(nodes, prefix=(), into=None):
    into = {} if into is None else into
    for node in nodes:
        path = prefix + (node["proto"],)
        frames, size = into.get(path, (0, 0))
        into[path] = (frames + node["frames"], size + node["bytes"])
        hierarchy_counts(node.get("protos", []), path, into)
    return into


def hierarchy_order(nodes, prefix=(), into=None):
    into = [] if into is None else into
    for node in nodes:
        into.append(prefix + (node["proto"],))
        hierarchy_order(node.get("protos", []), prefix + (node["proto"],), into)
    return into


def endpoint_items(table):
    return {(h["host"], h.get("port")): (h["txf"], h["txb"], h["rxf"], h["rxb"])
            for h in table["hosts"]}


def conversation_items(table, shift):
    """{unordered key: [frames/bytes per direction, start, stop]} with times moved by shift."""
    items = {}
    for c in table["convs"]:
        a, b = (c["saddr"], c.get("sport")), (c["daddr"], c.get("dport"))
        # tx is A->B (A = saddr); store it oriented from the smaller endpoint.
        counts = (c["txf"], c["txb"], c["rxf"], c["rxb"])
        if b < a:
            a, b = b, a
            counts = (counts[2], counts[3], counts[0], counts[1])
        items[(a, b)] = [counts, c["start"] + shift, c["stop"] + shift]
    return items


def merge_counts(into, key, counts):
    old = into.get(key)
    into[key] = counts if old is None else tuple(x + y for x, y in zip(old, counts))


def compare_tables(single_dir, shard_dirs, shifts, kind):
    """Differences between the single pass and the merged shards for one folder."""
    names = set()
    for d in [single_dir] + shard_dirs:
        folder = os.path.join(d, kind)
        if os.path.isdir(folder):
            names |= set(os.listdir(folder))
    report = {}
    for name in sorted(names):
        def table(d):
            path = os.path.join(d, kind, name)
            return load(path) if os.path.exists(path) else None
        single = table(single_dir)
        merged = {}
        for d, shift in zip(shard_dirs, shifts):
            t = table(d)
            if t is None:
                continue
            if kind == "endpoints":
                for key, counts in endpoint_items(t).items():
                    merge_counts(merged, key, counts)
            else:
                for key, (counts, start, stop) in conversation_items(t, shift).items():
                    old = merged.get(key)
                    if old is None:
                        merged[key] = [counts, start, stop]
                    else:
                        merged[key] = [tuple(x + y for x, y in zip(old[0], counts)),
                                       min(old[1], start), max(old[2], stop)]
        if single is None:
            ours = {}
        elif kind == "endpoints":
            ours = endpoint_items(single)
        else:
            ours = conversation_items(single, 0.0)
        differing = 0
        for key in set(ours) | set(merged):
            x, y = ours.get(key), merged.get(key)
            if x is None or y is None:
                differing += 1
            elif kind == "endpoints":
                differing += x != y
            else:
                differing += (x[0] != y[0] or abs(x[1] - y[1]) > 1e-6 or abs(x[2] - y[2]) > 1e-6)
        report[name] = (len(ours), differing)
    return report


def dns_lookups(folder, numbers):
    lookups = load(os.path.join(folder, "dns.json"))["lookups"]
    for item in lookups:
        for key in ("query_frame", "response_frame"):
            if item.get(key):
                item[key] = numbers[item[key] - 1]
    return lookups


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--capture", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--shards", type=int, default=2)
    args = ap.parse_args(argv[1:])
    worker = os.path.join(args.build, "sharkapi-worker")
    work = os.path.join(args.work, "shards")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    started = time.monotonic()
    shards = split(os.path.abspath(args.capture), work, args.shards)
    split_seconds = time.monotonic() - started
    print("split into %s frames in %.1f s (Python; a worker would skip frames instead)"
          % ([len(n) for _, n, _ in shards], split_seconds), flush=True)

    startup = idle_worker_cpu(worker)
    single_dir = os.path.join(work, "single")
    single_wall, single_cpu = summary(worker, os.path.abspath(args.capture), single_dir)
    results = [None] * len(shards)

    def run(i):
        results[i] = summary(worker, shards[i][0], os.path.join(work, "out%d" % i))
    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(shards))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shards_wall = time.monotonic() - started
    shard_cpu = [cpu - startup for _, cpu in results]
    print("single pass: %.2f s wall, %.2f s CPU (worker start-up %.2f s CPU excluded)"
          % (single_wall, single_cpu - startup, startup))
    print("%d shards at once: %.2f s wall; CPU per shard %s s"
          % (len(shards), shards_wall, ", ".join("%.2f" % c for c in shard_cpu)))
    print("speed-up on free cores (single CPU / slowest shard CPU): %.2fx; shards' CPU sum / "
          "single: %.2f" % ((single_cpu - startup) / max(shard_cpu),
                            sum(shard_cpu) / (single_cpu - startup)))

    shard_dirs = [os.path.join(work, "out%d" % i) for i in range(len(shards))]
    global_first = min(first for _, _, first in shards if first is not None)
    shifts = [(first - global_first) if first is not None else 0.0 for _, _, first in shards]

    single_h = load(os.path.join(single_dir, "hierarchy.json"))["protos"]
    merged = {}
    for d in shard_dirs:
        for key, counts in hierarchy_counts(load(os.path.join(d, "hierarchy.json"))["protos"]).items():
            merge_counts(merged, key, counts)
    ours = hierarchy_counts(single_h)
    diff = [k for k in set(ours) | set(merged) if ours.get(k) != merged.get(k)]
    print("hierarchy: %d nodes, %d differ%s" % (len(ours), len(diff),
          "" if not diff else ": " + "; ".join("/".join(k) + " %s vs %s" % (ours.get(k), merged.get(k))
                                               for k in sorted(diff)[:8])))
    for kind in ("endpoints", "conversations"):
        for name, (count, differing) in compare_tables(single_dir, shard_dirs, shifts, kind).items():
            print("%s/%s: %d items, %d differ" % (kind, name, count, differing))
    single_dns = load(os.path.join(single_dir, "dns.json"))["lookups"]
    merged_dns = []
    for d, (_, numbers, _) in zip(shard_dirs, shards):
        merged_dns += dns_lookups(d, numbers)

    def dns_key(item):
        return (item.get("query_frame") or item.get("response_frame"), item.get("response_frame") or 0)
    same_set = sorted(map(json.dumps, single_dns)) == sorted(map(json.dumps, merged_dns))
    merged_dns.sort(key=dns_key)
    print("dns lookups: %d, same set: %s, same order after sorting by frame: %s"
          % (len(single_dns), same_set, merged_dns == single_dns))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
