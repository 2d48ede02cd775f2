"""test_kills.py: the server and its workers killed at random moments lose nothing.

Server: SIGKILL (and SIGTERM) while clients upload captures (PUT and multipart POST) and ask for
filtered passes. After each restart on the same data dir: every upload that got its 200 downloads
byte-identical, every capture the store shows is complete (byte-identical to a file that was
sent), tmp/ is empty, no half-written result folder remains, no worker outlived its server, and
every acknowledged capture's analysis resumes to "ready". SIGTERM also ends with exit status 0.
Workers: SIGKILL of a random worker at random moments under load; every answer is 200, or the
documented outcomes (a stream that had started ends broken; 422 after a second crash of the same
job); once the killing stops, every route answers exactly as on a fresh copy of the capture.
Every random choice (files, routes, filters, which worker, kill moments) comes from one seed,
printed first ("seed: N"); SHARKAPI_TEST_SEED=N replays the same choices (each thread draws from
its own generator, so thread scheduling does not reorder them; the moments stay wall-clock).
Without it the seed is new each run.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import http.client
import os
import random
import shutil
import signal
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import check

SOURCES = [os.path.join(harness.CAPTURES_DIR, n) for n in (
    "zeek-dhcp.pcap", "sv-dns-udp-a-aaaa-mx.pcap", "sv-tls-cert-issuer.pcap", "zeek-http-pipelined-requests.pcap",
    "tcpdump-dnssec.pcap", "zeek-pcapng-multi-interface.pcapng", "sv-http-aptget.pcap")]
SOURCE_BYTES = {p: open(p, "rb").read() for p in SOURCES}
ROUTES = [("stats/hierarchy", {}), ("stats/endpoints", {"protocol": "ip"}),
          ("stats/conversations", {"protocol": "udp"}), ("dns/lookups", {}),
          ("packets/fields", {"fields": "frame.number,ip.src,frame.len"})]

SEED = int(os.environ.get("SHARKAPI_TEST_SEED") or random.SystemRandom().randrange(1 << 32))


def rng_for(*purpose):
    """The generator of one thread or one decision, derived from SEED and what it is for."""
    return random.Random("%d/%s" % (SEED, "/".join(str(p) for p in purpose)))


def all_worker_pids(server_pid):
    return set(harness.worker_pids(server_pid))


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


class Load:
    """Clients uploading and asking for passes until stopped; remembers acknowledged uploads."""

    def __init__(self, server, token, known_ids, name):
        self.name = name
        self.server = server
        self.token = token
        self.known_ids = list(known_ids)
        self.acked = {}  # id -> source path
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.uploader, args=(i,), daemon=True) for i in range(2)]
        self.threads += [threading.Thread(target=self.passes, args=(i,), daemon=True) for i in range(2)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def uploader(self, n):
        rng = rng_for(self.name, "uploader", n)
        while not self.stop.is_set():
            path = rng.choice(SOURCES)
            try:
                if n % 2:
                    r = self.server.upload_put(self.token, path)
                else:
                    r = self.server.upload_post(self.token, path)
            except Exception:
                continue  # no answer: not acknowledged
            if r.status == 200:
                self.acked[r.json()["id"]] = path
            else:
                time.sleep(0.05)

    def passes(self, n):
        rng = rng_for(self.name, "passes", n)
        while not self.stop.is_set():
            ids = self.known_ids + list(self.acked)
            if not ids:
                time.sleep(0.05)
                continue
            route, params = rng.choice(ROUTES)
            params = dict(params, filter="frame.number > %d" % rng.randint(0, 30))
            try:
                self.server.v2(self.token, rng.choice(ids), route, timeout=30, **params)
            except Exception:
                pass


def half_written_entries(data_dir):
    """Every *.tmp entry below the captures, as path -> (device, inode)."""
    found = {}
    for root, dirs, files in os.walk(os.path.join(data_dir, "captures")):
        for name in dirs + files:
            if ".tmp" in name:
                path = os.path.join(root, name)
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    continue
                found[path] = (st.st_dev, st.st_ino)
    return found


def check_store_after_restart(server, token, acked, left_by_the_kill):
    tmp = os.path.join(server.data_dir, "tmp")
    check(os.listdir(tmp) == [], "tmp/ not emptied at restart: %s" % os.listdir(tmp))
    # Resumed analyses write new *.tmp entries at once, so an entry only counts as left over
    # when it is the very one (same inode) the killed server left.
    for path, inode in half_written_entries(server.data_dir).items():
        check(left_by_the_kill.get(path) != inode, "half-written entry left: %s" % path)
    captures_dir = os.path.join(server.data_dir, "captures")
    unacked = 0
    visible_unacked = []
    for capture_id in os.listdir(captures_dir):
        r = server.request("GET", "/api/v1/%s/download/%s" % (token, capture_id))
        if capture_id in acked:
            check(r.status == 200 and r.body == SOURCE_BYTES[acked[capture_id]],
                  "acknowledged capture %s lost or changed (%d)" % (capture_id, r.status))
        else:
            # Stored but the 200 never reached the client (killed between commit and answer):
            # allowed only when complete.
            check(r.status == 404 or r.body in SOURCE_BYTES.values(),
                  "capture %s visible but not complete (%d)" % (capture_id, r.status))
            if r.status == 200:
                unacked += 1
                visible_unacked.append(capture_id)
    for capture_id in acked:
        check(os.path.isdir(os.path.join(captures_dir, capture_id)), "acknowledged capture %s gone" % capture_id)
    # A stored capture whose 200 was lost is resumed like any other, so its analysis must finish
    # too before the last check (its summary/default.tmp is legitimately being written until then).
    for capture_id in list(acked) + visible_unacked:
        check(server.wait_ready(token, capture_id, timeout=120) == "ready", "analysis of %s not resumed" % capture_id)
    # With every analysis finished, nothing may be half-written any more.
    left = half_written_entries(server.data_dir)
    check(not left, "half-written entries after the analyses finished: %s" % sorted(left))
    return unacked


def kill_cycles(sig, cycles):
    data_dir = tempfile.mkdtemp(prefix="sharkapi-kills-")
    server = harness.Server(data_dir=data_dir, args=["--workers", "2"]).start()
    token = server.token()
    acked = {}
    try:
        totals = {"acked": 0, "unacked but complete": 0, "half-written at the kill": 0}
        for cycle in range(cycles):
            name = "%s-cycle-%d" % (signal.Signals(sig).name, cycle)
            load = Load(server, token, acked, name).start()
            # Until some uploads were acknowledged, then a random moment later.
            deadline = time.time() + 60
            while len(load.acked) < 2 and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(rng_for(name, "moment").uniform(0.0, 1.5))
            workers = all_worker_pids(server.proc.pid)
            proc = server.proc
            code = server.stop(sig)
            load.finish()
            if sig == signal.SIGTERM:
                check(code == 0, "SIGTERM: exit status %s\n%s" % (code, "".join(server.log[-20:])))
            else:
                check(code == -signal.SIGKILL, "SIGKILL: exit status %s" % code)
            deadline = time.time() + 30
            while any(pid_alive(p) for p in workers) and time.time() < deadline:
                time.sleep(0.1)
            check(not any(pid_alive(p) for p in workers), "workers outlived the server %d" % proc.pid)
            acked.update(load.acked)
            totals["acked"] += len(load.acked)
            left_by_the_kill = half_written_entries(data_dir)
            totals["half-written at the kill"] += len(left_by_the_kill)
            server.start()
            totals["unacked but complete"] += check_store_after_restart(server, token, acked, left_by_the_kill)
        print("  %s x%d: %s" % (signal.Signals(sig).name, cycles, totals))
        check(server.alive(), "server not running after the last restart")
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_sigkill_server_under_load():
    kill_cycles(signal.SIGKILL, 3)


def test_sigterm_server_under_load():
    kill_cycles(signal.SIGTERM, 2)


def get(server, token, capture_id, route, params):
    """(status, body, broken): broken when a started answer ended without its end."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        conn.request("GET", "/api/v2/analysis/%s/%s%s" % (capture_id, route, query),
                     headers={"Authorization": token})
        resp = conn.getresponse()
        try:
            return resp.status, resp.read(), False
        except (http.client.IncompleteRead, ConnectionError):
            return resp.status, b"", True
    finally:
        conn.close()


def test_worker_sigkill_at_random_moments():
    server = harness.Server(args=["--workers", "2"]).start()
    try:
        token = server.token()
        ids = {}
        for path in SOURCES[:5]:
            capture_id = server.upload_put(token, path).json()["id"]
            server.wait_ready(token, capture_id)
            ids[capture_id] = path
        stop = threading.Event()
        kills = [0]

        def killer():
            rng = rng_for("worker-kills", "killer")
            while not stop.is_set():
                time.sleep(rng.uniform(0.2, 0.8))
                pids = harness.worker_pids(server.proc.pid)
                if pids:
                    try:
                        os.kill(rng.choice(pids), signal.SIGKILL)
                        kills[0] += 1
                    except ProcessLookupError:
                        pass

        outcomes = {"200": 0, "broken stream": 0, "422 crashed twice": 0}
        asked = []
        problems = []

        def client(n):
            rng = rng_for("worker-kills", "client", n)
            for _ in range(25):
                capture_id = rng.choice(list(ids))
                route, params = rng.choice(ROUTES)
                params = dict(params, filter="frame.number > %d" % rng.randint(0, 40))
                try:
                    status, body, broken = get(server, token, capture_id, route, params)
                except Exception as e:  # a lost answer is a problem, not a silent thread death
                    problems.append("%s %s: %r" % (route, params, e))
                    continue
                asked.append((capture_id, route, params))
                if status == 200 and not broken:
                    outcomes["200"] += 1
                elif broken and route == "packets/fields":
                    outcomes["broken stream"] += 1
                elif status == 422 and b"crashed on it twice" in body:
                    outcomes["422 crashed twice"] += 1
                else:
                    problems.append("%s %s: %d broken=%s %s" % (route, params, status, broken, body[:200]))

        killer_thread = threading.Thread(target=killer, daemon=True)
        killer_thread.start()
        clients = [threading.Thread(target=client, args=(i,)) for i in range(3)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        stop.set()
        killer_thread.join()
        print("  %d worker kills, %d requests: %s" % (kills[0], len(asked), outcomes))
        check(not problems, "\n".join(problems))
        check(server.alive(), "server died")
        check(kills[0] > 0, "no worker was killed")
        # Costs nothing but time: once the kills stop, the answers equal those of a fresh copy.
        copies = {}
        for capture_id, route, params in asked[:30]:
            path = ids[capture_id]
            if path not in copies:
                copies[path] = server.upload_put(token, path).json()["id"]
            status, body, broken = get(server, token, capture_id, route, params)
            fresh_status, fresh, _ = get(server, token, copies[path], route, params)
            check(status == 200 and fresh_status == 200, "after the kills: %d / %d" % (status, fresh_status))
            check(body == fresh, "%s %s answers differently from a fresh copy" % (route, params))
    finally:
        server.cleanup()


def main():
    print("seed: %d (replay: SHARKAPI_TEST_SEED=%d)" % (SEED, SEED), flush=True)
    harness.run([test_sigkill_server_under_load, test_sigterm_server_under_load,
                 test_worker_sigkill_at_random_moments])


if __name__ == "__main__":
    main()
