"""test_auth_table.py: every route against tokens holding each single permission.

The routes are read from the route table in src/http/http-routes.c itself, so a route added
there is covered without editing this file. For each route and method, and each permission:
a token holding only that permission (or admin) passes authorization, every other one gets 403
naming the missing permission; no token, an unknown token and a revoked token get 401. A route
whose permission is new to this file fails the test until PERMISSIONS lists it.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import subprocess

import harness
from harness import check

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "http", "http-routes.c")
PERMISSIONS = ["upload", "info", "download", "delete", "annotate", "analysis", "admin"]
# Permissions a handler demands on top of the table's (routes-merge.c reads the captures it
# merges, so merge needs info as well as upload); extend when a handler adds one.
ALSO_NEEDS = {"/api/v1/{token}/merge": ["info"], "/api/v2/analysis/{id}/tls-keys": ["analysis"]}
# Query strings for routes that need parameters to answer 200; extend when a route needs some.
PARAMS = {"/packets/fields": "?fields=frame.number"}
MISSING_ID = "ffffffffffff"  # well-formed, never stored: an authorized request reaches the handler's 404
# Path parameters besides {token} and {id}: values the stored capture (zeek-dhcp, UDP) answers 200 for.
PATH_VALUES = {"{frame}": "1", "{proto}": "udp", "{stream}": "0", "{substream}": "0"}
# The export-object routes' {proto} is a handler (test_http_io_objects.py tests their answers).
OBJECT_PATH_VALUES = {"{proto}": "http", "{index}": "1"}

server = None
tokens = {}


def route_table():
    """[(methods, pattern, auth kind, permission)] from http-routes.c's http_routes[]."""
    text = open(SOURCE).read()
    table = text[text.index("http_routes[] = {"):]
    table = table[:table.index("};")]
    rows = re.findall(r'\{"([A-Z ]+)",\s*"([^"]+)",\s*HTTP_AUTH_(\w+),\s*AUTH_PERMISSION_(\w+),', table)
    check(len(rows) >= 10, "could not read the route table of %s" % SOURCE)
    return [(methods.split(), pattern, kind, permission.lower()) for methods, pattern, kind, permission in rows]


def call(method, pattern, kind, token, capture_id):
    path = pattern.replace("{id}", capture_id)
    values = dict(PATH_VALUES, **(OBJECT_PATH_VALUES if "/objects/" in pattern else {}))
    for name, value in values.items():
        path = path.replace(name, value)
    path += next((q for suffix, q in PARAMS.items() if pattern.endswith(suffix)), "")
    headers = {}
    if kind == "PATH":
        path = path.replace("{token}", token if token is not None else "-")
    elif token is not None:
        headers["Authorization"] = token
    body = None
    if method in ("POST", "PUT"):
        body = b"{}"
        headers["Content-Type"] = "application/json"
    if pattern.endswith("/upload"):
        body = open(os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap"), "rb").read()
        headers["Content-Type"] = "application/octet-stream"
    return server.request(method, path, body=body, headers=headers)


def test_every_route_with_every_single_permission():
    routes = route_table()
    tried = 0
    for methods, pattern, kind, needed in routes:
        check(needed in PERMISSIONS, "route %s needs '%s', unknown to this test" % (pattern, needed))
        for method in methods:
            for held in PERMISSIONS:
                r = call(method, pattern, kind, tokens[held], MISSING_ID)
                label = "%s %s with '%s'" % (method, pattern, held)
                tried += 1
                also = ALSO_NEEDS.get(pattern, [])
                if held == "admin" or (held == needed and not also):
                    check(r.status not in (401, 403), "%s refused: %d %s" % (label, r.status, r.body[:200]))
                    check(r.status < 500 or r.status == 503, "%s: %d %s" % (label, r.status, r.body[:200]))
                else:
                    check(r.status == 403, "%s: %d, want 403" % (label, r.status))
                    missing = [p for p in [needed] + also if p != held]
                    check(any(p in r.json()["exceptions"][0] for p in missing),
                          "%s: 403 does not name one of %s" % (label, missing))
        if pattern in ALSO_NEEDS:
            both = server.token(",".join([needed] + ALSO_NEEDS[pattern]), name="both-" + needed)
            for method in methods:
                r = call(method, pattern, kind, both, MISSING_ID)
                check(r.status not in (401, 403), "%s %s with %s: %d" % (method, pattern, [needed] + ALSO_NEEDS[pattern], r.status))
    print("  %d routes, %d requests" % (len(routes), tried))


def test_allowed_on_a_real_capture():
    """The same table on a capture that exists: the right permission gets 200 (delete last)."""
    owner = tokens["upload"]
    capture_id = server.upload_put(owner, os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")).json()["id"]
    routes = sorted(route_table(), key=lambda row: row[3] == "delete")
    for methods, pattern, kind, needed in routes:
        if needed in ("upload", "annotate") or "{id}" not in pattern or "{substream}" in pattern:
            # uploads are covered above; annotation routes want bodies of their own; substreams
            # are HTTP/2's and QUIC's (test_http_packets.py follows one)
            continue
        if "{index}" in pattern:
            continue  # an object download needs a capture with objects (test_http_io_objects.py)
        method = "GET" if "GET" in methods else methods[0]
        r = call(method, pattern, kind, tokens[needed], capture_id)
        check(r.status == 200, "%s %s with '%s' on a stored capture: %d %s"
              % (method, pattern, needed, r.status, r.body[:200]))


def test_no_token_unknown_token_revoked_token():
    victim = server.token("admin", name="to-revoke")
    for methods, pattern, kind, needed in route_table():
        for method in methods:
            for label, token in (("no token", None), ("unknown token", "0123456789abcdef" * 2),
                                 ("malformed token", "x" * 500), ("empty token", "")):
                if token == "" and kind == "PATH":
                    continue  # an empty path segment is another route
                r = call(method, pattern, kind, token, MISSING_ID)
                check(r.status in (401, 404) if kind == "PATH" and token is None else r.status == 401,
                      "%s %s with %s: %d" % (method, pattern, label, r.status))
            check(call(method, pattern, kind, victim, MISSING_ID).status not in (401, 403), "admin before revoke")
    subprocess.run([os.path.join(harness.BUILD_DIR, "sharkapi"), "token", "revoke", "--data-dir", server.data_dir,
                    "to-revoke"], check=True, capture_output=True)
    # At once: no restart, no wait.
    for methods, pattern, kind, needed in route_table():
        for method in methods:
            r = call(method, pattern, kind, victim, MISSING_ID)
            check(r.status == 401, "%s %s with a revoked token: %d" % (method, pattern, r.status))


def test_tokens_stored_hashed():
    db = open(os.path.join(server.data_dir, "sharkapi.db"), "rb").read()
    for held, token in tokens.items():
        check(token.encode() not in db and token.upper().encode() not in db, "token '%s' stored in clear" % held)


def main():
    global server
    server = harness.Server(args=["--workers", "1"]).start()
    try:
        for permission in PERMISSIONS:
            tokens[permission] = server.token(permission, name="only-" + permission)
        # Workers up before the table runs (routes such as tables answer 503 until then).
        first = server.upload_put(tokens["admin"], os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")).json()["id"]
        server.wait_ready(tokens["admin"], first)
        harness.run([test_every_route_with_every_single_permission, test_allowed_on_a_real_capture,
                     test_no_token_unknown_token_revoked_token, test_tokens_stored_hashed])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
