"""harness.py: a real sharkapi server for the HTTP test suites.

Starts build/sharkapi serve on 127.0.0.1 with port 0 and a temporary data dir, reads the port
from its "listening on" line, and speaks HTTP to it with http.client (loopback only). Also a
tiny test runner: every function named test_* runs, failures are collected, and the last line
is "N passed, M failed" (ctest and CI read it).
SPDX-License-Identifier: GPL-2.0-or-later
"""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

BUILD_DIR = os.environ.get("SHARKAPI_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "build"))
# The test corpus lives in the repository (tests/captures/README.md: provenance and licences).
CAPTURES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captures")


# The metadata store of the servers this process starts: "sqlite" (the default: the data dir's
# sharkapi.db) or "postgres" (SHARKAPI_TEST_STORE=postgres: one PostgreSQL for the whole process,
# started on first use from tests/postgres_fixture.py, and one database per data dir, so a suite
# that restarts a server on its data dir finds its metadata again).
STORE = os.environ.get("SHARKAPI_TEST_STORE", "sqlite")
# With PostgreSQL, how many nodes a Server is (SHARKAPI_TEST_NODES=2: a cluster of two nodes on one
# data dir and database, requests spread round-robin over them; the first node is self.proc).
NODES = int(os.environ.get("SHARKAPI_TEST_NODES", "1"))
_postgres = None
_databases = {}  # real path of a data dir -> its database URL


def postgres():
    """The process's PostgreSQL server, started on first use and stopped at exit."""
    global _postgres
    if _postgres is None:
        import postgres_fixture
        if postgres_fixture.find_bin_dir() is None:
            # 77: ctest's "skipped" (scripts/install-deps.sh --test installs the server).
            print("PostgreSQL's server (initdb, pg_ctl) is not installed: skipped", flush=True)
            sys.exit(77)
        _postgres = postgres_fixture.Postgres().start()

        def stop_postgres():
            _stop_leftover_servers()  # servers first: they must not see their database vanish
            _postgres.cleanup()
        atexit.register(stop_postgres)
    return _postgres


def temp_files(data_dir):
    """Files in a data dir's tmp/ (a node of a cluster has its own tmp/<node>/ there)."""
    found = []
    for root, _, files in os.walk(os.path.join(data_dir, "tmp")):
        found += [os.path.relpath(os.path.join(root, name), data_dir) for name in files]
    return sorted(found)


def database_for(data_dir):
    """The --database URL for a data dir's servers and CLI commands; None with SQLite."""
    if STORE != "postgres":
        return None
    key = os.path.realpath(data_dir)
    if key not in _databases:
        _databases[key] = postgres().create_database()
    return _databases[key]


def store_args(data_dir):
    """["--data-dir", DIR] plus --database when the run uses PostgreSQL: for `sharkapi token` etc."""
    url = database_for(data_dir)
    return ["--data-dir", data_dir] + (["--database", url] if url else [])


def _number_or_text(value):
    return int(value) if re.fullmatch(r"-?\d+", value) else value


def db_query(data_dir, sql, params=()):
    """Runs SQL (with ? placeholders) on a data dir's metadata database, SQLite or PostgreSQL; returns
    its rows as tuples (whole numbers as int)."""
    url = database_for(data_dir)
    if url is not None:
        return [tuple(_number_or_text(v) for v in row) for row in postgres().query(url, sql, params)]
    with sqlite3.connect(os.path.join(data_dir, "sharkapi.db"), timeout=10) as db:
        return db.execute(sql, params).fetchall()


def build_is_sanitized():
    """True for a SHARKAPI_SANITIZE build (scripts/test-sanitizers.sh)."""
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            return "SHARKAPI_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        return False


def check_memory(condition, message):
    """A check on resident memory. Under ASan, freed memory waits in its quarantine and every
    block carries redzones, so RSS says nothing there (LeakSanitizer checks leaks instead)."""
    if build_is_sanitized():
        print("  (memory check not applied under ASan: %s)" % ("met" if condition else "not met"))
        return
    check(condition, message)
BAD_DIR = os.path.join(CAPTURES_DIR, "bad")


def captures():
    """Every good capture of the corpus (tests/captures, not its bad/ or wireshark/ folders), by name."""
    names = sorted(n for n in os.listdir(CAPTURES_DIR)
                   if os.path.isfile(os.path.join(CAPTURES_DIR, n)) and re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", n))
    return [os.path.join(CAPTURES_DIR, n) for n in names]


def parse_part(text):
    """PART/PARTS (1-based) -> (part, parts): a long suite run in parts side by side takes every
    PARTS-th capture from the PART-th. The whole run is 1/1."""
    part, _, parts = text.partition("/")
    part, parts = int(part), int(parts or "1")
    if not 1 <= part <= parts:
        raise ValueError("part %d of %d" % (part, parts))
    return part, parts


def oracle_env():
    """Environment for tshark/capinfos/sharkd: fixed locale and zone, an empty home."""
    home = tempfile.mkdtemp(prefix="sharkapi-oracle-home-")
    env = dict(os.environ, LC_ALL="C", TZ="UTC", HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    return env


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


# Every server process a test started and has not stopped: stopped when the test process exits,
# so a test that fails before its clean-up leaves no server behind.
_running = set()


def track_server_process(proc):
    """Registers a server process started outside Server.start() (subclasses that start their own)."""
    _running.add(proc)


@atexit.register
def _stop_leftover_servers():
    for proc in list(_running):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Server:
    def __init__(self, data_dir=None, args=(), database=None, nodes=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sharkapi-test-")
        self.args = list(args)
        # --database URL: given, or the run's own (SHARKAPI_TEST_STORE=postgres), or none (SQLite).
        self.database = database or database_for(self.data_dir)
        self.nodes = nodes if nodes is not None else (NODES if self.database else 1)
        self.peers = []  # the other nodes of a cluster (Server objects of one node each)
        self.next_node = 0
        self.proc = None
        self.port = None
        self.log = []

    def start(self, timeout=120):
        cmd = [os.path.join(BUILD_DIR, "sharkapi"), "serve", "--listen", "127.0.0.1:0",
               "--data-dir", self.data_dir] + self.args
        if self.database:
            cmd += ["--database", self.database]
        if self.nodes > 1:
            cmd += ["--node-name", "node1"]
            self.peers = [Server(self.data_dir, self.args + ["--node-name", "node%d" % (k + 2)], self.database,
                                 nodes=1).start(timeout) for k in range(self.nodes - 1)]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        track_server_process(self.proc)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.stop(signal.SIGKILL)
        raise RuntimeError("server did not start: " + "".join(self.log))

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        for peer in self.peers:
            peer.stop(sig, timeout)
        self.peers = []
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        _running.discard(self.proc)
        self.proc = None
        return code

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None and all(peer.alive() for peer in self.peers)

    def all_worker_pids(self):
        """The workers of every node."""
        pids = worker_pids(self.proc.pid)
        for peer in self.peers:
            pids += worker_pids(peer.proc.pid)
        return pids

    def next_port(self):
        """The node the next request goes to: round-robin over a cluster's nodes."""
        ports = [self.port] + [peer.port for peer in self.peers]
        self.next_node += 1
        return ports[self.next_node % len(ports)]

    def token(self, permissions=None, name="tester"):
        cmd = [os.path.join(BUILD_DIR, "sharkapi"), "token", "create", "--data-dir", self.data_dir, "--name", name]
        if self.database:
            cmd += ["--database", self.database]
        if permissions is not None:
            cmd += ["--permissions", permissions]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()

    def request(self, method, path, body=None, headers=None, timeout=300):
        conn = http.client.HTTPConnection("127.0.0.1", self.next_port(), timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.getheaders(), data)
        finally:
            conn.close()

    def v2(self, token, capture_id, route, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self.request("GET", "/api/v2/analysis/%s/%s%s" % (capture_id, route, query),
                            headers={"Authorization": token})

    def upload_put(self, token, path, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        with open(path, "rb") as f:
            data = f.read()
        return self.request("PUT", "/api/v1/%s/upload%s" % (token, query), body=data)

    def upload_post(self, token, path, fields=None, query=None, filename=None):
        boundary = "sharkapiTestBoundary7MA4YWxkTrZu0gW"
        with open(path, "rb") as f:
            data = f.read()
        parts = []
        for key, value in (fields or {}).items():
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                          % (boundary, key, value)).encode())
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n"
                      % (boundary, filename or os.path.basename(path))).encode() + data + b"\r\n")
        parts.append(("--%s--\r\n" % boundary).encode())
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        return self.request("POST", "/api/v1/%s/upload%s" % (token, q), body=b"".join(parts),
                            headers={"Content-Type": "multipart/form-data; boundary=" + boundary})

    def wait_ready(self, token, capture_id, timeout=300):
        """Waits until the capture's summary analysis is ready (or failed)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.v2(token, capture_id, "status").json()["data"]["analysis"]["state"]
            if state in ("ready", "failed"):
                return state
            time.sleep(0.1)
        raise AssertionError("analysis of %s not ready after %s s" % (capture_id, timeout))


def rss_kib(pid, field="VmRSS"):
    """Resident memory from /proc/PID/status; field="RssAnon" leaves out mapped files."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def worker_pids(server_pid):
    out = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


class Failures(Exception):
    pass


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def data_of(response, what):
    """The "data" of a 200 answer; anything else fails, naming what was asked."""
    check(response.status == 200, "%s: %d %s" % (what, response.status, response.body[:300]))
    return response.json()["data"]


def for_each_capture(paths, ids, check_one):
    """check_one(path, ids[path]) for every path; the failures are gathered into one."""
    problems = []
    for path in paths:
        try:
            check_one(path, ids[path])
        except AssertionError as error:
            problems.append("%s: %s" % (os.path.basename(path), error))
    check(not problems, "\n".join(problems))


def run(tests):
    """Runs test functions in order; prints one line each and the closing count."""
    passed = failed = 0
    only = sys.argv[1:] if len(sys.argv) > 1 else None
    for test in tests:
        if only and test.__name__ not in only:
            continue
        started = time.time()
        try:
            test()
            passed += 1
            print("ok %s (%.1fs)" % (test.__name__, time.time() - started), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s\n%s" % (test.__name__, traceback.format_exc()), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
