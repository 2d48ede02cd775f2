#!/usr/bin/env python3
"""compare-ja4-foxio.py: tls/handshakes' JA4 against FoxIO's expected values for FoxIO's captures.

    scripts/compare-ja4-foxio.py FOXIO_GIT_DIR [SHARKAPI]

FOXIO_GIT_DIR is a clone of github.com/FoxIO-LLC/ja4 (its .git, or a bare repository). Its
pcap/ files are written to a temporary directory (not kept: they carry no licence of their own),
each is run through `SHARKAPI analyze FILE tls/handshakes`, and every ClientHello's ja4 is
compared, by client and server address and port, with what FoxIO's implementations expect:
rust/ja4/src/snapshots/*.snap (the first hello of each stream), python/test/testdata/*.json
(JA4.1, JA4.2, ... of each stream) and zeek/tests/Traces/Scripts.ja4-tls-handshake/ssl.log.
Prints the differences, the hellos no expected value covers, and the counts. Exit status 1 when
anything differs. Known difference: FoxIO's Rust and Python code print "99" for a first ALPN value
that is not alphanumeric, the specification (and sharkapi) the hex digits (FoxIO issue #326).
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import subprocess
import sys
import tempfile


def git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", git_dir] + list(args), stdout=subprocess.PIPE, check=True).stdout


def rust_expected(text):
    """(src, src_port, dst, dst_port) -> [ja4] from an insta snapshot's YAML list."""
    out, entry = {}, {}
    body = text.split("\n---\n", 1)[-1]

    def flush():
        if "ja4" in entry:
            out[(entry["src"], entry["src_port"], entry["dst"], entry["dst_port"])] = [entry["ja4"]]

    for line in body.splitlines():
        if line.startswith("- "):
            flush()
            entry = {}
            line = line[2:]
        elif line.startswith("  ") and not line.startswith("   "):
            line = line[2:]
        else:
            continue
        key, _, value = line.partition(":")
        entry[key.strip()] = value.strip()
    flush()
    return out


def python_expected(text):
    out = {}
    for stream in json.loads(text):
        keys = sorted((k for k in stream if k.startswith("JA4.")), key=lambda k: int(k[4:]))
        if keys:
            out[(stream["src"], stream["srcport"], stream["dst"], stream["dstport"])] = [stream[k] for k in keys]
    return out


def zeek_expected(text):
    out, fields = {}, []
    for line in text.splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#") and "ja4" in fields:
            row = dict(zip(fields, line.split("\t")))
            if row["ja4"] != "-":
                out[(row["id.orig_h"], row["id.orig_p"], row["id.resp_h"], row["id.resp_p"])] = [row["ja4"]]
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    git_dir = sys.argv[1]
    sharkapi = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "build", "sharkapi")
    files = git(git_dir, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines()
    compared = equal = hellos = uncovered = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pcap in sorted(f for f in files if f.startswith("pcap/")):
            name = os.path.basename(pcap)
            expected = {}
            sources = [("rust", "rust/ja4/src/snapshots/ja4__insta@%s.snap" % name, rust_expected),
                       ("python", "python/test/testdata/%s.json" % name, python_expected)]
            if name == "tls-handshake.pcapng":
                sources.append(("zeek", "zeek/tests/Traces/Scripts.ja4-tls-handshake/ssl.log", zeek_expected))
            for source, path, parse in sources:
                if path in files:
                    for conn, values in parse(git(git_dir, "show", "HEAD:" + path).decode()).items():
                        expected.setdefault(conn, []).append((source, values))
            local = os.path.join(tmp, name)
            with open(local, "wb") as f:
                f.write(git(git_dir, "show", "HEAD:" + pcap))
            run = subprocess.run([sharkapi, "analyze", "--no-progress", local, "tls/handshakes"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if run.returncode != 0:
                print("%s: analyze failed: %s" % (name, run.stdout[-200:] or run.stderr[-200:]))
                continue
            ours = {}
            for h in json.loads(run.stdout)["data"]["handshakes"]:
                if h["ja4"]:
                    conn = (h["client"], str(h["client_port"]), h["server"], str(h["server_port"]))
                    ours.setdefault(conn, []).append(h)
            for conn, records in ours.items():
                hellos += len(records)
                if conn not in expected:
                    uncovered += len(records)
                    print("%s: no expected value for %s: %s" % (name, conn, [(h["frame"], h["ja4"]) for h in records]))
            for conn, by_source in expected.items():
                have = [h["ja4"] for h in ours.get(conn, [])]
                for source, values in by_source:
                    for i, want in enumerate(values):
                        compared += 1
                        got = have[i] if i < len(have) else None
                        if got == want:
                            equal += 1
                        else:
                            print("%s: %s, hello %d: ours %s, %s %s" % (name, conn, i + 1, got, source, want))
    print("%d ClientHellos; %d without an expected value; %d comparisons, %d equal" % (hellos, uncovered, compared, equal))
    sys.exit(0 if compared == equal else 1)


if __name__ == "__main__":
    main()
