#!/usr/bin/env python3
"""test_http_answer_cache.py: summary answers served again from the server's memory.

A real server on 127.0.0.1, a real upload. The first request of a summary route reads the
persisted file, later ones come from the answer cache (src/http/http-file-cache.c): they must be
the same bytes, agree with tshark, stay apart per variant (filter, passes), and stop the moment
the capture is deleted (404, not a stale answer).

That a repeat really came from memory is seen two ways, each request on its own:
- /metrics: sharkapi_cache_hits_total{cache="summary"} goes up by exactly one for an answer from a
  persisted or cached result, sharkapi_cache_misses_total{cache="summary"} by exactly one for an
  answer that waited for a pass (the first request of a filtered variant), and nothing else moves;
- inotify on the capture's summary folders: the request that reads a result file opens it
  (IN_OPEN), a repeat answered from memory opens nothing. The counters alone cannot tell a memory
  hit from a persisted one (both count as hits), so a cache that always missed would pass them;
  it cannot pass the second.
A result file replaced on disk (a new inode, as the header promises to notice) is read again.
Python 3 standard library only (inotify through ctypes).
SPDX-License-Identifier: GPL-2.0-or-later
"""
import ctypes
import ctypes.util
import os
import re
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import oracle  # noqa: E402
from harness import check  # noqa: E402

CAPTURE = os.path.join(harness.CAPTURES_DIR, "sv-tls-subjectaltname-mixed.pcap")
# (route, params, the result file under the variant's folder; None: an empty table, no file)
ROUTES = [("stats/hierarchy", {}, "hierarchy.json"), ("stats/endpoints", {"protocol": "ip"}, "endpoints/ip.json"),
          ("stats/conversations", {"protocol": "tcp"}, "conversations/tcp.json"),
          ("stats/conversations", {"protocol": "UDP"}, "conversations/udp.json"),
          ("stats/conversations", {"protocol": "sctp"}, None), ("dns/lookups", {}, "dns.json")]
REPEATS = 3

server = None
token = None


# ---- inotify: which files the server opened ----

IN_OPEN = 0x00000020
IN_Q_OVERFLOW = 0x00004000
IN_ISDIR = 0x40000000
_EVENT = struct.Struct("iIII")
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class FileOpens:
    """IN_OPEN watches on a folder tree; opened() drains the files opened since the last call.
    The server opens a result file before it answers, so after the answer the event is queued."""

    def __init__(self):
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}  # watch descriptor -> folder

    def watch_tree(self, top):
        for root, _dirs, _files in os.walk(top):
            wd = _libc.inotify_add_watch(self.fd, root.encode(), IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch " + root)
            self.dirs[wd] = root
        return self

    def opened(self, relative_to):
        files = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return files
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size:offset + _EVENT.size + length].rstrip(b"\0").decode()
                offset += _EVENT.size + length
                check(not mask & IN_Q_OVERFLOW, "inotify queue overflowed")
                # A folder's "format" file is read when a request first finds the folder (is it
                # this version's?): bookkeeping, not an answer.
                if mask & IN_OPEN and not mask & IN_ISDIR and wd in self.dirs and name != "format":
                    files.append(os.path.relpath(os.path.join(self.dirs[wd], name), relative_to))

    def close(self):
        os.close(self.fd)


# ---- helpers ----

def summary_counters():
    """(hits, misses) of the summary answer cache, from /metrics."""
    text = server.request("GET", "/metrics").body.decode()

    def value(name):
        found = re.search(r'^%s\{cache="summary"\} (\S+)$' % name, text, re.M)
        return float(found.group(1)) if found else 0.0
    return value("sharkapi_cache_hits_total"), value("sharkapi_cache_misses_total")


def asked(capture_id, route, params, want_hits, want_misses):
    """One request; checks that it moved the counters by exactly (want_hits, want_misses)."""
    before = summary_counters()
    response = server.v2(token, capture_id, route, **params)
    after = summary_counters()
    moved = (after[0] - before[0], after[1] - before[1])
    check(response.status == 200, "%s %s: %d %s" % (route, params, response.status, response.body[:200]))
    check(moved == (want_hits, want_misses), "%s %s: hits/misses moved by %s, expected (%d, %d)"
          % (route, params, moved, want_hits, want_misses))
    return response


def upload_ready(path):
    capture_id = server.upload_put(token, path).json()["id"]
    check(server.wait_ready(token, capture_id) == "ready", "analysis not ready")
    return capture_id


def summary_dir(capture_id):
    return os.path.join(server.data_dir, "captures", capture_id, "summary")


def variant_dir(capture_id, before):
    """The one variant folder that appeared since before (a set of folder names)."""
    new = sorted(set(os.listdir(summary_dir(capture_id))) - before)
    check(len(new) == 1 and new[0].startswith("v-"), "new variant folders: %s" % new)
    return new[0]


# ---- tests ----

def test_repeated_answers_come_from_memory():
    capture_id = upload_ready(CAPTURE)
    top = os.path.join(summary_dir(capture_id), "default")
    opens = FileOpens().watch_tree(top)
    try:
        for route, params, result_file in ROUTES:
            # The default summary was written at upload: the first answer is a persisted hit, read from its file.
            first = asked(capture_id, route, params, 1, 0)
            check(opens.opened(top) == ([result_file] if result_file else []),
                  "%s %s: first answer did not read %s" % (route, params, result_file))
            for _ in range(REPEATS):
                again = asked(capture_id, route, params, 1, 0)
                check(again.body == first.body, "%s %s changed when asked again" % (route, params))
                check(again.header("Content-Type").startswith("application/json"), "content type")
                read = opens.opened(top)
                check(read == [], "%s %s: a repeat was read from disk (%s), not answered from memory"
                      % (route, params, read))
    finally:
        opens.close()
    hierarchy = server.v2(token, capture_id, "stats/hierarchy").json()["data"]
    check(hierarchy == oracle.tshark_phs(CAPTURE), "cached hierarchy differs from tshark -z io,phs")


def test_variants_are_kept_apart():
    capture_id = upload_ready(CAPTURE)
    default = asked(capture_id, "stats/hierarchy", {}, 1, 0)
    folders = set(os.listdir(summary_dir(capture_id)))
    tcp = asked(capture_id, "stats/hierarchy", {"filter": "tcp"}, 0, 1)  # waited for its pass: a miss
    check(tcp.body != default.body, "filtered hierarchy answered as the default one")
    check(tcp.json()["data"] == oracle.tshark_phs(CAPTURE, "tcp"), "filtered hierarchy differs from tshark")
    top = os.path.join(summary_dir(capture_id), variant_dir(capture_id, folders))
    opens = FileOpens().watch_tree(summary_dir(capture_id))
    try:
        for _ in range(REPEATS):
            check(asked(capture_id, "stats/hierarchy", {"filter": "tcp"}, 1, 0).body == tcp.body,
                  "filtered answer changed")
            check(asked(capture_id, "stats/hierarchy", {}, 1, 0).body == default.body, "default answer changed")
            read = opens.opened(summary_dir(capture_id))
            check(read == [], "repeats were read from disk: %s" % read)
        # Replaced on disk (same bytes, a new inode): the cache must notice and read it again.
        path = os.path.join(top, "hierarchy.json")
        shutil.copyfile(path, path + ".replacement")
        os.rename(path + ".replacement", path)
        opens.opened(summary_dir(capture_id))  # the copy's own read
        check(asked(capture_id, "stats/hierarchy", {"filter": "tcp"}, 1, 0).body == tcp.body,
              "answer after the file was replaced")
        read = opens.opened(summary_dir(capture_id))
        check(read == [os.path.relpath(path, summary_dir(capture_id))],
              "a replaced result file was not read again: %s" % read)
        check(asked(capture_id, "stats/hierarchy", {"filter": "tcp"}, 1, 0).body == tcp.body, "answer")
        check(opens.opened(summary_dir(capture_id)) == [], "the re-read file was not kept")
    finally:
        opens.close()


def test_deleted_capture_is_404_after_cached_answers():
    capture_id = upload_ready(CAPTURE)
    for route, params, _ in ROUTES:
        check(server.v2(token, capture_id, route, **params).status == 200, "before delete")
        check(server.v2(token, capture_id, route, **params).status == 200, "cached, before delete")
    deleted = server.request("POST", "/api/v1/%s/delete/%s" % (token, capture_id))
    check(deleted.status == 200, "delete: %d" % deleted.status)
    for route, params, _ in ROUTES:
        before = summary_counters()
        gone = server.v2(token, capture_id, route, **params)
        check(gone.status == 404 and gone.json()["status"] == 404,
              "%s %s after delete: %d %r" % (route, params, gone.status, gone.body[:100]))
        check(summary_counters() == before, "%s %s: a 404 counted as a cache answer" % (route, params))


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
        harness.run([test_repeated_answers_come_from_memory, test_variants_are_kept_apart,
                     test_deleted_capture_is_404_after_cached_answers,
                     test_unknown_table_and_token_still_refused])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
