"""test_disk_full.py: a full disk answers 507, leaves nothing partial, and passes when space returns.

The data dir is a small tmpfs mounted for the test (needs root; without it the suite exits 77,
which ctest reports as skipped). A filler file takes the free space away and gives it back:
- an upload into a full disk: 507, nothing stored, tmp/ empty;
- an upload with room for the spool only (the database may or may not fit): 200 or 507, and
  with 507 nothing of it is stored;
- a new analysis pass whose results cannot be written: 507, no half-written result folder;
- space back: the same requests answer 200, with the answers of a fresh copy of the capture.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import errno
import os
import shutil
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


def fill_up():
    """Writes the filler until the file system refuses; returns its size."""
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
    return os.path.getsize(filler)


def give_back(nbytes):
    size = os.path.getsize(filler)
    os.truncate(filler, max(0, size - nbytes))


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
            r = send(token, CAPTURE)
            check(r.status == 507 and r.json()["status"] == 507, "upload into a full disk: %d %s"
                  % (r.status, r.body[:200]))
        check(stored_ids() == before, "something was stored")
        tmp_empty()
    finally:
        os.unlink(filler)
    r = server.upload_put(token, CAPTURE)
    check(r.status == 200, "upload after space returned: %d %s" % (r.status, r.body[:200]))
    check(server.request("GET", "/api/v1/%s/download/%s" % (token, r.json()["id"])).body == open(CAPTURE, "rb").read(),
          "download after recovery")


def test_room_for_the_spool_only():
    before = stored_ids()
    outcomes = []
    for spare in (0, 4096, 16384, 65536):
        fill_up()
        try:
            give_back(os.path.getsize(CAPTURE) + spare)
            r = server.upload_put(token, CAPTURE)
            check(r.status in (200, 507), "room for %d bytes more: %d %s" % (spare, r.status, r.body[:200]))
            outcomes.append(r.status)
            if r.status == 507:
                check(stored_ids() == before, "a refused upload was stored")
            else:
                before = stored_ids()
            tmp_empty()
            no_partial_results()
        finally:
            os.unlink(filler)
    print("  spool-sized room, +0/4K/16K/64K: %s" % outcomes)


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
            harness.run([test_upload_into_a_full_disk_is_507, test_room_for_the_spool_only,
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
