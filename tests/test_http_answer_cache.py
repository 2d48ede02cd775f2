#!/usr/bin/env python3
"""test_http_answer_cache.py: summary answers served again from the server's memory.

A real server on 127.0.0.1, a real upload. The first request of a summary route reads the
persisted file, later ones come from the answer cache (src/http/http-file-cache.c): they must be
the same bytes, agree with tshark, stay apart per variant (filter, passes), and stop the moment
the capture is deleted (404, not a stale answer). Python 3 standard library only.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import oracle  # noqa: E402
from harness import check  # noqa: E402

CAPTURE = os.path.join(harness.CAPTURES_DIR, "sv-tls-subjectaltname-mixed.pcap")
ROUTES = [("stats/hierarchy", {}), ("stats/endpoints", {"protocol": "ip"}),
          ("stats/conversations", {"protocol": "tcp"}), ("stats/conversations", {"protocol": "UDP"}),
          ("stats/conversations", {"protocol": "sctp"}), ("dns/lookups", {})]

server = None
token = None


def upload_ready(path):
    capture_id = server.upload_put(token, path).json()["id"]
    check(server.wait_ready(token, capture_id) == "ready", "analysis not ready")
    return capture_id


def test_repeated_answers_are_the_same_bytes():
    capture_id = upload_ready(CAPTURE)
    for route, params in ROUTES:
        first = server.v2(token, capture_id, route, **params)
        check(first.status == 200, "%s %s: %d" % (route, params, first.status))
        for _ in range(3):
            again = server.v2(token, capture_id, route, **params)
            check(again.status == 200 and again.body == first.body, "%s %s changed when asked again" % (route, params))
            check(again.header("Content-Type").startswith("application/json"), "content type")
    hierarchy = server.v2(token, capture_id, "stats/hierarchy").json()["data"]
    check(hierarchy == oracle.tshark_phs(CAPTURE), "cached hierarchy differs from tshark -z io,phs")


def test_variants_are_kept_apart():
    capture_id = upload_ready(CAPTURE)
    default = server.v2(token, capture_id, "stats/hierarchy")
    tcp = server.v2(token, capture_id, "stats/hierarchy", filter="tcp")
    check(tcp.status == 200 and tcp.body != default.body, "filtered hierarchy answered as the default one")
    check(server.v2(token, capture_id, "stats/hierarchy", filter="tcp").body == tcp.body, "filtered answer changed")
    check(tcp.json()["data"] == oracle.tshark_phs(CAPTURE, "tcp"), "filtered hierarchy differs from tshark")
    check(server.v2(token, capture_id, "stats/hierarchy").body == default.body, "default answer changed")


def test_deleted_capture_is_404_after_cached_answers():
    capture_id = upload_ready(CAPTURE)
    for route, params in ROUTES:
        check(server.v2(token, capture_id, route, **params).status == 200, "before delete")
        check(server.v2(token, capture_id, route, **params).status == 200, "cached, before delete")
    deleted = server.request("POST", "/api/v1/%s/delete/%s" % (token, capture_id))
    check(deleted.status == 200, "delete: %d" % deleted.status)
    for route, params in ROUTES:
        gone = server.v2(token, capture_id, route, **params)
        check(gone.status == 404 and gone.json()["status"] == 404,
              "%s %s after delete: %d %r" % (route, params, gone.status, gone.body[:100]))


def test_unknown_table_and_token_still_refused():
    capture_id = upload_ready(CAPTURE)
    check(server.v2(token, capture_id, "stats/endpoints", protocol="ip").status == 200, "warm the cache")
    bad = server.v2(token, capture_id, "stats/endpoints", protocol="no-such-table")
    check(bad.status == 400 and bad.json()["status"] == 400, "unknown table: %d" % bad.status)
    stranger = server.request("GET", "/api/v2/analysis/%s/stats/endpoints?protocol=ip" % capture_id,
                              headers={"Authorization": "0" * 32})
    check(stranger.status == 401, "unknown token answered %d from the cache" % stranger.status)
    slash = server.request("GET", "/api/v2/analysis/%s/stats/hierarchy/" % capture_id,
                           headers={"Authorization": token})
    check(slash.status == 200, "a trailing slash is tolerated")
    double = server.request("GET", "/api/v2/analysis/%s/stats/hierarchy//" % capture_id,
                            headers={"Authorization": token})
    check(double.status == 404, "two trailing slashes: %d" % double.status)
    method = server.request("DELETE", "/api/v2/analysis/%s/stats/hierarchy" % capture_id,
                            headers={"Authorization": token})
    check(method.status == 405, "DELETE on a summary route: %d" % method.status)


def main():
    global server, token
    server = harness.Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        harness.run([test_repeated_answers_are_the_same_bytes, test_variants_are_kept_apart,
                     test_deleted_capture_is_404_after_cached_answers,
                     test_unknown_table_and_token_still_refused])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
