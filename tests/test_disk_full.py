"""test_disk_full.py: a full disk answers 507, leaves nothing partial, and passes when space returns.

The data dir is a small tmpfs mounted for the test (needs root; without it the suite exits 77,
which ctest reports as skipped). A filler file takes the free space away and gives it back in
whole tmpfs pages, so each case knows exactly how many pages are free (checked with statvfs):
- an upload into a full disk (0 pages): 507 from the spool, nothing stored, tmp/ empty;
- room for the spool and not one page more, with the database's write-ahead log truncated
  first (so recording the capture must grow it): 507 from the database, nothing stored;
- room for the spool, the record and the analysis results: 200, and the analysis ends ready;
- a new analysis pass whose results cannot be written: 507, no half-written result folder;
- space back: the same requests answer 200, with the answers of a fresh copy of the capture.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import harness
from harness import check

CAPTURE = os.path.join(harness.CAPTURES_DIR, "sv-tls-tor.pcap")
SKIP = 77

server = None
token = None
filler = None


def free_pages():
    return os.statvfs(os.path.dirname(filler)).f_bavail


def page_size():
    return os.statvfs(os.path.dirname(filler)).f_bsize


def fill_up():
    """Writes the filler until the file system refuses; then no page is free."""
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 20, 65536, 4096, 512):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(fd, block)
                except OSError as e:
                    check(e.errno == errno.ENOSPC, "filler: %s" % e)
                    break
    finally:
        os.close(fd)
    check(free_pages() == 0, "pages still free after filling: %d" % free_pages())
    check(os.path.getsize(filler) % page_size() == 0, "the filler does not end on a page")
    return os.path.getsize(filler)


def give_back_pages(pages):
    """Frees exactly pages whole pages of the filler."""
    os.truncate(filler, os.path.getsize(filler) - pages * page_size())
    check(free_pages() == pages, "%d pages free, not %d" % (free_pages(), pages))


def pages_for(nbytes):
    return -(-nbytes // page_size())


def truncate_wal():
    """Checkpoints the server's database and truncates its write-ahead log to nothing (the
    server is idle between requests, so the checkpoint completes): the next record the server
    commits must then take new pages."""
    db = sqlite3.connect(os.path.join(server.data_dir, "sharkapi.db"), timeout=10)
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.close()
    wal = os.path.join(server.data_dir, "sharkapi.db-wal")
    check(busy == 0 and os.path.getsize(wal) == 0, "write-ahead log not truncated (busy %d, %d bytes)"
          % (busy, os.path.getsize(wal)))


def refused_for_space(response, what, message):
    check(response.status == 507 and response.json()["status"] == 507, "%s: %d %s"
          % (what, response.status, response.body[:200]))
    check(message in response.json()["exceptions"][0], "%s: not refused by %s: %s"
          % (what, message, response.body[:200]))


def stored_ids():
    return sorted(os.listdir(os.path.join(server.data_dir, "captures")))


def no_partial_results():
    for root, dirs, files in os.walk(os.path.join(server.data_dir, "captures")):
        for name in dirs + files:
            check(".tmp" not in name, "half-written entry: %s" % os.path.join(root, name))


def tmp_empty():
    """The spool goes when libsoup finalizes the request, a moment after the answer."""
    tmp = os.path.join(server.data_dir, "tmp")
    deadline = time.time() + 30
    while os.listdir(tmp) and time.time() < deadline:
        time.sleep(0.1)
    check(os.listdir(tmp) == [], "left in tmp/: %s" % os.listdir(tmp))


def test_upload_into_a_full_disk_is_507():
    before = stored_ids()
    fill_up()
    try:
        for send in (server.upload_put, server.upload_post):
            refused_for_space(send(token, CAPTURE), "upload into a full disk", "no space left to store the upload")
        check(stored_ids() == before, "something was stored")
        tmp_empty()
    finally:
        os.unlink(filler)
    r = server.upload_put(token, CAPTURE)
    check(r.status == 200, "upload after space returned: %d %s" % (r.status, r.body[:200]))
    check(server.request("GET", "/api/v1/%s/download/%s" % (token, r.json()["id"])).body == open(CAPTURE, "rb").read(),
          "download after recovery")


def test_room_for_the_spool_but_not_the_record_is_507():
    before = stored_ids()
    truncate_wal()
    fill_up()
    try:
        give_back_pages(pages_for(os.path.getsize(CAPTURE)))
        refused_for_space(server.upload_put(token, CAPTURE), "room for the spool only", "database")
        check(stored_ids() == before, "a refused upload was stored")
        tmp_empty()
        no_partial_results()
        check(free_pages() == pages_for(os.path.getsize(CAPTURE)), "the refused upload kept %d pages"
              % (pages_for(os.path.getsize(CAPTURE)) - free_pages()))
    finally:
        os.unlink(filler)


def test_room_for_the_spool_record_and_results_is_200():
    """The same nearly full disk with room for what an upload and its analysis write (the
    sv-tls-tor results take 8 pages; the record a few): stored, and analysed to the end."""
    truncate_wal()
    fill_up()
    try:
        give_back_pages(pages_for(os.path.getsize(CAPTURE)) + 64)
        r = server.upload_put(token, CAPTURE)
        check(r.status == 200, "room for everything: %d %s" % (r.status, r.body[:200]))
        check(server.wait_ready(token, r.json()["id"], timeout=120) == "ready", "analysis on a nearly full disk")
        tmp_empty()
        no_partial_results()
        check(server.request("GET", "/api/v1/%s/download/%s" % (token, r.json()["id"])).body ==
              open(CAPTURE, "rb").read(), "download")
    finally:
        os.unlink(filler)


def test_results_that_cannot_be_written_are_507():
    capture_id = server.upload_put(token, CAPTURE).json()["id"]
    check(server.wait_ready(token, capture_id) == "ready", "first analysis")
    fill_up()
    routes = [("stats/hierarchy", "frame.number > 3"), ("stats/endpoints", "frame.number > 4"),
              ("dns/lookups", "frame.number > 5")]
    try:
        for route, display_filter in routes:
            r = server.v2(token, capture_id, route, filter=display_filter, protocol="ip")
            check(r.status == 507 and r.json()["status"] == 507, "%s on a full disk: %d %s"
                  % (route, r.status, r.body[:200]))
            no_partial_results()
        r = server.v2(token, capture_id, "stats/hierarchy")
        check(r.status == 200, "results already stored still answer on a full disk: %d" % r.status)
    finally:
        os.unlink(filler)
    copy_id = server.upload_put(token, CAPTURE).json()["id"]
    for route, display_filter in routes:
        r = server.v2(token, capture_id, route, filter=display_filter, protocol="ip")
        check(r.status == 200, "%s after space returned: %d %s" % (route, r.status, r.body[:200]))
        fresh = server.v2(token, copy_id, route, filter=display_filter, protocol="ip")
        check(r.json()["data"] == fresh.json()["data"], "%s differs from a fresh copy" % route)
    no_partial_results()
    check(server.alive(), "server died")


def main():
    global server, token, filler
    mount_point = tempfile.mkdtemp(prefix="sharkapi-tmpfs-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", mount_point],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        print("SKIP: cannot mount a tmpfs for the data dir (%s); needs root" % mounted.stderr.strip())
        os.rmdir(mount_point)
        sys.exit(SKIP)
    try:
        data_dir = os.path.join(mount_point, "data")
        filler = os.path.join(mount_point, "filler")
        server = harness.Server(data_dir=data_dir, args=["--workers", "1"]).start()
        token = server.token()
        try:
            harness.run([test_upload_into_a_full_disk_is_507, test_room_for_the_spool_but_not_the_record_is_507,
                         test_room_for_the_spool_record_and_results_is_200,
                         test_results_that_cannot_be_written_are_507])
        finally:
            server.cleanup()
    finally:
        for _ in range(50):  # workers may take a moment to leave
            if subprocess.run(["umount", mount_point], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        else:
            subprocess.run(["umount", "-l", mount_point])
        shutil.rmtree(mount_point, ignore_errors=True)


if __name__ == "__main__":
    main()
