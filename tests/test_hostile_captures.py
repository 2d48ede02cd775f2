"""test_hostile_captures.py: hostile capture files against every route of a real server.

randpkt captures of every type, editcap -E corruption, truncations at many offsets, huge and zero
snaplens, lying record lengths, zero frames, thousands of pcapng interfaces (hostile_files.py).
Each is uploaded over HTTP; the upload and every route on it answer 200 or a clear 4xx with a JSON
error body, never a 5xx; afterwards the server still runs, its workers are there, and a good
capture uploaded first answers exactly as it did before.
The random files (randpkt, editcap -E) come from one seed, printed first ("seed: N"); run again
with SHARKAPI_TEST_SEED=N to make the same files. Without it the seed is new each run.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
import os
import random
import shutil
import tempfile

import harness
import hostile_files
from harness import check

# Every route that reads a capture, with parameters that make it do real work.
V2_ROUTES = [
    ("status", {}),
    ("stats/hierarchy", {}),
    ("stats/endpoints", {"protocol": "ip"}),
    ("stats/conversations", {"protocol": "udp"}),
    ("dns/lookups", {}),
    ("packets/fields", {"fields": "frame.number,frame.len,ip.src,_ws.col.Info"}),
    ("packets/fields", {"fields": "frame.number", "filter": "udp || tcp", "passes": "2"}),
]
CLEAR_4XX = (400, 404, 413, 415, 422)

server = None
token = None
work = None
SEED = int(os.environ.get("SHARKAPI_TEST_SEED") or random.SystemRandom().randrange(1 << 32))


def check_answer(label, response):
    """200, or a clear 4xx whose body is the JSON error document."""
    if response.status == 200:
        return
    check(response.status in CLEAR_4XX, "%s: status %d %s" % (label, response.status, response.body[:300]))
    body = response.json()
    check(body["status"] == response.status and body["exceptions"], "%s: error body %s" % (label, body))


def exercise(path):
    """Uploads one hostile file and asks every route about it; returns (upload status, statuses)."""
    name = os.path.basename(path)
    upload = server.upload_put(token, path, filename=name)
    check_answer(name + " upload", upload)
    if upload.status != 200:
        return upload.status, []
    capture_id = upload.json()["id"]
    statuses = []
    info = server.request("GET", "/api/v1/%s/info/%s" % (token, capture_id))
    check_answer(name + " info", info)
    download = server.request("GET", "/api/v1/%s/download/%s" % (token, capture_id))
    check(download.status == 200 and download.body == open(path, "rb").read(),
          "%s: download not byte-identical" % name)
    for route, params in V2_ROUTES:
        r = server.v2(token, capture_id, route, **params)
        check_answer("%s %s %s" % (name, route, params), r)
        statuses.append(r.status)
    return upload.status, statuses


def reference_answers(capture_id):
    return [server.v2(token, capture_id, route, **params).body for route, params in V2_ROUTES[1:]]


def run_all(paths):
    """All files, four clients at once; failures collected with the file that caused them."""
    failures = []
    counts = {"uploaded": 0, "refused": 0, "route answers": 0}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = {pool.submit(exercise, p): p for p in paths}
        for future in concurrent.futures.as_completed(futures):
            try:
                upload_status, statuses = future.result()
                counts["uploaded" if upload_status == 200 else "refused"] += 1
                counts["route answers"] += len(statuses)
            except Exception as e:  # collected, so one bad file does not hide the others
                failures.append("%s: %s" % (os.path.basename(futures[future]), e))
    print("  %d files: %s" % (len(paths), counts))
    check(server.alive(), "the server died")
    check(not failures, "\n".join(failures))


def check_unaffected(good_id, before):
    check(server.alive(), "the server died")
    check(len(harness.worker_pids(server.proc.pid)) >= 1, "no workers left")
    check(reference_answers(good_id) == before, "a good capture answers differently after the hostile ones")


def make_good():
    path = os.path.join(harness.CAPTURES_DIR, "zeek-dns-two-responses.pcap")
    good_id = server.upload_put(token, path).json()["id"]
    server.wait_ready(token, good_id)
    return good_id, reference_answers(good_id)


def test_randpkt_every_type():
    good_id, before = make_good()
    folder = os.path.join(work, "randpkt")
    os.mkdir(folder)
    run_all(hostile_files.make_randpkt(folder, SEED))
    check_unaffected(good_id, before)


def test_corrupted_bytes():
    good_id, before = make_good()
    folder = os.path.join(work, "corrupt")
    os.mkdir(folder)
    sources = [os.path.join(harness.CAPTURES_DIR, n) for n in
               ("sv-dns-udp-a-aaaa-mx.pcap", "sv-tls-cert-issuer.pcap", "zeek-http-pipelined-requests.pcap",
                "tcpdump-ieee802.11-radiotap.pcap", "sv-quic-ietf.pcap", "zeek-pcapng-multi-interface.pcapng")]
    run_all(hostile_files.make_corrupted(folder, sources, SEED))
    check_unaffected(good_id, before)


def test_truncated_at_many_offsets():
    good_id, before = make_good()
    folder = os.path.join(work, "truncated")
    os.mkdir(folder)
    paths = hostile_files.make_truncated(folder, os.path.join(harness.CAPTURES_DIR, "sv-tls-cert-issuer.pcap"))
    paths += hostile_files.make_truncated(folder, os.path.join(harness.CAPTURES_DIR,
                                                                "zeek-pcapng-multi-interface.pcapng"), cuts=8)
    run_all(paths)
    check_unaffected(good_id, before)


def test_crafted_lengths_snaplens_and_interfaces():
    good_id, before = make_good()
    folder = os.path.join(work, "crafted")
    os.mkdir(folder)
    paths = hostile_files.make_crafted(folder)
    paths += [os.path.join(harness.BAD_DIR, n) for n in sorted(os.listdir(harness.BAD_DIR))
              if os.path.isfile(os.path.join(harness.BAD_DIR, n))]
    run_all(paths)
    check_unaffected(good_id, before)


def main():
    global server, token, work
    print("seed: %d (replay: SHARKAPI_TEST_SEED=%d)" % (SEED, SEED), flush=True)
    work = tempfile.mkdtemp(prefix="sharkapi-hostile-")
    server = harness.Server(args=["--workers", "2", "--job-timeout", "120"]).start()
    token = server.token()
    try:
        harness.run([test_randpkt_every_type, test_corrupted_bytes, test_truncated_at_many_offsets,
                     test_crafted_lengths_snaplens_and_interfaces])
    finally:
        server.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
