#!/usr/bin/env python3
"""oracle.py: tshark and sharkd (libwireshark 4.0, the same library as sharkapi-worker) run on a
capture, their answers returned in API.md's shapes, so that tests compare like with like.

Every run is pinned: LC_ALL=C, TZ=UTC, HOME and XDG_CONFIG_HOME at an empty temporary directory
(no personal profile), and no name resolution (tshark -n, sharkd with nameres.mac_name off).
Answers about captures of the corpus (tests/captures) are kept in SHARKAPI_ORACLE_CACHE (CMake
sets <build>/oracle-cache) so that the suites which ask tshark the same question about the same
capture run it once per build: the key holds the command, its input, the capture's bytes and the
oracle program and libwireshark (path, size, time), so any change runs tshark again.
Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

_HOME = None
CORPUS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captures")
_CACHE_DIR = os.environ.get("SHARKAPI_ORACLE_CACHE")
_digests = {}


def _env():
    """The pinned environment; the empty home lives as long as the process."""
    global _HOME
    if _HOME is None:
        _HOME = tempfile.TemporaryDirectory(prefix="sharkapi-oracle-home-")
    home = _HOME.name
    return dict(os.environ, LC_ALL="C", TZ="UTC", HOME=home,
                XDG_CONFIG_HOME=os.path.join(home, ".config"))


def _file_digest(path):
    """SHA-256 of a file's bytes, remembered per (path, size, mtime) for this process."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        with open(path, "rb") as f:
            _digests[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _digests[key]


def _stamp(path):
    st = os.stat(path)
    return "%s:%d:%d" % (os.path.realpath(path), st.st_size, st.st_mtime_ns)


_stamps = {}


def _oracle_stamp(name):
    """The oracle program and libwireshark as files (path, size, time), once per process."""
    if name not in _stamps:
        libraries = sorted(glob.glob("/usr/lib/*/libwireshark.so.*") + glob.glob("/usr/lib/libwireshark.so.*"))
        _stamps[name] = " ".join([_stamp(shutil.which(name))] + [_stamp(lib) for lib in libraries])
    return _stamps[name]


def _cache_path(argv, stdin, inputs):
    """Where the answer of this run is kept, or None when it is not to be kept: no cache dir, or
    an input outside the corpus (a test's own temporary capture is always run afresh)."""
    if not _CACHE_DIR or not inputs:
        return None
    if not all(os.path.realpath(p).startswith(os.path.realpath(CORPUS_DIR) + os.sep) for p in inputs):
        return None
    key = hashlib.sha256()
    for part in [_oracle_stamp(argv[0])] + argv:
        key.update(part.encode() + b"\0")
    key.update(stdin or b"")
    for path in inputs:
        key.update(_file_digest(path).encode())
    return os.path.join(_CACHE_DIR, key.hexdigest() + ".json")


def _run(argv, stdin=None, timeout=600, inputs=()):
    """(exit status, stdout, stderr) of the oracle; inputs are the captures it reads."""
    cached = _cache_path(argv, stdin, inputs)
    if cached is None:
        return _run_fresh(argv, stdin, timeout, None)
    if os.path.exists(cached):
        with open(cached) as f:
            return tuple(json.load(f))
    # Suites running side by side ask the same questions about the same captures at the same
    # time: one runs tshark, the others wait for its answer instead of running it again.
    os.makedirs(_CACHE_DIR, exist_ok=True)
    with open(cached + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(cached):
            with open(cached) as f:
                return tuple(json.load(f))
        return _run_fresh(argv, stdin, timeout, cached)


def _run_fresh(argv, stdin, timeout, cached):
    result = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env(), timeout=timeout)
    answer = (result.returncode, result.stdout.decode("utf-8", "replace"),
              result.stderr.decode("utf-8", "replace"))
    # A run killed by a signal (a suite stopped midway, the OOM killer) is no answer to keep.
    if cached is not None and result.returncode >= 0:
        # Written whole under a private name, then renamed: concurrent suites never read half.
        os.makedirs(_CACHE_DIR, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=_CACHE_DIR, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(answer, f)
        os.replace(temporary, cached)
    return answer


def run(argv, inputs=(), stdin=None):
    """Any oracle command, pinned and kept as above (inputs: the captures it reads)."""
    return _run(argv, stdin=stdin, inputs=inputs)


def available():
    """Missing oracle programs, by name (empty when both are there)."""
    return [name for name in ("tshark", "sharkd") if shutil.which(name) is None]


# ---- protocol hierarchy: tshark -q -z io,phs[,FILTER] ----

_PHS_LINE = re.compile(r"^(?P<indent> *)(?P<deep>\.\.\.)?(?P<proto>\S+)\s+"
                       r"frames:(?P<frames>\d+) bytes:(?P<bytes>\d+)$")


def parse_phs(text):
    """The io,phs block of tshark's output as {"filter": F, "protos": [...]}: nodes
    {"bytes","frames","proto"[,"protos"]}, "protos" only on nodes with children."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Filter:"))
    except StopIteration:
        raise ValueError("no io,phs block in tshark output: %r" % text[:500])
    result = {"filter": lines[start][len("Filter:"):].strip(), "protos": []}
    stack = [(-1, result["protos"])]  # (depth, children list of the node at that depth)
    for line in lines[start + 1:]:
        if line.startswith("====="):
            break
        if not line.strip():
            continue
        match = _PHS_LINE.match(line)
        if not match:
            raise ValueError("unexpected io,phs line: %r" % line)
        # tshark prints two spaces per level, and "..." instead beyond level 16.
        depth = len(match["indent"]) // 2 + (1 if match["deep"] else 0)
        node = {"bytes": int(match["bytes"]), "frames": int(match["frames"]),
                "proto": match["proto"]}
        while stack[-1][0] >= depth:
            stack.pop()
        parent_children = stack[-1][1]
        parent_children.append(node)
        node_children = []
        stack.append((depth, node_children))
        node["_children"] = node_children
    _finish_phs(result["protos"])
    return result


def _finish_phs(nodes):
    for node in nodes:
        children = node.pop("_children")
        if children:
            node["protos"] = children
            _finish_phs(children)


def tshark_phs(capture, filter=None, two_pass=False):
    """tshark [-2] -n -q -r CAPTURE -z io,phs[,FILTER] as API.md's hierarchy object."""
    argv = ["tshark", "-n", "-q", "-r", capture]
    if two_pass:
        argv.insert(1, "-2")
    argv += ["-z", "io,phs" + ("," + filter if filter else "")]
    _, out, err = _run(argv, inputs=[capture])
    return parse_phs(out)


# ---- endpoints and conversations: sharkd's endpt:/conv: taps ----

def sharkd_taps(capture, taps):
    """Runs sharkd's console mode ("sharkd -") with JSON-RPC requests: name resolution of MAC
    addresses off, load CAPTURE, one "tap" request with up to 16 taps such as "endpt:IPv4" or
    "conv:TCP". Returns {tap: object}, each object in API.md's shape: endpoints
    {"geoip","hosts":[{"filter","host"[,"port"],"rxb","rxf","totalb","totalf","txb","txf"}],
    "proto"} and conversations {"convs":[{"daddr"[,"dport"],"duration","filter","rx_rate",
    "rxb","rxf","saddr"[,"sport"],"start","stop","totalb","totalf","tx_rate","txb","txf"}],
    "geoip","proto"}."""
    if len(taps) > 16:
        raise ValueError("sharkd takes at most 16 taps per request")
    params = {"tap%d" % i: tap for i, tap in enumerate(taps)}
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "setconf",
         "params": {"name": "nameres.mac_name", "value": "false"}},
        {"jsonrpc": "2.0", "id": 2, "method": "load", "params": {"file": capture}},
        {"jsonrpc": "2.0", "id": 3, "method": "tap", "params": params},
    ]
    stdin = "".join(json.dumps(r) + "\n" for r in requests).encode()
    _, out, err = _run(["sharkd", "-"], stdin=stdin, inputs=[capture])
    answers = {}
    for line in out.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            answers[message.get("id")] = message
    for rid in (1, 2, 3):
        if rid not in answers or "error" in answers[rid]:
            raise RuntimeError("sharkd request %d failed: %s %s" % (rid, answers.get(rid), err))
    result = {}
    for tap in answers[3]["result"]["taps"]:
        result[tap["tap"]] = _sharkd_table(tap)
    return result


def _round9(value):
    return float("%.9f" % value)


def _sharkd_table(tap):
    if tap["type"] == "host":
        hosts = []
        for host in tap.get("hosts", []):
            item = dict(host)
            item["totalb"] = host["rxb"] + host["txb"]
            item["totalf"] = host["rxf"] + host["txf"]
            hosts.append(item)
        return {"geoip": tap["geoip"], "hosts": hosts, "proto": tap["proto"]}
    convs = []
    for conv in tap.get("convs", []):
        item = dict(conv)
        duration = _round9(conv["stop"] - conv["start"])
        item["duration"] = duration
        item["rx_rate"] = round(conv["rxb"] / duration, 2) if duration > 0 else 0
        item["tx_rate"] = round(conv["txb"] / duration, 2) if duration > 0 else 0
        item["totalb"] = conv["rxb"] + conv["txb"]
        item["totalf"] = conv["rxf"] + conv["txf"]
        convs.append(item)
    return {"convs": convs, "geoip": tap["geoip"], "proto": tap["proto"]}


# ---- fields: tshark -T fields ----

def csv_escape(value):
    """What tshark -T fields does to a value (print_escaped_csv in 4.0), so a worker value can
    be compared with tshark's line."""
    for raw, escaped in (("\\b", "\b"), ("\\f", "\f"), ("\\n", "\n"), ("\\r", "\r"),
                         ("\\t", "\t")):
        value = value.replace(escaped, raw)
    return value


def tshark_fields(capture, fields, filter=None, two_pass=False):
    """tshark [-2] -n -r CAPTURE -T fields -E occurrence=a -E aggregator=, -e frame.number
    -e F... [-Y FILTER] as a list of {"fields": {name: value}, "frame": N}, empty values left
    out as API.md says. Values stay as tshark printed them (see csv_escape)."""
    argv = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=,", "-e", "frame.number"]
    if two_pass:
        argv.insert(1, "-2")
    for field in fields:
        argv += ["-e", field]
    if filter:
        argv += ["-Y", filter]
    status, out, err = _run(argv, inputs=[capture])
    if status not in (0, 2):  # 2: a capture cut short, still printed up to the cut
        raise RuntimeError("tshark failed (%d): %s" % (status, err))
    rows = []
    for line in out.split("\n"):
        if line == "":
            continue
        values = line.split("\t")
        if len(values) != len(fields) + 1:
            raise ValueError("tshark line has %d columns, not %d: %r"
                             % (len(values), len(fields) + 1, line))
        row = {name: value for name, value in zip(fields, values[1:]) if value != ""}
        rows.append({"fields": row, "frame": int(values[0])})
    return rows


def tshark_filter_error(filter):
    """tshark's complaint about a display filter, or None when it compiles."""
    # A real (empty) capture: tshark refuses /dev/null itself, which read as a filter error.
    status, out, err = _run(["tshark", "-n", "-r", os.path.join(CORPUS_DIR, "zeek-empty.pcap"), "-Y", filter])
    lines = [line for line in err.splitlines() if not line.startswith("Running as user")]
    if status == 0 or not lines:
        return None
    return "\n".join(lines)
