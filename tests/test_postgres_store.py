"""test_postgres_store.py: the metadata in PostgreSQL (--database), beyond what the HTTP suites
check when they run on it (SHARKAPI_TEST_STORE=postgres):

- `sharkapi migrate` moves a data dir built by a SQLite server (uploads, tags, annotations, tokens
  with a revoked one, a deep search) into PostgreSQL: every row and every answer is the same
  afterwards, every token still works, new ids come after the copied ones; a second run copies
  nothing and changes nothing.
- PostgreSQL stopped under a running server: requests that need the store answer 503 with
  Retry-After, never 500, each within seconds; the outage is logged once; when PostgreSQL is back
  the same server answers again without a restart.
- Several servers starting at once against one empty database: one creates the schema, all run.

One PostgreSQL server for the whole suite (tests/postgres_fixture.py), a database per case.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time

import harness
from harness import check

SHARKAPI = os.path.join(harness.BUILD_DIR, "sharkapi")
CAPTURES = ["zeek-dns-mdns.pcap", "zeek-dhcp.pcap", "sv-dns-udp-a-aaaa-mx.pcap"]
TABLES = {
    "tokens": "id",
    "captures": "cap_file_id",
    "capture_tags": "capture_id, tag",
    "annotations": "capture_id, frame",
    "deep_searches": "id",
    "deep_search_pool": "search_id, position",
}


def cap(name):
    return os.path.join(harness.CAPTURES_DIR, name)


def cli(*args):
    return subprocess.run([SHARKAPI] + list(args), check=True, capture_output=True, text=True).stdout


def sqlite_rows(data_dir, table, order):
    with sqlite3.connect(os.path.join(data_dir, "sharkapi.db")) as db:
        rows = db.execute("SELECT * FROM %s ORDER BY %s" % (table, order)).fetchall()
    return [tuple("" if v is None else str(v) for v in row) for row in rows]


def postgres_rows(url, table, order):
    return [tuple(row) for row in harness.postgres().query(url, "SELECT * FROM %s ORDER BY %s" % (table, order))]


def dump_sqlite(data_dir):
    return {table: sqlite_rows(data_dir, table, order) for table, order in TABLES.items()}


def dump_postgres(url):
    return {table: postgres_rows(url, table, order) for table, order in TABLES.items()}


def answers(server, token, capture_ids, search_id):
    """What clients see, minus what reading changes (view counts, last access times)."""
    seen = {}

    def get(path, headers=None):
        r = server.request("GET", path, headers=headers)
        check(r.status == 200, "GET %s: %d %s" % (path, r.status, r.body[:200]))
        return r.json()

    for capture_id in capture_ids:
        info = get("/api/v1/%s/info/%s" % (token, capture_id))
        for volatile in ("viewcount", "last_accessed"):
            info.pop(volatile)
        seen["info " + capture_id] = info
        seen["annotations " + capture_id] = get("/api/v1/%s/annotations/%s" % (token, capture_id))
    for query in ("search[tags][]=kept", "search[comments]=MIGRAT", "search[filename]=dns&search[sort]=filename",
                  "search[limit]=2&search[page]=2", "search[user]=owner"):
        seen["search " + query] = [c["id"] for c in get("/api/v1/%s/search?%s" % (token, query))]
    headers = {"Authorization": token}
    seen["deep search"] = get("/api/v2/deep_search/" + search_id, headers)
    seen["deep search results"] = get("/api/v2/deep_search/%s/results" % search_id, headers)
    return seen


def wait_deep_search(server, token, search_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = server.request("GET", "/api/v2/deep_search/" + search_id, headers={"Authorization": token})
        check(r.status == 200, "deep search status %d %s" % (r.status, r.body))
        if r.json()["finished?"]:
            return
        time.sleep(0.1)
    raise AssertionError("deep search %s not finished" % search_id)


def test_migrate_keeps_every_id_token_and_answer():
    data_dir = tempfile.mkdtemp(prefix="sharkapi-migrate-")
    single = node = None
    try:
        # A single-node installation on SQLite.
        single = harness.Server(data_dir=data_dir, args=["--workers", "1"]).start()
        check(single.database is None, "the single node must use SQLite")
        owner = single.token(name="owner")
        reader = single.token("info", name="reader")
        gone = single.token(name="gone")
        cli("token", "revoke", "--data-dir", data_dir, "gone")
        ids = []
        for n, name in enumerate(CAPTURES):
            r = single.upload_put(owner, cap(name), additional_tags="kept,n%d" % n,
                                  comments="before the migration %d" % n)
            check(r.status == 200, "upload %s: %d %s" % (name, r.status, r.body))
            ids.append(r.json()["id"])
        for frame in (1, 2):
            r = single.request("POST", "/api/v1/%s/annotations/%s?frame=%d&text=note%%20%d" % (owner, ids[0], frame, frame))
            check(r.status == 200, "annotate: %d %s" % (r.status, r.body))
        r = single.request("POST", "/api/v2/deep_search/", body=json.dumps({"capture_ids": ids, "display_filter": "dns"}),
                           headers={"Authorization": owner, "Content-Type": "application/json"})
        check(r.status in (200, 201, 202), "deep search: %d %s" % (r.status, r.body))
        search_id = r.json()["id"]
        wait_deep_search(single, owner, search_id)
        before = answers(single, owner, ids, search_id)
        check(before["deep search results"], "the deep search matched nothing: a useless case")
        tokens_before = cli("token", "list", "--data-dir", data_dir)
        single.stop()
        rows_before = dump_sqlite(data_dir)

        url = harness.postgres().create_database("migrate")
        out = cli("migrate", "--data-dir", data_dir, "--database", url)
        print("  " + out.strip().replace("\n", "\n  "))
        for table, rows in rows_before.items():
            check("%s %d rows in SQLite, %d copied" % (table.ljust(16), len(rows), len(rows)) in out,
                  "migrate's report for %s: %s" % (table, out))
        rows_after = dump_postgres(url)
        for table in TABLES:
            check(rows_after[table] == rows_before[table],
                  "%s differs after migrate:\n%s\n%s" % (table, rows_before[table], rows_after[table]))

        # The same data dir, now with PostgreSQL, served by two nodes (requests round-robin):
        # same answers, same tokens.
        os.rename(os.path.join(data_dir, "sharkapi.db"), os.path.join(data_dir, "sharkapi.db.migrated"))
        for suffix in ("-wal", "-shm"):
            if os.path.exists(os.path.join(data_dir, "sharkapi.db" + suffix)):
                os.remove(os.path.join(data_dir, "sharkapi.db" + suffix))
        node = harness.Server(data_dir=data_dir, args=["--workers", "1"], database=url, nodes=2).start()
        check(answers(node, owner, ids, search_id) == before, "answers differ after the migration")
        check(answers(node, owner, ids, search_id) == before, "answers differ on the other node")
        check(cli("token", "list", "--data-dir", data_dir, "--database", url) == tokens_before, "token list differs")
        check(not os.path.exists(os.path.join(data_dir, "sharkapi.db")), "a SQLite database came back")
        r = node.request("GET", "/api/v1/%s/info/%s" % (reader, ids[1]))
        check(r.status == 200, "the reader token after migrate: %d" % r.status)
        check(node.upload_put(reader, cap(CAPTURES[0])).status == 403, "the reader token gained upload")
        check(node.request("GET", "/api/v1/%s/info/%s" % (gone, ids[1])).status == 401, "a revoked token works again")
        # New rows get ids after the copied ones.
        r = node.upload_put(owner, cap(CAPTURES[1]))
        check(r.status == 200, "upload after migrate: %d %s" % (r.status, r.body))
        newest = node.request("GET", "/api/v1/%s/info/%s" % (owner, r.json()["id"])).json()
        highest = max(int(row[0]) for row in rows_before["captures"])
        check(newest["cap_file_id"] == highest + 1, "new cap_file_id %s after %d" % (newest["cap_file_id"], highest))
        node.token(name="later")
        token_ids = [line.split("\t")[0] for line in cli("token", "list", "--data-dir", data_dir, "--database", url).splitlines()]
        check(token_ids[-1] == str(len(rows_before["tokens"]) + 1), "new token id %s" % token_ids)

        # Again: nothing copied, nothing changed (the server keeps running meanwhile).
        rows_now = dump_postgres(url)
        os.rename(os.path.join(data_dir, "sharkapi.db.migrated"), os.path.join(data_dir, "sharkapi.db"))
        again = cli("migrate", "--data-dir", data_dir, "--database", url)
        for table, rows in rows_before.items():
            check("%s %d rows in SQLite, 0 copied, %d already there" % (table.ljust(16), len(rows), len(rows)) in again,
                  "second migrate's report for %s: %s" % (table, again))
        check(dump_postgres(url) == rows_now, "the second migrate changed rows")
    finally:
        for server in (single, node):
            if server is not None:
                server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def timed_request(server, method, path, headers=None, body=None):
    started = time.time()
    r = server.request(method, path, headers=headers, body=body, timeout=30)
    return r, time.time() - started


def test_postgres_stopped_and_back():
    pg = harness.postgres()
    data_dir = tempfile.mkdtemp(prefix="sharkapi-outage-")
    server = None
    try:
        server = harness.Server(data_dir=data_dir, args=["--workers", "1"], database=pg.create_database("outage")).start()
        token = server.token(name="owner")
        r = server.upload_put(token, cap(CAPTURES[1]))
        check(r.status == 200, "upload: %d" % r.status)
        capture_id = r.json()["id"]
        check(server.wait_ready(token, capture_id) == "ready", "analysis")

        pg.stop()
        requests = [
            ("GET", "/api/v1/%s/info/%s" % (token, capture_id), None, None),
            ("GET", "/api/v1/%s/search?search[filename]=dhcp" % token, None, None),
            ("GET", "/api/v1/%s/annotations/%s" % (token, capture_id), None, None),
            ("POST", "/api/v1/%s/annotations/%s?frame=1&text=x" % (token, capture_id), None, None),
            ("GET", "/api/v2/analysis/%s/status" % capture_id, {"Authorization": token}, None),
            ("PUT", "/api/v1/%s/upload" % token, None, open(cap(CAPTURES[0]), "rb").read()),
        ]
        outcomes = []
        lock = threading.Lock()

        def client(rounds):
            for _ in range(rounds):
                for method, path, headers, body in requests:
                    r, seconds = timed_request(server, method, path, headers, body)
                    with lock:
                        outcomes.append((method, path, r.status, r.header("Retry-After"), seconds))

        threads = [threading.Thread(target=client, args=(3,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted({o[2] for o in outcomes})
        slowest = max(o[4] for o in outcomes)
        print("  during the outage: %d requests, statuses %s, slowest %.3f s" % (len(outcomes), statuses, slowest))
        check(statuses == [503], "statuses while PostgreSQL is down: %s" % [o for o in outcomes if o[2] != 503][:5])
        check(all(o[3] for o in outcomes), "503 without Retry-After: %s" % sorted({o[:2] for o in outcomes if not o[3]}))
        check(slowest < 5, "a request took %.1f s" % slowest)
        check(server.alive(), "the server died with its database")
        outage_lines = [line for line in server.log if "PostgreSQL is unavailable" in line]
        # One line per connection (the main one and the writer's), not one per request.
        check(1 <= len(outage_lines) <= 2, "outage logged %d times" % len(outage_lines))

        pg.start()
        back = time.time()
        deadline = back + 30
        while True:
            r = server.request("GET", "/api/v1/%s/info/%s" % (token, capture_id), timeout=30)
            if r.status == 200:
                break
            check(r.status == 503, "while reconnecting: %d" % r.status)
            check(time.time() < deadline, "no service 30 s after PostgreSQL came back")
            time.sleep(0.1)
        print("  answering again %.2f s after PostgreSQL was back" % (time.time() - back))
        r = server.upload_put(token, cap(CAPTURES[0]))
        check(r.status == 200, "upload after the outage: %d %s" % (r.status, r.body))
        r = server.request("GET", "/api/v1/%s/search?search[filename]=upload" % token)
        check(r.status == 200 and len(r.json()) == 2, "search after the outage: %d %s" % (r.status, r.body[:200]))
        check(any("PostgreSQL is back" in line for line in server.log), "the end of the outage is not logged")
        check(not any("status=500" in line for line in server.log), "a 500 was answered")
    finally:
        if not pg.is_running():
            pg.start()
        if server is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_nodes_starting_together_share_one_schema():
    url = harness.postgres().create_database("together")
    dirs = [tempfile.mkdtemp(prefix="sharkapi-node-") for _ in range(3)]
    servers = [harness.Server(data_dir=d, args=["--workers", "1"], database=url) for d in dirs[:2]]
    # The third names its database in a configuration file (database=), not on the command line.
    config = os.path.join(dirs[2], "sharkapi.conf")
    with open(config, "w") as f:
        f.write("[sharkapi]\ndata-dir=%s\ndatabase=%s\n" % (dirs[2], url))
    servers.append(harness.Server(data_dir=dirs[2], args=["--workers", "1", "--config", config]))
    failures = []
    try:
        def start(server):
            try:
                server.start()
            except Exception as e:  # noqa: BLE001 (reported below)
                failures.append(str(e))

        threads = [threading.Thread(target=start, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(not failures, "a node failed to start: %s" % failures)
        # The token command reads the same file.
        token = cli("token", "create", "--config", config, "--name", "shared").strip()
        r = servers[1].upload_put(token, cap(CAPTURES[1]))
        check(r.status == 200, "upload through the second node: %d" % r.status)
        r = servers[2].request("GET", "/api/v1/%s/info/%s" % (token, r.json()["id"]))
        check(r.status == 200, "the third node does not see it: %d" % r.status)
        versions = harness.postgres().query(url, "SELECT version FROM schema_version")
        check(versions == [["3"]], "schema_version %s" % versions)
        check(not any(os.path.exists(os.path.join(d, "sharkapi.db")) for d in dirs), "a SQLite file beside PostgreSQL")
    finally:
        for server in servers:
            server.stop()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


def main():
    harness.run([test_migrate_keeps_every_id_token_and_answer, test_postgres_stopped_and_back,
                 test_nodes_starting_together_share_one_schema])


if __name__ == "__main__":
    main()
